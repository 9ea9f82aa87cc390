#!/usr/bin/env bash
# Install crossread with test tools (first run only), make sure headless Chromium is there for the browser
# tests, and run the whole test suite: unit, end-to-end, browser and the quality gates (Ray is installed too,
# so the Ray engine is tested against the local one).
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=models,test,ray bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "could not install chromium; browser tests will be skipped"
  fi
fi
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Create .venv and install crossread with its offline models and test tools. Idempotent: re-running is fast
# when pyproject.toml has not changed. torch is pinned to 2.13.0 so pip takes the CPU wheel (no CUDA download).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.crossread-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[models,test]"
  echo "$want" > "$stamp"
fi

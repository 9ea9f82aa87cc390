#!/usr/bin/env bash
# Install crossread (first run only) and analyse the bundled demo corpus into ./crossread-report/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -f demo.duckdb demo.duckdb.wal
.venv/bin/crossread analyze examples/nato-troops-2024 --db demo.duckdb --out crossread-report "$@"
echo "Open crossread-report/report.html in a browser, or read crossread-report/report.md."

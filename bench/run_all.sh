#!/usr/bin/env bash
# Run the whole DataChain-vs-dagster_datachain benchmark, by hand only (never
# from tests or CI): make the images, create DataChain's venv if missing, run
# both sides, print the comparison. Extra arguments go to both run.py calls
# (e.g. --steps index,map_pil --repeat 1; not --lib/--out).
#   SKIP_THEIRS=1  reuse bench/results/datachain.json instead of re-running it
#   OURS_PY=...    python of the env with dagster_datachain (default: .venv)
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
DC_PY="$BENCH/.venv-datachain/bin/python"
OURS_PY="${OURS_PY:-$ROOT/.venv/bin/python}"

if [ ! -x "$DC_PY" ]; then
  python3 -m venv "$BENCH/.venv-datachain"
  "$DC_PY" -m pip install -q -r "$BENCH/requirements-datachain.txt"
fi
"$DC_PY" "$BENCH/make_images.py"

if [ "${SKIP_THEIRS:-0}" != 1 ]; then
  "$DC_PY" "$BENCH/run.py" --lib datachain "$@"
fi

if ! "$OURS_PY" -c "import dagster_datachain" 2>/dev/null; then
  "$OURS_PY" -m pip install -q -e "$ROOT"
fi
"$OURS_PY" "$BENCH/run.py" --lib dagster_datachain "$@"

"$DC_PY" "$BENCH/compare.py"

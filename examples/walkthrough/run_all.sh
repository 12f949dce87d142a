#!/usr/bin/env bash
# Run the README walkthrough as plain scripts in a work folder: data, dataset, queries, embeddings, similarity.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-$here/../../.demo}"
python="${PYTHON:-python}"
mkdir -p "$work" && cd "$work"
export PYTHONPATH="$here/../..${PYTHONPATH:+:$PYTHONPATH}"
# the same Data Memory as `make demo`, `make dev` and the CLI in the repository root
export DATACHAIN_ROOT_DIR="${DATACHAIN_ROOT_DIR:-$(cd "$here/../.." && pwd)/.datachain}"
[ -d oxford-pets-micro ] || "$python" -m definitions.demo_data oxford-pets-micro
for step in create_dataset large_images embed similar; do
  echo "== $step.py"
  "$python" "$here/$step.py"
done

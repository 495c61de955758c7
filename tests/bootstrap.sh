#!/usr/bin/env bash
# Installs what the test suite needs that a fresh machine lacks, under .cache/ (ignored by
# git): one Python venv per pinned requirements file in tests/python/. A venv is rebuilt
# only when its requirements file changes. Safe to run again; prints what it did.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${OCIMCP_TEST_CACHE:-$root/.cache}
python=${PYTHON:-python3}
mkdir -p "$cache/venvs"

for requirements in "$root"/tests/python/*.txt; do
    name=$(basename "$requirements" .txt)
    venv=$cache/venvs/$name
    stamp=$venv/.requirements.sha256
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        echo "bootstrap: venv $name is up to date"
        continue
    fi
    echo "bootstrap: building venv $name from tests/python/$name.txt"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
    echo "$want" > "$stamp"
done

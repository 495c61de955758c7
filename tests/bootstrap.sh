#!/usr/bin/env bash
# Installs what the test suite needs that a fresh machine lacks, under .cache/ (ignored by
# git): one Python venv per pinned requirements file in tests/python/, and the Node
# packages pinned in tests/node/ (Node 22 and the MCP conformance suite). Each is rebuilt
# only when its pin file changes. Safe to run again; prints what it did.
# `--bench` also builds the benchmark peers' venvs pinned in bench/python/ (bench/run.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${OCIMCP_TEST_CACHE:-$root/.cache}
python=${PYTHON:-python3}
mkdir -p "$cache/venvs"

pins=("$root"/tests/python/*.txt)
if [[ ${1:-} == --bench ]]; then
    pins+=("$root"/bench/python/*.txt)
fi
for requirements in "${pins[@]}"; do
    name=$(basename "$requirements" .txt)
    venv=$cache/venvs/$name
    stamp=$venv/.requirements.sha256
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
        echo "bootstrap: venv $name is up to date"
        continue
    fi
    echo "bootstrap: building venv $name from ${requirements#"$root"/}"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
    echo "$want" > "$stamp"
done

# Node 22 and the conformance suite, exactly as locked in tests/node/package-lock.json.
node_dir=$cache/node
stamp=$node_dir/.lock.sha256
want=$(cat "$root/tests/node/package.json" "$root/tests/node/package-lock.json" | sha256sum | cut -d' ' -f1)
if [[ -x $node_dir/node_modules/.bin/node && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "bootstrap: node packages are up to date"
else
    echo "bootstrap: installing node packages from tests/node/package-lock.json"
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    cp "$root/tests/node/package.json" "$root/tests/node/package-lock.json" "$node_dir/"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
    "$node_dir/node_modules/.bin/node" --version >/dev/null
    echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Installs what the test suite needs that a fresh machine lacks, under .cache/ (ignored by
# git): one Python venv per pinned requirements file in tests/python/, the Node packages
# pinned in tests/node/ (Node 22 and the MCP conformance suite), and the pinned packaging
# tools (cargo-deb, cargo-generate-rpm; Debian's rpm, systemd and binutils when root and
# missing). Each is rebuilt only when its pin changes. Safe to run again; prints what it did.
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

# The packaging tools (tests/tests/packaging.rs, packaging/build), pinned: cargo-deb and
# cargo-generate-rpm built once into .cache/cargo-tools. Unoptimised (--debug): about 80 s
# on 2 cores instead of 6 minutes (cargo-generate-rpm pulls in a whole OpenPGP stack),
# for 20 s more when packaging. From Debian, when missing and root: rpm (to inspect the .rpm), systemd
# (systemd-analyze, for tests/tests/units.rs) and binutils (readelf).
tools=$cache/cargo-tools
for pin in cargo-deb@3.8.0 cargo-generate-rpm@0.21.1; do
    name=${pin%@*}
    version=${pin#*@}
    if [[ $("$tools/bin/$name" --version 2>/dev/null) == "$name $version" ]]; then
        echo "bootstrap: $name $version is up to date"
        continue
    fi
    echo "bootstrap: building $name $version into ${tools#"$root"/}"
    cargo install --quiet --debug --locked --force --root "$tools" "$name" --version "$version"
done
missing=()
for pair in rpm:rpm systemd-analyze:systemd readelf:binutils; do
    if ! command -v "${pair%%:*}" >/dev/null 2>&1; then
        missing+=("${pair#*:}")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing ${missing[*]} (Debian packages)"
        apt-get install -y -qq "${missing[@]}" >/dev/null ||
            { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
    else
        echo "bootstrap: ${missing[*]} missing and not installable here (not root, or no" \
            "apt-get); the packaging and unit tests will say so"
    fi
fi

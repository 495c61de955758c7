#!/usr/bin/env bash
# Runs the benchmark suite: builds the gateway and the harness in release mode, installs
# the peers (FastMCP from the tests' pins, mcp-proxy from bench/python/mcp-proxy.txt),
# then runs ocimcp-bench, which writes bench/results/<date>.{md,json} and the results
# section of docs/BENCHMARKS.md. Extra arguments go to ocimcp-bench (see --help), e.g.
# `bench/run.sh --rounds 5 --duration 10`. Takes about ten minutes with the defaults;
# `bench/run.sh --only builtin` (the built-in tool call path alone) about a minute, and
# leaves docs/BENCHMARKS.md as it is.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${OCIMCP_TEST_CACHE:-$root/.cache}
tests/bootstrap.sh --bench
cargo build --release --locked -p ocimcpd -p ocimcp-bench
exec target/release/ocimcp-bench \
    --python "$cache/venvs/fastmcp/bin/python" \
    --mcp-proxy "$cache/venvs/mcp-proxy/bin/mcp-proxy" \
    --out bench/results \
    --update-docs docs/BENCHMARKS.md \
    "$@"

#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install test dependencies, check formatting
# and lints, then run every test (unit and end-to-end).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

tests/bootstrap.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast
else
    cargo test --workspace --locked --no-fail-fast
fi

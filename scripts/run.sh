#!/usr/bin/env bash
# The run command: builds the release binary (cached outside the clone) and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

scripts/setup.sh >&2
cargo build --release --locked --quiet
exec "$CARGO_TARGET_DIR/release/switchboard" "$@"

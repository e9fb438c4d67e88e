#!/usr/bin/env bash
# The run command: builds the web app and the release binary (cached outside the clone) and
# runs it, serving the web app under /app/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

scripts/setup.sh >&2
cargo build --release --locked --quiet
# The web app's API types come from this same binary: no second (debug) build.
SWITCHBOARD_BIN="$CARGO_TARGET_DIR/release/switchboard" scripts/build-web.sh >&2
export SWITCHBOARD_SERVER__WEB_DIR="${SWITCHBOARD_SERVER__WEB_DIR:-$PWD/web/dist}"
exec "$CARGO_TARGET_DIR/release/switchboard" "$@"

#!/usr/bin/env bash
# The tests in a real browser (tests/browser): Debian's Chromium, driven by playwright-core from
# npm, against the service's own binary and the web app it serves (built first). Chromium is installed from Debian's packages where it
# is missing (as root); the screenshots the tests take go to $SCREENSHOTS (default: a temporary
# folder, printed).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

if ! command -v chromium >/dev/null 2>&1; then
    echo "browser-tests: installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "browser-tests: installing Node.js and npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

cd "$here"
scripts/build-web.sh
cargo build --quiet --locked --bin switchboard
export SWITCHBOARD_BIN="$CARGO_TARGET_DIR/debug/switchboard"
export WEB_DIR="$here/web/dist"
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
export SCREENSHOTS="${SCREENSHOTS:-$(mktemp -d)}"
echo "browser-tests: screenshots in $SCREENSHOTS"

cd "$here/tests/browser"
npm ci --silent --no-audit --no-fund
node --test --test-reporter=spec

#!/usr/bin/env bash
# Builds the web app (web/) into web/dist: its API types generated from the service's own
# OpenAPI description, then the TypeScript compiler (strict) and the linter, then Vite. Node.js
# and npm come from Debian where missing. The binary serves the result under /app/ when
# server.web_dir names it (scripts/run.sh does).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

if ! command -v npm >/dev/null 2>&1; then
    echo "build-web: installing Node.js and npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

cd "$here"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The API's description from the binary at hand (the run command's release build), or from a
# debug build.
if [ -n "${SWITCHBOARD_BIN:-}" ]; then
    "$SWITCHBOARD_BIN" openapi > "$work/openapi.json"
else
    cargo run --quiet --locked -- openapi > "$work/openapi.json"
fi

cd "$here/web"
npm ci --silent --no-audit --no-fund
npx --no-install openapi-typescript "$work/openapi.json" -o src/api/schema.d.ts --empty-objects-unknown --silent
npm run --silent typecheck
npm run --silent lint
npm run --silent build -- --logLevel warn
echo "build-web: web/dist"

#!/usr/bin/env bash
# Generates a TypeScript and a Python client from the API's OpenAPI description and checks
# that programs using them still work: the TypeScript one type-checks under `tsc --strict`, the
# Python one imports every model and endpoint it needs. A schema the generators drop, or a body
# typed as an empty object, fails here. Node and npm come from Debian where missing; the Python
# generator is installed once into the cache.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${SWITCHBOARD_CACHE:-$HOME/.cache/switchboard}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v npm >/dev/null 2>&1; then
    echo "check-clients: installing Node.js and npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

cd "$here"
cargo run --quiet --locked -- openapi > "$work/openapi.json"

echo "check-clients: TypeScript (openapi-typescript, tsc --strict)"
cd "$here/clients/typescript"
if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
mkdir -p generated
npx --no-install openapi-typescript "$work/openapi.json" -o generated/api.d.ts --silent
npx --no-install tsc -p tsconfig.json

echo "check-clients: Python (openapi-python-client)"
venv="$cache/clients-venv"
[ -x "$venv/bin/openapi-python-client" ] || {
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "openapi-python-client==0.29.1"
}
"$venv/bin/openapi-python-client" generate --path "$work/openapi.json" \
    --output-path "$work/switchboard_client" --meta none > "$work/generate.log" 2>&1 || {
    cat "$work/generate.log"
    exit 1
}
if grep -E "Unable to|Failure to process|WARNING parsing|Cannot parse" "$work/generate.log"; then
    echo "check-clients: the Python generator dropped part of the API (above)" >&2
    exit 1
fi
PYTHONPATH="$work" "$venv/bin/python" "$here/clients/python/check.py"
echo "check-clients: both clients ok"

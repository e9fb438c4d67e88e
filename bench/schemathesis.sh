#!/usr/bin/env bash
# Runs schemathesis against a fresh service built from this checkout: every operation of the
# OpenAPI description, with generated, boundary and stateful requests, checking that no answer
# breaks the documented schema, status codes or media types, and that none is a server error.
# Not part of the test command (it takes a few minutes and installs schemathesis from PyPI).
#
#   bench/schemathesis.sh [MAX_EXAMPLES] [SEED]
#
# API key revocation is left out: the run would revoke its own key and test the rest as 401s.
# With no LLM configured, POST /v1/polish answers its documented 503 (llm_not_configured),
# which the server-error check reports.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-100}"
seed="${2:-1}"
cache="${SWITCHBOARD_CACHE:-$HOME/.cache/switchboard}"
venv="$cache/schemathesis-venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi
cargo build --quiet --bin switchboard
binary="$CARGO_TARGET_DIR/debug/switchboard"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$binary" workspace create fuzz --plan trial --credits 1000000 --data-dir "$work/data" >"$work/workspace.json"
key="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$work/workspace.json")"
"$binary" openapi >"$work/openapi.json"
SWITCHBOARD_RATE_LIMIT__PER_SECOND=100000 SWITCHBOARD_RATE_LIMIT__BURST=100000 \
    "$binary" serve --bind 127.0.0.1:0 --data-dir "$work/data" >"$work/server.out" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do
    url="$(sed -n 's/^switchboard listening on //p' "$work/server.out")"
    [ -n "$url" ] && break
    sleep 0.2
done
# schemathesis writes its reports where it runs: in the temporary directory.
(cd "$work" && "$venv/bin/schemathesis" run "$work/openapi.json" --url "$url" \
    -H "Authorization: Bearer $key" --exclude-path '/v1/api-keys/{id}' \
    -c response_schema_conformance,not_a_server_error,status_code_conformance,content_type_conformance \
    --max-examples "$examples" --request-timeout 60 --seed "$seed") || status=$?
echo "server errors logged: $(grep -c 'request failed' "$work/server.log" || true)"
exit "${status:-0}"

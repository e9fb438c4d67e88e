#!/usr/bin/env bash
# The test command: formatting, lints, then every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

scripts/setup.sh
# The real-model generation tests need llama-server; without it they print why they skip.
scripts/setup-llm.sh || echo "test: no local LLM server (scripts/setup-llm.sh failed); its tests will skip"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast
else
    cargo test --workspace --locked --no-fail-fast
fi
# The web chat widget and the web app in Debian's Chromium (this builds the web app too).
scripts/browser-tests.sh
# The web app's unit tests.
(cd web && npm run --silent test)
# Generated TypeScript and Python clients still cover the API.
scripts/check-clients.sh

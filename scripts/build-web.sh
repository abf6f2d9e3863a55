#!/usr/bin/env bash
# Builds everything www/ needs (all generated, gitignored):
#   www/pkg-st   single-threaded package (stable, SIMD)
#   www/pkg-mt   threaded package (nightly, atomics + build-std, rayon on Web Workers, SIMD)
#   www/data     MNIST shards + manifest (multispike shards), when missing
#   www/data/fashion-mnist  Fashion-MNIST shards + manifest, when missing (needs data/fashion-mnist:
#                `multispike fetch --dataset fashion-mnist`, done by scripts/setup.sh and test.sh)
#   www/models/dev-784-400-10-multi.safetensors   a quickly trained model, when no model is shipped
#   www/_headers COOP/COEP for static hosts (copied from pkg-config/_headers)
#   www/coi-serviceworker.js  cross-origin isolation on hosts without headers (npm coi-serviceworker,
#                version pinned in package.json / package-lock.json)
# Needs what scripts/setup.sh installs. Runs wasm-opt -O3 (npm binaryen) unless MULTISPIKE_WASM_OPT=0.
set -euo pipefail
cd "$(dirname "$0")/.."
source pkg-config/versions.env
step() { printf '\n== %s\n' "$*"; }

lock_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [ "$lock_version" != "$WASM_BINDGEN_VERSION" ]; then
  echo "error: Cargo.lock has wasm-bindgen $lock_version, pkg-config/versions.env pins $WASM_BINDGEN_VERSION" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  echo "error: wasm-bindgen CLI $WASM_BINDGEN_VERSION is needed (run scripts/setup.sh)" >&2
  exit 1
fi

step "single-threaded package (www/pkg-st)"
cargo build --release --target wasm32-unknown-unknown --lib --no-default-features
wasm-bindgen --target web --out-dir www/pkg-st target/wasm32-unknown-unknown/release/multispike.wasm

step "threaded package (www/pkg-mt)"
cargo "+$NIGHTLY_TOOLCHAIN" --config pkg-config/threads.toml build --release --target wasm32-unknown-unknown \
  --lib --no-default-features --features threads --target-dir target/threads
wasm-bindgen --target web --out-dir www/pkg-mt target/threads/wasm32-unknown-unknown/release/multispike.wasm

# wasm-opt -O3 from npm binaryen (never Debian's binaryen: its output breaks at run time). Measured
# here: 20-30 % smaller files and 10-20 % faster training in the browser. MULTISPIKE_WASM_OPT=0 skips it.
if [ "${MULTISPIKE_WASM_OPT:-1}" = 1 ] && [ -x node_modules/.bin/wasm-opt ]; then
  step "wasm-opt -O3 (npm binaryen $BINARYEN_VERSION)"
  for p in www/pkg-st www/pkg-mt; do
    node_modules/.bin/wasm-opt -O3 "$p/multispike_bg.wasm" -o "$p/multispike_bg.wasm"
  done
fi

step "native CLI"
cargo build --release --quiet --bin multispike
if [ ! -f www/data/manifest.json ]; then
  step "MNIST shards (www/data)"
  target/release/multispike shards --data data/mnist --out www/data
fi
if [ ! -f www/data/fashion-mnist/manifest.json ]; then
  step "Fashion-MNIST shards (www/data/fashion-mnist)"
  target/release/multispike shards --dataset fashion-mnist --out www/data/fashion-mnist
fi
if [ ! -f www/models/mnist-784-400-10-multi.safetensors ] && [ ! -f www/models/dev-784-400-10-multi.safetensors ]; then
  step "development model (no shipped model): 784-400-10, 1 epoch on MNIST"
  mkdir -p www/models
  target/release/multispike train --epochs 1 --init-std 0.3 --test-limit 2000 \
    --out www/models/dev-784-400-10-multi.safetensors --checkpoint target/dev-model.ckpt
fi
cp pkg-config/_headers www/_headers
step "coi-serviceworker (npm, vendored into www/)"
[ -f node_modules/coi-serviceworker/coi-serviceworker.js ] || npm ci --no-audit --no-fund
cp node_modules/coi-serviceworker/coi-serviceworker.js www/coi-serviceworker.js
ls -l www/pkg-st/multispike_bg.wasm www/pkg-mt/multispike_bg.wasm

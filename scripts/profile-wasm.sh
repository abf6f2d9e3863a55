#!/usr/bin/env bash
# Where a training step spends its time in WebAssembly: the single-threaded package built for
# profiling (every kernel kept out of line with `--cfg multispike_noinline`, function names kept,
# no wasm-opt, whose inlining would fold the stages back together), run in Node's V8 on the
# training half of the benchmark (scripts/bench-wasm-node.mjs: fresh 784-400-10, τ_I 0.8, batch
# 100) under `node --cpu-prof`, and the share of each stage of docs/PERFORMANCE.md printed like
# scripts/profile.sh prints the native one (same stage table: scripts/profile_stages.py).
#
#   bash scripts/profile-wasm.sh [--samples 20000]
#
# Needs what scripts/setup.sh installs (wasm32 target, wasm-bindgen CLI) and the MNIST shards in
# www/data (scripts/build-web.sh). Not part of CI. The package is about 10-20 % slower than the
# shipped one (no wasm-opt, kernels not inlined): read the shares, not the samples/s.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --samples) samples="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f www/data/manifest.json ] || { echo "no MNIST shards in www/data (run scripts/build-web.sh)" >&2; exit 1; }
out=target/profile-wasm
RUSTFLAGS="-C target-feature=+simd128 --cfg multispike_noinline" \
  cargo build --release --quiet --target wasm32-unknown-unknown --lib --no-default-features --target-dir "$out/build"
wasm-bindgen --target web --keep-debug --out-dir "$out/pkg-st" "$out/build/wasm32-unknown-unknown/release/multispike.wasm"
rm -rf "$out/cpu"
echo "== node --cpu-prof scripts/bench-wasm-node.mjs --pkg $out/pkg-st --samples $samples" >&2
node --cpu-prof --cpu-prof-dir="$out/cpu" --cpu-prof-interval 200 scripts/bench-wasm-node.mjs --pkg "$out/pkg-st" --samples "$samples" >&2
python3 scripts/profile_stages.py cpuprofile "$out"/cpu/*.cpuprofile

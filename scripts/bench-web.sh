#!/usr/bin/env bash
# One command for the throughput table of the README: native (1 and 2 threads) vs WebAssembly
# single-threaded and threaded (2 threads, from a Worker) in headless Chromium.
#   bash scripts/bench-web.sh [--samples 5000] [--reps 5]
# Builds what is missing first (scripts/setup.sh --no-serve installs the tools).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f www/pkg-st/multispike_bg.wasm ] || [ ! -f www/pkg-mt/multispike_bg.wasm ] || [ ! -f www/data/manifest.json ]; then
  bash scripts/build-web.sh
fi
cargo build --release --quiet --bin multispike
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
status=0
node scripts/bench-web.mjs "$@" || status=$?
rm -rf /tmp/org.chromium.Chromium.* 2>/dev/null || true
exit $status

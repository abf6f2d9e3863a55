#!/usr/bin/env bash
# Where a training step spends its time: samples `examples/trainprof` (training steps on MNIST,
# 784-400-10, τ_I 0.8, f32 state) with `perf record -e cpu-clock` and prints the share of each
# stage of docs/PERFORMANCE.md (symbols grouped by the table below), one column per thread count.
#
#   bash scripts/profile.sh [--images N] [--threads 1,2] [--shipped]
#
# Needs `perf` (Debian linux-perf; cpu-clock works where hardware counters do not, e.g. in a VM)
# and MNIST in data/mnist. Not part of CI. Shares are of the whole process, data loading included
# (the "other" row); on a shared machine they hold better than absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
images=20000
threads=1,2
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --shipped) extra+=(--shipped); shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v perf >/dev/null || { echo "perf not found (Debian package linux-perf)" >&2; exit 1; }
cargo build --release --quiet --example trainprof
out=target/profile
mkdir -p "$out"
cols=()
for t in ${threads//,/ }; do
  echo "== $t thread(s): RAYON_NUM_THREADS=$t perf record -F 1999 -e cpu-clock target/release/examples/trainprof $images ${extra[*]:-}" >&2
  RAYON_NUM_THREADS=$t perf record -q -F 1999 -e cpu-clock -o "$out/perf-$t.data" \
    target/release/examples/trainprof "$images" "${extra[@]}" >&2
  perf report -i "$out/perf-$t.data" --stdio --sort symbol 2>/dev/null | grep -v '^#' | grep -v '^$' >"$out/symbols-$t.txt"
  cols+=("$t")
done
python3 scripts/profile_stages.py perf "$out" "${cols[@]}"

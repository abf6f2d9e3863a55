#!/usr/bin/env bash
# Numerical robustness study (docs/RELIABILITY.md): one full MNIST epoch (60,000 images) of the
# paper's recipe at tau_I in {0.05, 0.1, 0.2, 0.8, 6.4}, both modes, 784-400-10, and a
# 784-400-400-10 network at tau_I = 0.8. Each run's per-epoch log (non-finite counts, guarded
# grazing crossings, skipped batches) goes to results/robustness/, every trained model is loaded
# back by `multispike eval` (the loader rejects non-finite weights), and
# results/robustness/table.md is written from the logs.
#   bash scripts/robustness.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=()
if [[ "${1:-}" == "--threads" ]]; then threads=(--threads "$2"); fi
cargo build --release --quiet --bin multispike
bin=target/release/multispike
out=results/robustness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
run() { # name, then train flags
  local name=$1; shift
  echo "== $name"
  "$bin" train --epochs 1 --seed 1 --out "$tmp/$name.safetensors" --log "$out/$name.jsonl" "${threads[@]}" "$@"
  "$bin" eval --json "$tmp/$name.safetensors" "${threads[@]}" > "$out/$name.eval.json"
}
for mode in multi single; do
  for tau in 0.05 0.1 0.2 0.8 6.4; do
    run "784-400-10-$mode-tau$tau" --mode "$mode" --tau "$tau"
  done
done
run "784-400-400-10-multi-tau0.8" --hidden 400,400 --mode multi --tau 0.8
run "784-400-400-10-single-tau0.8" --hidden 400,400 --mode single --tau 0.8
python3 scripts/robustness_table.py "$out" > "$out/table.md"
cat "$out/table.md"
python3 scripts/reliability_tables.py

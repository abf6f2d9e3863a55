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
python3 - "$out" "${cols[@]}" <<'EOF'
import re, sys
out, cols = sys.argv[1], sys.argv[2:]
# (stage, row, symbol patterns), in the order of the table
ROWS = [
    ("forward", "spike loop (roots, resets, trace)", [r"forward::forward_hidden(_into)?$", r"::first_crossings"]),
    ("forward", "level update + candidate test", [r"::level_update"]),
    ("forward", "weight rows of a level (Σw)", [r"kernels::sum_rows"]),
    ("forward", "pixel encoding", [r"encoding::"]),
    ("forward", "read-out", [r"forward::forward_readout", r"forward::readout_factors"]),
    ("forward", "layer chaining, next-layer events", [r"Network::forward_events", r"events::Events"]),
    ("backward", "reset chain, sort, level loop", [r"backward::backward_hidden$"]),
    ("backward", "weight-gradient rows", [r"kernels::add_into_f32"]),
    ("backward", "coefficient rows + decay", [r"kernels::row_and_decay", r"kernels::pre_coeff", r"kernels::dot"]),
    ("backward", "read-out", [r"backward::backward_readout"]),
    ("backward", "loss, penalty, routing", [r"loss::", r"Network::backward"]),
    ("per batch", "chunk reduction", [r"kernels::add_into_f64", r"memset"]),
    ("per batch", "Adam", [r"kernels::adam_update"]),
    ("runtime", "allocator", [r"malloc", r"_int_free", r"cfree", r"unlink_chunk", r"realloc", r"calloc", r"free$"]),
    ("runtime", "rayon closures (inlined loops), threads, kernel", [r"rayon", r"\[k\]", r"LocalKey", r"crossbeam", r"sched_yield", r"futex"]),
]
shares = {}
for c in cols:
    got = [0.0] * (len(ROWS) + 1)
    for line in open(f"{out}/symbols-{c}.txt"):
        m = re.match(r"\s*([0-9.]+)%\s+(\[.\])\s+(.*?)\s*(-\s+-\s*)?$", line)
        if not m:
            continue
        pct, kind, sym = float(m.group(1)), m.group(2), m.group(3)
        name = f"{kind} {sym}" if kind == "[k]" else sym
        for i, (_, _, pats) in enumerate(ROWS):
            if any(re.search(p, name) for p in pats):
                got[i] += pct
                break
        else:
            got[-1] += pct
    shares[c] = got
print("| stage | part | " + " | ".join(f"{c} thread{'s' if c != '1' else ''}" for c in cols) + " |")
print("|---|---|" + "---:|" * len(cols))
last = None
for i, (stage, row, _) in enumerate(ROWS):
    print(f"| {stage if stage != last else ''} | {row} | " + " | ".join(f"{shares[c][i]:.1f} %" for c in cols) + " |")
    last = stage
print("| other | data loading, digest, rest | " + " | ".join(f"{shares[c][-1]:.1f} %" for c in cols) + " |")
EOF

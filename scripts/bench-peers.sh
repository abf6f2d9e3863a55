#!/usr/bin/env bash
# Peers in the project's own benchmark: multispike beside snnTorch (and Norse) on the same
# network (784-400-10 LIF), data (MNIST), batch (100), optimiser (Adam 1e-3) and thread count,
# in ONE invocation on one host, interleaved (multispike, peer, multispike, peer, …) so that
# drift in the machine's load hits both. Not run in CI (it downloads torch: several GB).
#
#   bash scripts/bench-peers.sh [--threads N] [--samples N] [--reps N] [--epoch]
#                               [--peers snntorch,norse] [--venv DIR] [--model FILE]
#
#   --threads N     threads of every program (multispike --threads, torch.set_num_threads) [2]
#   --samples N     images per throughput measurement (training and inference)          [5000]
#   --reps N        interleaved rounds; each round runs every program once, the table shows
#                   the median over the rounds                                              [5]
#   --epoch         also one full 60k-image training epoch of each program: seconds, test
#                   accuracy after it, peak RSS (/usr/bin/time -v). The peers take minutes.
#   --peers LIST    comma list of peers: snntorch, norse                       [snntorch,norse]
#   --venv DIR      virtualenv of the peers, made if missing, reused when the pinned versions
#                   are installed                                           [target/peers-venv]
#   --model FILE    also `multispike bench --model FILE` in every round (a trained network
#                   fires more than a fresh one), as its own row and ratios; e.g.
#                   www/models/mnist-784-400-10-multi.safetensors. The peers' cost does not
#                   depend on their weights (dense BPTT), so their fresh-network rate is the peer.
#
# Prints one Markdown table (samples/s, s/epoch, test accuracy, peak RSS and the ratios
# multispike/peer, with the host and the exact commands) and writes it to target/bench-peers.md.
# The run's raw outputs stay in target/bench-peers/. The peers' workload is described in
# scripts/bench_peers.py. Environment: PYTHON (interpreter for the venv, default python3.11 or
# python3, >= 3.10); OMP_WAIT_POLICY for torch's OpenMP threads (default ACTIVE, torch's own: see below).
#
# Download: torch from the default package index is the CUDA-bundled Linux wheel (torch
# ~555 MB plus ~2.5 GB of nvidia-* wheels; the venv takes ~5.5 GB). Only the CPU is used.
set -euo pipefail

die() { echo "bench-peers.sh: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

threads=2
samples=5000
reps=5
epoch=0
peers="snntorch,norse"
venv="target/peers-venv"
model=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="${2:?--threads needs a value}"; shift 2 ;;
    --samples) samples="${2:?--samples needs a value}"; shift 2 ;;
    --reps) reps="${2:?--reps needs a value}"; shift 2 ;;
    --epoch) epoch=1; shift ;;
    --peers) peers="${2:?--peers needs a value}"; shift 2 ;;
    --venv) venv="${2:?--venv needs a value}"; shift 2 ;;
    --model) model="${2:?--model needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for v in threads samples reps; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer, got '${!v}'"
done
[ "$samples" -ge 100 ] || die "--samples must be at least the batch size (100)"
IFS=',' read -r -a peer_list <<< "$peers"
for p in "${peer_list[@]}"; do
  case "$p" in snntorch|norse) ;; *) die "unknown peer '$p' (snntorch, norse)" ;; esac
done
[ "${#peer_list[@]}" -gt 0 ] || die "--peers is empty"
[ -z "$model" ] || [ -f "$model" ] || die "--model: no such file '$model'"

# ---- pinned versions (verified to install with Python 3.11 from the default index) ----------
PIN_BASE=(torch==2.14.1 snntorch==1.0.0 numpy==2.4.6)
PIN_NORSE=(norse==1.1.0 torchvision==0.29.2 nir==1.0.8 nirtorch==2.6)

# ---- tools --------------------------------------------------------------------------------
BIN=target/release/multispike
if [ ! -x "$BIN" ]; then
  echo "== building target/release/multispike"
  cargo build --release --bin multispike
fi
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Debian's 'time' (for peak RSS)"
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
  fi
  [ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"
fi

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if command -v python3.11 >/dev/null; then PY=python3.11; else PY=python3; fi
fi
command -v "$PY" >/dev/null || die "no Python interpreter '$PY' (set PYTHON)"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "$PY is $("$PY" --version 2>&1); torch ${PIN_BASE[0]#torch==} with torchvision needs >= 3.10 (set PYTHON)"

# ---- the venv: made once, reused while the pins are installed -------------------------------
pins_ok() { # pins…: true when every NAME==VERSION is installed in the venv
  "$venv/bin/python" - "$@" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit(1)
    if have.split("+")[0] != want:
        sys.exit(1)
EOF
}
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating the venv $venv ($("$PY" --version 2>&1))"
  "$PY" -m venv "$venv" || die "could not create the venv $venv (python3-venv missing?)"
fi
if ! pins_ok "${PIN_BASE[@]}"; then
  echo "== installing ${PIN_BASE[*]} into $venv (torch is the CUDA-bundled wheel: ~3 GB to download)"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "${PIN_BASE[@]}" || die "pip could not install ${PIN_BASE[*]}"
fi
run_peers=()
for p in "${peer_list[@]}"; do
  if [ "$p" = norse ]; then
    if ! pins_ok "${PIN_NORSE[@]}"; then
      echo "== installing ${PIN_NORSE[*]} into $venv"
      if ! "$venv/bin/python" -m pip install --quiet "${PIN_BASE[0]}" "${PIN_NORSE[@]}"; then
        echo "bench-peers.sh: WARNING: Norse could not be installed (${PIN_NORSE[*]}); skipping it, snnTorch goes on" >&2
        continue
      fi
    fi
    if ! "$venv/bin/python" -c 'import norse.torch' 2>/dev/null; then
      echo "bench-peers.sh: WARNING: 'import norse.torch' fails in $venv; skipping Norse" >&2
      continue
    fi
  fi
  run_peers+=("$p")
done
[ "${#run_peers[@]}" -gt 0 ] || die "no peer could be set up"
"$venv/bin/python" -c 'import torch, snntorch' || die "torch/snntorch do not import in $venv"

# ---- data ---------------------------------------------------------------------------------
DATA=data/mnist
have_mnist=1
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$DATA/$f" ] || [ -f "$DATA/$f.gz" ] || have_mnist=0
done
if [ "$have_mnist" = 0 ]; then
  echo "== fetching MNIST into $DATA"
  "$BIN" fetch-mnist --dir "$DATA"
fi

# ---- the runs -----------------------------------------------------------------------------
OUT=target/bench-peers
rm -rf "$OUT"
mkdir -p "$OUT"
: > "$OUT/runs.tsv"
: > "$OUT/commands.txt"
export OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
# torch's OpenMP threads spin while waiting (ACTIVE, its default). On a quiet machine that is
# the fast setting (2-thread snnTorch training: 2,103 samples/s ACTIVE vs 658 PASSIVE, same
# host and hour); on a machine where anything else runs, spinning slowed it 4x instead. The
# default here is torch's own; set OMP_WAIT_POLICY=PASSIVE for a loaded machine, and say so.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-ACTIVE}"
cut -d' ' -f1-3 /proc/loadavg > "$OUT/loadavg-start.txt" 2>/dev/null || true
echo "export OMP_WAIT_POLICY=$OMP_WAIT_POLICY OMP_NUM_THREADS=$OMP_NUM_THREADS MKL_NUM_THREADS=$MKL_NUM_THREADS" >> "$OUT/commands.txt"

"$BIN" --version > "$OUT/multispike-version.txt"
printf 'multispike\tversion\t%s\t-\n' "$OUT/multispike-version.txt" >> "$OUT/runs.tsv"

# run WHO KIND OUTFILE TIMEFILE CMD…: run CMD (under /usr/bin/time -v when TIMEFILE != -),
# stdout+stderr to OUTFILE, and note it. A failure stops the script with the output's tail.
run() {
  local who="$1" kind="$2" out="$3" tfile="$4"
  shift 4
  local shown
  shown="$(printf '%q ' "$@")"
  shown="${shown% }"
  grep -qxF -- "$shown" "$OUT/commands.txt" || echo "$shown" >> "$OUT/commands.txt"
  echo "== $who $kind: $shown" >&2
  local status=0
  if [ "$tfile" = - ]; then
    "$@" > "$out" 2>&1 || status=$?
  else
    /usr/bin/time -v -o "$tfile" "$@" > "$out" 2>&1 || status=$?
  fi
  if [ "$status" != 0 ]; then
    tail -n 20 "$out" >&2
    die "$who $kind failed (exit $status); full output in $out"
  fi
  printf '%s\t%s\t%s\t%s\n' "$who" "$kind" "$out" "$tfile" >> "$OUT/runs.tsv"
}

for ((r = 1; r <= reps; r++)); do
  echo "== round $r/$reps" >&2
  run multispike bench "$OUT/multispike-bench-$r.txt" - \
    "$BIN" bench --threads "$threads" --samples "$samples" --reps 1 --data "$DATA"
  if [ -n "$model" ]; then
    run multispike-model bench "$OUT/multispike-model-bench-$r.txt" - \
      "$BIN" bench --threads "$threads" --samples "$samples" --reps 1 --data "$DATA" --model "$model"
  fi
  for p in "${run_peers[@]}"; do
    run "$p" bench "$OUT/$p-bench-$r.txt" - \
      "$venv/bin/python" scripts/bench_peers.py --peer "$p" --threads "$threads" \
      --samples "$samples" --reps 1 --data "$DATA"
  done
done

if [ "$epoch" = 1 ]; then
  run multispike epoch "$OUT/multispike-epoch.txt" "$OUT/multispike-epoch.time" \
    "$BIN" train --data "$DATA" --hidden 400 --tau 0.8 --mode multi --init-std 0.3 --seed 1 \
    --batch 100 --lr 1e-3 --epochs 1 --threads "$threads" \
    --out "$OUT/multispike-epoch.safetensors" --log "$OUT/multispike-epoch.log.jsonl"
  # The report reads test accuracy and training seconds from the epoch's JSON log.
  printf 'multispike\tepoch-log\t%s\t-\n' "$OUT/multispike-epoch.log.jsonl" >> "$OUT/runs.tsv"
  for p in "${run_peers[@]}"; do
    run "$p" epoch "$OUT/$p-epoch.txt" "$OUT/$p-epoch.time" \
      "$venv/bin/python" scripts/bench_peers.py --peer "$p" --threads "$threads" --epoch --data "$DATA"
  done
fi

# ---- the table ----------------------------------------------------------------------------
echo >&2
peers_csv="$(IFS=,; echo "${run_peers[*]}")"
"$PY" scripts/bench_peers.py --report "$OUT" --threads "$threads" --samples "$samples" \
  --peers "$peers_csv" --model "$model" --out target/bench-peers.md
echo "(written to target/bench-peers.md; raw outputs in $OUT/)" >&2

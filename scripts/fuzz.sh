#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/fuzz_targets/) and records what they did.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 600 s, every target)
#   bash scripts/fuzz.sh --smoke                   (CI: build, then 5 s per target, nothing recorded)
# Each target runs until SECONDS have passed or 5,000,000 inputs were executed, whichever comes
# first, starting from its committed corpus (fuzz/corpus/<target>) plus the seeds
# (fuzz/seeds/<target>). A single allocation over 256 MB, an input taking over 10 s, a panic or a
# broken property (tests/support/fuzz_checks.rs) is a crash: the input lands in
# fuzz/artifacts/<target>/ and belongs in tests/fuzz_regressions/<target>/ once fixed. The corpus
# is then minimised in place, a line per target is appended to results/fuzz/runs.tsv, and the
# tables of docs/RELIABILITY.md are refreshed.
# Needs the nightly toolchain; installs the pinned cargo-fuzz (pkg-config/versions.env) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source pkg-config/versions.env
export PATH="$HOME/.cargo/bin:$PATH"
smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; shift; fi
secs=${1:-600}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(model_file idx shard manifest case checkpoint session_config preprocess)
fi
if [[ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]]; then
  cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION"
fi
limits=(-timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048)
# The input directories of a target that exist (corpus, seeds).
inputs() { for d in "fuzz/corpus/$1" "fuzz/seeds/$1"; do [[ -d $d ]] && echo "$d"; done; }
cargo "+$NIGHTLY_TOOLCHAIN" fuzz build -O

if [[ $smoke == 1 ]]; then
  # The targets build and run on their corpora; new inputs go to a scratch directory.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t"
    cargo "+$NIGHTLY_TOOLCHAIN" fuzz run -O "$t" "$scratch/$t" $(inputs "$t") -- \
      -max_total_time=5 "${limits[@]}" -artifact_prefix="$scratch/" > "$scratch/$t.log" 2>&1 \
      || { tail -40 "$scratch/$t.log"; echo "error: fuzz target $t failed" >&2; exit 1; }
    echo "fuzz target $t: $(grep -oP 'Done \d+ runs in \d+ second\(s\)' "$scratch/$t.log" | tail -1)"
  done
  exit 0
fi

mkdir -p results/fuzz fuzz/logs
[[ -f results/fuzz/runs.tsv ]] || printf 'date\ttarget\tseconds\texecutions\texec_per_s\tcorpus_files\tcoverage\tresult\n' > results/fuzz/runs.tsv
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/logs/$t.log"
  echo "== $t ($secs s or 5M executions)"
  result=ok
  cargo "+$NIGHTLY_TOOLCHAIN" fuzz run -O "$t" $(inputs "$t") -- \
    -max_total_time="$secs" -runs=5000000 "${limits[@]}" -print_final_stats=1 > "$log" 2>&1 || result=CRASH
  last() { { grep -oP "$1" "$log" || true; } | tail -1; }
  runs=$(last 'stat::number_of_executed_units:\s*\K\d+')
  took=$(last 'Done \d+ runs in \K\d+')
  cov=$(last '(?:DONE|#\d+)\s+\w*\s*cov: \K\d+')
  # Minimise the corpus in place (keeps only inputs that add coverage).
  cargo "+$NIGHTLY_TOOLCHAIN" fuzz cmin -O "$t" "fuzz/corpus/$t" > "fuzz/logs/$t.cmin.log" 2>&1 || true
  files=$(find "fuzz/corpus/$t" -type f | wc -l)
  rate=$(( ${runs:-0} / ( ${took:-$secs} > 0 ? ${took:-$secs} : 1 ) ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$t" "${took:-?}" "${runs:-?}" "$rate" "$files" "${cov:-?}" "$result" \
    | tee -a results/fuzz/runs.tsv
  if [[ $result != ok ]]; then ls "fuzz/artifacts/$t"; fi
done
python3 scripts/reliability_tables.py

#!/usr/bin/env python3
"""Shares of a training step's stages (the table of docs/PERFORMANCE.md) from a profile.

  profile_stages.py perf DIR COL...        perf report --sort symbol outputs DIR/symbols-COL.txt
                                           (scripts/profile.sh: one column per thread count)
  profile_stages.py cpuprofile FILE...     V8 .cpuprofile files (node --cpu-prof; scripts/
                                           profile-wasm.sh: one column per file)

Symbols are grouped into stages by the patterns of ROWS (first match wins); the rest is "other".
Native symbols may end in ::avx2 (the kernels' dispatch), wasm ones in ::h<hash> (stripped).
"""
import json
import re
import sys
from collections import Counter

# (stage, row, symbol patterns), in the order of the table
ROWS = [
    ("forward", "spike loop (roots, resets, trace)", [r"forward::forward_hidden(_into)?$", r"forward::set_bytes", r"::first_crossings", r"^fmax$"]),
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
    ("per batch", "chunk reduction", [r"kernels::add_into_f64", r"reduce_block", r"memset"]),
    ("per batch", "Adam", [r"kernels::adam_update"]),
    ("runtime", "allocator", [r"malloc", r"_int_free", r"cfree", r"unlink_chunk", r"realloc", r"calloc", r"free$", r"__rdl_", r"dlmalloc"]),
    ("runtime", "rayon closures (inlined loops), threads, kernel", [r"rayon", r"\[k\]", r"LocalKey", r"crossbeam", r"sched_yield", r"futex"]),
]


def row_of(name):
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    for i, (_, _, pats) in enumerate(ROWS):
        if any(re.search(p, name) for p in pats):
            return i
    return len(ROWS)


def perf_shares(path):
    got = [0.0] * (len(ROWS) + 1)
    for line in open(path):
        m = re.match(r"\s*([0-9.]+)%\s+(\[.\])\s+(.*?)\s*(-\s+-\s*)?$", line)
        if not m:
            continue
        pct, kind, sym = float(m.group(1)), m.group(2), m.group(3)
        got[row_of(f"{kind} {sym}" if kind == "[k]" else sym)] += pct
    return got


def cpuprofile_shares(path):
    prof = json.load(open(path))
    names = {n["id"]: n["callFrame"]["functionName"] for n in prof["nodes"]}
    hits = Counter(prof["samples"])
    total = sum(hits.values()) or 1
    got = [0.0] * (len(ROWS) + 1)
    for node, k in hits.items():
        got[row_of(names[node] or "(anonymous)")] += 100.0 * k / total
    return got


def main(argv):
    if len(argv) >= 3 and argv[0] == "perf":
        out, cols = argv[1], argv[2:]
        heads = [f"{c} thread{'s' if c != '1' else ''}" for c in cols]
        shares = [perf_shares(f"{out}/symbols-{c}.txt") for c in cols]
    elif len(argv) >= 2 and argv[0] == "cpuprofile":
        heads = [f"wasm ({i + 1})" if len(argv) > 2 else "wasm" for i in range(len(argv) - 1)]
        shares = [cpuprofile_shares(f) for f in argv[1:]]
    else:
        sys.exit(__doc__)
    print("| stage | part | " + " | ".join(heads) + " |")
    print("|---|---|" + "---:|" * len(heads))
    last = None
    for i, (stage, row, _) in enumerate(ROWS):
        print(f"| {stage if stage != last else ''} | {row} | " + " | ".join(f"{s[i]:.1f} %" for s in shares) + " |")
        last = stage
    print("| other | data loading, digest, rest | " + " | ".join(f"{s[-1]:.1f} %" for s in shares) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])

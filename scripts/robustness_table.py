#!/usr/bin/env python3
"""Markdown table of the robustness runs (scripts/robustness.sh) from their train logs."""
import json
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])
rows = []
for log in sorted(out.glob("*.jsonl")):
    name = log.stem
    m = re.fullmatch(r"(?P<net>[\d-]+)-(?P<mode>multi|single)-tau(?P<tau>[\d.]+)", name)
    rec = json.loads(log.read_text().strip().splitlines()[-1])
    ev = json.loads((out / f"{name}.eval.json").read_text())
    loaded = f"{100 * ev['accuracy']:.2f} %" if "accuracy" in ev else "NO"
    rows.append((m["net"].count("-"), float(m["tau"]), m["mode"], m["net"], rec, loaded))
rows.sort(key=lambda r: (r[0], r[2], r[1]))
print("| network | mode | τ_I | train loss | train acc | test acc | spikes/neuron | undecided test samples | non-finite | guarded grazing | skipped batches | dropped by cap | reloaded model, test acc | wall s (2 threads) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for _, tau, mode, net, r, loaded in rows:
    print(
        f"| {net} | {mode} | {tau:g} | {r['loss']:.4f} | {100 * r['train_acc']:.2f} % | {100 * r['test_acc']:.2f} % "
        f"| {r['mean_spikes']:.2f} | {r['test_undecided']} | {r['non_finite']} | {r['guarded']} | {r['skipped_batches']} | {r['truncated']} "
        f"| {loaded} | {r['wall_s']:.0f} |"
    )

#!/usr/bin/env python3
"""Summarise training runs into the README's results table.

Usage: python3 scripts/results_table.py [results/runs]

Each run directory holds `train.jsonl` (the per-epoch log written by `multispike train --log`)
and `provenance.json` (the model file's `__metadata__`, written by `scripts/collect_run.py`).
Rows are grouped by (mode, tau_I, init, lr schedule, epochs); accuracies are the FINAL epoch's
test accuracy (no selection on the test set); groups of several seeds show mean ± s.e.
"""
import json
import math
import sys
from pathlib import Path


def load(run: Path):
    log = [json.loads(l) for l in (run / "train.jsonl").read_text().splitlines() if l.strip()]
    prov = json.loads((run / "provenance.json").read_text())
    return log, prov


def init_label(prov):
    init = prov.get("init", "")
    std = float(init.split("std=")[1].rstrip(")")) if "std=" in init else float("nan")
    return "std 0.3" if abs(std - 0.3) < 1e-9 else ("std √0.3" if abs(std - math.sqrt(0.3)) < 1e-9 else f"std {std:g}")


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "results/runs")
    groups = {}
    for run in sorted(p for p in root.iterdir() if (p / "train.jsonl").exists()):
        log, prov = load(run)
        key = (prov["mode"], prov["tau_I"], init_label(prov), prov.get("lr_schedule", "constant"), len(log))
        groups.setdefault(key, []).append((run.name, log, prov))
    print("| mode | τ_I | init | lr schedule | epochs | seeds | test accuracy (final epoch) | spikes / hidden neuron (test) | silent neurons | train wall time / run | runs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (mode, tau, init, sched, epochs), runs in sorted(groups.items()):
        acc = [r[1][-1]["test_acc"] * 100 for r in runs]
        spikes = [r[1][-1]["test_mean_spikes"] for r in runs]
        silent = [r[1][-1]["silent_fraction"] * 100 for r in runs]
        wall = [sum(e["wall_s"] + e.get("eval_s", 0) for e in r[1]) / 60 for r in runs]
        n = len(runs)
        mean = sum(acc) / n
        se = (math.sqrt(sum((a - mean) ** 2 for a in acc) / (n - 1)) / math.sqrt(n)) if n > 1 else None
        acc_s = f"{mean:.2f} ± {se:.2f} %" if se is not None else f"{mean:.2f} %"
        seeds = ",".join(r[2]["seed"] for r in runs)
        print(f"| {mode} | {tau} | {init} | {sched} | {epochs} | {seeds} | {acc_s} | {sum(spikes)/n:.2f} | {sum(silent)/n:.1f} % | {sum(wall)/n:.0f} min | {', '.join(r[0] for r in runs)} |")


if __name__ == "__main__":
    main()

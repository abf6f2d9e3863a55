#!/usr/bin/env python3
"""Summarise training runs into the README's results table.

Usage: python3 scripts/results_table.py [results/runs]

Each run directory holds `train.jsonl` (the per-epoch log written by `multispike train --log`)
and `provenance.json` (the model file's `__metadata__`, written by `scripts/collect_run.py`).
Rows are grouped by (data set, mode, tau_I, init, lr schedule, epochs); the primary accuracy is
the FINAL epoch's test accuracy (no selection on the test set); the best epoch's test accuracy is
shown beside it, labelled: it is selected on the test set, hence optimistic. Groups of several
seeds show mean ± s.e.
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
    if ";" in init:  # one normal(...) per weight layer
        return " / ".join(p.replace("normal(", "").replace(")", "").replace("mean=", "").replace(",std=", "±")
                          for p in init.split(";"))
    std = float(init.split("std=")[1].rstrip(")")) if "std=" in init else float("nan")
    return "std 0.3" if abs(std - 0.3) < 1e-9 else ("std √0.3" if abs(std - math.sqrt(0.3)) < 1e-9 else f"std {std:g}")


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "results/runs")
    groups = {}
    for run in sorted(p for p in root.iterdir() if (p / "train.jsonl").exists()):
        log, prov = load(run)
        key = (prov.get("dataset", "mnist"), prov["mode"], prov["tau_I"], init_label(prov),
               prov.get("lr_schedule", "constant"), len(log))
        groups.setdefault(key, []).append((run.name, log, prov))
    print("| data set | layers | mode | τ_I | init | lr schedule | epochs | seeds | test accuracy (final epoch) | best epoch's test accuracy (selected on test: biased) | spikes / hidden neuron (test) | silent neurons | train wall time / run | runs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def mean_se(xs):
        n = len(xs)
        m = sum(xs) / n
        se = (math.sqrt(sum((a - m) ** 2 for a in xs) / (n - 1)) / math.sqrt(n)) if n > 1 else None
        return f"{m:.2f} ± {se:.2f} %" if se is not None else f"{m:.2f} %"

    for (dataset, mode, tau, init, sched, epochs), runs in sorted(groups.items()):
        best = [max(e["test_acc"] for e in r[1]) * 100 for r in runs]
        acc = [r[1][-1]["test_acc"] * 100 for r in runs]
        spikes = [r[1][-1]["test_mean_spikes"] for r in runs]
        silent = [r[1][-1]["silent_fraction"] * 100 for r in runs]
        wall = [sum(e["wall_s"] + e.get("eval_s", 0) for e in r[1]) / 60 for r in runs]
        n = len(runs)
        mean = sum(acc) / n
        se = (math.sqrt(sum((a - mean) ** 2 for a in acc) / (n - 1)) / math.sqrt(n)) if n > 1 else None
        acc_s = f"{mean:.2f} ± {se:.2f} %" if se is not None else f"{mean:.2f} %"
        seeds = ",".join(r[2]["seed"] for r in runs)
        layers = runs[0][2].get("layers", "").replace(",", "-")
        wall_s = f"{sum(wall)/n:.0f} min" if sum(wall) / n >= 1 else f"{60*sum(wall)/n:.0f} s"
        print(f"| {dataset} | {layers} | {mode} | {tau} | {init} | {sched} | {epochs} | {seeds} | {acc_s} | {mean_se(best)} | {sum(spikes)/n:.2f} | {sum(silent)/n:.1f} % | {wall_s} | {', '.join(r[0] for r in runs)} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes www/tau-study.json: the paper's reported τ-study values and this project's CLI sweeps
(mean ± s.e. over seeds per τ_I and mode), for the τ page to draw beside a visitor's own runs.

Usage: python3 scripts/tau_study_json.py   (re-run after new rows land in results/tau-sweep*/sweep.csv)
"""
import csv
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = [
    ("results/tau-sweep-100/sweep.csv", "this project, paper budget (100 epochs, 60k/10k)"),
    ("results/tau-sweep/sweep.csv", "this project, 10 epochs (60k/10k)"),
]


def study(path, label):
    rows = list(csv.DictReader(open(ROOT / path)))
    groups = {}
    for r in rows:
        groups.setdefault((float(r["tau_I"]), r["mode"], r["epochs"]), []).append(r)
    out = []
    for (tau, mode, epochs), rs in sorted(groups.items()):
        acc = [float(r["test_accuracy"]) for r in rs]
        spikes = [float(r["mean_spikes"]) for r in rs]
        n = len(acc)
        mean = sum(acc) / n
        se = math.sqrt(sum((a - mean) ** 2 for a in acc) / (n - 1)) / math.sqrt(n) if n > 1 else None
        out.append({"tau": tau, "mode": mode, "epochs": int(epochs), "seeds": n, "accuracy": mean,
                    "accuracy_se": se, "mean_spikes": sum(spikes) / n})
    return {"label": label, "source": path, "rows": out}


data = {
    "paper": {
        "source": "Yamamoto, Sakemi, Aihara (arXiv:2211.16113): Table I and the text on Figs. 4-5",
        "points": [
            {"tau": 0.8, "mode": "multi", "accuracy": 0.9843, "accuracy_se": 0.0005},
            {"tau": 0.8, "mode": "single", "accuracy": 0.9799, "accuracy_se": 0.0006},
        ],
        "limits": {"multi": {"accuracy": 0.9823, "mean_spikes": 1.5}, "single": {"accuracy": 0.9796, "mean_spikes": 0.6}},
    },
    "studies": [study(p, l) for p, l in SWEEPS if (ROOT / p).exists()],
}
(ROOT / "www/tau-study.json").write_text(json.dumps(data, indent=1) + "\n")
print(f"wrote www/tau-study.json: {sum(len(s['rows']) for s in data['studies'])} study points")

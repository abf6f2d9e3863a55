#!/usr/bin/env python3
"""Markdown table of `cargo run --release --example tau_diagnostics` output (JSON lines).

Usage: python3 scripts/diagnostics_table.py [results/tau-diagnostics/diagnostics.jsonl]
"""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "results/tau-diagnostics/diagnostics.jsonl"
rows = [json.loads(l) for l in open(path) if l.strip()]


def f(x, d=3):
    return "–" if x is None else f"{x:.{d}f}"


print("| τ_I | λ | epoch | test acc. | undecided | mean \\|v_out\\| | spikes / neuron | hidden spike t (p10 / p50 / p90) | read-out reach (mean / max τ_I/4) | flagged dead | ‖dL/dW2‖ CE | ‖dL/dW1‖ CE / penalty |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    t = " / ".join(f(r[k], 2) for k in ("spike_time_p10", "spike_time_p50", "spike_time_p90"))
    print(
        f"| {r['tau_I']} | {r['lambda']} | {r['epoch']} | {100 * r['test_acc']:.1f} % | {100 * r['undecided']:.0f} % "
        f"| {f(r['mean_abs_v_out'])} | {f(r['spikes_per_neuron'])} | {t} "
        f"| {f(r['readout_reach_mean'], 4)} / {r['readout_reach_max']:.2f} | {100 * r['flagged_fraction']:.0f} % "
        f"| {r['grad_ce_w2']:.1e} | {r['grad_ce_w1']:.1e} / {r['grad_penalty_w1']:.1e} |"
    )

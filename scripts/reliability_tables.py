#!/usr/bin/env python3
"""Refreshes the measured tables of docs/RELIABILITY.md from the recorded results:
the fuzzing record (results/fuzz/runs.tsv: the latest run of each target) and the robustness
table (results/robustness/table.md, written by scripts/robustness.sh)."""
import csv
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
doc_path = root / "docs/RELIABILITY.md"
doc = doc_path.read_text()


def put(doc, name, body):
    begin, end = f"<!-- {name}:begin -->\n", f"<!-- {name}:end -->"
    a, b = doc.index(begin), doc.index(end)
    return doc[: a + len(begin)] + body + doc[b:]


runs = root / "results/fuzz/runs.tsv"
if runs.exists():
    latest = {}
    with runs.open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            latest[row["target"]] = row
    order = ["model_file", "idx", "shard", "manifest", "case", "checkpoint", "session_config", "preprocess"]
    lines = [
        "| target | date | seconds | executions | executions/s | coverage (edges) | corpus after cmin (files) | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in sorted(latest, key=lambda t: order.index(t) if t in order else 99):
        r = latest[t]
        lines.append(
            f"| `{t}` | {r['date']} | {r['seconds']} | {int(r['executions']):,} | {int(r['exec_per_s']):,} "
            f"| {r['coverage']} | {r['corpus_files']} | {'no crash' if r['result'] == 'ok' else r['result']} |"
        )
    doc = put(doc, "fuzz-runs", "\n".join(lines) + "\n")

table = root / "results/robustness/table.md"
if table.exists():
    doc = put(doc, "robustness", table.read_text())

doc_path.write_text(doc)

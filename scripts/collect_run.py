#!/usr/bin/env python3
"""Copy a finished run's log and its model's provenance into results/runs/NAME/.

Usage: python3 scripts/collect_run.py MODEL.safetensors TRAIN.jsonl results/runs/NAME
"""
import json
import shutil
import struct
import sys
from pathlib import Path

model, log, dest = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
dest.mkdir(parents=True, exist_ok=True)
raw = model.read_bytes()
n = struct.unpack("<Q", raw[:8])[0]
meta = json.loads(raw[8 : 8 + n])["__metadata__"]
if meta.get("command", "").startswith("/"):
    meta["command"] = "multispike " + meta["command"].split(" ", 1)[1]
(dest / "provenance.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
shutil.copy(log, dest / "train.jsonl")

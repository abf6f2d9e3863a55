#!/usr/bin/env python3
"""The peers' side of scripts/bench-peers.sh: the multispike workload in snnTorch or Norse.

Run mode (inside the venv made by bench-peers.sh, which has torch, snntorch and norse):

    python3 scripts/bench_peers.py --peer snntorch --threads 2 --samples 5000 --reps 1
    python3 scripts/bench_peers.py --peer norse --threads 2 --epoch

prints one line `RESULT {json}` with training and inference samples/s (median over --reps,
after a warm-up batch) or, with --epoch, the seconds and test accuracy of one epoch over the
60k training images.

Report mode (plain python3, no torch needed): `--report DIR` reads the files bench-peers.sh
left in DIR (runs.tsv, commands.txt and the outputs it names) and prints the Markdown table.

The workload, as close to `multispike bench` / `multispike train` as a time-stepped peer gets:
  * 784-400-10, no biases; batch 100; Adam lr 1e-3; cross-entropy on the output membrane
    potential at the last step (multispike: softmax of V_o(t_out)); BPTT over --steps 25 steps
    covering [0, t_out = 1], dt = 0.04.
  * Latency (time-to-first-spike) input coding, as in multispike: pixel x spikes once at
    t = 1 - x/255, i.e. in step floor(25 (1 - x/255)); bright pixels early, x = 0 never.
  * snnTorch: `snn.Leaky` hidden neurons (threshold 1, reset to zero, default ATan surrogate)
    with beta = exp(-dt / tau_mem), tau_mem = tau_I = 0.8 by default (beta = 0.951); the output
    layer is an `snn.Leaky` without reset whose membrane is the read-out.
    `--neuron synaptic` uses `snn.Synaptic` instead (current-based, alpha = exp(-dt/tau_I),
    beta = exp(-dt/tau_V), tau_V = tau_I/2: the same two time constants as multispike).
  * Norse: `norse.torch.LIF` (current-based LIF, tau_syn = tau_I = 0.8, tau_mem = tau_V = 0.4,
    threshold 1, reset to 0, SuperSpike surrogate) and a `norse.torch.LI` read-out: the Euler
    discretisation of multispike's own neuron model.
  * Weights: multispike's paper init N(0.03, 0.3) mapped to each peer's units by matching the
    peak of the post-synaptic potential of one input spike (multispike's PSP peaks at tau_I/4);
    `--init torch` keeps PyTorch's default nn.Linear init instead.
"""

import argparse
import gzip
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

# --------------------------------------------------------------------------------------------
# MNIST from the IDX files (raw or .gz), with numpy only


def read_idx(path):
    import numpy as np

    p = Path(path)
    if not p.exists() and Path(str(p) + ".gz").exists():
        p = Path(str(p) + ".gz")
    if not p.exists():
        sys.exit(f"bench_peers.py: {path} (or .gz) not found; run `multispike fetch-mnist --dir DIR`")
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic >> 8 != 0x08:
        sys.exit(f"bench_peers.py: {p} is not an unsigned-byte IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != math.prod(dims):
        sys.exit(f"bench_peers.py: {p}: {arr.size} bytes of data, header says {dims}")
    return arr.reshape(dims)


def load_mnist(data_dir):
    d = Path(data_dir)
    xtr = read_idx(d / "train-images-idx3-ubyte").reshape(-1, 784)
    ytr = read_idx(d / "train-labels-idx1-ubyte")
    xte = read_idx(d / "t10k-images-idx3-ubyte").reshape(-1, 784)
    yte = read_idx(d / "t10k-labels-idx1-ubyte")
    return xtr, ytr, xte, yte


def latency_steps(x, steps):
    """Step index of each pixel's single spike: floor(steps * (1 - x/255)); `steps` = no spike."""
    import numpy as np

    k = np.floor(steps * (1.0 - x.astype(np.float64) / 255.0)).astype(np.int64)
    k = np.minimum(k, steps - 1)
    k[x == 0] = steps  # t = t_out: no effect on V(t_out), as in multispike
    return k.astype(np.uint8)


# --------------------------------------------------------------------------------------------
# The networks


def build(args):
    import torch
    from torch import nn

    steps = args.steps
    dt = 1.0 / steps  # t_out = 1
    tau_i = args.tau
    tau_v = tau_i / 2
    # multispike's PSP of a unit weight: tau_I (rho - rho^2), peak tau_I / 4.
    psp_peak_ours = tau_i / 4

    if args.peer == "snntorch":
        import snntorch as snn

        if args.neuron == "leaky":
            tau_m = args.tau_mem if args.tau_mem is not None else tau_i
            beta = math.exp(-dt / tau_m)
            # A Leaky neuron's PSP of a unit weight jumps to 1 and decays: peak 1.
            scale = psp_peak_ours / 1.0
            desc = (
                f"snn.Leaky, beta = exp(-dt/{tau_m:g}) = {beta:.4f}, reset zero, ATan surrogate; "
                f"read-out snn.Leaky (no reset) membrane at step {steps}"
            )

            def hidden():
                return snn.Leaky(beta=beta, threshold=1.0, reset_mechanism="zero")

            def readout():
                return snn.Leaky(beta=beta, threshold=1.0, reset_mechanism="none")

        else:
            alpha = math.exp(-dt / tau_i)
            beta = math.exp(-dt / tau_v)
            # Discrete PSP: syn decays by alpha, mem integrates syn (no dt factor) and decays by beta.
            peak, syn, mem = 0.0, 0.0, 0.0
            for t in range(10 * steps):
                syn = alpha * syn + (1.0 if t == 0 else 0.0)
                mem = beta * mem + syn
                peak = max(peak, mem)
            scale = psp_peak_ours / peak
            desc = (
                f"snn.Synaptic, alpha = {alpha:.4f}, beta = {beta:.4f}, reset zero, ATan surrogate; "
                f"read-out snn.Synaptic (no reset) membrane at step {steps}"
            )

            def hidden():
                return snn.Synaptic(alpha=alpha, beta=beta, threshold=1.0, reset_mechanism="zero")

            def readout():
                return snn.Synaptic(alpha=alpha, beta=beta, threshold=1.0, reset_mechanism="none")

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, args.hidden, bias=False)
                self.lif1 = hidden()
                self.fc2 = nn.Linear(args.hidden, 10, bias=False)
                self.lif2 = readout()

            def forward(self, x):  # x: [T, B, 784] spikes
                # The input layer is feed-forward: one matmul for all steps (faster than per step).
                cur1 = self.fc1(x)
                b = x.shape[1]
                if args.neuron == "leaky":
                    mem1 = torch.zeros(b, args.hidden)
                    spk = []
                    for t in range(steps):
                        s, mem1 = self.lif1(cur1[t], mem1)
                        spk.append(s)
                    cur2 = self.fc2(torch.stack(spk))
                    mem2 = torch.zeros(b, 10)
                    for t in range(steps):
                        _, mem2 = self.lif2(cur2[t], mem2)
                else:
                    syn1, mem1 = torch.zeros(b, args.hidden), torch.zeros(b, args.hidden)
                    spk = []
                    for t in range(steps):
                        s, syn1, mem1 = self.lif1(cur1[t], syn1, mem1)
                        spk.append(s)
                    cur2 = self.fc2(torch.stack(spk))
                    syn2, mem2 = torch.zeros(b, 10), torch.zeros(b, 10)
                    for t in range(steps):
                        _, syn2, mem2 = self.lif2(cur2[t], syn2, mem2)
                return mem2, torch.stack(spk)

        versions = {"torch": torch.__version__, "snntorch": snn.__version__}

    elif args.peer == "norse":
        import norse
        import norse.torch as ntorch

        p = ntorch.LIFParameters(
            tau_syn_inv=torch.as_tensor(1.0 / tau_i),
            tau_mem_inv=torch.as_tensor(1.0 / tau_v),
            v_leak=torch.as_tensor(0.0),
            v_th=torch.as_tensor(1.0),
            v_reset=torch.as_tensor(0.0),
            method="super",
            alpha=torch.as_tensor(100.0),
        )
        pli = ntorch.LIParameters(
            tau_syn_inv=torch.as_tensor(1.0 / tau_i), tau_mem_inv=torch.as_tensor(1.0 / tau_v)
        )
        # Norse's unit-weight PSP: tau_s/(tau_s - tau_m) (e^{-t/tau_s} - e^{-t/tau_m}) =
        # multispike's kernel times 1/(tau_I - tau_V): scale the weights by tau_I - tau_V.
        scale = tau_i - tau_v
        desc = (
            f"norse.torch.LIF (tau_syn {tau_i:g}, tau_mem {tau_v:g}, dt {dt:g}, SuperSpike alpha 100, "
            f"reset 0); read-out norse.torch.LI voltage at step {steps}"
        )

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, args.hidden, bias=False)
                self.lif1 = ntorch.LIF(p, dt=dt)
                self.fc2 = nn.Linear(args.hidden, 10, bias=False)
                self.li = ntorch.LI(pli, dt=dt)

            def forward(self, x):  # x: [T, B, 784]
                spk, _ = self.lif1(self.fc1(x))
                v, _ = self.li(self.fc2(spk))
                return v[-1], spk

        versions = {"torch": torch.__version__, "norse": getattr(norse, "__version__", "?")}
    else:
        sys.exit(f"bench_peers.py: unknown peer {args.peer!r}")

    torch.manual_seed(args.seed)
    net = Net()
    if args.init == "paper":
        with torch.no_grad():
            for fc in (net.fc1, net.fc2):
                fc.weight.normal_(0.03, 0.3).mul_(scale)
        desc += f"; weights N(0.03, 0.3) x {scale:.4g} (multispike's init in this peer's units)"
    else:
        desc += "; weights: PyTorch's default nn.Linear init"
    return net, desc, versions


# --------------------------------------------------------------------------------------------
# Run mode


def run(args):
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    xtr, ytr, xte, yte = load_mnist(args.data)
    ktr = torch.from_numpy(latency_steps(xtr, args.steps).astype(np.int64))
    kte = torch.from_numpy(latency_steps(xte, args.steps).astype(np.int64))
    ytr_t = torch.from_numpy(ytr.astype(np.int64))
    yte_t = torch.from_numpy(yte.astype(np.int64))
    tgrid = torch.arange(args.steps).view(-1, 1, 1)

    def encode(k):  # [B, 784] step indices -> [T, B, 784] spikes
        return (k.unsqueeze(0) == tgrid).to(torch.float32)

    net, desc, versions = build(args)
    loss_fn = torch.nn.CrossEntropyLoss()
    b = args.batch

    def train_on(idx, opt):
        """Adam steps on the batches of `idx`; returns (samples, correct)."""
        n, correct = 0, 0
        for s in range(0, len(idx) - b + 1, b):
            j = idx[s : s + b]
            out, _ = net(encode(ktr[j]))
            loss = loss_fn(out, ytr_t[j])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            n += len(j)
            correct += int((out.argmax(1) == ytr_t[j]).sum())
        return n, correct

    def evaluate(k, y, limit):
        correct, spikes = 0, 0.0
        with torch.inference_mode():
            for s in range(0, limit, b):
                out, spk = net(encode(k[s : min(s + b, limit)]))
                correct += int((out.argmax(1) == y[s : min(s + b, limit)]).sum())
                spikes += float(spk.sum())
        return correct / limit, spikes / (limit * args.hidden)

    res = {
        "peer": args.peer,
        "threads": args.threads,
        "torch_threads": torch.get_num_threads(),
        "versions": versions,
        "python": platform.python_version(),
        "config": desc,
        "steps": args.steps,
        "batch": b,
        "lr": args.lr,
    }

    if args.epoch:
        g = torch.Generator().manual_seed(args.seed)
        perm = torch.randperm(len(ytr_t), generator=g)
        if args.train_limit:
            perm = perm[: args.train_limit]
        opt = torch.optim.Adam(net.parameters(), lr=args.lr)
        t0 = time.perf_counter()
        n, correct = train_on(perm, opt)
        train_s = time.perf_counter() - t0
        test_n = args.test_limit or len(yte_t)
        t0 = time.perf_counter()
        acc, spikes = evaluate(kte, yte_t, test_n)
        eval_s = time.perf_counter() - t0
        res.update(
            kind="epoch",
            train_samples=n,
            train_s=train_s,
            train_sps=n / train_s,
            train_acc=correct / n,
            test_samples=test_n,
            test_acc=acc,
            test_mean_spikes=spikes,
            eval_s=eval_s,
        )
    else:
        s = args.samples
        if s < b:
            sys.exit(f"bench_peers.py: --samples {s} is smaller than the batch {b}")
        init = {k: v.clone() for k, v in net.state_dict().items()}
        idx = torch.arange(s)
        # Warm-up: one training batch and one inference batch (allocator, oneDNN kernels).
        train_on(idx[:b], torch.optim.Adam(net.parameters(), lr=args.lr))
        net.load_state_dict(init)
        evaluate(kte, yte_t, b)
        train_rates, infer_rates = [], []
        for _ in range(args.reps):
            net.load_state_dict(init)  # every repetition from the same weights, as multispike bench
            opt = torch.optim.Adam(net.parameters(), lr=args.lr)
            t0 = time.perf_counter()
            n, _ = train_on(idx, opt)
            train_rates.append(n / (time.perf_counter() - t0))
        net.load_state_dict(init)
        for _ in range(args.reps):
            t0 = time.perf_counter()
            _, spikes = evaluate(kte, yte_t, s)
            infer_rates.append(s / (time.perf_counter() - t0))
        res.update(
            kind="bench",
            samples=s,
            reps=args.reps,
            train_sps=statistics.median(train_rates),
            infer_sps=statistics.median(infer_rates),
            train_sps_all=train_rates,
            infer_sps_all=infer_rates,
            test_mean_spikes=spikes,
        )
    print("RESULT " + json.dumps(res), flush=True)


# --------------------------------------------------------------------------------------------
# Report mode


def parse_time_v(path):
    """Wall seconds and peak RSS (kB) from a `/usr/bin/time -v` report."""
    text = Path(path).read_text(errors="replace")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if not m or not w:
        sys.exit(f"bench_peers.py: no `time -v` report in {path}")
    secs = 0.0
    for part in w.group(1).split(":"):
        secs = secs * 60 + float(part)
    return secs, int(m.group(1))


def parse_result(path):
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    sys.exit(f"bench_peers.py: no RESULT line in {path}")


def parse_ms_bench(path, threads):
    rates = {}
    for line in Path(path).read_text(errors="replace").splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] in ("training", "inference") and f[1] == str(threads):
            rates[f[0]] = float(f[2])
    if set(rates) != {"training", "inference"}:
        sys.exit(f"bench_peers.py: no `training`/`inference` rows for {threads} threads in {path}")
    return rates


def parse_ms_log(path):
    lines = [l for l in Path(path).read_text().splitlines() if l.strip()]
    if not lines:
        sys.exit(f"bench_peers.py: empty training log {path}")
    return json.loads(lines[-1])


def host_line(run_dir):
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    try:
        start = (run_dir / "loadavg-start.txt").read_text().split()
        end = Path("/proc/loadavg").read_text().split()[:3]
        load = f", load average {' '.join(start)} at the start and {' '.join(end)} at the end"
    except OSError:
        pass
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{platform.node()}: {model}, {os.cpu_count()} cores{load}, {now}"


def fmt_int(x):
    return f"{x:,.0f}" if x is not None else "–"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    r = a / b
    return f"{r:.3g}×" if r < 10 else f"{r:.1f}×"


def report(args):
    d = Path(args.report)
    runs = [l.split("\t") for l in (d / "runs.tsv").read_text().splitlines() if l.strip()]
    bench = {}  # who -> {"train": [...], "infer": [...]}
    epoch = {}  # who -> dict
    info = {}  # who -> description / versions
    ms_log = None
    for who, kind, out, tfile in runs:
        if kind == "bench":
            b = bench.setdefault(who, {"train": [], "infer": []})
            if who.startswith("multispike"):
                r = parse_ms_bench(out, args.threads)
                b["train"].append(r["training"])
                b["infer"].append(r["inference"])
            else:
                r = parse_result(out)
                b["train"].append(r["train_sps"])
                b["infer"].append(r["infer_sps"])
                info[who] = r
        elif kind == "epoch":
            wall, rss = parse_time_v(tfile)
            e = epoch.setdefault(who, {})
            e.update(wall_s=wall, rss_kb=rss)
            if who != "multispike":
                r = parse_result(out)
                e.update(train_s=r["train_s"], test_acc=r["test_acc"])
                info[who] = r
        elif kind == "epoch-log":
            log = parse_ms_log(out)
            epoch.setdefault(who, {}).update(train_s=log["wall_s"], test_acc=log["test_acc"])
        elif kind == "version":
            info[who] = {"version": Path(out).read_text().strip()}

    peers = [w for w in args.peers.split(",") if w and (w in bench or w in epoch)]
    ours = ["multispike"] + (["multispike-model"] if "multispike-model" in bench else [])
    whos = ours + peers

    def med(xs):
        return statistics.median(xs) if xs else None

    def row(who):
        b = bench.get(who, {})
        e = epoch.get(who, {})
        return {
            "train": med(b.get("train", [])),
            "infer": med(b.get("infer", [])),
            "epoch_s": e.get("train_s"),
            "wall_s": e.get("wall_s"),
            "acc": e.get("test_acc"),
            "rss": e.get("rss_kb"),
            "n": len(b.get("train", [])),
        }

    def num(x, f):
        return f(x) if x is not None else "–"

    rows = {w: row(w) for w in whos}
    out = []
    out.append(f"Host: {host_line(d)}; {args.threads} threads for every program.")
    out.append("")
    names = {"multispike": info.get("multispike", {}).get("version", "multispike")}
    if "multispike-model" in rows:
        names["multispike"] += " (fresh network)"
        names["multispike-model"] = f"{info.get('multispike', {}).get('version', 'multispike')} (trained: {Path(args.model).name})"
    for w in peers:
        v = info.get(w, {}).get("versions", {})
        names[w] = f"{w} {v.get(w, '?')} (torch {v.get('torch', '?')})"
    out.append(
        "| program | threads | training samples/s | inference samples/s "
        "| s/epoch (training) | wall s (whole run) | test accuracy after 1 epoch | peak RSS |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for w in whos:
        r = rows[w]
        out.append(
            f"| {names[w]} | {args.threads} | {fmt_int(r['train'])} | {fmt_int(r['infer'])} "
            f"| {num(r['epoch_s'], lambda x: f'{x:.1f}')} | {num(r['wall_s'], lambda x: f'{x:.1f}')} "
            f"| {num(r['acc'], lambda x: f'{100 * x:.2f} %')} | {num(r['rss'], lambda x: f'{x / 1024:.0f} MB')} |"
        )
    for o in ours:
        ms = rows[o]
        label = "multispike" if o == "multispike" else "multispike (trained)"
        for w in peers:
            r = rows[w]
            acc = (
                f"{100 * (ms['acc'] - r['acc']):+.2f} points"
                if ms["acc"] is not None and r["acc"] is not None
                else "–"
            )
            out.append(
                f"| **{label} / {w}** | | {fmt_ratio(ms['train'], r['train'])} "
                f"| {fmt_ratio(ms['infer'], r['infer'])} | {fmt_ratio(ms['epoch_s'], r['epoch_s'])} "
                f"| {fmt_ratio(ms['wall_s'], r['wall_s'])} | {acc} | {fmt_ratio(ms['rss'], r['rss'])} |"
            )
    ms = rows["multispike"]
    out.append("")
    n = ms["n"]
    out.append(
        f"Samples/s: median over {n} interleaved round(s) (multispike, then each peer, per round) of "
        f"{args.samples} images, batch {args.batch}; ratios are multispike / peer "
        "(> 1 = multispike faster for samples/s; < 1 = multispike takes less for seconds and RSS)."
    )
    if epoch:
        out.append(
            "Epoch: one pass over the 60k training images, then the 10k test images; "
            "s/epoch is the training part, wall s and peak RSS (`/usr/bin/time -v`) the whole process "
            "(data loading, Python/torch import and the test pass included)."
        )
    if "multispike-model" in rows:
        out.append(
            f"multispike (trained): the same benchmark on the trained network {args.model} "
            "(it fires more than a fresh one); a time-stepped peer's cost does not depend on its "
            "weights, so it is compared with the peers' rows as they are."
        )
    for w in peers:
        if w in info and "config" in info[w]:
            r = info[w]
            out.append(
                f"{w}: {r['config']}; latency input coding (one spike per pixel at step "
                f"floor({r['steps']}(1 - x/255))), BPTT over {r['steps']} steps, cross-entropy on "
                f"the read-out membrane, Adam lr {r['lr']:g}, torch threads {r['torch_threads']}."
            )
    out.append("")
    out.append("Commands:")
    out.append("")
    out.append("```sh")
    out.extend(l for l in (d / "commands.txt").read_text().splitlines() if l.strip())
    out.append("```")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.out:
        Path(args.out).write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", choices=["snntorch", "norse"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--samples", type=int, default=5000, help="images per measurement (bench)")
    ap.add_argument("--reps", type=int, default=1, help="repetitions per measurement (bench)")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--steps", type=int, default=25, help="time steps over [0, t_out = 1]")
    ap.add_argument("--hidden", type=int, default=400)
    ap.add_argument("--tau", type=float, default=0.8, help="tau_I of multispike (tau_V = tau_I/2)")
    ap.add_argument("--tau-mem", type=float, default=None, help="snnTorch Leaky: membrane tau [tau_I]")
    ap.add_argument("--neuron", choices=["leaky", "synaptic"], default="leaky", help="snnTorch neuron")
    ap.add_argument("--init", choices=["paper", "torch"], default="paper")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--epoch", action="store_true", help="one 60k training epoch + test accuracy")
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--test-limit", type=int, default=0)
    ap.add_argument("--report", metavar="DIR", help="print the table from bench-peers.sh's run files")
    ap.add_argument("--peers", default="snntorch,norse", help="report: peers in table order")
    ap.add_argument("--model", default="", help="report: the trained network of the multispike-model rows")
    ap.add_argument("--out", help="report: also write the table here")
    args = ap.parse_args()
    if args.report:
        report(args)
    elif args.peer:
        run(args)
    else:
        ap.error("give --peer or --report")


if __name__ == "__main__":
    main()

//! Why does training fail at small τ_I? Measurements for the README's τ_I ≤ 0.2 explanation.
//!
//! For each (τ_I, λ) it trains the paper's 784-400-10 recipe (init std 0.3) and, at the
//! initialisation and after every epoch, measures on the first 1000 test images and one training
//! batch of 100:
//! - test accuracy, undecided share (tied outputs), mean |v_out|, mean largest softmax probability;
//! - hidden spikes per neuron, silent neurons, and where the hidden spikes fall (quantiles of t);
//! - the read-out reach of a hidden spike: a spike at t adds w·τ_I·(ρ − ρ²) to v_out with
//!   ρ = exp(−(t_out − t)/τ_I) (largest, τ_I/4, at t = t_out − τ_I ln 2): its mean over the spikes
//!   (for the neuron kernel's p in general: c·(ρ − ρ^p), largest at ρ = p^(−1/(p−1)));
//! - the batch's flagged-dead share, the mean V_j(t_out) of flagged neurons, and the norms of the
//!   two parts of the gradient, cross-entropy (+ L2) and dead-neuron penalty, for W1 and W2.
//!
//! `cargo run --release --example tau_diagnostics -- [--taus 0.2,0.4,0.8] [--lambdas 0.01,1]
//!  [--epochs 3] [--threads N] [--out FILE.jsonl]` (MNIST in data/mnist). One JSON line per
//! measurement goes to --out (default: stdout only).

use multispike::data::mnist::{load_mnist, Split};
use multispike::engine::dynamics::NeuronKernel;
use multispike::engine::encoding::PixelEncoder;
use multispike::engine::loss::{dead_penalty, output_loss};
use multispike::engine::network::Workspace;
use multispike::train::{TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
use serde_json::json;
use std::io::Write;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_string())
}

fn list(s: &str) -> Vec<f64> {
    s.split(',').map(|x| x.trim().parse().expect("a number")).collect()
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn measure(
    t: &Trainer,
    test: &multispike::data::Dataset,
    train: &multispike::data::Dataset,
    batch: &[usize],
) -> serde_json::Value {
    let net = &t.net;
    let cfg = net.config();
    let (tau, t_out) = (cfg.tau_i, cfg.t_out);
    let enc = PixelEncoder::new(tau, t_out);
    let dy = net.dynamics();
    let mut ws = Workspace::default();
    let n_hidden = cfg.layers[1];
    let (mut correct, mut undecided, mut vabs, mut pmax, mut spikes) = (0usize, 0usize, 0.0, 0.0, 0usize);
    let mut fired = vec![false; n_hidden];
    let mut times = Vec::new();
    let mut reach = 0.0;
    for i in 0..test.n {
        let tr = net.forward_events(enc.events(test.image(i)), &mut ws);
        let (_, _, pred) = output_loss(&tr.v_out, test.labels[i] as usize, 0.0);
        correct += (pred == Some(test.labels[i] as usize)) as usize;
        undecided += pred.is_none() as usize;
        vabs += tr.v_out.iter().map(|v| v.abs()).sum::<f64>() / tr.v_out.len() as f64;
        let m = tr.v_out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        pmax += 1.0 / tr.v_out.iter().map(|v| (v - m).exp()).sum::<f64>();
        let h = &tr.hidden[0];
        spikes += h.spikes.len();
        for s in &h.spikes {
            fired[s.neuron as usize] = true;
            let ts = s.time(tau);
            times.push(ts);
            let rho = (-(t_out - ts) / tau).exp();
            reach += dy.kernel.readout_factor(dy.c, rho);
        }
    }
    times.sort_by(f64::total_cmp);
    let n = test.n as f64;
    // One batch: dead-neuron flags as in training, and the two gradient parts.
    let traces: Vec<_> = batch.iter().map(|&i| net.forward_events(enc.events(train.image(i)), &mut ws)).collect();
    let mut count = vec![0u32; n_hidden];
    for tr in &traces {
        for (c, &k) in count.iter_mut().zip(&tr.hidden[0].counts) {
            *c += (k > 0) as u32;
        }
    }
    let limit = t.cfg.dead_fraction * batch.len() as f64;
    let flags: Vec<bool> = count.iter().map(|&c| (c as f64) < limit).collect();
    let mut g_ce = net.zero_grads();
    let mut g_pen = net.zero_grads();
    let mut v_flagged = (0.0, 0usize);
    for (tr, &i) in traces.iter().zip(batch) {
        let (_, dv, _) = output_loss(&tr.v_out, train.labels[i] as usize, t.cfg.loss.sigma);
        let (_, gh) = dead_penalty(&tr.hidden[0].v_end, &flags, t.cfg.loss.lambda);
        for (j, &f) in flags.iter().enumerate() {
            if f {
                v_flagged.0 += tr.hidden[0].v_end[j];
                v_flagged.1 += 1;
            }
        }
        net.backward(tr, &dv, &[vec![]], &mut g_ce, &mut ws);
        net.backward(tr, &vec![0.0; dv.len()], &[gh], &mut g_pen, &mut ws);
    }
    let b = batch.len() as f64;
    json!({
        "tau_I": tau,
        "lambda": t.cfg.loss.lambda,
        "epoch": t.epoch,
        "test_acc": correct as f64 / n,
        "undecided": undecided as f64 / n,
        "mean_abs_v_out": vabs / n,
        "mean_max_prob": pmax / n,
        "spikes_per_neuron": spikes as f64 / n / n_hidden as f64,
        "silent_fraction": fired.iter().filter(|&&f| !f).count() as f64 / n_hidden as f64,
        "spike_time_p10": quantile(&times, 0.1),
        "spike_time_p50": quantile(&times, 0.5),
        "spike_time_p90": quantile(&times, 0.9),
        "readout_reach_mean": if spikes > 0 { reach / spikes as f64 } else { f64::NAN },
        "readout_reach_max": dy.kernel.readout_factor(dy.c, dy.kernel.p().powf(-1.0 / (dy.kernel.p() - 1.0))),
        "flagged_fraction": flags.iter().filter(|&&f| f).count() as f64 / n_hidden as f64,
        "v_end_flagged_mean": if v_flagged.1 > 0 { v_flagged.0 / v_flagged.1 as f64 } else { f64::NAN },
        "grad_ce_w1": norm(&g_ce[0]) / b,
        "grad_ce_w2": norm(&g_ce[1]) / b,
        "grad_penalty_w1": norm(&g_pen[0]) / b,
        "grad_penalty_w2": norm(&g_pen[1]) / b,
    })
}

fn main() {
    let taus = list(&arg("--taus", "0.2,0.4,0.8"));
    let lambdas = list(&arg("--lambdas", "0.01,1"));
    let epochs: u64 = arg("--epochs", "3").parse().expect("--epochs");
    if let Ok(n) = arg("--threads", "0").parse::<usize>() {
        if n > 0 {
            rayon::ThreadPoolBuilder::new().num_threads(n).build_global().expect("threads");
        }
    }
    let out = std::env::args().position(|a| a == "--out").map(|_| arg("--out", ""));
    let mut file = out.map(|p| std::fs::File::create(p).expect("--out"));
    let train = load_mnist("data/mnist".as_ref(), Split::Train).expect("MNIST in data/mnist");
    let test = load_mnist("data/mnist".as_ref(), Split::Test).expect("MNIST in data/mnist").head(1000);
    let batch: Vec<usize> = (0..100).collect();
    for &tau in &taus {
        for &lambda in &lambdas {
            let mut cfg = TrainConfig::paper(NetConfig::new(vec![784, 400, 10], tau, Mode::Multi));
            cfg.init_std = 0.3;
            cfg.loss.lambda = lambda;
            let mut t = Trainer::new(cfg).expect("config");
            loop {
                let m = measure(&t, &test, &train, &batch);
                println!("{m}");
                if let Some(f) = file.as_mut() {
                    writeln!(f, "{m}").expect("write");
                }
                if t.epoch >= epochs {
                    break;
                }
                t.train_epoch(&train, &mut |_, _| {}).expect("epoch");
            }
        }
    }
}

//! End-to-end tests of `multispike sweep` on a tiny synthetic MNIST-format data set: the CSV and
//! its columns, config.json, skipping finished runs on a re-run, continuing an interrupted run from
//! its checkpoint (bit-identical to an uninterrupted one), `--plot-only`, and usage errors.
#![cfg(feature = "cli")]

use serde_json::Value;
#[path = "support/cli.rs"]
mod support;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::*;

/// The CSV format, pinned: changing it breaks resumption of existing sweeps.
fn expected_columns() -> Vec<String> {
    let mut c: Vec<String> = [
        "tau_I",
        "mode",
        "seed",
        "epochs",
        "train_samples",
        "test_samples",
        "test_accuracy",
        "test_loss",
        "train_accuracy",
        "mean_spikes",
        "silent_fraction",
        "dead_fraction",
        "non_finite",
        "guarded",
        "truncated",
        "wall_s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    c.extend((0..=20).map(|k| format!("hist_{k}")));
    c
}

/// The CSV as (header, rows of named fields).
fn read_csv(p: &Path) -> (Vec<String>, Vec<std::collections::BTreeMap<String, String>>) {
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), header.len(), "row with the wrong number of fields: {l}");
            header.iter().cloned().zip(f.iter().map(|x| x.to_string())).collect()
        })
        .collect();
    (header, rows)
}

fn num(row: &std::collections::BTreeMap<String, String>, col: &str) -> f64 {
    let v: f64 = row[col].parse().unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]));
    assert!(v.is_finite(), "{col} = {v} is not finite");
    v
}

/// Flags shared by the sweeps of these tests (tiny and fast).
fn sweep_args<'a>(data: &'a Path, out: &'a Path, taus: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sweep",
        "--data",
        s(data),
        "--taus",
        taus,
        "--modes",
        "multi,single",
        "--epochs",
        "1",
        "--seeds",
        "1",
        "--hidden",
        "16",
        "--batch",
        "20",
        "--lr",
        "0.01",
        "--threads",
        "1",
        "--out",
        s(out),
    ];
    a.extend(extra);
    a
}

fn plots(out: &Path) -> [PathBuf; 3] {
    ["accuracy_vs_tau.svg", "spikes_vs_tau.svg", "spike_hist.svg"].map(|n| out.join(n))
}

#[test]
fn sweep_csv_config_skip_and_plots() {
    let (tmp, data) = synthetic();
    let out = tmp.path().join("sweep");
    let csv = out.join("sweep.csv");
    let stdout = run_ok(&sweep_args(&data, &out, "0.4,1.6", &[]));
    assert!(stdout.contains("[4/4]"), "{stdout}");

    // the CSV: pinned header, 4 rows, finite values, consistent counts
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, expected_columns());
    assert_eq!(rows.len(), 4);
    let mut combos: Vec<(String, String)> = rows.iter().map(|r| (r["tau_I"].clone(), r["mode"].clone())).collect();
    combos.sort();
    let want = [("0.4", "multi"), ("0.4", "single"), ("1.6", "multi"), ("1.6", "single")];
    assert_eq!(combos, want.map(|(a, b)| (a.to_string(), b.to_string())));
    for r in &rows {
        for col in &header[2..] {
            num(r, col);
        }
        assert_eq!((&*r["seed"], &*r["epochs"], &*r["train_samples"], &*r["test_samples"]), ("1", "1", "200", "100"));
        for col in ["test_accuracy", "train_accuracy", "silent_fraction", "dead_fraction"] {
            assert!((0.0..=1.0).contains(&num(r, col)), "{col} out of [0, 1]: {r:?}");
        }
        assert!(num(r, "test_loss") > 0.0 && num(r, "mean_spikes") >= 0.0 && num(r, "wall_s") >= 0.0);
        // every (neuron, test image) pair of the 16 hidden neurons is counted once
        let pairs: f64 = (0..=20).map(|k| num(r, &format!("hist_{k}"))).sum();
        assert_eq!(pairs, 16.0 * 100.0, "{r:?}");
        if r["mode"] == "single" {
            assert!(num(r, "mean_spikes") <= 1.0);
            assert!((2..=20).all(|k| num(r, &format!("hist_{k}")) == 0.0), "single-spike neurons fire at most once");
        }
    }

    // config.json: the command and the settings
    let cfg: Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert!(cfg["command"].as_str().unwrap().contains("sweep"));
    assert_eq!(cfg["layers"], "784-16-10");
    assert_eq!(cfg["dataset"], "mnist");
    assert_eq!(cfg["recipe"]["net"]["layers"], serde_json::json!([784, 16, 10]));
    assert_eq!(cfg["recipe"]["batch_size"], 20);
    assert_eq!(cfg["epochs"], 1);
    assert_eq!(cfg["train_samples"], 200);

    // the plots of the sweep itself
    for p in plots(&out) {
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "{} is not an SVG", p.display());
    }

    // a re-run trains nothing and leaves the CSV as it was
    let before = std::fs::read(&csv).unwrap();
    let start = Instant::now();
    let stdout = run_ok(&sweep_args(&data, &out, "0.4,1.6", &[]));
    assert!(stdout.contains("skipped all 4 runs"), "{stdout}");
    assert!(!stdout.contains("[1/"), "a re-run should train nothing:\n{stdout}");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(std::fs::read(&csv).unwrap(), before);
    assert_eq!(cfg_history_len(&out), 2);

    // an extended grid trains only the new τ_I; an interrupted write (partial last line) is dropped
    let mut f = std::fs::OpenOptions::new().append(true).open(&csv).unwrap();
    std::io::Write::write_all(&mut f, b"0.8,multi,1,1,20").unwrap();
    drop(f);
    let (code, stdout, stderr) = run(&sweep_args(&data, &out, "0.4,0.8", &[]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("incomplete last line"), "{stderr}");
    assert!(stdout.contains("skipped 2 run(s)") && stdout.contains("[2/2]") && !stdout.contains("[3/"), "{stdout}");
    let (_, rows) = read_csv(&csv);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows.iter().filter(|r| r["tau_I"] == "0.8").count(), 2);

    // --plot-only re-renders from the CSV alone (the latest budget: the runs at 0.4, 0.8, 1.6)
    for p in plots(&out) {
        std::fs::remove_file(&p).unwrap();
    }
    let stdout = run_ok(&["sweep", "--plot-only", "--out", s(&out)]);
    assert!(stdout.contains("accuracy_vs_tau.svg"), "{stdout}");
    for p in plots(&out) {
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.len() > 1000 && svg.contains("<svg") && svg.contains("</svg>"), "{}", p.display());
    }
    let acc = std::fs::read_to_string(&plots(&out)[0]).unwrap();
    for text in
        ["MNIST test accuracy vs τ_I", "test accuracy (%)", "τ_I", "multi-spike", "single-spike", "98.43", "784-16-10"]
    {
        assert!(acc.contains(text), "accuracy_vs_tau.svg should show {text:?}");
    }
    let spikes = std::fs::read_to_string(&plots(&out)[1]).unwrap();
    assert!(spikes.contains("mean spikes per hidden neuron") && spikes.contains("single-spike maximum"));
    let hist = std::fs::read_to_string(&plots(&out)[2]).unwrap();
    for tau in ["τ_I = 0.4", "τ_I = 0.8", "τ_I = 1.6"] {
        assert!(hist.contains(tau), "spike_hist.svg should have a panel for {tau}");
    }

    // another recipe into the same directory is refused before any training
    let (code, _, stderr) = run(&sweep_args(&data, &out, "0.4", &["--lambda", "0.5"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("other settings") && stderr.contains("lambda"), "{stderr}");

    // so is another data set (same image counts, so the finished rows would otherwise be taken
    // for its own), also when config.json predates the data-set key (then it is MNIST's)
    let (code, _, stderr) = run(&sweep_args(&data, &out, "0.4", &["--dataset", "fashion-mnist"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("holds a sweep on mnist, not fashion-mnist"), "{stderr}");
    let path = out.join("config.json");
    let mut cfg: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    cfg.as_object_mut().unwrap().remove("dataset");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let (code, _, stderr) = run(&sweep_args(&data, &out, "0.4", &["--dataset", "fashion-mnist"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("holds a sweep on mnist"), "{stderr}");
    run_ok(&["sweep", "--plot-only", "--out", s(&out)]);
    assert!(std::fs::read_to_string(&plots(&out)[0]).unwrap().contains("MNIST test accuracy vs τ_I"));
}

fn cfg_history_len(out: &Path) -> usize {
    let cfg: Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    cfg["history"].as_array().unwrap().len()
}

#[test]
fn an_interrupted_run_continues_from_its_checkpoint() {
    let (tmp, data) = synthetic();
    let args = |out: &Path| -> Vec<String> {
        [
            "sweep",
            "--data",
            s(&data),
            "--taus",
            "0.8",
            "--modes",
            "multi",
            "--epochs",
            "120",
            "--hidden",
            "16",
            "--batch",
            "20",
            "--lr",
            "0.01",
            "--threads",
            "1",
            "--out",
            s(out),
        ]
        .map(String::from)
        .to_vec()
    };
    // reference: uninterrupted
    let reference = tmp.path().join("reference");
    let a = args(&reference);
    run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (_, want) = read_csv(&reference.join("sweep.csv"));

    // killed as soon as the first epoch's checkpoint exists, then re-run
    let out = tmp.path().join("interrupted");
    let ckpt = out.join("checkpoints").join("tau0.8-multi-seed1.ckpt");
    let mut child = bin().args(args(&out)).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ckpt.exists() && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    let (_, rows) = read_csv(&out.join("sweep.csv"));
    if !rows.is_empty() {
        eprintln!("the run finished before it could be interrupted; nothing to check");
        return;
    }
    let stdout = run_ok(&args(&out).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(stdout.contains("resuming from"), "{stdout}");
    let (_, got) = read_csv(&out.join("sweep.csv"));
    assert_eq!(got.len(), 1);
    assert!(!ckpt.exists(), "the checkpoint is deleted once the row is written");
    for col in expected_columns().iter().filter(|c| *c != "wall_s") {
        assert_eq!(got[0][col], want[0][col], "{col} differs from the uninterrupted run");
    }
    // The per-epoch logs: one line per epoch 1..=120 in both, with the same test accuracies
    // (the interrupted run's log was cut back to its checkpoint and continued).
    let log = |dir: &Path| -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(dir.join("logs").join("tau0.8-multi-seed1-e120.jsonl")).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (a, b) = (log(&reference), log(&out));
    assert_eq!(a.iter().map(|v| v["epoch"].as_u64().unwrap()).collect::<Vec<_>>(), (1..=120).collect::<Vec<_>>());
    assert_eq!(b.iter().map(|v| v["epoch"].as_u64().unwrap()).collect::<Vec<_>>(), (1..=120).collect::<Vec<_>>());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["test_acc"], y["test_acc"], "epoch {}", x["epoch"]);
    }
    let last: f64 = got[0]["test_accuracy"].parse().unwrap();
    assert_eq!(a.last().unwrap()["test_acc"].as_f64().unwrap(), last, "the row's accuracy is the last epoch's");
}

#[test]
fn bad_inputs_exit_2_with_a_clear_message() {
    let (tmp, data) = synthetic();
    let out = tmp.path().join("bad");
    for (args, expect) in [
        (vec!["--taus", "0"], vec!["--taus 0", "tau_I"]),
        (vec!["--taus", "abc"], vec!["abc", "--taus"]),
        (vec!["--taus", "0.8,-1"], vec!["--taus -1", "tau_I"]),
        (vec!["--taus", "0.001"], vec!["--taus 0.001", "overflow"]),
        (vec!["--modes", "foo"], vec!["foo", "multi", "single"]),
        (vec!["--epochs", "0"], vec!["--epochs"]),
        (vec!["--seeds", "0"], vec!["--seeds"]),
        (vec!["--train-limit", "0"], vec!["--train-limit"]),
        (vec!["--hidden", "0"], vec!["zero neurons"]),
    ] {
        let mut a = vec!["sweep", "--data", s(&data), "--epochs", "1", "--out", s(&out)];
        a.extend(&args);
        let (code, _, stderr) = run(&a);
        assert_eq!(code, 2, "{args:?} should be a usage error:\n{stderr}");
        for e in expect {
            assert!(stderr.contains(e), "{args:?}: the message should mention {e:?}:\n{stderr}");
        }
        assert!(!out.join("sweep.csv").exists(), "{args:?}: nothing is written on a usage error");
    }
    // runtime errors: exit 1
    let (code, _, stderr) = run(&["sweep", "--plot-only", "--out", s(&out)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("sweep.csv"), "{stderr}");
    let missing = tmp.path().join("no-data");
    let (code, _, stderr) = run(&["sweep", "--data", s(&missing), "--epochs", "1", "--hidden", "4", "--out", s(&out)]);
    assert_eq!(code, 1, "{stderr}");
    // help
    let help = run_ok(&["sweep", "--help"]);
    for flag in ["--taus", "--modes", "--seeds", "--seed0", "--plot-only", "hist_20", "accuracy_vs_tau.svg"] {
        assert!(help.contains(flag), "sweep --help should mention {flag}");
    }
}

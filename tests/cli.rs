//! End-to-end tests of the `multispike` binary on a tiny synthetic MNIST-format data set:
//! help texts, train → log → model → eval, exact resumption, bench, case, and error handling
//! (exit codes, messages, never a panic).
#![cfg(feature = "cli")]

use multispike::model_file;
use serde_json::Value;
#[path = "support/cli.rs"]
mod support;
use std::path::Path;
use support::*;

fn log_lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn weight_bits(p: &Path) -> Vec<Vec<u32>> {
    let m = model_file::load(p).unwrap();
    m.network.weights().iter().map(|w| w.iter().map(|x| x.to_bits()).collect()).collect()
}

#[test]
fn help_texts() {
    let out = run_ok(&["--help"]);
    for cmd in ["fetch-mnist", "train", "eval", "case", "bench"] {
        assert!(out.contains(cmd), "--help should list {cmd}:\n{out}");
    }
    let train = run_ok(&["train", "--help"]);
    for flag in ["--hidden", "--tau", "--mode", "--resume", "--checkpoint", "--threads", "dead_fraction"] {
        assert!(train.contains(flag), "train --help should mention {flag}");
    }
    for cmd in ["eval", "case", "bench", "fetch-mnist"] {
        run_ok(&[cmd, "--help"]);
    }
    assert!(run_ok(&["--version"]).contains(env!("CARGO_PKG_VERSION")));
}

const LOG_FIELDS: [&str; 17] = [
    "epoch",
    "loss",
    "train_acc",
    "test_acc",
    "test_loss",
    "mean_spikes",
    "test_mean_spikes",
    "dead_fraction",
    "silent_fraction",
    "non_finite",
    "guarded",
    "truncated",
    "test_truncated",
    "skipped_batches",
    "wall_s",
    "eval_s",
    "samples_per_s",
];

#[test]
fn train_eval_resume_and_bench() {
    let (tmp, data) = synthetic();
    let dir = tmp.path();
    let (model, log) = (dir.join("a.safetensors"), dir.join("a.jsonl"));
    let common = ["--data", s(&data), "--hidden", "20", "--batch", "20", "--lr", "0.01"];
    let train = |extra: &[&str]| {
        let mut args = vec!["train"];
        args.extend(common);
        args.extend(extra);
        run_ok(&args)
    };

    // Two epochs.
    let out = train(&["--epochs", "2", "--out", s(&model), "--log", s(&log), "--threads", "2"]);
    assert!(out.contains("epoch   2/2"), "{out}");
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 2);
    for (i, l) in lines.iter().enumerate() {
        for f in LOG_FIELDS {
            assert!(l.get(f).is_some(), "log line {i} lacks {f}: {l}");
        }
        assert_eq!(l["epoch"], i + 1);
        let acc = l["test_acc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc));
        assert!(l["mean_spikes"].as_f64().unwrap() >= 0.0);
    }

    // The model loads, carries its provenance, and evaluates.
    let m = model_file::load(&model).unwrap();
    assert_eq!(m.network.config().layers, vec![784, 20, 10]);
    let prov = m.provenance();
    for k in ["command", "seed", "epochs", "test_accuracy", "test_samples", "train_samples", "date", "init"] {
        assert!(prov.contains_key(k), "provenance lacks {k}: {prov:?}");
    }
    for k in ["lambda", "sigma", "lr", "batch", "multispike_version"] {
        assert!(prov.contains_key(k), "provenance lacks {k}: {prov:?}");
    }
    assert_eq!(prov["epochs"], "2");
    assert_eq!(prov["train_samples"], "200");
    assert_eq!(prov["test_samples"], "100");
    assert_eq!(prov["lr"], "0.01");
    assert!(prov["command"].contains("train") && prov["command"].contains("--hidden 20"));
    let date = &prov["date"];
    assert!(date.len() == 20 && date.ends_with('Z') && &date[10..11] == "T", "{date}");
    assert!(prov["init"].starts_with("normal(mean=0.03,std=0.547"), "{}", prov["init"]);

    let report = run_ok(&["eval", s(&model), "--data", s(&data)]);
    assert!(report.contains("accuracy") && report.contains("histogram"), "{report}");
    let j: Value = serde_json::from_str(&run_ok(&["eval", s(&model), "--data", s(&data), "--json"])).unwrap();
    assert_eq!(j["samples"], 100);
    assert_eq!(j["per_class_accuracy"].as_array().unwrap().len(), 10);
    let acc = j["accuracy"].as_f64().unwrap();
    assert_eq!(acc.to_string(), prov["test_accuracy"], "eval agrees with the accuracy recorded in training");
    assert_eq!(lines[1]["test_acc"].as_f64().unwrap(), acc);
    let j: Value =
        serde_json::from_str(&run_ok(&["eval", s(&model), "--data", s(&data), "--json", "--limit", "30"])).unwrap();
    assert_eq!(j["samples"], 30);

    // Resume to 3 epochs (on one thread) and compare with an uninterrupted 3-epoch run.
    let out = train(&["--epochs", "3", "--out", s(&model), "--log", s(&log), "--resume", "--threads", "1"]);
    assert!(out.contains("after epoch 2") && out.contains("epoch   3/3"), "{out}");
    assert!(!out.contains("epoch   1/3"), "{out}");
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 3, "the log is appended to");
    assert_eq!(lines[2]["epoch"], 3);
    assert_eq!(model_file::load(&model).unwrap().provenance()["epochs"], "3");

    let straight = dir.join("b.safetensors");
    train(&["--epochs", "3", "--out", s(&straight)]);
    assert_eq!(weight_bits(&model), weight_bits(&straight), "resumed run differs from the uninterrupted one");

    // Nothing left to do.
    let out = train(&["--epochs", "3", "--out", s(&model), "--resume"]);
    assert!(out.contains("nothing to train"), "{out}");

    // Resuming with different settings is refused (exit 2), naming the difference.
    let mut args = vec!["train"];
    args.extend(common);
    args.extend(["--epochs", "4", "--out", s(&model), "--resume", "--tau", "0.5"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: ") && err.contains("different settings") && err.contains("tau_i"), "{err}");
    let mut args = vec!["train"];
    args.extend(common);
    args.extend(["--epochs", "4", "--out", s(&model), "--resume", "--train-limit", "150"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("training data differ"), "{err}");

    // A corrupt checkpoint: a clear error, exit 1, and the file is left as it was.
    let (bad, fresh) = (dir.join("bad.ckpt"), dir.join("c.safetensors"));
    std::fs::write(&bad, b"this is not a checkpoint").unwrap();
    let mut args = vec!["train"];
    args.extend(common);
    args.extend(["--epochs", "4", "--out", s(&fresh), "--resume", "--checkpoint", s(&bad)]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("corrupt") && err.contains("bad.ckpt"), "{err}");
    assert_eq!(std::fs::read(&bad).unwrap(), b"this is not a checkpoint");
    assert!(!fresh.exists());

    // Resuming without a checkpoint.
    let none = dir.join("none.safetensors");
    let mut args = vec!["train"];
    args.extend(common);
    args.extend(["--out", s(&none), "--resume"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no checkpoint"), "{err}");

    // Bench: a small run on the synthetic data, a fresh net and the trained model.
    let out =
        run_ok(&["bench", "--data", s(&data), "--hidden", "20", "--samples", "100", "--threads", "1,2", "--reps", "2"]);
    assert!(out.contains("inference") && out.contains("training") && out.contains("speed-up 2 vs 1"), "{out}");
    assert!(out.contains("CPUs available"), "{out}");
    let out = run_ok(&[
        "bench",
        "--data",
        s(&data),
        "--model",
        s(&model),
        "--samples",
        "50",
        "--threads",
        "1",
        "--reps",
        "1",
    ]);
    assert!(out.contains("trained model"), "{out}");
}

#[test]
fn bad_inputs_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join("m.safetensors");

    // Configuration errors: exit 2, a message naming the problem.
    for (args, want) in [
        (vec!["--tau", "0"], "tau"),
        (vec!["--tau", "-1"], "tau"),
        (vec!["--hidden", "0"], "zero neurons"),
        (vec!["--batch", "0"], "batch"),
        (vec!["--lr", "0"], "learning rate"),
        (vec!["--lambda", "-1"], "lambda"),
        (vec!["--threads", "0"], "--threads"),
        (vec!["--train-limit", "0"], "--train-limit"),
        (vec!["--epochs", "0"], "--epochs"),
    ] {
        let mut a = vec!["train", "--out", s(&out), "--data", s(dir)];
        a.extend(&args);
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(want), "{args:?}: {err}");
        assert!(!out.exists());
    }
    // clap's own usage errors also exit with 2.
    assert_eq!(run(&["train"]).0, 2, "--out is required");
    assert_eq!(run(&["train", "--out", "x", "--mode", "double"]).0, 2);
    assert_eq!(run(&["train", "--out", "x", "--hidden", "abc"]).0, 2);
    assert_eq!(run(&["frobnicate"]).0, 2);

    // Output into a missing directory: refused before any work.
    let (code, _, err) = run(&["train", "--out", s(&dir.join("no/such/dir/m.safetensors")), "--data", s(dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, err) = run(&["train", "--out", s(&out), "--checkpoint", s(&out)]);
    assert_eq!(code, 2, "{err}");

    // No data: exit 1 and a hint.
    let (code, _, err) = run(&["train", "--out", s(&out), "--data", s(&dir.join("nowhere"))]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("fetch-mnist"), "{err}");

    // A garbage model file.
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, [0x5Au8; 300]).unwrap();
    let (code, _, err) = run(&["eval", s(&garbage), "--data", s(dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("error: model file") && err.contains("garbage.safetensors"), "{err}");
    let (code, _, err) = run(&["eval", s(&dir.join("missing.safetensors"))]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("missing.safetensors"), "{err}");

    // Cases: a malformed one, a missing one, a good one.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"layers\": [2, 2], \"weights\": ").unwrap();
    let (code, stdout, err) = run(&["case", s(&bad)]);
    assert_eq!(code, 1, "{err}");
    assert!(stdout.is_empty());
    assert!(err.starts_with("error: ") && err.contains("bad.json") && err.contains("invalid case JSON"), "{err}");
    std::fs::write(&bad, "{\"layers\": [2, 2], \"weights\": [[[1, 2]]], \"input_times\": [0, 0], \"tau_I\": 0.8, \"mode\": \"multi\", \"label\": 0, \"lambda\": 0, \"sigma\": 0}").unwrap();
    let (code, _, err) = run(&["case", s(&bad)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("weights[0]") && err.contains("2 rows"), "{err}");
    let (code, _, err) = run(&["case", s(&dir.join("nope.json"))]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nope.json"), "{err}");

    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/tiny.json");
    let printed: Value = serde_json::from_str(&run_ok(&["case", s(&tiny)])).unwrap();
    let direct: Value =
        serde_json::from_str(&multispike::case::run_case(&std::fs::read_to_string(&tiny).unwrap()).unwrap()).unwrap();
    assert_eq!(printed, direct);
    assert_eq!(printed["weights_rounded_to_f32"], true);
}

/// A synthetic data set and the `train` arguments of runs that write into their own directory
/// (`<dir>/m.safetensors`, its checkpoint and `<dir>/log.jsonl`): the kill-and-resume tests.
struct KillRuns {
    tmp: tempfile::TempDir,
    data: std::path::PathBuf,
    flags: Vec<String>,
}

impl KillRuns {
    fn new(train_images: usize, flags: &[&str]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir(&data).unwrap();
        write_split(&data, "train", train_images, 1);
        write_split(&data, "t10k", 50, 2);
        KillRuns { tmp, data, flags: flags.iter().map(|x| x.to_string()).collect() }
    }

    /// A fresh run directory.
    fn dir(&self, name: &str) -> std::path::PathBuf {
        let d = self.tmp.path().join(name);
        std::fs::create_dir(&d).unwrap();
        d
    }

    fn args(&self, dir: &Path) -> Vec<String> {
        let mut a: Vec<String> = vec!["train".into(), "--data".into(), s(&self.data).into()];
        a.extend(self.flags.iter().cloned());
        for (flag, file) in [("--out", "m.safetensors"), ("--log", "log.jsonl")] {
            a.push(flag.into());
            a.push(s(&dir.join(file)).into());
        }
        a
    }
}

fn run_ok_strings(a: &[String]) -> String {
    run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Killing `train` with SIGKILL at arbitrary moments (mid-epoch, possibly mid-write) never leaves
/// an unreadable checkpoint, loses at most the epoch in progress, and resuming ends with exactly
/// the weights of an uninterrupted run.
#[test]
fn sigkill_anywhere_loses_at_most_one_epoch() {
    use multispike::checkpoint::Checkpoint;
    use std::time::Instant;
    let runs = KillRuns::new(12_000, &["--hidden", "40", "--epochs", "5", "--threads", "1", "--seed", "3"]);
    let args = |dir: &Path| runs.args(dir);
    let reference = runs.dir("reference");
    let t0 = Instant::now();
    run_ok_strings(&args(&reference));
    let epoch = t0.elapsed() / 5;

    let dir = runs.dir("killed");
    let ckpt = dir.join("m.safetensors.ckpt");
    let mut kills = 0;
    // Kill at staggered points of successive epochs, resuming each time.
    for (round, frac) in [0.5, 1.3, 0.1, 0.9, 0.7].into_iter().enumerate() {
        let mut a = args(&dir);
        if ckpt.exists() {
            a.push("--resume".into());
        }
        let before = if ckpt.exists() { Checkpoint::load(&ckpt).unwrap().epoch } else { 0 };
        if before == 5 {
            break;
        }
        let mut child =
            bin().args(&a).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
        if round > 0 {
            // Wait for this run to finish an epoch (timing-independent progress on a loaded
            // machine), then kill it somewhere in the next one. Round 0 may die before any.
            let epoch_now = || Checkpoint::load(&ckpt).map(|c| c.epoch).unwrap_or(0);
            while epoch_now() <= before && child.try_wait().unwrap().is_none() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        std::thread::sleep(epoch.mul_f64(frac + 0.3 * round as f64 / 5.0));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        if ckpt.exists() {
            let after = Checkpoint::load(&ckpt).expect("a checkpoint survives SIGKILL intact").epoch;
            assert!(after >= before, "the checkpoint went back from epoch {before} to {after}");
        }
    }
    assert!(kills >= 2, "the runs finished before they could be killed ({kills} kills); epoch {:?}", epoch);
    let mut a = args(&dir);
    a.push("--resume".into());
    let (code, _, stderr) = run(&a.iter().map(|x| x.as_str()).collect::<Vec<_>>());
    assert!(code == 0 || stderr.contains("nothing to train"), "final resume failed: {stderr}");
    assert_eq!(Checkpoint::load(&ckpt).unwrap().epoch, 5);
    assert_eq!(weight_bits(&dir.join("m.safetensors")), weight_bits(&reference.join("m.safetensors")));
}

/// SIGKILL in the middle of a checkpoint write (the write is paused half-way by a test hook):
/// the previous checkpoint still loads, the half-written temporary file is ignored, and resuming
/// ends with exactly the weights of an uninterrupted run.
#[test]
fn sigkill_during_a_checkpoint_write_keeps_the_previous_one() {
    use multispike::checkpoint::Checkpoint;
    use std::time::{Duration, Instant};
    let runs = KillRuns::new(300, &["--hidden", "20", "--epochs", "3", "--threads", "1", "--seed", "5"]);
    let args = |dir: &Path| runs.args(dir);
    let reference = runs.dir("reference");
    let dir = runs.dir("killed");
    run_ok_strings(&args(&reference));

    let ckpt = dir.join("m.safetensors.ckpt");
    let ckpt_tmp = dir.join("m.safetensors.ckpt.tmp");
    let mut child = bin()
        .args(args(&dir))
        .env("MULTISPIKE_TEST_SLOW_SAVE_MS", "400")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the second checkpoint write (epoch 2) to be half-way, while epoch 1's is in place.
    let t0 = Instant::now();
    while !(ckpt.exists() && ckpt_tmp.exists()) {
        assert!(t0.elapsed() < Duration::from_secs(120), "no second checkpoint write seen");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL, half of the new checkpoint written
    child.wait().unwrap();
    assert!(ckpt_tmp.exists(), "the half-written temporary file is there");
    assert!(Checkpoint::load(&ckpt_tmp).is_err(), "the temporary file is incomplete");
    assert_eq!(Checkpoint::load(&ckpt).expect("the previous checkpoint is intact").epoch, 1);

    let mut a = args(&dir);
    a.push("--resume".into());
    run_ok_strings(&a);
    assert_eq!(Checkpoint::load(&ckpt).unwrap().epoch, 3);
    assert!(!ckpt_tmp.exists(), "the stale temporary file was replaced and renamed");
    assert_eq!(weight_bits(&dir.join("m.safetensors")), weight_bits(&reference.join("m.safetensors")));
}

/// Output into a closed pipe (`multispike … | head`) ends the output, never in a panic.
#[test]
fn closed_stdout_is_not_a_panic() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/deep.json");
    for args in [vec!["case", s(&case)], vec!["--help"]] {
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // close the reading end before the child writes
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked on a closed stdout:\n{stderr}");
    }
}

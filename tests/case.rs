//! Reference cases (`multispike::case`): spikes and potentials against the brute-force ODE
//! integrator, every gradient entry against Richardson-extrapolated central finite differences of
//! the loss (each loss computed by re-running `run_case` on a perturbed case), default flags,
//! validation errors, and the example cases under `tests/cases/` as a regression.
//!
//! Set `MULTISPIKE_BLESS=1` to (re)write the expected outputs `tests/cases/*.out.json`.

mod common;
use common::{ode_reference, rng};
use multispike::case::{run_case, CaseInput, CaseOutput};
use multispike::Error;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Grid of the random weights: every weight and every perturbed weight is exactly an f32.
const GRID: f64 = 1.0 / 1024.0;
/// Finite-difference steps h and h/2 (powers of two, exact in f32 for the weights used here).
const H: f64 = 1.0 / 4096.0;

fn run(v: &Value) -> CaseOutput {
    let out = run_case(&v.to_string()).unwrap_or_else(|e| panic!("case failed: {e}\n{v}"));
    serde_json::from_str(&out).expect("output parses as CaseOutput")
}

/// A random case. Weights are multiples of 2⁻¹⁰ scaled so that neurons fire about once per τ_I;
/// inputs include a tie, a `null`, a time ≥ t_out and a time of exactly 0.
fn random_case(r: &mut ChaCha8Rng, layers: &[usize], tau: f64, mode: &str, drive: f64, flags: bool) -> Value {
    let weights: Vec<Vec<Vec<f64>>> = (0..layers.len() - 1)
        .map(|l| {
            let scale = 6.0 / (tau.min(1.0) * (layers[l] as f64).sqrt());
            (0..layers[l])
                .map(|_| {
                    (0..layers[l + 1])
                        .map(|_| {
                            let g: f64 = r.random::<f64>() * 2.0 - 1.0 + drive;
                            (g * scale / GRID).round() * GRID
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let n0 = layers[0];
    let mut times: Vec<Value> = (0..n0).map(|_| json!(r.random::<f64>() * 0.9)).collect();
    times[0] = json!(0.0);
    times[1] = Value::Null;
    times[2] = json!(1.25); // after t_out: no spike
    times[3] = times[4].clone(); // a tie
    let n_out = layers[layers.len() - 1];
    let mut case = json!({
        "layers": layers,
        "weights": weights,
        "input_times": times,
        "tau_I": tau,
        "mode": mode,
        "label": r.random_range(0..n_out),
        "lambda": 0.3,
        "sigma": 0.05,
        "max_spikes": 40,
    });
    if flags {
        let f: Vec<bool> = (0..layers[1]).map(|_| r.random::<bool>()).collect();
        case["flags"] = json!(f);
    }
    case
}

fn weight(case: &Value, l: usize, i: usize, j: usize) -> f64 {
    case["weights"][l][i][j].as_f64().expect("weight is a number")
}

fn with_weight(case: &Value, l: usize, i: usize, j: usize, w: f64) -> Value {
    let mut c = case.clone();
    c["weights"][l][i][j] = json!(w);
    c
}

#[test]
fn spikes_and_potentials_match_brute_force_ode() {
    let mut r = rng(31);
    let (mut spikes, mut max_count) = (0usize, 0usize);
    for &tau in &[0.3, 0.8, 2.0] {
        for mode in ["multi", "single"] {
            for layers in [&[6usize, 4, 3][..], &[6, 5, 4, 2][..], &[6, 4, 4, 3, 2][..]] {
                for drive in [0.2, 0.6] {
                    let case = random_case(&mut r, layers, tau, mode, drive, false);
                    let out = run(&case);
                    let input: CaseInput = serde_json::from_value(case.clone()).unwrap();
                    let (net, times) = input.build().unwrap();
                    let ode = ode_reference(&net, &times);
                    let ctx = format!("tau {tau} {mode} {layers:?} drive {drive}");
                    assert_eq!(out.spikes.len(), layers.len() - 2, "{ctx}");
                    for (l, layer) in out.spikes.iter().enumerate() {
                        for (j, mine) in layer.iter().enumerate() {
                            let theirs = &ode.spikes[l][j];
                            assert_eq!(mine.len(), theirs.len(), "{ctx} layer {l} neuron {j}: {mine:?} vs {theirs:?}");
                            assert_eq!(out.counts[l][j] as usize, mine.len(), "{ctx}");
                            for (a, b) in mine.iter().zip(theirs) {
                                assert!((a - b).abs() < 1e-7, "{ctx} layer {l} neuron {j}: {mine:?} vs {theirs:?}");
                            }
                            assert!(mine.windows(2).all(|w| w[0] < w[1]), "spike times not increasing: {mine:?}");
                            spikes += mine.len();
                            max_count = max_count.max(mine.len());
                            let (va, vb) = (out.v_hidden[l][j], ode.v_end[l][j]);
                            assert!((va - vb).abs() < 1e-7 * (1.0 + vb.abs()), "{ctx}: V {va} vs {vb}");
                        }
                    }
                    for (a, b) in out.v_out.iter().zip(&ode.v_out) {
                        assert!((a - b).abs() < 1e-7 * (1.0 + b.abs()), "{ctx}: v_out {a} vs {b}");
                    }
                    if mode == "single" {
                        assert!(out.counts.iter().flatten().all(|&c| c <= 1));
                    }
                }
            }
        }
    }
    assert!(spikes > 200, "only {spikes} spikes compared");
    assert!(max_count >= 4, "no neuron fired 4 times (max {max_count})");
}

#[test]
fn every_gradient_entry_matches_finite_differences() {
    let mut r = rng(77);
    let (mut checked, mut skipped, mut cases, mut grazing) = (0usize, 0usize, 0usize, 0usize);
    let mut worst = 0.0f64;
    for &tau in &[0.3, 0.8, 2.0] {
        for mode in ["multi", "single"] {
            for layers in [&[5usize, 4, 3][..], &[6, 4, 3, 2][..], &[5, 4, 3, 3, 2][..]] {
                for (k, drive) in [0.2, 0.6].into_iter().enumerate() {
                    let case = random_case(&mut r, layers, tau, mode, drive, k == 0);
                    let base = run(&case);
                    if base.guarded > 0 {
                        grazing += 1; // the gradient is bounded by design there, not exact
                        continue;
                    }
                    cases += 1;
                    let gmax = base.grad.iter().flatten().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
                    for (l, gl) in base.grad.iter().enumerate() {
                        for (i, row) in gl.iter().enumerate() {
                            for (j, &g) in row.iter().enumerate() {
                                let w0 = weight(&case, l, i, j);
                                // (L(w0 + h) − L(w0 − h)) / 2h, and whether the spike counts stayed put.
                                let central = |h: f64| {
                                    let p = run(&with_weight(&case, l, i, j, w0 + h));
                                    let m = run(&with_weight(&case, l, i, j, w0 - h));
                                    ((p.loss - m.loss) / (2.0 * h), p.counts == base.counts && m.counts == base.counts)
                                };
                                let (fd1, same1) = central(H);
                                let (fd2, same2) = central(H / 2.0);
                                if !(same1 && same2) {
                                    skipped += 1;
                                    continue;
                                }
                                let fd = (4.0 * fd2 - fd1) / 3.0;
                                let tol = 1e-6 * gmax + 1e-5 * fd.abs().max(g.abs()) + 1e-11;
                                let err = (fd - g).abs() / tol;
                                worst = worst.max(err);
                                assert!(
                                    err <= 1.0,
                                    "tau {tau} {mode} {layers:?} dL/dW[{l}][{i}][{j}]: fd {fd} vs analytic {g}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "checked {checked} entries on {cases} cases, skipped {skipped} (spike count changed), \
         {grazing} grazing cases, worst error/tolerance {worst:.3}"
    );
    assert!(cases >= 30, "too many grazing cases: only {cases} checked");
    assert!(checked > 1000, "only {checked} entries checked");
    assert!(skipped * 50 < checked, "skipped {skipped} of {checked}");
}

#[test]
fn default_flags_are_the_silent_neurons_of_the_first_hidden_layer() {
    let mut r = rng(5);
    let mut saw_silent = false;
    for drive in [-0.2, 0.1, 0.4] {
        let case = random_case(&mut r, &[6, 8, 4, 3], 0.8, "multi", drive, false);
        let out = run(&case);
        let silent: Vec<bool> = out.counts[0].iter().map(|&c| c == 0).collect();
        assert_eq!(out.flags, silent);
        saw_silent |= silent.iter().any(|&s| s);
        // Spelling the same flags out (as booleans or as 0/1) gives the same result.
        let mut explicit = case.clone();
        explicit["flags"] = json!(silent);
        assert_eq!(run(&explicit), out);
        explicit["flags"] = json!(silent.iter().map(|&s| s as u8).collect::<Vec<_>>());
        assert_eq!(run(&explicit), out);
        // The penalty is λ/J Σ_j P_j (1 − V_j): dropping all flags removes exactly that term.
        let mut none = case.clone();
        none["flags"] = json!(vec![false; 8]);
        let bare = run(&none);
        let penalty: f64 =
            out.v_hidden[0].iter().zip(&silent).filter(|(_, &p)| p).map(|(v, _)| 0.3 / 8.0 * (1.0 - v)).sum();
        assert!((out.loss - bare.loss - penalty).abs() < 1e-12, "{} vs {}", out.loss - bare.loss, penalty);
        // Deeper hidden layers never get flags: the gradient of the last weight matrix only sees the output.
        assert_eq!(out.grad[2], bare.grad[2]);
    }
    assert!(saw_silent, "no silent neuron met");
}

#[test]
fn no_hidden_layer_and_the_t_out_boundary() {
    // 2 → 2 read-out only: V_o(t_out) = τ_I Σ_i w_io (ρ_i − ρ_i²), ρ_i = exp((t_i − t_out)/τ_I).
    let case = json!({"layers":[2,2],"weights":[[[1.5,-0.5],[0.25,2.0]]],"input_times":[0.0,0.5],
        "tau_I":0.8,"mode":"multi","label":0,"lambda":0.01,"sigma":0.0});
    let out = run(&case);
    assert!(out.spikes.is_empty() && out.counts.is_empty() && out.flags.is_empty());
    let rho = |t: f64| ((t - 1.0) / 0.8f64).exp();
    let k = |t: f64| 0.8 * (rho(t) - rho(t) * rho(t));
    let v0 = 1.5 * k(0.0) + 0.25 * k(0.5);
    assert!((out.v_out[0] - v0).abs() < 1e-14, "{} vs {v0}", out.v_out[0]);

    // The boundary: a crossing counts only strictly before t_out. Find the first spike time t1 of
    // a neuron, then move t_out just past it and just before it.
    let one = |t_out: f64| {
        run(&json!({"layers":[1,1,1],"weights":[[[10.0]],[[1.0]]],"input_times":[0.0],"tau_I":0.8,
            "t_out":t_out,"mode":"multi","label":0,"lambda":0.0,"sigma":0.0}))
    };
    let t1 = one(1.0).spikes[0][0][0];
    assert!(t1 > 0.0 && t1 < 1.0, "{t1}");
    let after = one(t1 * (1.0 + 1e-9));
    assert_eq!(after.spikes[0][0].first().copied(), Some(t1));
    let before = one(t1 * (1.0 - 1e-9));
    assert_eq!(before.counts[0][0], 0, "a crossing at or after t_out is not a spike");
    assert!((before.v_hidden[0][0] - 1.0).abs() < 1e-6, "V(t_out) just below threshold");
}

#[test]
fn weights_are_rounded_to_f32() {
    let base = json!({"layers":[2,2,2],"weights":[[[6.0,0.5],[6.0,-1.0]],[[1.0,-1.0],[0.5,0.5]]],
        "input_times":[0.1,0.2],"tau_I":0.5,"mode":"multi","label":1,"lambda":0.1,"sigma":0.01});
    let out = run(&base);
    assert!(out.weights_rounded_to_f32);
    // 0.5 + 2⁻³⁰ rounds to 0.5 in f32: identical results.
    let nudged = with_weight(&base, 1, 1, 0, 0.5 + 2f64.powi(-30));
    assert_eq!(run(&nudged), out);
}

fn case_error(v: &str) -> String {
    match run_case(v) {
        Err(Error::Case(m)) => m,
        Err(e) => panic!("expected Error::Case, got {e:?}"),
        Ok(_) => panic!("invalid case accepted: {v}"),
    }
}

#[test]
fn invalid_cases_are_rejected_with_clear_messages() {
    let good = json!({"layers":[3,2,2],"weights":[[[1,2],[3,4],[5,6]],[[1,-1],[0.5,0.5]]],
        "input_times":[0.1,null,2.0],"tau_I":0.5,"mode":"multi","label":1,"lambda":0.1,"sigma":0.01});
    run(&good);
    let bad = |f: &dyn Fn(&mut Value), want: &[&str]| {
        let mut v = good.clone();
        f(&mut v);
        let m = case_error(&v.to_string());
        for w in want {
            assert!(m.contains(w), "error {m:?} should mention {w:?}");
        }
    };
    bad(&|v| v["layers"] = json!([3]), &["layers", "at least"]);
    bad(&|v| v["layers"] = json!([3, 0, 2]), &["zero neurons"]);
    bad(&|v| v["weights"] = json!([[[1, 2], [3, 4], [5, 6]]]), &["2 weight matrices", "got 1"]);
    bad(&|v| v["weights"][0] = json!([[1, 2], [3, 4]]), &["weights[0]", "3 rows", "got 2"]);
    bad(&|v| v["weights"][0][1] = json!([3, 4, 5]), &["weights[0][1]", "2 entries", "got 3"]);
    bad(&|v| v["weights"][1][0][1] = json!(1e300), &["weights[1][0][1]", "f32"]);
    bad(&|v| v["weights"][1][0][1] = json!("x"), &["invalid case JSON", "invalid type"]);
    bad(&|v| v["input_times"] = json!([0.1, 0.2]), &["input_times", "3 entries", "got 2"]);
    bad(&|v| v["input_times"][0] = json!(-0.5), &["input_times[0]", "≥ 0"]);
    bad(&|v| v["label"] = json!(2), &["label 2", "2 outputs"]);
    bad(&|v| v["label"] = json!(-1), &["invalid case JSON"]);
    bad(&|v| v["tau_I"] = json!(0.0), &["tau_I"]);
    bad(&|v| v["tau_I"] = json!(0.001), &["overflow"]);
    bad(&|v| v["t_out"] = json!(-1.0), &["t_out"]);
    bad(&|v| v["mode"] = json!("double"), &["unknown variant", "double"]);
    bad(&|v| v["lambda"] = json!(-1.0), &["lambda"]);
    bad(&|v| v["sigma"] = json!(-1e-3), &["sigma"]);
    bad(&|v| v["max_spikes"] = json!(0), &["max_spikes"]);
    bad(&|v| v["flags"] = json!([true]), &["flags", "2 entries", "got 1"]);
    bad(&|v| v["flags"] = json!([true, 2]), &["flag", "true/false or 1/0"]);
    bad(&|v| v["flags"] = json!(["yes", false]), &["flag", "true/false or 1/0"]);
    bad(&|v| v["tau"] = json!(0.5), &["unknown field", "tau"]);
    bad(
        &|v| {
            v.as_object_mut().unwrap().remove("label");
        },
        &["missing field", "label"],
    );
    bad(
        &|v| {
            v["layers"] = json!([2, 2]);
            v["weights"] = json!([[[1, 2], [3, 4]]]);
            v["input_times"] = json!([0.1, 0.2]);
            v["label"] = json!(0);
            v["flags"] = json!([true]);
        },
        &["flags must be empty", "no hidden layer"],
    );
    // Not JSON at all, NaN literals, the wrong top-level type.
    for s in ["", "{", "[1,2]", "{\"layers\": NaN}", "null"] {
        assert!(case_error(s).contains("invalid case JSON"), "{s}");
    }
}

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Asserts that two outputs agree: structure and integers exactly, reals to ~1e-12 relative
/// (room for a different but equally exact summation order in the engine).
fn assert_close(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            assert_eq!(kx, ky, "{path}: different fields");
            for (k, v) in x {
                assert_close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: different lengths");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_close(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(p), Value::Number(q)) if p.is_f64() || q.is_f64() => {
            let (p, q) = (p.as_f64().unwrap(), q.as_f64().unwrap());
            assert!((p - q).abs() <= 1e-12 * (1.0 + p.abs().max(q.abs())), "{path}: {p} vs {q}");
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn example_cases_reproduce_their_expected_outputs() {
    let bless = std::env::var_os("MULTISPIKE_BLESS").is_some();
    let mut n = 0;
    for name in ["tiny", "deep", "single"] {
        let input = std::fs::read_to_string(cases_dir().join(format!("{name}.json"))).unwrap();
        let got = run_case(&input).unwrap();
        assert_eq!(run_case(&input).unwrap(), got, "{name}: re-running is not deterministic");
        let out_path = cases_dir().join(format!("{name}.out.json"));
        if bless {
            std::fs::write(&out_path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&out_path).unwrap();
        let (g, w): (Value, Value) = (serde_json::from_str(&got).unwrap(), serde_json::from_str(&want).unwrap());
        assert_close(&g, &w, name);
        let out: CaseOutput = serde_json::from_str(&got).unwrap();
        assert!(out.counts.iter().flatten().any(|&c| c >= 2) || name == "single", "{name}: no multi-spike neuron");
        assert!(out.counts.iter().flatten().any(|&c| c == 0), "{name}: no silent neuron");
        assert_eq!(out.guarded, 0, "{name}");
        assert_eq!(out.truncated, 0, "{name}");
        // The expected outputs are themselves checked against the brute-force ODE.
        let (net, times) = CaseInput::from_json(&input).unwrap().build().unwrap();
        let ode = ode_reference(&net, &times);
        for (mine, theirs) in out.spikes.iter().flatten().zip(ode.spikes.iter().flatten()) {
            assert_eq!(mine.len(), theirs.len(), "{name}");
            assert!(mine.iter().zip(theirs).all(|(a, b)| (a - b).abs() < 1e-7), "{name}: {mine:?} vs {theirs:?}");
        }
        assert!(out.v_out.iter().zip(&ode.v_out).all(|(a, b)| (a - b).abs() < 1e-7), "{name}");
        n += 1;
    }
    assert_eq!(n, 3);
}

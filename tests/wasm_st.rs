//! Browser tests of the single-threaded WebAssembly build (headless Chromium through
//! wasm-bindgen-test; scripts/test.sh runs them):
//! `cargo test --target wasm32-unknown-unknown --no-default-features --test wasm_st`.
//! They call the exported JS API (`multispike::wasm`) exactly as the page's worker does.
#![cfg(target_arch = "wasm32")]

use multispike::data::Dataset;
use multispike::wasm::{build_info, check_run, manifest, preprocess, sweep_csv, Evaluation, Model, Shard, Trainer};
use multispike::{model_file, shards, Mode, NetConfig, Network};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).expect("a property")
}

fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap_or_else(|| panic!("{key} is not a number"))
}

fn array_len(v: &JsValue, key: &str) -> u32 {
    js_sys::Array::from(&get(v, key)).length()
}

fn err_message(e: JsValue) -> String {
    e.dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|v| format!("{v:?}"))
}

/// The `kind` of a thrown error (see `multispike::Error::kind`).
fn err_kind(e: &JsValue) -> String {
    get(e, "kind").as_string().unwrap_or_else(|| panic!("no kind on {e:?}"))
}

fn model_bytes(hidden: usize, seed: u64) -> Vec<u8> {
    let cfg = NetConfig::new(vec![784, hidden, 10], 0.8, Mode::Multi);
    let net = Network::init_gaussian(cfg, seed, 0.03, 0.3).unwrap();
    model_file::to_bytes(&net, &BTreeMap::from([("test".to_string(), "wasm_st".to_string())])).unwrap()
}

/// A learnable synthetic MNIST-shaped set: class k lights rows 2k+3..2k+6.
fn synthetic(n: usize, salt: usize) -> Dataset {
    let mut images = vec![0u8; n * 784];
    let labels: Vec<u8> = (0..n).map(|i| ((i * 7 + salt) % 10) as u8).collect();
    for i in 0..n {
        let k = labels[i] as usize;
        for r in 2 * k + 3..2 * k + 6 {
            for c in 4..24 {
                images[i * 784 + r * 28 + c] = (150 + (i * 31 + c * 7 + salt) % 105) as u8;
            }
        }
    }
    Dataset { images, labels, n, dim: 784 }
}

fn digit() -> Vec<u8> {
    (0..784).map(|i| if (i / 28 + i % 28) % 9 < 3 && (6..22).contains(&(i % 28)) { 220 } else { 0 }).collect()
}

#[wasm_bindgen_test]
fn model_loads_and_predicts() {
    let m = Model::new(&model_bytes(100, 1)).unwrap();
    assert_eq!(m.layers(), vec![784, 100, 10]);
    assert_eq!(m.tau_i(), 0.8);
    let p = m.predict(&digit()).unwrap();
    let probs: Vec<f64> = js_sys::Array::from(&get(&p, "probabilities")).iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(probs.len(), 10);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    let class = num(&p, "class") as usize;
    assert!(probs.iter().all(|&q| q <= probs[class]));
    let n_spikes = num(&p, "n_spikes") as u32;
    assert!(n_spikes > 0, "a fresh paper-init network fires on a digit");
    assert_eq!(array_len(&p, "spike_time"), n_spikes);
    assert_eq!(array_len(&p, "spike_neuron"), n_spikes);
    assert_eq!(array_len(&p, "grid"), 201);
    assert_eq!(array_len(&p, "v_trace"), 2010);
    assert_eq!(array_len(&p, "v_out"), 10);
    let meta = m.metadata().unwrap();
    assert_eq!(get(&meta, "format").as_string().unwrap(), "multispike-v1");
    assert_eq!(get(&meta, "test").as_string().unwrap(), "wasm_st");
    // wrong input size is an error, not a panic
    assert!(err_message(m.predict(&[0u8; 10]).err().unwrap().into()).contains("784"));
}

#[wasm_bindgen_test]
fn corrupt_model_throws_and_the_previous_one_keeps_working() {
    let good = Model::new(&model_bytes(20, 2)).unwrap();
    let before = good.predict(&digit()).unwrap();
    let bytes = model_bytes(20, 3);
    let mut flipped = bytes.clone();
    flipped[12] ^= 0x55; // inside the JSON header
    let mut nan = bytes.clone();
    let n = nan.len();
    nan[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes()); // last weight
    for (what, b) in [
        ("garbage", b"this is not a model".to_vec()),
        ("empty", Vec::new()),
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("flipped header byte", flipped),
        ("NaN weight", nan),
    ] {
        let e = Model::new(&b).err().unwrap_or_else(|| panic!("{what} was accepted"));
        let msg = err_message(e.into());
        assert!(msg.contains("model file"), "{what}: {msg}");
    }
    let after = good.predict(&digit()).unwrap();
    assert_eq!(num(&before, "class"), num(&after, "class"));
    assert_eq!(num(&before, "n_spikes"), num(&after, "n_spikes"));
}

#[wasm_bindgen_test]
fn training_steps_lower_the_loss() {
    let cfg = js_sys::JSON::parse(
        r#"{"layers":[784,60,10],"tau_I":0.8,"mode":"multi","lr":0.01,"batch":50,"seed":3,"init_std":0.3}"#,
    )
    .unwrap();
    let mut t = Trainer::new(cfg).unwrap();
    let shard = shards::encode(&synthetic(500, 0)).unwrap();
    assert_eq!(t.add_shard(&shard, Some(shards::sha256_hex(&shard))).unwrap(), 500);
    let test = shards::encode(&synthetic(200, 5)).unwrap();
    assert_eq!(t.set_test_shard(&test, None).unwrap(), 200);
    let before = num(&t.evaluate(None).unwrap(), "loss");
    let first = t.train_steps(1).unwrap();
    assert_eq!(num(&first, "samples"), 50.0);
    assert!(num(&first, "samples_per_s") > 0.0);
    assert_eq!(num(&first, "non_finite"), 0.0);
    let rest = t.train_steps(19).unwrap();
    assert_eq!(num(&rest, "epoch"), 2.0);
    let after = t.evaluate(None).unwrap();
    assert!(num(&after, "loss") < before, "loss {before} -> {}", num(&after, "loss"));
    assert!(num(&after, "accuracy") > 0.5, "accuracy {}", num(&after, "accuracy"));
    // the same through an explicit shard
    assert_eq!(num(&t.evaluate(Some(test)).unwrap(), "loss"), num(&after, "loss"));
    // model export loads as a Model; checkpoint round trip keeps every bit
    let m = Model::new(&t.export_model().unwrap()).unwrap();
    assert_eq!(m.layers(), vec![784, 60, 10]);
    let ck = t.export_checkpoint().unwrap();
    let digest = t.weights_digest();
    let mut u = Trainer::new(JsValue::UNDEFINED).unwrap();
    u.import_checkpoint(&ck).unwrap();
    assert_eq!(u.weights_digest(), digest);
    assert!(u.import_checkpoint(b"nope").is_err());
    assert_eq!(u.weights_digest(), digest, "a failed import changes nothing");
}

#[wasm_bindgen_test]
fn bad_configs_and_shards_throw() {
    for (cfg, want) in [
        (r#"{"tau_I":-1}"#, "tau_I"),
        (r#"{"layers":[100,10]}"#, "layers"),
        (r#"{"batch":0}"#, "batch"),
        (r#"{"bogus":1}"#, "bogus"),
        (r#"{"mode":"many"}"#, "many"),
    ] {
        let e = Trainer::new(js_sys::JSON::parse(cfg).unwrap()).err().unwrap_or_else(|| panic!("{cfg} accepted"));
        let msg = err_message(e.into());
        assert!(msg.contains(want), "{cfg}: {msg}");
    }
    let mut t = Trainer::new(js_sys::JSON::parse(r#"{"layers":[784,10,10]}"#).unwrap()).unwrap();
    assert!(err_message(t.train_steps(1).err().unwrap().into()).contains("no training data"));
    let mut shard = shards::encode_raw(&synthetic(10, 0)).unwrap();
    shard[20] = 42;
    assert!(err_message(t.add_shard(&shard, None).err().unwrap().into()).contains("label 42"));
    let ok = shards::encode(&synthetic(10, 0)).unwrap();
    assert!(err_message(t.add_shard(&ok, Some("00".repeat(32))).err().unwrap().into()).contains("sha256"));
}

#[wasm_bindgen_test]
fn preprocess_drawings() {
    assert_eq!(preprocess(&vec![0u8; 4 * 200 * 100], 200, 100, 4).unwrap(), vec![0u8; 784]);
    let mut rgba = vec![0u8; 4 * 100 * 100];
    for y in 20..80 {
        for x in 45..55 {
            rgba[(y * 100 + x) * 4 + 3] = 255;
        }
    }
    let img = preprocess(&rgba, 100, 100, 4).unwrap();
    assert_eq!(img.len(), 784);
    assert!(img.iter().filter(|&&v| v > 0).count() > 40);
    assert!(preprocess(&rgba, 100, 99, 4).is_err());
}

/// The `JS Error.message` column of docs/RELIABILITY.md's bad-input table is what the browser
/// really throws: each bad input goes through the exported API (real `NaN` included, which
/// `JSON.stringify` turns into `null`), its message must be a cell of the table, and the trainer
/// that refused it keeps its weights.
#[wasm_bindgen_test]
fn js_error_texts_are_those_of_the_reliability_table() {
    let doc = include_str!("../docs/RELIABILITY.md");
    let in_table = |msg: &str| {
        let cell = format!("| {} |", msg.replace('|', "\\|"));
        assert!(doc.contains(&cell), "docs/RELIABILITY.md has no cell {cell}");
    };
    let obj = |key: &str, v: JsValue| {
        let o = js_sys::Object::new();
        js_sys::Reflect::set(&o, &JsValue::from_str(key), &v).unwrap();
        JsValue::from(o)
    };
    let layers = |v: &[f64]| JsValue::from(v.iter().map(|&x| JsValue::from_f64(x)).collect::<js_sys::Array>());
    for cfg in [
        obj("tau_I", JsValue::from_f64(f64::NAN)),
        obj("lr", JsValue::from_f64(f64::NAN)),
        obj("tau_I", JsValue::from_f64(0.0)),
        obj("tau_I", JsValue::from_f64(1e9)),
        obj("t_out", JsValue::from_f64(0.0)),
        obj("layers", layers(&[784.0, 1e6, 10.0])),
        obj("layers", layers(&[784.0, 0.0, 10.0])),
        obj("layers", layers(&[784.0, 65536.0, 10.0])),
        obj("max_spikes", JsValue::from_f64(4294967295.0)),
        obj("init_mean", JsValue::from_f64(5e108)),
        obj("tua_I", JsValue::from_f64(0.8)),
    ] {
        in_table(&err_message(Trainer::new(cfg).err().expect("refused").into()));
    }
    for bytes in [vec![], vec![0x5Au8; 300]] {
        in_table(&err_message(Model::new(&bytes).err().expect("refused").into()));
    }
    let mut t = Trainer::new(js_sys::JSON::parse(r#"{"layers":[784,3,10]}"#).unwrap()).unwrap();
    let digest = t.weights_digest();
    in_table(&err_message(t.add_shard(b"<!doctype html><title>404</title>", None).err().unwrap().into()));
    in_table(&err_message(t.import_checkpoint(&[0x5A; 300]).err().unwrap().into()));
    assert_eq!(t.weights_digest(), digest);
    in_table(&err_message(preprocess(&[0; 100], 28, 28, 4).err().unwrap().into()));
    let m = Model::new(&model_bytes(3, 1)).unwrap();
    in_table(&err_message(m.predict(&[0; 783]).err().unwrap().into()));
}

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

#[wasm_bindgen_test]
fn shards_parse_once_and_slice() {
    let data = synthetic(30, 2);
    let gz = shards::encode(&data).unwrap();
    let s = Shard::new(&gz, Some(shards::sha256_hex(&gz)), Some("train-00.mshd.gz".into())).unwrap();
    assert_eq!(s.length(), 30);
    assert_eq!(s.label(7).unwrap(), data.labels[7]);
    assert_eq!(s.image(7).unwrap(), data.image(7));
    let part = s.slice(10, 25).unwrap();
    assert_eq!(part.length(), 15);
    assert_eq!(part.image(0).unwrap(), data.image(10));
    assert!(err_message(s.label(30).err().unwrap().into()).contains("30"));
    assert!(s.slice(20, 31).is_err());
    // Rust's messages: a wrong hash, a corrupt file (named)
    let e = err_message(Shard::new(&gz, Some("00".repeat(32)), Some("x.mshd.gz".into())).err().unwrap().into());
    assert!(e.starts_with("x.mshd.gz: ") && e.contains("sha256 mismatch"), "{e}");
    assert!(err_message(Shard::new(b"<!doctype html>", None, None).err().unwrap().into()).contains("shard"));
    // a trainer takes examples from a parsed shard
    let mut t = Trainer::new(json(r#"{"layers":[784,10,10]}"#)).unwrap();
    assert_eq!(t.add_examples(&s, 0, 20).unwrap(), 20);
    assert_eq!(t.add_examples(&part, 0, 15).unwrap(), 35);
    assert!(t.add_examples(&s, 25, 31).is_err());
}

#[wasm_bindgen_test]
fn model_evaluation_whole_and_in_chunks() {
    let m = Model::new(&model_bytes(30, 4)).unwrap();
    let data = synthetic(90, 1);
    let s = Shard::new(&shards::encode_raw(&data).unwrap(), None, None).unwrap();
    let whole = m.evaluate(&s).unwrap();
    assert_eq!(num(&whole, "samples"), 90.0);
    let net = model_file::from_bytes(&model_bytes(30, 4)).unwrap().network;
    let native = multispike::train::evaluate(&net, &data).unwrap();
    assert_eq!(num(&whole, "accuracy"), native.accuracy());
    assert_eq!(num(&whole, "undecided"), native.undecided as f64);
    // three chunks merged in Rust: the same counts, per-class accuracy and histogram
    let mut ev = Evaluation::new();
    for (a, b) in [(0, 40), (40, 41), (41, 90)] {
        ev.add_model(&m, &s, a, b).unwrap();
    }
    assert_eq!(ev.samples(), 90.0);
    let merged = ev.report().unwrap();
    for key in ["samples", "accuracy", "undecided"] {
        assert_eq!(num(&merged, key), num(&whole, key), "{key}");
    }
    assert!((num(&merged, "loss") - num(&whole, "loss")).abs() < 1e-9);
    assert!((num(&merged, "mean_spikes") - num(&whole, "mean_spikes")).abs() < 1e-9);
    let list = |v: &JsValue, key: &str| -> Vec<f64> {
        js_sys::Array::from(&get(v, key)).iter().map(|x| x.as_f64().unwrap()).collect()
    };
    assert_eq!(list(&merged, "spike_hist"), list(&whole, "spike_hist"));
    let (pm, pw) = (list(&merged, "per_class_accuracy"), list(&whole, "per_class_accuracy"));
    assert!(pm.iter().zip(&pw).all(|(a, b)| (a - b).abs() < 1e-12), "{pm:?} vs {pw:?}");
    assert!(ev.add_model(&m, &s, 80, 91).is_err());
    // the same through a trainer
    let mut t = Trainer::new(json(r#"{"layers":[784,30,10]}"#)).unwrap();
    let mut ev = Evaluation::new();
    ev.add_trainer(&t, &s, 0, 90).unwrap();
    assert_eq!(num(&ev.report().unwrap(), "loss"), num(&t.evaluate_shard(&s).unwrap(), "loss"));
    assert_eq!(t.add_examples(&s, 0, 90).unwrap(), 90);
}

#[wasm_bindgen_test]
fn a_tie_is_no_class() {
    let m = Model::new(&model_bytes(20, 1)).unwrap();
    // no ink: every input at t_out, no hidden spike, all outputs 0 — a tie, not class 0
    let p = m.predict(&[0u8; 784]).unwrap();
    assert!(get(&p, "class").is_null(), "class {:?}", get(&p, "class"));
    let p = m.predict(&digit()).unwrap();
    assert!(get(&p, "class").as_f64().is_some());
}

#[wasm_bindgen_test]
fn epoch_totals_come_with_the_step_that_ends_an_epoch() {
    let mut t = Trainer::new(json(r#"{"layers":[784,30,10],"batch":40,"lr":0.01,"init_std":0.3}"#)).unwrap();
    t.add_shard(&shards::encode_raw(&synthetic(100, 0)).unwrap(), None).unwrap();
    let a = t.train_steps(1).unwrap();
    assert_eq!((num(&a, "steps_per_epoch"), num(&a, "steps_left")), (3.0, 2.0));
    assert!(get(&a, "epoch_totals").is_null());
    let b = t.train_steps(2).unwrap();
    let tot = get(&b, "epoch_totals");
    assert_eq!(num(&tot, "samples"), 100.0);
    assert_eq!(num(&b, "steps_left"), 3.0);
    let acc = (num(&a, "accuracy") * 40.0 + num(&b, "accuracy") * 60.0) / 100.0;
    assert!((num(&tot, "accuracy") - acc).abs() < 1e-12);
    assert!(num(&tot, "seconds") >= num(&b, "seconds") && num(&tot, "samples_per_s") > 0.0);
    assert_eq!(num(&tot, "guarded"), num(&a, "guarded") + num(&b, "guarded"));
}

#[wasm_bindgen_test]
fn limits_and_run_checks_are_rusts() {
    let info = build_info().unwrap();
    let limits = get(&info, "limits");
    let bound = |k: &str| (num(&get(&limits, k), "min"), num(&get(&limits, k), "max"));
    assert_eq!(bound("batch"), (1.0, multispike::train::MAX_BATCH as f64));
    assert_eq!(bound("hidden").1, multispike::config::MAX_LAYER_WIDTH as f64);
    assert_eq!(bound("train_samples"), (1.0, 60000.0));
    assert_eq!(bound("test_samples"), (1.0, 10000.0));
    assert_eq!(bound("epochs"), (1.0, multispike::session::MAX_RUN_EPOCHS as f64));
    assert_eq!(bound("tau_I").1, 1e6);
    let budget =
        |tr: f64, te: f64, ep: f64| json(&format!(r#"{{"train_samples":{tr},"test_samples":{te},"epochs":{ep}}}"#));
    check_run(json(r#"{"layers":[784,100,10]}"#), budget(60000.0, 10000.0, 1000.0)).unwrap();
    for (cfg, b, want) in [
        (r#"{"tau_I":1e9}"#, budget(10.0, 10.0, 1.0), "absurdly large"),
        (r#"{"layers":[784,0,10]}"#, budget(10.0, 10.0, 1.0), "zero neurons"),
        (r#"{"layers":[784,30000,10]}"#, budget(10.0, 10.0, 1.0), "MiB of training state"),
        ("{}", budget(60001.0, 10.0, 1.0), "MNIST training images must be a whole number in 1..=60000, got 60001"),
        (
            r#"{"dataset":"fashion-mnist"}"#,
            budget(10.0, 0.0, 1.0),
            "Fashion-MNIST test images must be a whole number in 1..=10000, got 0",
        ),
        ("{}", budget(10.0, 10.0, 1001.0), "epochs must be a whole number in 1..=1000, got 1001"),
        ("{}", budget(10.0, 10.0, 1.5), "epochs must be a whole number in 1..=1000, got 1.5"),
    ] {
        let e = err_message(check_run(json(cfg), b).err().unwrap_or_else(|| panic!("{cfg} accepted")).into());
        assert!(e.contains(want), "{cfg}: {e}");
    }
}

#[wasm_bindgen_test]
fn manifests_and_the_sweep_csv() {
    let dir = r#"{"format":"multispike-shards-v1","dim":784,"classes":10,"shards":[]}"#;
    assert_eq!(get(&manifest(dir).unwrap(), "dataset").as_string().unwrap(), "mnist");
    assert!(manifest(&dir.replace("784", "100")).is_err());
    let hist: Vec<String> = (0..multispike::train::HIST_BINS).map(|k| k.to_string()).collect();
    let run = format!(
        r#"{{"tau":0.8,"mode":"multi","seed":1,"epochs":1,"train_samples":100,"test_samples":50,"wall_s":2.5,"run":1,
            "train":{{"accuracy":0.5,"dead_fraction":0.125,"non_finite":0,"guarded":2,"truncated":0,"samples":100}},
            "eval":{{"accuracy":0.75,"loss":0.5,"mean_spikes":1.25,"silent_fraction":0,"spike_hist":[{}]}}}}"#,
        hist.join(",")
    );
    let csv = sweep_csv(json(&format!("[{run}]"))).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], multispike::sweep::header());
    assert_eq!(lines[1], format!("0.8,multi,1,1,100,50,0.75,0.5,0.5,1.25,0,0.125,0,2,0,2.5,{}", hist.join(",")));
    assert_eq!(multispike::sweep::parse_csv(&csv).unwrap().len(), 1);
    assert_eq!(sweep_csv(json("[]")).unwrap(), multispike::sweep::header() + "\n");
    assert!(sweep_csv(json(r#"[{"tau":0.8}]"#)).is_err());
}

/// Every thrown error is a JS `Error` with the message and a stable `kind`, so that a page can
/// tell "too large" from "bad dtype" without parsing the text.
#[wasm_bindgen_test]
fn thrown_errors_carry_a_stable_kind() {
    let kinds = |e: JsValue| (err_kind(&e), err_message(e));
    let (k, msg) = kinds(Model::new(&[0x5A; 300]).err().unwrap());
    assert!(k.starts_with("model-file/") && !msg.is_empty(), "{k}: {msg}");
    let mut foreign = model_bytes(3, 1);
    let n = u64::from_le_bytes(foreign[..8].try_into().unwrap()) as usize;
    let text = String::from_utf8(foreign[8..8 + n].to_vec()).unwrap().replacen("F32", "I32", 1);
    foreign.splice(8..8 + n, text.into_bytes());
    assert_eq!(kinds(Model::new(&foreign).err().unwrap()).0, "model-file/bad-dtype");
    assert_eq!(kinds(Trainer::new(js_sys::JSON::parse(r#"{"tau_I":0}"#).unwrap()).err().unwrap()).0, "config");
    let mut t = Trainer::new(js_sys::JSON::parse(r#"{"layers":[784,3,10]}"#).unwrap()).unwrap();
    let (k, _) = kinds(t.add_shard(b"<!doctype html><title>404</title>", None).err().unwrap());
    assert!(k.starts_with("shard/"), "{k}");
    let (k, _) = kinds(t.import_checkpoint(&[0x5A; 300]).err().unwrap());
    assert!(k.starts_with("checkpoint/"), "{k}");
    let s = Shard::new(&shards::encode(&synthetic(10, 0)).unwrap(), None, None).unwrap();
    assert_eq!(kinds(s.label(30).err().unwrap()).0, "argument");
    assert_eq!(kinds(Model::new(&model_bytes(3, 1)).unwrap().predict(&[0; 783]).err().unwrap()).0, "shape");
}

//! The bad-input table of docs/RELIABILITY.md, measured.
//!
//! Every row feeds one bad input to the `multispike` binary (its exit code and exact stderr) and
//! to the core function the WebAssembly binding calls for the same input (its error text is the
//! message of the `Error` that JavaScript sees: the binding passes the core's message through
//! unchanged, which `tests/wasm_st.rs` checks in the browser against this same table). For each
//! row the test also proves that nothing panicked and that nothing already there was lost: the
//! model file and checkpoint that existed before every CLI call are byte-identical after it, and
//! a browser session (`Trainer`) or model that refused an input still holds the same weights.
//!
//! The rendered table must equal the block between the `bad-inputs` markers in
//! docs/RELIABILITY.md; `MULTISPIKE_BLESS=1 cargo test --release --test bad_inputs` rewrites it.
#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod support;

use multispike::checkpoint::Checkpoint;
use multispike::config::{Mode, NetConfig};
use multispike::data::mnist::Dataset;
use multispike::model_file;
use multispike::network::Network;
use multispike::session::{Session, SessionConfig};
use multispike::shards;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use support::*;

/// One row of the table.
struct Row {
    input: String,
    cli: Option<(Vec<String>, i32, String)>,
    js: Option<(String, String)>,
}

struct Env {
    dir: PathBuf,
    data: PathBuf,
    model: PathBuf,
    ckpt: PathBuf,
    guarded: Vec<(PathBuf, Vec<u8>)>,
    session: Session,
    digest: String,
    rows: Vec<Row>,
}

fn small_model() -> Network {
    Network::init_gaussian(NetConfig::new(vec![784, 3, 10], 0.8, Mode::Multi), 7, 0.05, 0.3).unwrap()
}

/// A safetensors container rewritten by `f` (metadata, tensors as (name, dtype, shape, bytes)).
type Tensors = Vec<(String, Dtype, Vec<usize>, Vec<u8>)>;
fn rewrite(bytes: &[u8], f: impl FnOnce(&mut HashMap<String, String>, &mut Tensors)) -> Vec<u8> {
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let mut meta = meta.metadata().clone().unwrap_or_default();
    let st = SafeTensors::deserialize(bytes).unwrap();
    let mut tensors: Tensors =
        st.tensors().into_iter().map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec())).collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    f(&mut meta, &mut tensors);
    let views: Vec<(String, TensorView)> =
        tensors.iter().map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap())).collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

impl Env {
    fn new(tmp: &Path) -> Env {
        let dir = tmp.to_path_buf();
        let data = dir.join("data");
        std::fs::create_dir(&data).unwrap();
        write_split(&data, "train", 100, 1);
        write_split(&data, "t10k", 50, 2);
        // A model and a checkpoint from an earlier run: no bad input may change them.
        let model = dir.join("model.safetensors");
        let ckpt = dir.join("model.safetensors.ckpt");
        run_ok(&["train", "--out", s(&model), "--data", s(&data), "--hidden", "3", "--epochs", "1", "--threads", "1"]);
        let guarded = [&model, &ckpt].iter().map(|p| (p.to_path_buf(), std::fs::read(p).unwrap())).collect();
        let mut session = Session::new(&SessionConfig { layers: vec![784, 3, 10], ..Default::default() }).unwrap();
        let imgs = Dataset { images: vec![9; 784 * 4], labels: vec![0, 1, 2, 3], n: 4, dim: 784 };
        session.add_train(imgs).unwrap();
        session.train_steps(1).unwrap();
        let digest = session.weights_digest();
        Env { dir, data, model, ckpt, guarded, session, digest, rows: Vec::new() }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs the CLI; returns (args shown with DIR for the temporary directory, code, stderr).
    fn cli(&self, args: &[&str]) -> (Vec<String>, i32, String) {
        let (code, _, stderr) = run(args);
        assert!(code == 1 || code == 2, "{args:?}: exit code {code}\n{stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        for (p, bytes) in &self.guarded {
            assert_eq!(&std::fs::read(p).unwrap(), bytes, "{args:?} changed {}", p.display());
        }
        let d = self.dir.to_str().unwrap();
        let shown = args.iter().map(|a| a.replace(d, "DIR")).collect();
        let msg = stderr.lines().find(|l| l.starts_with("error: ")).unwrap().replace(d, "DIR");
        (shown, code, msg)
    }

    fn eval(&self, name: &str, bytes: &[u8]) -> (Vec<String>, i32, String) {
        let p = self.file(name, bytes);
        self.cli(&["eval", s(&p), "--data", s(&self.data)])
    }

    fn train(&self, flags: &[&str]) -> (Vec<String>, i32, String) {
        let mut a = vec!["train", "--out", s(&self.model), "--data", s(&self.data), "--epochs", "1"];
        a.extend(flags);
        self.cli(&a)
    }

    fn row(&mut self, input: &str, cli: Option<(Vec<String>, i32, String)>, js: Option<(&str, String)>) {
        assert_eq!(self.session.weights_digest(), self.digest, "{input}: the browser session lost its weights");
        self.rows.push(Row { input: input.into(), cli, js: js.map(|(c, m)| (c.into(), m)) });
    }

    /// `new Model(bytes)`.
    fn model_js(&self, bytes: &[u8]) -> Option<(&'static str, String)> {
        Some(("new Model(bytes)", model_file::from_bytes(bytes).unwrap_err().to_string()))
    }

    /// `new Trainer(config)` with the JSON that `JSON.stringify(config)` gives.
    fn trainer_js(&self, js: &'static str, json: &str) -> Option<(&'static str, String)> {
        let e = SessionConfig::from_json(json).and_then(|c| Session::new(&c).map(|_| ())).unwrap_err();
        Some((js, e.to_string()))
    }

    fn shard_js(&mut self, bytes: &[u8], sha: Option<&str>) -> Option<(&'static str, String)> {
        let call = if sha.is_some() { "trainer.addShard(bytes, sha256)" } else { "trainer.addShard(bytes)" };
        Some((call, self.session.add_shard(bytes, sha).unwrap_err().to_string()))
    }

    fn checkpoint_js(&mut self, bytes: &[u8]) -> Option<(&'static str, String)> {
        Some(("trainer.importCheckpoint(bytes)", self.session.import_checkpoint(bytes).unwrap_err().to_string()))
    }

    fn render(&self) -> String {
        let esc = |x: &str| x.replace('|', "\\|").replace('\n', " ");
        let mut out = String::from(
            "| # | bad input | CLI command | exit | CLI message (stderr) | JS call | JS `Error.message` |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for (i, r) in self.rows.iter().enumerate() {
            let (cmd, code, msg) = match &r.cli {
                Some((a, c, m)) => (format!("`multispike {}`", esc(&a.join(" "))), c.to_string(), esc(m)),
                None => ("—".into(), "—".into(), "—".into()),
            };
            let (call, js) = match &r.js {
                Some((c, m)) => (format!("`{c}`"), esc(m)),
                None => ("—".into(), "—".into()),
            };
            out.push_str(&format!("| {} | {} | {cmd} | {code} | {msg} | {call} | {js} |\n", i + 1, esc(&r.input)));
        }
        out
    }
}

#[test]
fn bad_input_table() {
    let tmp = tempfile::tempdir().unwrap();
    let mut e = Env::new(tmp.path());
    let good = model_file::to_bytes(&small_model(), &BTreeMap::new()).unwrap();
    model_file::from_bytes(&good).unwrap();

    // --- model files: `multispike eval FILE`, the page's "open a model" (new Model) ---
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("empty model file (0 bytes)", "empty.safetensors", Vec::new()),
        ("model file cut to 100 bytes", "cut100.safetensors", good[..100].to_vec()),
        ("model file missing its last byte", "cut.safetensors", good[..good.len() - 1].to_vec()),
        ("model file with 16 extra bytes", "long.safetensors", [&good[..], &[0u8; 16]].concat()),
        ("garbage (300 × 0x5A)", "garbage.safetensors", vec![0x5A; 300]),
        (
            "header length claims 2⁶⁴ − 1 bytes",
            "huge-header.safetensors",
            [&u64::MAX.to_le_bytes()[..], b"{}"].concat(),
        ),
        ("a PNG renamed .safetensors", "image.safetensors", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        (
            "safetensors file of another program (no multispike metadata)",
            "foreign.safetensors",
            rewrite(&good, |m, _| {
                m.clear();
            }),
        ),
        (
            "wrong tensor name (`layers.0.weight` → `fc1.weight`)",
            "names.safetensors",
            rewrite(&good, |_, t| t[0].0 = "fc1.weight".into()),
        ),
        (
            "tensor shapes that do not chain (784×3 then 4×10)",
            "chain.safetensors",
            rewrite(&good, |_, t| {
                t[1].2 = vec![4, 10];
                t[1].3 = vec![0; 4 * 40];
            }),
        ),
        (
            "metadata layers disagree with the tensors (784,5,10)",
            "layers.safetensors",
            rewrite(&good, |m, _| {
                m.insert("layers".into(), "784,5,10".into());
            }),
        ),
        (
            "f16 tensor",
            "f16.safetensors",
            rewrite(&good, |_, t| {
                t[0].1 = Dtype::F16;
                let half = t[0].3.len() / 2;
                t[0].3.truncate(half);
            }),
        ),
        ("i32 tensor", "i32.safetensors", rewrite(&good, |_, t| t[1].1 = Dtype::I32)),
        (
            "NaN weight",
            "nan.safetensors",
            rewrite(&good, |_, t| t[0].3[8..12].copy_from_slice(&f32_bytes(&[f32::NAN]))),
        ),
        (
            "+Inf weight",
            "inf.safetensors",
            rewrite(&good, |_, t| t[1].3[..4].copy_from_slice(&f32_bytes(&[f32::INFINITY]))),
        ),
    ];
    for (what, name, bytes) in &cases {
        let js = e.model_js(bytes);
        let cli = e.eval(name, bytes);
        e.row(what, Some(cli), js);
    }
    for (what, key, value) in [
        ("τ_I = 0 in the model metadata", "tau_I", "0"),
        ("τ_I = −1 in the model metadata", "tau_I", "-1"),
        ("τ_I = 1e9 in the model metadata", "tau_I", "1e9"),
        ("τ_I = NaN in the model metadata", "tau_I", "NaN"),
        ("t_out = 0 in the model metadata", "t_out", "0"),
        ("spike cap 4294967295 in the model metadata", "max_spikes", "4294967295"),
        ("unknown mode in the model metadata", "mode", "burst"),
        ("future format version", "format", "multispike-v2"),
    ] {
        let bytes = rewrite(&good, |m, _| {
            m.insert(key.into(), value.into());
        });
        let js = e.model_js(&bytes);
        let cli = e.eval(&format!("{key}.safetensors"), &bytes);
        e.row(what, Some(cli), js);
    }
    let bytes = rewrite(&good, |m, _| {
        m.insert("dataset".into(), "cifar-10".into());
    });
    let cli = e.eval("dataset.safetensors", &bytes);
    e.row("unknown data set in the model metadata", Some(cli), None);
    let p = e.file("mnist-shaped.safetensors", &good);
    let cli = e.cli(&["eval", s(&p), "--dataset", "yin-yang"]);
    e.row("an MNIST-shaped model evaluated on Yin-Yang", Some(cli), None);
    let big = e.dir.join("big.safetensors");
    std::fs::File::create(&big).unwrap().set_len(model_file::MAX_FILE_BYTES + 1).unwrap(); // sparse
    let cli = e.cli(&["eval", s(&big), "--data", s(&e.data)]);
    e.row("model file over 512 MiB (sparse, never read)", Some(cli), None);
    let cli = e.cli(&["eval", s(&e.dir.join("missing.safetensors")), "--data", s(&e.data)]);
    e.row("model file that does not exist", Some(cli), None);

    // --- network and training settings: `multispike train` flags, `new Trainer({...})` ---
    let trainer_rows: Vec<(&str, Vec<&str>, &str, &str)> = vec![
        ("τ_I = 0", vec!["--tau", "0"], "new Trainer({ tau_I: 0 })", r#"{"tau_I":0}"#),
        ("τ_I < 0", vec!["--tau", "-0.5"], "new Trainer({ tau_I: -0.5 })", r#"{"tau_I":-0.5}"#),
        ("τ_I = 1e9", vec!["--tau", "1e9"], "new Trainer({ tau_I: 1e9 })", r#"{"tau_I":1000000000}"#),
        ("τ_I = NaN", vec!["--tau", "NaN"], "new Trainer({ tau_I: NaN })", r#"{"tau_I":null}"#),
        (
            "τ_I = 0.001 (t_out/τ_I = 1000: exp overflows)",
            vec!["--tau", "0.001"],
            "new Trainer({ tau_I: 0.001 })",
            r#"{"tau_I":0.001}"#,
        ),
        ("t_out = 0", vec![], "new Trainer({ t_out: 0 })", r#"{"t_out":0}"#),
        ("t_out < 0", vec![], "new Trainer({ t_out: -1 })", r#"{"t_out":-1}"#),
        (
            "zero-width hidden layer",
            vec!["--hidden", "0"],
            "new Trainer({ layers: [784, 0, 10] })",
            r#"{"layers":[784,0,10]}"#,
        ),
        (
            "a 10⁶-neuron hidden layer",
            vec!["--hidden", "1000000"],
            "new Trainer({ layers: [784, 1000000, 10] })",
            r#"{"layers":[784,1000000,10]}"#,
        ),
        (
            "4 hidden layers of 60,000 (over the 64 Mi-weight limit)",
            vec!["--hidden", "60000,60000,60000,60000"],
            "new Trainer({ layers: [784, 60000, 60000, 60000, 60000, 10] })",
            r#"{"layers":[784,60000,60000,60000,60000,10]}"#,
        ),
        (
            "a 65,536-neuron layer in the browser (allowed by the CLI: ~1.5 GB of training state)",
            vec![],
            "new Trainer({ layers: [784, 65536, 10] })",
            r#"{"layers":[784,65536,10]}"#,
        ),
        ("not MNIST-shaped (5 outputs)", vec![], "new Trainer({ layers: [784, 400, 5] })", r#"{"layers":[784,400,5]}"#),
        ("spike cap 0", vec!["--max-spikes", "0"], "new Trainer({ max_spikes: 0 })", r#"{"max_spikes":0}"#),
        (
            "huge spike cap (4294967295)",
            vec!["--max-spikes", "4294967295"],
            "new Trainer({ max_spikes: 4294967295 })",
            r#"{"max_spikes":4294967295}"#,
        ),
        (
            "spike cap 2⁶⁴ (does not fit u32)",
            vec!["--max-spikes", "18446744073709551616"],
            "new Trainer({ max_spikes: 2 ** 64 })",
            r#"{"max_spikes":18446744073709552000}"#,
        ),
        ("learning rate 0", vec!["--lr", "0"], "new Trainer({ lr: 0 })", r#"{"lr":0}"#),
        ("learning rate NaN", vec!["--lr", "NaN"], "new Trainer({ lr: NaN })", r#"{"lr":null}"#),
        ("batch size 0", vec!["--batch", "0"], "new Trainer({ batch: 0 })", r#"{"batch":0}"#),
        (
            "init mean 5e108 (found by fuzzing)",
            vec!["--init-mean", "5e108"],
            "new Trainer({ init_mean: 5e108 })",
            r#"{"init_mean":5e108}"#,
        ),
        ("misspelt key", vec![], "new Trainer({ tua_I: 0.8 })", r#"{"tua_I":0.8}"#),
        (
            "unknown data set",
            vec!["--dataset", "cifar-10"],
            "new Trainer({ dataset: 'cifar-10' })",
            r#"{"dataset":"cifar-10"}"#,
        ),
        (
            "Yin-Yang in the Train page (it is generated, not sharded)",
            vec![],
            "new Trainer({ dataset: 'yin-yang' })",
            r#"{"dataset":"yin-yang"}"#,
        ),
        ("layers given as a string", vec![], "new Trainer({ layers: '784,400,10' })", r#"{"layers":"784,400,10"}"#),
    ];
    for (what, flags, js_call, json) in trainer_rows {
        let js = e.trainer_js(js_call, json);
        let cli = if flags.is_empty() { None } else { Some(e.train(&flags)) };
        e.row(what, cli, js);
    }

    // --- data: IDX files (CLI) and browser shards (addShard) ---
    let (base, src) = (e.dir.clone(), e.data.clone());
    let bad_data = |name: &str, images: Option<Vec<u8>>, labels: Option<Vec<u8>>| -> PathBuf {
        let d = base.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for f in
            ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        {
            std::fs::copy(src.join(f), d.join(f)).unwrap();
        }
        if let Some(b) = images {
            std::fs::write(d.join("train-images-idx3-ubyte"), b).unwrap();
        }
        if let Some(b) = labels {
            std::fs::write(d.join("train-labels-idx1-ubyte"), b).unwrap();
        }
        d
    };
    let imgs = std::fs::read(e.data.join("train-images-idx3-ubyte")).unwrap();
    let labs = std::fs::read(e.data.join("train-labels-idx1-ubyte")).unwrap();
    let mut labels10 = labs.clone();
    labels10[8 + 5] = 10;
    let mut magic = imgs.clone();
    magic[0] = 0x12;
    let mut dims = imgs.clone();
    dims[3] = 2;
    let gz = {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&imgs).unwrap();
        z.finish().unwrap()
    };
    let mut huge = imgs[..16].to_vec();
    huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    type Replace = Option<Vec<u8>>;
    let idx_rows: Vec<(&str, &str, Replace, Replace)> = vec![
        ("IDX label file with a label 10", "labels10", None, Some(labels10)),
        ("IDX image file with a wrong magic", "magic", Some(magic), None),
        ("IDX image file declaring 2 dimensions", "dims", Some(dims), None),
        ("IDX image file cut short by 1 byte", "short", Some(imgs[..imgs.len() - 1].to_vec()), None),
        ("IDX image file with trailing bytes", "trailing", Some([&imgs[..], &[0u8; 3]].concat()), None),
        ("IDX header claiming 4·10⁹ images in a 16-byte file", "huge", Some(huge), None),
        ("IDX image file gzip-compressed, cut in half", "gz", Some(gz[..gz.len() / 2].to_vec()), None),
        (
            "IDX files of different lengths (100 images, 99 labels)",
            "count",
            None,
            Some(idx(0x801, &[99], &labs[8..107])),
        ),
    ];
    for (what, dir, i, l) in idx_rows {
        let d = bad_data(dir, i, l);
        let cli = e.cli(&["train", "--out", s(&e.model), "--data", s(&d), "--epochs", "1"]);
        e.row(what, Some(cli), None);
    }
    let ds = Dataset { images: vec![7; 3 * 784], labels: vec![1, 2, 3], n: 3, dim: 784 };
    let shard = shards::encode(&ds).unwrap();
    let hash = shards::sha256_hex(&shard);
    let wrong = format!("{}0", &hash[..63]);
    let js = e.shard_js(&shard, Some(if hash.ends_with('0') { "f".repeat(64) } else { wrong }.as_str()));
    e.row("shard whose sha256 is not the manifest's", None, js);
    let mut raw = shards::encode_raw(&ds).unwrap();
    let js = e.shard_js(&raw[..raw.len() - 10], None);
    e.row("shard cut short", None, js);
    raw[shards::HEADER + 2] = 10; // the last label (labels precede the pixels)
    let js = e.shard_js(&raw, None);
    e.row("shard with a label 10", None, js);
    let js = e.shard_js(&shard[..shard.len() / 2], None);
    e.row("gzip shard cut in half", None, js);
    let js = e.shard_js(b"<!doctype html><title>404</title>", None);
    e.row("an HTML error page instead of a shard", None, js);

    // --- checkpoints: `train --resume`, the page's "resume from checkpoint" ---
    let ck_good = std::fs::read(&e.ckpt).unwrap();
    for (what, bytes) in [
        ("checkpoint cut in half", ck_good[..ck_good.len() / 2].to_vec()),
        ("checkpoint that is a model file", good.clone()),
        ("garbage checkpoint (300 × 0x5A)", vec![0x5A; 300]),
    ] {
        let js = e.checkpoint_js(&bytes);
        // The CLI resumes from <out>.ckpt: a separate output whose checkpoint is the bad file.
        let out = e.dir.join("resume.safetensors");
        e.file("resume.safetensors.ckpt", &bytes);
        let cli =
            e.cli(&["train", "--out", s(&out), "--data", s(&e.data), "--hidden", "3", "--epochs", "2", "--resume"]);
        assert_eq!(
            std::fs::read(e.dir.join("resume.safetensors.ckpt")).unwrap(),
            bytes,
            "the bad checkpoint was changed"
        );
        assert!(!out.exists());
        e.row(what, Some(cli), js);
    }
    let ck = Checkpoint::load(&e.ckpt).unwrap();
    let js = e.checkpoint_js(&Checkpoint { train_config: "{\"net\": 3}".into(), ..ck }.to_bytes().unwrap());
    let cli =
        e.cli(&["train", "--out", s(&e.model), "--data", s(&e.data), "--hidden", "4", "--epochs", "2", "--resume"]);
    e.row("checkpoint of other settings (resume with --hidden 4; a foreign train_config in the page)", Some(cli), js);

    // --- the drawing pad and predictions ---
    let js = Some((
        "preprocess(data, 28, 28, 4)",
        multispike::preprocess::preprocess(&[0; 100], 28, 28, 4).unwrap_err().to_string(),
    ));
    e.row("drawing whose pixel buffer does not match its size", None, js);
    let js = Some((
        "model.predict(pixels)",
        multispike::traces::predict(&small_model(), &[0; 783], 201).unwrap_err().to_string(),
    ));
    e.row("783 pixels instead of 784", None, js);

    // Nothing above touched the earlier model and checkpoint, and they still load.
    model_file::load(&e.model).unwrap();
    Checkpoint::load(&e.ckpt).unwrap();
    assert_eq!(e.session.weights_digest(), e.digest);

    let table = e.render();
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/RELIABILITY.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    let (begin, end) = ("<!-- bad-inputs:begin -->\n", "<!-- bad-inputs:end -->");
    let (a, b) = (doc.find(begin), doc.find(end));
    if std::env::var_os("MULTISPIKE_BLESS").is_some() {
        let (a, b) = (a.expect("begin marker"), b.expect("end marker"));
        let new = format!("{}{begin}{table}{}", &doc[..a], &doc[b..]);
        std::fs::write(&doc_path, new).unwrap();
        return;
    }
    let (a, b) = (a.expect("docs/RELIABILITY.md has the bad-inputs markers"), b.unwrap());
    let current = &doc[a + begin.len()..b];
    if current != table {
        panic!(
            "docs/RELIABILITY.md's bad-input table is out of date (MULTISPIKE_BLESS=1 rewrites it); measured:\n{table}"
        );
    }
}

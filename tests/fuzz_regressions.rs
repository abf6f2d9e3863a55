//! Replays the fuzzers' seeds and committed corpora (`fuzz/seeds/<target>/`,
//! `fuzz/corpus/<target>/`) and every crash input found so far (`tests/fuzz_regressions/<target>/`)
//! through the same checks the fuzz targets run (`tests/support/fuzz_checks.rs`).
//! See docs/RELIABILITY.md for the fuzzing record.
//!
//! The seed corpora were written by the ignored test below:
//! `cargo test --release --test fuzz_regressions -- --ignored write_seed_corpora`.

#[path = "support/fuzz_checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    v.sort();
    v
}

fn replay(dir: &str) -> usize {
    let mut n = 0;
    for (name, check) in checks::TARGETS {
        for f in files(&root().join(dir).join(name)) {
            let bytes = std::fs::read(&f).unwrap();
            let r = std::panic::catch_unwind(|| check(&bytes));
            assert!(r.is_ok(), "{name}: {} fails its check", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn crash_inputs_stay_fixed() {
    let n = replay("tests/fuzz_regressions");
    assert!(n > 0, "no crash inputs found under tests/fuzz_regressions");
}

#[test]
fn committed_corpora_and_seeds_pass() {
    for (name, _) in checks::TARGETS {
        for dir in ["fuzz/corpus", "fuzz/seeds"] {
            assert!(!files(&root().join(dir).join(name)).is_empty(), "{dir}/{name} is missing or empty");
        }
    }
    replay("fuzz/corpus");
    replay("fuzz/seeds");
}

/// Writes the seed inputs of every fuzz target into `fuzz/seeds/<target>/`.
#[test]
#[ignore]
fn write_seed_corpora() {
    use multispike::checkpoint::Checkpoint;
    use multispike::config::Mode;
    use multispike::data::mnist::Dataset;
    use multispike::network::Network;
    use multispike::session::{Session, SessionConfig};
    use multispike::{model_file, shards};
    use std::collections::BTreeMap;

    let base = root().join("fuzz/seeds");
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let d = base.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    };
    let prov = BTreeMap::from([("note".to_string(), "seed".to_string())]);
    for mode in [Mode::Multi, Mode::Single] {
        let net = Network::init_gaussian(checks::small_net(mode), 1, 0.3, 0.5).unwrap();
        put("model_file", &format!("small-{}.safetensors", mode.as_str()), &model_file::to_bytes(&net, &prov).unwrap());
    }
    let mut deep = checks::small_net(Mode::Multi);
    deep.layers = vec![3, 4, 3, 2];
    let net = Network::init_gaussian(deep, 2, 0.5, 0.5).unwrap();
    put("model_file", "deep.safetensors", &model_file::to_bytes(&net, &BTreeMap::new()).unwrap());

    // IDX: the selector byte (1 = images, 0 = labels), then the file, raw and gzip.
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2];
    images.extend(0..12u8);
    let labels = [0u8, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9];
    put("idx", "images", &[&[1u8][..], &images].concat());
    put("idx", "labels", &[&[0u8][..], &labels].concat());
    put("idx", "images-gz", &[&[1u8][..], &checks_gzip(&images)].concat());
    put("idx", "labels-gz", &[&[0u8][..], &checks_gzip(&labels)].concat());

    let d = Dataset { images: (0..2 * 784).map(|i| (i % 251) as u8).collect(), labels: vec![3, 9], n: 2, dim: 784 };
    put("shard", "two.mshd.gz", &shards::encode(&d).unwrap());
    put("shard", "two.mshd", &shards::encode_raw(&d).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    shards::write_shards(tmp.path(), multispike::data::DatasetId::Mnist, &d, &d.head(1)).unwrap();
    put("manifest", "manifest.json", &std::fs::read(tmp.path().join("manifest.json")).unwrap());

    for c in ["tiny", "single", "deep"] {
        put("case", &format!("{c}.json"), &std::fs::read(root().join(format!("tests/cases/{c}.json"))).unwrap());
    }

    let cfg = SessionConfig { layers: vec![784, 2, 10], ..SessionConfig::default() };
    let mut s = Session::new(&cfg).unwrap();
    s.add_train(d.clone()).unwrap();
    s.train_steps(1).unwrap();
    put("checkpoint", "784-2-10.checkpoint", &s.export_checkpoint().unwrap());
    let net = Network::init_gaussian(checks::small_net(Mode::Single), 3, 0.3, 0.5).unwrap();
    let sizes: Vec<usize> = net.weights().iter().map(|w| w.len()).collect();
    let ck = Checkpoint {
        network: net,
        adam: multispike::optim::Adam::new(Default::default(), &sizes),
        epoch: 2,
        train_config: "{}".into(),
        metadata: BTreeMap::new(),
    };
    put("checkpoint", "small.checkpoint", &ck.to_bytes().unwrap());

    put("session_config", "default.json", b"{}");
    put(
        "session_config",
        "full.json",
        br#"{"layers":[784,5,10],"tau_I":0.8,"mode":"single","lr":0.001,"batch":4,"lambda":0.01,"sigma":0.0001,"seed":3,"max_spikes":8,"init_mean":0.03,"init_std":0.5,"t_out":1.0,"dead_fraction":0.1}"#,
    );
    put("session_config", "deep.json", br#"{"layers":[784,3,3,10],"tau":6.4,"batch_size":2}"#);

    let mut draw = vec![28u8, 0, 28, 0, 4];
    draw.extend((0..28 * 28 * 4).map(|i| if (i / 4) % 29 == 0 && i % 4 == 3 { 255 } else { 0 }));
    put("preprocess", "diagonal-rgba", &draw);
    let mut grey = vec![10u8, 0, 6, 0, 1];
    grey.extend((0..60).map(|i| (i * 4) as u8));
    put("preprocess", "grey", &grey);
}

fn checks_gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b).unwrap();
    gz.finish().unwrap()
}

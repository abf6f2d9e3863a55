//! `multispike shards`: IDX files (MNIST, Fashion-MNIST) → gzip-compressed shards + manifest.json
//! for the browser.

use crate::util::{self, CliResult, DatasetArg, Failure};
use clap::Args;
use multispike::data::{load_idx, DatasetId, Split};
use multispike::formats::shards;
use std::path::PathBuf;

/// Options of `multispike shards`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Writes train-00.mshd.gz … train-05.mshd.gz (10000 examples each), test-00.mshd.gz and
manifest.json (files, counts, sizes, sha256) into --out. The shard format (16-byte header
\"MSHD\", version, classes, count, dim; then labels; then pixels; gzip-compressed) is documented
in src/formats/shards.rs. Existing files are replaced.

The manifest names the data set (\"dataset\": \"mnist\" or \"fashion-mnist\"); the pages read it.

Examples:
  multispike shards --data data/mnist --out www/data
  multispike shards --dataset fashion-mnist --out www/data/fashion-mnist")]
pub struct ShardsArgs {
    /// Data set (an image data set: Yin-Yang is generated in the page).
    #[arg(long, value_enum, default_value_t = DatasetArg::Mnist)]
    pub dataset: DatasetArg,
    /// Directory with the IDX files [default: data/<dataset>].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Output directory (created if needed).
    #[arg(long, value_name = "DIR", default_value = "www/data")]
    pub out: PathBuf,
}

/// Runs `multispike shards`.
pub fn run(args: &ShardsArgs) -> CliResult {
    let id: DatasetId = args.dataset.into();
    let spec = id.spec();
    if spec.image_side.is_none() {
        return Err(Failure::usage(format!("{} is generated (in the page too): it has no shards", spec.title)));
    }
    let dir = util::data_dir(id, args.data.as_deref());
    let train = load_idx(spec, &dir, Split::Train)?;
    let test = load_idx(spec, &dir, Split::Test)?;
    let m = shards::write_shards(&args.out, id, &train, &test)?;
    let total: usize = m.shards.iter().map(|s| s.bytes).sum();
    for s in &m.shards {
        say!("{:<20} {:>6} examples {:>9} bytes  sha256 {}", s.file, s.count, s.bytes, &s.sha256[..16]);
    }
    say!("wrote {} shards ({:.1} MB) and manifest.json to {}", m.shards.len(), total as f64 / 1e6, args.out.display());
    Ok(())
}

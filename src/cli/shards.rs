//! `multispike shards`: MNIST IDX files → gzip-compressed shards + manifest.json for the browser.

use crate::util::CliResult;
use clap::Args;
use multispike::data::{load_mnist, Split};
use multispike::shards;
use std::path::PathBuf;

/// Options of `multispike shards`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Writes train-00.mshd.gz … train-05.mshd.gz (10000 examples each), test-00.mshd.gz and
manifest.json (files, counts, sizes, sha256) into --out. The shard format (16-byte header
\"MSHD\", version, classes, count, dim; then labels; then pixels; gzip-compressed) is documented
in src/shards.rs. Existing files are replaced.

Example:
  multispike shards --data data/mnist --out www/data")]
pub struct ShardsArgs {
    /// Directory with the MNIST IDX files.
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    pub data: PathBuf,
    /// Output directory (created if needed).
    #[arg(long, value_name = "DIR", default_value = "www/data")]
    pub out: PathBuf,
}

/// Runs `multispike shards`.
pub fn run(args: &ShardsArgs) -> CliResult {
    let train = load_mnist(&args.data, Split::Train)?;
    let test = load_mnist(&args.data, Split::Test)?;
    let m = shards::write_shards(&args.out, &train, &test)?;
    let total: usize = m.shards.iter().map(|s| s.bytes).sum();
    for s in &m.shards {
        say!("{:<20} {:>6} examples {:>9} bytes  sha256 {}", s.file, s.count, s.bytes, &s.sha256[..16]);
    }
    say!(
        "wrote {} shards ({:.1} MB) and manifest.json to {}",
        m.shards.len(),
        total as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}

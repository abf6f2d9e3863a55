//! `multispike train`: mini-batch training on MNIST with per-epoch evaluation, JSON-lines log,
//! crash-safe checkpoints and exact resumption.

use crate::recipe::RecipeArgs;
use crate::util::{self, check_limit, CliResult, Context, Failure};
use clap::{Args, ValueEnum};
use multispike::data::{Samples, Split};
use multispike::formats::checkpoint::Checkpoint;
use multispike::formats::model_file;
use multispike::train::resume::{ResumeMismatch, DATA_FINGERPRINT_KEY};
use multispike::train::{evaluate, EvalStats, StepStats, TrainConfig, Trainer};
use multispike::Mode;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// Firing rule of the hidden neurons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// A neuron may fire many times before t_out (up to --max-spikes).
    Multi,
    /// A neuron fires at most once (the time-to-first-spike baseline).
    Single,
}

/// `--precision`: floating-point type of the per-neuron state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// f32 state in a local frame: about twice as fast; spike times within ~1e-6 of f64.
    F32,
    /// f64 state: the exact reference.
    F64,
}

impl From<PrecisionArg> for multispike::Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => multispike::Precision::F32,
            PrecisionArg::F64 => multispike::Precision::F64,
        }
    }
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Multi => Mode::Multi,
            ModeArg::Single => Mode::Single,
        }
    }
}

/// Options of `multispike train`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Defaults are the paper's recipe: one hidden layer of 400 neurons, tau_I = 0.8 (tau_V = tau_I/2,
V_th = 1, t_out = 1), latency-coded pixels (t = 1 - x/255), Adam with lr 1e-3, batches of 100,
lambda = 0.01, sigma = 1e-4, weights ~ N(0.03, 0.3).

After every epoch the model is evaluated on the test set, one JSON line is appended to --log,
and both the model file (--out) and a checkpoint (--checkpoint) are written atomically, so an
interrupted run keeps a usable model and can be continued with --resume. The result of a
resumed run is bit-identical to an uninterrupted one (also across different --threads).

Log fields (one JSON object per line and epoch):
  epoch            number of completed epochs
  loss             training loss (cross-entropy + penalties), mean over the epoch's samples
  train_acc        training accuracy during the epoch
  test_acc         test accuracy after the epoch;  test_loss: its cross-entropy
  mean_spikes      hidden spikes per hidden neuron per training sample
  test_mean_spikes the same on the test set
  dead_fraction    hidden neurons flagged dead (fired on < 10% of a batch), over all batches
  silent_fraction  hidden neurons that fire on no test image
  non_finite       samples left out for a non-finite loss or adjoint (plus skipped batches)
  guarded          grazing crossings whose slope was clamped in the backward pass
  truncated        spike trains cut by --max-spikes (test_truncated: on the test set)
  test_undecided   test images whose largest output is tied (no hidden spike, say): counted wrong
  skipped_batches  batches whose gradient was non-finite (no update)
  wall_s, eval_s   seconds spent training and evaluating;  samples_per_s: training speed

Examples:
  multispike train --out model.safetensors --log train.jsonl
  multispike train --hidden 400,400 --tau 0.8 --epochs 50 --out deep.safetensors
  multispike train --out model.safetensors --epochs 150 --resume")]
pub struct TrainArgs {
    #[command(flatten)]
    pub recipe: RecipeArgs,
    /// Synaptic time constant tau_I (the membrane time constant is tau_I/2; t_out = 1).
    #[arg(long, value_name = "TAU_I", default_value_t = 0.8, allow_negative_numbers = true)]
    pub tau: f64,
    /// Firing rule of the hidden neurons.
    #[arg(long, value_enum, default_value_t = ModeArg::Multi)]
    pub mode: ModeArg,
    /// Total number of epochs (with --resume: the total to reach, may exceed the original).
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Seed of the weight initialisation and of the per-epoch shuffling: a number, or `random`
    /// (drawn from the system; printed and recorded in the model and checkpoint — pass that
    /// number with --resume).
    #[arg(long, value_name = "SEED|random", default_value = "1", value_parser = parse_seed)]
    pub seed: Seed,
    /// Model file to write (safetensors, format multispike-v1), after every epoch.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Append one JSON line of statistics per epoch to this file (truncated unless --resume).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Checkpoint file (weights + Adam state) [default: <out>.ckpt].
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint; all settings but --epochs must match the original run.
    #[arg(long)]
    pub resume: bool,
    /// Learning-rate schedule over the epochs: constant (the paper's recipe) or cosine decay to 0.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Constant)]
    pub lr_schedule: ScheduleArg,
}

/// `--seed`: the number used, and whether it was drawn at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seed {
    pub value: u64,
    pub random: bool,
}

/// Parses `--seed`: a u64, or `random` (drawn now).
fn parse_seed(s: &str) -> Result<Seed, String> {
    if s == "random" {
        let value = multispike::app::seed::random_seed().map_err(|e| e.to_string())?;
        return Ok(Seed { value, random: true });
    }
    s.parse::<u64>()
        .map(|value| Seed { value, random: false })
        .map_err(|_| format!("{s:?} is neither a seed (an integer 0 ..= 2^64 - 1) nor `random`"))
}

/// `--lr-schedule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// The same rate for every epoch (the paper's recipe).
    Constant,
    /// Cosine decay from --lr towards 0 over --epochs.
    Cosine,
}

impl TrainArgs {
    /// The training configuration these flags ask for (not yet validated).
    pub fn train_config(&self) -> CliResult<TrainConfig> {
        let mut cfg = self.recipe.train_config(self.tau, self.mode.into(), self.seed.value, self.epochs)?;
        cfg.lr_schedule = match self.lr_schedule {
            ScheduleArg::Constant => multispike::train::LrSchedule::Constant,
            ScheduleArg::Cosine => multispike::train::LrSchedule::Cosine,
        };
        Ok(cfg)
    }

    fn checkpoint_path(&self) -> PathBuf {
        self.checkpoint.clone().unwrap_or_else(|| {
            let mut p = self.out.clone().into_os_string();
            p.push(".ckpt");
            PathBuf::from(p)
        })
    }
}

/// Sets the size of rayon's global pool.
pub fn set_threads(threads: Option<usize>) -> CliResult {
    if let Some(n) = threads {
        if n == 0 {
            return Err(Failure::usage("--threads must be at least 1"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Failure::runtime(format!("cannot start {n} threads: {e}")))?;
    }
    Ok(())
}

/// Fails early (before any training) when the directory of an output file does not exist.
fn check_parent(p: &Path) -> CliResult {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => {
            Err(Failure::runtime(format!("cannot write {}: the directory {} does not exist", p.display(), d.display())))
        }
        _ => Ok(()),
    }
}

/// The trainer that continues this run from its checkpoint ([`Checkpoint::resume`]).
fn resume(path: &Path, cfg: &TrainConfig, fingerprint: &str) -> CliResult<Trainer> {
    if !path.exists() {
        return Err(Failure::usage(format!(
            "cannot resume: there is no checkpoint at {} (run without --resume to start afresh)",
            path.display()
        )));
    }
    let corrupt = |e: &dyn std::fmt::Display| {
        Failure::runtime(format!(
            "cannot resume: the checkpoint {} is corrupt or unreadable ({e}); it was left untouched — \
             delete it or pass another --checkpoint to start afresh",
            path.display()
        ))
    };
    let ck = Checkpoint::load(path).map_err(|e| corrupt(&e))?;
    ck.resume(cfg, fingerprint).map_err(|e| match e {
        ResumeMismatch::UnreadableConfig(why) => Failure::runtime(format!(
            "cannot resume: the training configuration stored in {} is not readable by this version ({why})",
            path.display()
        )),
        ResumeMismatch::ConfigNotNetwork => corrupt(&multispike::Error::from(e)),
        ResumeMismatch::Settings { stored, requested } => {
            let as_json = |c: &TrainConfig| serde_json::to_value(c).unwrap_or(Value::Null);
            let diffs: Vec<String> = util::json_diff(&as_json(&stored), &as_json(&requested))
                .into_iter()
                .map(|(path, a, b)| format!("{path}: checkpoint {a}, requested {b}"))
                .collect();
            Failure::usage(format!(
                "cannot resume: the checkpoint {} was made with different settings ({}); pass the flags of \
                 the original run (only --epochs may change)",
                path.display(),
                diffs.join("; ")
            ))
        }
        ResumeMismatch::TrainingData => Failure::usage(format!(
            "cannot resume: the training data differ from those of the checkpoint {} \
             (different --data or --train-limit?)",
            path.display()
        )),
        ResumeMismatch::Trainer(e) => Failure::from(e),
    })
}

/// Statistics of one epoch: one line of the log (fields in this order).
#[derive(Debug, Serialize)]
struct EpochRecord {
    epoch: u64,
    loss: f64,
    train_acc: f64,
    test_acc: f64,
    test_loss: f64,
    mean_spikes: f64,
    test_mean_spikes: f64,
    dead_fraction: f64,
    silent_fraction: f64,
    non_finite: u64,
    guarded: u64,
    truncated: u64,
    test_truncated: u64,
    /// Test samples whose largest output was tied (counted as wrong).
    test_undecided: u64,
    skipped_batches: u64,
    wall_s: f64,
    eval_s: f64,
    samples_per_s: f64,
}

impl EpochRecord {
    fn new(epoch: u64, cfg: &TrainConfig, tr: &StepStats, ev: &EvalStats, wall_s: f64, eval_s: f64) -> Self {
        let n_hidden: usize = cfg.net.layers[1..cfg.net.layers.len() - 1].iter().sum();
        let samples = tr.samples as f64;
        EpochRecord {
            epoch,
            loss: util::ratio(tr.loss_sum, samples),
            train_acc: util::ratio(tr.correct as f64, samples),
            test_acc: ev.accuracy(),
            test_loss: util::ratio(ev.loss_sum, ev.samples as f64),
            mean_spikes: util::ratio(tr.spikes as f64, samples * n_hidden as f64),
            test_mean_spikes: ev.mean_spikes,
            dead_fraction: util::ratio(tr.flagged as f64, tr.flag_slots as f64),
            silent_fraction: ev.silent_fraction,
            non_finite: tr.non_finite,
            guarded: tr.guarded,
            truncated: tr.truncated,
            test_truncated: ev.truncated,
            test_undecided: ev.undecided,
            skipped_batches: tr.skipped_batches,
            wall_s,
            eval_s,
            samples_per_s: util::ratio(samples, wall_s),
        }
    }

    /// One-line human summary.
    fn summary(&self, epochs: usize) -> String {
        let mut s = format!(
            "epoch {:>3}/{epochs}  loss {:.4}  train {:6.2}%  test {:6.2}% (loss {:.4})  spikes/neuron {:.3}  \
             dead {:4.1}%  silent {:4.1}%  {:.0} samples/s  train {:.1}s  eval {:.1}s",
            self.epoch,
            self.loss,
            100.0 * self.train_acc,
            100.0 * self.test_acc,
            self.test_loss,
            self.mean_spikes,
            100.0 * self.dead_fraction,
            100.0 * self.silent_fraction,
            self.samples_per_s,
            self.wall_s,
            self.eval_s,
        );
        for (k, v) in [
            ("non-finite", self.non_finite),
            ("guarded", self.guarded),
            ("truncated", self.truncated),
            ("skipped batches", self.skipped_batches),
        ] {
            if v > 0 {
                s.push_str(&format!("  {k} {v}"));
            }
        }
        s
    }
}

/// Runs `multispike train`.
pub fn run(args: &TrainArgs) -> CliResult {
    let cfg = args.train_config()?;
    cfg.validate()?;
    check_limit("--train-limit", args.recipe.train_limit)?;
    check_limit("--test-limit", args.recipe.test_limit)?;
    if args.epochs == 0 {
        return Err(Failure::usage("--epochs must be at least 1"));
    }
    let ckpt_path = args.checkpoint_path();
    if ckpt_path == args.out {
        return Err(Failure::usage("--checkpoint and --out must be different files"));
    }
    for p in [Some(&args.out), Some(&ckpt_path), args.log.as_ref()].into_iter().flatten() {
        check_parent(p)?;
    }
    set_threads(args.recipe.threads)?;
    if args.seed.random {
        say!("random seed {} (pass --seed {} to repeat or --resume this run)", cfg.seed, cfg.seed);
    }

    let (dataset, dir) = (args.recipe.dataset(), args.recipe.data_dir());
    let train = util::load_split(dataset, &dir, Split::Train, args.recipe.train_limit)?;
    let test = util::load_split(dataset, &dir, Split::Test, args.recipe.test_limit)?;
    // sha256 of the training examples actually used: a resumed run must see the same data.
    let fingerprint = train.fingerprint();

    let mut trainer = if args.resume {
        let trainer = resume(&ckpt_path, &cfg, &fingerprint)?;
        if trainer.epoch as usize >= cfg.epochs {
            say!(
                "the checkpoint {} has already completed {} epochs (--epochs {}): nothing to train; \
                 raise --epochs to continue",
                ckpt_path.display(),
                trainer.epoch,
                cfg.epochs
            );
            return Ok(());
        }
        say!("resuming from {} after epoch {}", ckpt_path.display(), trainer.epoch);
        trainer
    } else {
        if ckpt_path.exists() {
            note!(
                "note: overwriting the checkpoint {} of an earlier run (use --resume to continue it)",
                ckpt_path.display()
            );
        }
        Trainer::new(cfg.clone())?
    };

    let mut log = match &args.log {
        Some(p) => {
            let mut o = OpenOptions::new();
            if args.resume {
                o.create(true).append(true);
            } else {
                o.create(true).write(true).truncate(true);
            }
            Some(o.open(p).context(|| format!("cannot open the log {}", p.display()))?)
        }
        None => None,
    };

    say!(
        "training {} ({}, tau_I {}, {} threads) on {} {} examples, testing on {}, {} epoch(s) of batches of {}",
        cfg.net.layers_string(),
        cfg.net.mode,
        cfg.net.tau_i,
        rayon::current_num_threads(),
        train.len(),
        dataset.spec().title,
        test.len(),
        cfg.epochs,
        cfg.batch_size
    );

    let command = util::command_line();
    let mut provenance = BTreeMap::from([
        ("command".to_string(), command),
        ("dataset".to_string(), dataset.name().to_string()),
        ("seed".to_string(), cfg.seed.to_string()),
        ("init".to_string(), cfg.init_description()),
        ("lambda".to_string(), cfg.loss.lambda.to_string()),
        ("sigma".to_string(), cfg.loss.sigma.to_string()),
        ("lr".to_string(), cfg.adam.lr.to_string()),
        ("batch".to_string(), cfg.batch_size.to_string()),
        ("precision".to_string(), cfg.precision.to_string()),
        ("lr_schedule".to_string(), format!("{:?}", cfg.lr_schedule).to_lowercase()),
        ("train_samples".to_string(), train.len().to_string()),
        ("test_samples".to_string(), test.len().to_string()),
        ("multispike_version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
    ]);
    let train_config = serde_json::to_string(&cfg).context(|| "serialising the training configuration".into())?;

    while (trainer.epoch as usize) < cfg.epochs {
        let epoch = trainer.epoch + 1;
        let pb = util::sample_bar(train.len() as u64, format!("epoch {epoch}/{}", cfg.epochs));
        let start = Instant::now();
        let stats = trainer.train_epoch(&train, &mut |n, total| {
            pb.inc(n as u64);
            let s = total.samples.max(1) as f64;
            pb.set_message(format!("loss {:.4} acc {:.2}%", total.loss_sum / s, 100.0 * total.correct as f64 / s));
        })?;
        let wall_s = start.elapsed().as_secs_f64();
        pb.finish_and_clear();

        let sp = util::spinner(format!("epoch {epoch}: evaluating on {} test examples", test.len()));
        let start = Instant::now();
        let ev = evaluate(&trainer.net, &test)?;
        let eval_s = start.elapsed().as_secs_f64();
        sp.finish_and_clear();

        let rec = EpochRecord::new(epoch, &cfg, &stats, &ev, wall_s, eval_s);
        provenance.insert("epochs".into(), epoch.to_string());
        provenance.insert("test_accuracy".into(), ev.accuracy().to_string());
        provenance.insert("date".into(), util::iso8601_utc(SystemTime::now()));
        model_file::save(&args.out, &trainer.net, &provenance)?;
        let mut meta = provenance.clone();
        meta.insert(DATA_FINGERPRINT_KEY.into(), fingerprint.clone());
        let ck = Checkpoint {
            network: trainer.net.clone(),
            adam: trainer.adam.clone(),
            epoch,
            train_config: train_config.clone(),
            metadata: meta,
        };
        ck.save(&ckpt_path)?;
        if let (Some(f), Some(p)) = (log.as_mut(), args.log.as_ref()) {
            write_line(f, &rec).context(|| format!("cannot write the log {}", p.display()))?;
        }
        say!("{}", rec.summary(cfg.epochs));
    }
    say!("saved the model to {} and the checkpoint to {}", args.out.display(), ckpt_path.display());
    Ok(())
}

fn write_line(f: &mut File, rec: &EpochRecord) -> std::io::Result<()> {
    let line = serde_json::to_string(rec).map_err(std::io::Error::other)?;
    writeln!(f, "{line}")?;
    f.flush()
}

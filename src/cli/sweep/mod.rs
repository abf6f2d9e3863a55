//! `multispike sweep`: the τ study of the paper (Figs. 3–5). Trains one network per (τ_I, mode,
//! seed) with the paper's recipe, appends one CSV row per finished run (resumable at two levels:
//! finished runs are skipped, an interrupted run continues from its last epoch's checkpoint),
//! and renders SVG plots of accuracy and spikes per neuron vs τ_I and of spike-count histograms.
//!
//! `plan` checks the arguments and orders the runs, `store` keeps the output directory (CSV,
//! config.json, logs, checkpoints), `plots` draws the SVG files; this module trains.

mod plan;
mod plots;
mod store;

use crate::recipe::RecipeArgs;
use crate::train::{set_threads, ModeArg};
use crate::util::{self, CliResult, Context, Failure};
use clap::Args;
use multispike::app::sweep::{self as sw, RunGroup, RunKey, SweepRow};
use multispike::data::{Examples, Samples, Split};
use multispike::train::{evaluate, TrainConfig};
use multispike::Mode;
use plan::Plan;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{ckpt_path, log_path, read_csv, write_atomic, CHECKPOINTS, CONFIG, CSV};

/// Options of `multispike sweep`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
For every seed, tau_I and mode (in that order, so that a partial sweep already has whole curves)
one network is trained with the paper's recipe (the defaults, as in `multispike train`) for
--epochs epochs and evaluated once on the test set. Each finished run appends one row to
<out>/sweep.csv. Re-running the same command skips the runs already in the CSV (same tau_I, mode,
seed, epochs and numbers of training and test images), so an interrupted sweep continues where it
stopped; the run that was interrupted continues from the checkpoint of its last finished epoch
(<out>/checkpoints/, deleted when its row is written). The other settings (hidden sizes, lr, ...)
are recorded in <out>/config.json and must match for a re-run into the same --out.

CSV columns (one row per run):
  tau_I, mode, seed, epochs, train_samples, test_samples
  test_accuracy    fraction of the test images classified correctly after the last epoch
  test_loss        mean test cross-entropy
  train_accuracy   training accuracy during the last epoch
  mean_spikes      hidden spikes per hidden neuron per test image
  silent_fraction  hidden neurons that fire on no test image
  dead_fraction    hidden neurons flagged dead (fired on < 10% of a batch), last epoch's batches
  non_finite, guarded, truncated
                   samples left out for non-finite gradients, grazing-guard clamps and spike
                   trains cut by --max-spikes, summed over all training epochs
  wall_s           seconds of training plus the final evaluation
  hist_0 .. hist_20
                   test-set (neuron, image) pairs of the first hidden layer with 0, 1, ... spikes
                   (hist_20: 20 or more)

Plots (SVG, written after the sweep; --plot-only re-renders them from the CSV alone):
  accuracy_vs_tau.svg  test accuracy vs tau_I per mode (mean +- s.e. over seeds), with the paper's
                       values (Table I at tau_I = 0.8: multi 98.43%, single 97.99%; tau_I -> infinity:
                       98.23% / 97.96%), and a zoomed panel when some tau_I is far below them
  spikes_vs_tau.svg    mean spikes per hidden neuron vs tau_I per mode, dashed line at 1 (Fig. 4)
  spike_hist.svg       spike-count histograms of the multi mode at the smallest tau_I, 0.8 (or the
                       middle one) and the largest (Fig. 3), as fractions
Only rows of one budget (epochs and image counts) are plotted: those of this sweep, or with
--plot-only those of the CSV's last row.

Examples:
  multispike sweep --epochs 20 --seeds 3 --out results/tau-sweep
  multispike sweep --taus 0.2,0.8,3.2 --epochs 1 --train-limit 5000 --test-limit 2000 --out /tmp/s
  multispike sweep --plot-only --out results/tau-sweep")]
pub struct SweepArgs {
    #[command(flatten)]
    pub recipe: RecipeArgs,
    /// Synaptic time constants tau_I to train at, comma list (tau_V = tau_I/2, t_out = 1).
    #[arg(
        long,
        value_name = "TAU_I[,…]",
        value_delimiter = ',',
        allow_negative_numbers = true,
        default_value = "0.2,0.4,0.8,1.6,3.2,6.4"
    )]
    pub taus: Vec<f64>,
    /// Firing rules to train, comma list.
    #[arg(long, value_name = "MODE[,…]", value_enum, value_delimiter = ',', default_value = "multi,single")]
    pub modes: Vec<ModeArg>,
    /// Epochs per run.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Seeds per (tau_I, mode): --seed0, --seed0 + 1, … (weight init and shuffling).
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, value_name = "SEED", default_value_t = 1)]
    pub seed0: u64,
    /// Output directory (created if missing): sweep.csv, config.json and the SVG plots.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only re-render the plots from <out>/sweep.csv; no training (the other flags are ignored).
    #[arg(long)]
    pub plot_only: bool,
}

impl SweepArgs {
    /// The training configuration of one run (not yet validated).
    fn train_config(&self, tau: f64, mode: Mode, seed: u64) -> CliResult<TrainConfig> {
        self.recipe.train_config(tau, mode, seed, self.epochs)
    }
}

/// Runs `multispike sweep`.
pub fn run(args: &SweepArgs) -> CliResult {
    if args.plot_only {
        return plot_only(&args.out);
    }
    let plan = Plan::new(args)?;
    set_threads(args.recipe.threads)?;
    std::fs::create_dir_all(&args.out).context(|| format!("cannot create the directory {}", args.out.display()))?;
    let csv_path = args.out.join(CSV);
    store::check_config(&args.out, &plan.recipe, args.recipe.dataset())?;
    let mut done = read_csv(&csv_path, true)?;
    if std::fs::metadata(&csv_path).map(|m| m.len() == 0).unwrap_or(true) {
        write_atomic(&csv_path, format!("{}\n", sw::header()).as_bytes())?;
    }

    let (dataset, dir) = (args.recipe.dataset(), args.recipe.data_dir());
    let train = util::load_split(dataset, &dir, Split::Train, args.recipe.train_limit)?;
    let test = util::load_split(dataset, &dir, Split::Test, args.recipe.test_limit)?;
    let group =
        RunGroup { epochs: args.epochs as u64, train_samples: train.len() as u64, test_samples: test.len() as u64 };
    let keys: Vec<RunKey> = plan
        .runs
        .iter()
        .map(|&(seed, tau_i, mode)| RunKey {
            tau_i,
            mode,
            seed,
            epochs: group.epochs,
            train_samples: group.train_samples,
            test_samples: group.test_samples,
        })
        .collect();
    let todo: Vec<RunKey> = keys.iter().copied().filter(|k| !done.iter().any(|r| r.key == *k)).collect();
    store::write_config(&args.out, args, &plan, &train, &test)?;

    say!(
        "sweep: {} over tau_I {} x modes {} x {} seed(s) = {} runs of {} epoch(s) on {} training images, \
         testing on {} ({} threads)",
        plan.layers,
        plan.taus.iter().map(f64::to_string).collect::<Vec<_>>().join(","),
        plan.modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(","),
        args.seeds,
        keys.len(),
        args.epochs,
        train.len(),
        test.len(),
        rayon::current_num_threads()
    );
    let skipped = keys.len() - todo.len();
    if todo.is_empty() {
        say!("skipped all {skipped} runs: they are already in {}; nothing to train", csv_path.display());
    } else if skipped > 0 {
        say!("skipped {skipped} run(s) already in {}; {} to train", csv_path.display(), todo.len());
    }
    let ckpt_dir = args.out.join(CHECKPOINTS);
    for k in keys.iter().filter(|k| !todo.contains(k)) {
        let p = ckpt_path(&ckpt_dir, k);
        if p.exists() {
            let _ = std::fs::remove_file(&p); // stale: its row was written
        }
    }
    if !todo.is_empty() {
        let fingerprint = train.fingerprint();
        std::fs::create_dir_all(&ckpt_dir).context(|| format!("cannot create {}", ckpt_dir.display()))?;
        for (i, key) in todo.iter().enumerate() {
            let label = format!("[{}/{}] tau_I {} {} seed {}", i + 1, todo.len(), key.tau_i, key.mode, key.seed);
            let cfg = args.train_config(key.tau_i, key.mode, key.seed)?;
            let paths = (ckpt_path(&ckpt_dir, key), log_path(&args.out, key));
            let row = train_one(&label, cfg, key, &train, &test, &paths, &fingerprint)?;
            store::append_row(&csv_path, &row)?;
            let _ = std::fs::remove_file(ckpt_path(&ckpt_dir, key));
            say!("{label}: {}", summary(&row));
            done.push(row);
        }
        let _ = std::fs::remove_dir(&ckpt_dir); // only if empty
    }
    let written = plots::render(&args.out, &done, group, Some(&plan.layers), args.recipe.dataset().spec().title)?;
    say!("wrote {} and {}", csv_path.display(), written.join(", "));
    Ok(())
}

/// `--plot-only`: the plots of the CSV's latest budget group.
fn plot_only(out: &Path) -> CliResult {
    let csv_path = out.join(CSV);
    if !csv_path.is_file() {
        return Err(Failure::runtime(format!(
            "there is no {} to plot (run the sweep first, or pass the --out of an earlier sweep)",
            csv_path.display()
        )));
    }
    let rows = read_csv(&csv_path, false)?;
    let Some(group) = sw::latest_group(&rows) else {
        return Err(Failure::runtime(format!("{} has no finished runs to plot", csv_path.display())));
    };
    let other = rows.iter().filter(|r| r.key.group() != group).count();
    if other > 0 {
        say!(
            "note: plotting the runs of {} epoch(s) on {} training / {} test images; {other} row(s) with another \
             budget are left out",
            group.epochs,
            group.train_samples,
            group.test_samples
        );
    }
    let config = std::fs::read_to_string(out.join(CONFIG)).ok().and_then(|s| serde_json::from_str::<Value>(&s).ok());
    let layers = config.as_ref().and_then(|v| v.get("layers").and_then(Value::as_str).map(String::from));
    // sweeps written before the data-set key are MNIST's
    let dataset = store::dataset_of(config.as_ref()).map(|d| d.spec().title).unwrap_or("MNIST");
    let written = plots::render(out, &rows, group, layers.as_deref(), dataset)?;
    say!("wrote {}", written.join(", "));
    Ok(())
}

/// Trains and evaluates one run, checkpointing after every epoch.
fn train_one(
    label: &str,
    cfg: TrainConfig,
    key: &RunKey,
    train: &Examples,
    test: &Examples,
    (ckpt, log): &(PathBuf, PathBuf),
    fingerprint: &str,
) -> CliResult<SweepRow> {
    let (mut trainer, mut progress) = store::start(&cfg, ckpt, fingerprint, label)?;
    let mut log_file = store::open_log(log, trainer.epoch)?;
    let n_hidden: usize = cfg.net.layers[1..cfg.net.layers.len() - 1].iter().sum();
    let mut last_eval = None;
    let train_config = serde_json::to_string(&cfg).context(|| "serialising the training configuration".into())?;
    while (trainer.epoch as usize) < cfg.epochs {
        let epoch = trainer.epoch + 1;
        let pb = util::sample_bar(train.len() as u64, format!("{label} epoch {epoch}/{}", cfg.epochs));
        let start = Instant::now();
        let stats = trainer.train_epoch(train, &mut |n, total| {
            pb.inc(n as u64);
            let s = total.samples.max(1) as f64;
            pb.set_message(format!("loss {:.4} acc {:.2}%", total.loss_sum / s, 100.0 * total.correct as f64 / s));
        })?;
        let epoch_s = start.elapsed().as_secs_f64();
        progress.wall_s += epoch_s;
        pb.finish_and_clear();
        let eval_start = Instant::now();
        let ev = evaluate(&trainer.net, test)?;
        let eval_s = eval_start.elapsed().as_secs_f64();
        let samples = stats.samples as f64;
        let line = json!({
            "epoch": epoch,
            "loss": util::ratio(stats.loss_sum, samples),
            "train_acc": util::ratio(stats.correct as f64, samples),
            "test_acc": ev.accuracy(),
            "test_loss": util::ratio(ev.loss_sum, ev.samples as f64),
            "mean_spikes": util::ratio(stats.spikes as f64, samples * n_hidden as f64),
            "test_mean_spikes": ev.mean_spikes,
            "dead_fraction": util::ratio(stats.flagged as f64, stats.flag_slots as f64),
            "silent_fraction": ev.silent_fraction,
            "non_finite": stats.non_finite,
            "guarded": stats.guarded,
            "truncated": stats.truncated,
            "wall_s": epoch_s,
            "eval_s": eval_s,
        });
        writeln!(log_file, "{line}")
            .and_then(|()| log_file.flush())
            .context(|| format!("cannot write {}", log.display()))?;
        progress.totals.merge(&stats);
        progress.last = stats;
        store::save_checkpoint(ckpt, &trainer, epoch, &train_config, &progress, fingerprint)?;
        last_eval = Some((ev, eval_s));
    }
    // The final evaluation is the last epoch's (or, for a run found complete, done now).
    let (ev, eval_s) = match last_eval {
        Some(e) => e,
        None => {
            let sp = util::spinner(format!("{label}: evaluating on {} test examples", test.len()));
            let start = Instant::now();
            let ev = evaluate(&trainer.net, test)?;
            sp.finish_and_clear();
            (ev, start.elapsed().as_secs_f64())
        }
    };
    let last = &progress.last;
    let tot = &progress.totals;
    let mut hist = ev.spike_hist.clone();
    hist.resize(multispike::train::HIST_BINS, 0);
    Ok(SweepRow {
        key: *key,
        test_accuracy: ev.accuracy(),
        test_loss: util::ratio(ev.loss_sum, ev.samples as f64),
        train_accuracy: util::ratio(last.correct as f64, last.samples as f64),
        mean_spikes: ev.mean_spikes,
        silent_fraction: ev.silent_fraction,
        dead_fraction: util::ratio(last.flagged as f64, last.flag_slots as f64),
        non_finite: tot.non_finite,
        guarded: tot.guarded,
        truncated: tot.truncated,
        wall_s: ((progress.wall_s + eval_s) * 1000.0).round() / 1000.0,
        hist,
    })
}

/// One-line human summary of a finished run.
fn summary(r: &SweepRow) -> String {
    let mut s = format!(
        "test {:6.2}% (loss {:.4})  train {:6.2}%  spikes/neuron {:.3}  silent {:4.1}%  dead {:4.1}%  {:.1}s",
        100.0 * r.test_accuracy,
        r.test_loss,
        100.0 * r.train_accuracy,
        r.mean_spikes,
        100.0 * r.silent_fraction,
        100.0 * r.dead_fraction,
        r.wall_s
    );
    for (k, v) in [("non-finite", r.non_finite), ("guarded", r.guarded), ("truncated", r.truncated)] {
        if v > 0 {
            s.push_str(&format!("  {k} {v}"));
        }
    }
    s
}

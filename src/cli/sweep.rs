//! `multispike sweep`: the τ study of the paper (Figs. 3–5). Trains one network per (τ_I, mode,
//! seed) with the paper's recipe, appends one CSV row per finished run (resumable at two levels:
//! finished runs are skipped, an interrupted run continues from its last epoch's checkpoint),
//! and renders SVG plots of accuracy and spikes per neuron vs τ_I and of spike-count histograms.

use crate::recipe::RecipeArgs;
use crate::train::{set_threads, ModeArg};
use crate::util::{self, check_limit, CliResult, Context, Failure};
use clap::Args;
use multispike::checkpoint::Checkpoint;
use multispike::resume::DATA_FINGERPRINT_KEY;
use multispike::data::{Examples, Samples, Split};
use multispike::sweep::{self as sw, RunGroup, RunKey, SweepRow};
use multispike::train::{evaluate, StepStats, TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::{json, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

const CSV: &str = "sweep.csv";
const CONFIG: &str = "config.json";
const CHECKPOINTS: &str = "checkpoints";
const LOGS: &str = "logs";
const PLOTS: [&str; 3] = ["accuracy_vs_tau.svg", "spikes_vs_tau.svg", "spike_hist.svg"];

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
    check_config(&args.out, &plan.recipe)?;
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
    write_config(&args.out, args, &plan, &train, &test)?;

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
            append_row(&csv_path, &row)?;
            let _ = std::fs::remove_file(ckpt_path(&ckpt_dir, key));
            say!("{label}: {}", summary(&row));
            done.push(row);
        }
        let _ = std::fs::remove_dir(&ckpt_dir); // only if empty
    }
    let written = render_plots(&args.out, &done, group, Some(&plan.layers))?;
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
    let layers = std::fs::read_to_string(out.join(CONFIG))
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .and_then(|v| v.get("layers").and_then(Value::as_str).map(String::from));
    let written = render_plots(out, &rows, group, layers.as_deref())?;
    say!("wrote {}", written.join(", "));
    Ok(())
}

/// The validated grid and settings of a sweep.
struct Plan {
    taus: Vec<f64>,
    modes: Vec<Mode>,
    /// (seed, tau_I, mode) in run order.
    runs: Vec<(u64, f64, Mode)>,
    layers: String,
    /// The settings shared by all runs (everything but tau_I, mode, seed, epochs).
    recipe: Value,
}

impl Plan {
    fn new(args: &SweepArgs) -> CliResult<Plan> {
        if args.taus.is_empty() {
            return Err(Failure::usage("--taus needs at least one value"));
        }
        if args.modes.is_empty() {
            return Err(Failure::usage("--modes needs at least one of multi, single"));
        }
        if args.epochs == 0 {
            return Err(Failure::usage("--epochs must be at least 1"));
        }
        if args.seeds == 0 {
            return Err(Failure::usage("--seeds must be at least 1"));
        }
        if args.seeds > 10_000 {
            return Err(Failure::usage(format!("--seeds {} is too many (at most 10000)", args.seeds)));
        }
        if args.seed0.checked_add(args.seeds).is_none() {
            return Err(Failure::usage("--seed0 + --seeds overflows a 64-bit seed"));
        }
        check_limit("--train-limit", args.recipe.train_limit)?;
        check_limit("--test-limit", args.recipe.test_limit)?;
        let mut taus: Vec<f64> = Vec::new();
        for &t in &args.taus {
            let spec = args.recipe.dataset().spec();
            let mut net = NetConfig::new(vec![spec.inputs, 1, spec.classes()], t, Mode::Multi);
            net.max_spikes = 1;
            net.validate().map_err(|e| match e {
                multispike::Error::Config(m) => Failure::usage(format!("--taus {t}: {m}")),
                other => Failure::from(other),
            })?;
            if !taus.contains(&t) {
                taus.push(t);
            }
        }
        if taus.len() < args.taus.len() {
            note!("note: repeated values in --taus are run once");
        }
        let mut modes: Vec<Mode> = Vec::new();
        for m in &args.modes {
            let m: Mode = (*m).into();
            if !modes.contains(&m) {
                modes.push(m);
            }
        }
        let cfg0 = args.train_config(taus[0], modes[0], args.seed0)?;
        cfg0.validate()?;
        let mut runs = Vec::new();
        for s in args.seed0..args.seed0 + args.seeds {
            for &t in &taus {
                runs.extend(modes.iter().map(|&m| (s, t, m)));
            }
        }
        Ok(Plan { runs, layers: cfg0.net.layers_string().replace(',', "-"), recipe: recipe(&cfg0)?, taus, modes })
    }
}

/// The settings shared by the runs of a sweep: the training configuration without tau_I, mode,
/// seed and epochs.
fn recipe(cfg: &TrainConfig) -> CliResult<Value> {
    let mut v = serde_json::to_value(cfg).context(|| "serialising the training configuration".into())?;
    if let Some(o) = v.as_object_mut() {
        o.remove("seed");
        o.remove("epochs");
        if let Some(net) = o.get_mut("net").and_then(Value::as_object_mut) {
            net.remove("tau_i");
            net.remove("mode");
        }
    }
    Ok(v)
}

/// Refuses to mix runs of different settings in one directory.
fn check_config(out: &Path, recipe: &Value) -> CliResult {
    let path = out.join(CONFIG);
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(()) };
    let old: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::runtime(format!("{} is not valid JSON ({e}); fix or remove it", path.display())))?;
    if let Some(old_recipe) = old.get("recipe") {
        let diffs: Vec<String> = util::json_diff(old_recipe, recipe)
            .into_iter()
            .map(|(path, a, b)| format!("{path}: {a} there, {b} now"))
            .collect();
        if !diffs.is_empty() {
            return Err(Failure::usage(format!(
                "{} holds a sweep with other settings ({}); pass the same flags or another --out",
                out.display(),
                diffs.join("; ")
            )));
        }
    }
    Ok(())
}

/// Writes `<out>/config.json`: this command, the grid, the settings, and the commands of
/// earlier invocations into the same directory.
fn write_config(out: &Path, args: &SweepArgs, plan: &Plan, train: &Examples, test: &Examples) -> CliResult {
    let path = out.join(CONFIG);
    let now = util::iso8601_utc(SystemTime::now());
    let command = util::command_line();
    let mut history: Vec<Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .and_then(|v| v.get("history").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    history.push(json!({ "date": now, "command": command }));
    let cfg = json!({
        "command": command,
        "date": now,
        "multispike_version": env!("CARGO_PKG_VERSION"),
        "layers": plan.layers,
        "taus": plan.taus,
        "modes": plan.modes.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "seed0": args.seed0,
        "seeds": args.seeds,
        "epochs": args.epochs,
        "data": args.recipe.data_dir().display().to_string(),
        "train_limit": args.recipe.train_limit,
        "test_limit": args.recipe.test_limit,
        "train_samples": train.len(),
        "test_samples": test.len(),
        "threads": rayon::current_num_threads(),
        "cpu": util::cpu_model(),
        "recipe": plan.recipe,
        "history": history,
    });
    let text = serde_json::to_string_pretty(&cfg).context(|| "serialising config.json".into())?;
    write_atomic(&path, (text + "\n").as_bytes())
}

/// Replaces `path` by `bytes` atomically ([`multispike::fsio::write_atomic`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult {
    multispike::fsio::write_atomic(path, bytes).context(|| format!("cannot write {}", path.display()))
}

/// Reads the finished runs of `path` (none if it does not exist). A last line without a line break
/// that does not parse is what an interrupted write leaves: it is dropped (and with `repair`
/// removed from the file); any other bad line is an error.
fn read_csv(path: &Path, repair: bool) -> CliResult<Vec<SweepRow>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Failure::runtime(format!("cannot read {}: {e}", path.display()))),
    };
    let mut body = text.as_str();
    let mut fix: Option<String> = None;
    if !body.is_empty() && !body.ends_with('\n') {
        let cut = body.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let last = &body[cut..];
        let is_row = cut > 0 && SweepRow::from_csv(last).is_ok();
        let is_header = cut == 0 && last.trim() == sw::header();
        if is_row || is_header {
            fix = Some(format!("{body}\n"));
        } else {
            note!("note: {}: dropping an incomplete last line (an interrupted write)", path.display());
            body = &body[..cut];
            fix = Some(body.to_string());
        }
    }
    let rows = sw::parse_csv(body)
        .map_err(|e| Failure::runtime(format!("{}: {e}; fix the file or use another --out", path.display())))?;
    if let (true, Some(fixed)) = (repair, fix) {
        write_atomic(path, fixed.as_bytes())?;
    }
    Ok(rows)
}

/// Appends one row (and the header first, to a new or empty file), then syncs.
fn append_row(path: &Path, row: &SweepRow) -> CliResult {
    let res = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().create(true).append(true).open(path)?;
        let mut text = String::new();
        if f.metadata()?.len() == 0 {
            text.push_str(&sw::header());
            text.push('\n');
        }
        text.push_str(&row.to_csv());
        text.push('\n');
        f.write_all(text.as_bytes())?;
        f.sync_data()
    })();
    res.context(|| format!("cannot append to {}", path.display()))
}

fn ckpt_path(dir: &Path, k: &RunKey) -> PathBuf {
    dir.join(format!("tau{}-{}-seed{}.ckpt", k.tau_i, k.mode, k.seed))
}

/// The per-epoch log of a run: `<out>/logs/tau<τ>-<mode>-seed<s>-e<epochs>.jsonl`, one JSON line per
/// epoch (training statistics and the test accuracy after it), kept after the run: with it the
/// best epoch's test accuracy can be reported beside the final one (clearly labelled: selecting
/// an epoch on the test set is biased).
fn log_path(out: &Path, k: &RunKey) -> PathBuf {
    out.join(LOGS).join(format!("tau{}-{}-seed{}-e{}.jsonl", k.tau_i, k.mode, k.seed, k.epochs))
}

/// Opens a run's log for appending after `epoch` finished epochs: lines of later epochs (written
/// before an interruption that lost their checkpoint) are dropped first; a fresh run (`epoch` 0)
/// starts an empty log.
fn open_log(path: &Path, epoch: u64) -> CliResult<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).context(|| format!("cannot create {}", dir.display()))?;
    }
    let kept: String = match std::fs::read_to_string(path) {
        Ok(text) if epoch > 0 => text
            .lines()
            .filter(|l| {
                serde_json::from_str::<Value>(l).ok().and_then(|v| v.get("epoch").and_then(Value::as_u64))
                    .is_some_and(|e| e <= epoch)
            })
            .map(|l| format!("{l}\n"))
            .collect(),
        _ => String::new(),
    };
    write_atomic(path, kept.as_bytes())?;
    OpenOptions::new().append(true).open(path).context(|| format!("cannot open {}", path.display()))
}

/// Training statistics a checkpoint carries so that a resumed run reports the same row.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    /// All epochs so far.
    totals: StepStats,
    /// The last finished epoch.
    last: StepStats,
    /// Seconds of training so far.
    wall_s: f64,
}

const PROGRESS_KEY: &str = "sweep_progress";

/// The trainer of a run: resumed from its checkpoint when that belongs to this run
/// ([`Checkpoint::resume`]) and is not past its last epoch, else fresh.
fn start(cfg: &TrainConfig, path: &Path, fingerprint: &str, label: &str) -> CliResult<(Trainer, Progress)> {
    if path.exists() {
        let resumed = (|| -> Result<(Trainer, Progress), String> {
            let ck = Checkpoint::load(path).map_err(|e| e.to_string())?;
            let progress: Option<Progress> = ck.metadata.get(PROGRESS_KEY).and_then(|s| serde_json::from_str(s).ok());
            let t = ck.resume(cfg, fingerprint).map_err(|e| e.to_string())?;
            if t.epoch as usize > cfg.epochs {
                return Err(format!("it is past epoch {}", cfg.epochs));
            }
            Ok((t, progress.ok_or("its statistics are missing")?))
        })();
        match resumed {
            Ok((t, p)) => {
                say!("{label}: resuming from {} after epoch {}", path.display(), t.epoch);
                return Ok((t, p));
            }
            Err(why) => note!("note: {label}: not resuming from {} ({why}); starting afresh", path.display()),
        }
    }
    Ok((Trainer::new(cfg.clone())?, Progress::default()))
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
    let (mut trainer, mut progress) = start(&cfg, ckpt, fingerprint, label)?;
    let mut log_file = open_log(log, trainer.epoch)?;
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
        writeln!(log_file, "{line}").and_then(|()| log_file.flush()).context(|| format!("cannot write {}", log.display()))?;
        progress.totals.merge(&stats);
        progress.last = stats;
        let metadata = [
            (PROGRESS_KEY.to_string(), serde_json::to_string(&progress).context(|| "serialising progress".into())?),
            (DATA_FINGERPRINT_KEY.to_string(), fingerprint.to_string()),
            ("command".to_string(), util::command_line()),
        ]
        .into_iter()
        .collect();
        let ck = Checkpoint {
            network: trainer.net.clone(),
            adam: trainer.adam.clone(),
            epoch,
            train_config: train_config.clone(),
            metadata,
        };
        ck.save(ckpt)?;
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

// ---------------------------------------------------------------------------------------------
// Plots

type PlotResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const FONT: &str = "sans-serif";
const MULTI_COLOR: RGBColor = RGBColor(31, 119, 180);
const SINGLE_COLOR: RGBColor = RGBColor(230, 110, 0);
const REF_COLOR: RGBColor = RGBColor(90, 90, 90);

fn mode_color(m: Mode) -> RGBColor {
    match m {
        Mode::Multi => MULTI_COLOR,
        Mode::Single => SINGLE_COLOR,
    }
}

/// The paper's values (Table I, Fig. 5 text): multi-spike at τ_I = 0.8, and both modes' large-τ_I
/// (non-leaky) limits, in percent.
const PAPER_MULTI_BEST: (f64, f64, f64) = (0.8, 98.43, 0.05);
/// The paper's single-spike τ_I = 0.8 row of Table I, in percent.
const PAPER_SINGLE_08: (f64, f64, f64) = (0.8, 97.99, 0.06);
const PAPER_LIMIT_MULTI: f64 = 98.23;
const PAPER_LIMIT_SINGLE: f64 = 97.96;
/// The paper's large-τ_I limits of the mean spikes per neuron (Fig. 4 text, approximate).
const PAPER_SPIKES_MULTI: f64 = 1.5;
const PAPER_SPIKES_SINGLE: f64 = 0.6;

/// What a legend entry shows.
#[derive(Clone, Copy)]
enum Glyph {
    /// A solid line with the mode's marker.
    Series(Mode),
    /// A dashed line.
    Dashed(RGBColor),
    /// A star-like cross with an error bar.
    Star(RGBColor),
}

/// A legend below a chart, in two columns.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(Glyph, String)],
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let col_w = (w as i32 - 80) / 2;
    let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (g, text)) in entries.iter().enumerate() {
        let x = 60 + (i as i32 % 2) * col_w;
        let y = 14 + (i as i32 / 2) * 22;
        match *g {
            Glyph::Series(m) => {
                let c = mode_color(m);
                area.draw(&PathElement::new(vec![(x, y), (x + 30, y)], c.stroke_width(2)))?;
                match m {
                    Mode::Multi => area.draw(&Circle::new((x + 15, y), 5, c.filled()))?,
                    Mode::Single => area.draw(&TriangleMarker::new((x + 15, y), 6, c.filled()))?,
                }
            }
            Glyph::Dashed(c) => {
                for k in 0..3 {
                    area.draw(&PathElement::new(vec![(x + k * 11, y), (x + k * 11 + 7, y)], c.stroke_width(2)))?;
                }
            }
            Glyph::Star(c) => {
                area.draw(&Cross::new((x + 15, y), 6, c.stroke_width(2)))?;
                area.draw(&PathElement::new(vec![(x + 15, y - 8), (x + 15, y + 8)], c.stroke_width(1)))?;
            }
        }
        area.draw(&Text::new(text.clone(), (x + 40, y), style.clone()))?;
    }
    Ok(())
}

/// The x range of the τ_I plots: log scale, a bit beyond the data, ticks at the τ_I values.
fn tau_axis(taus: &[f64]) -> plotters::coord::combinators::WithKeyPoints<LogCoord<f64>> {
    let lo = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = taus.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if lo < hi { (lo / 1.35, hi * 1.35) } else { (lo / 2.0, lo * 2.0) };
    let coord: LogCoord<f64> = (lo..hi).log_scale().into();
    coord.with_key_points(taus.to_vec())
}

fn fmt_tau(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A y range around `values`, padded, at least `min_span` wide, clamped to `clamp`.
fn padded(values: impl Iterator<Item = f64>, min_span: f64, clamp: (f64, f64)) -> (f64, f64) {
    let (mut lo, mut hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return clamp;
    }
    if hi - lo < min_span {
        let mid = 0.5 * (lo + hi);
        lo = mid - 0.5 * min_span;
        hi = mid + 0.5 * min_span;
    }
    let pad = 0.08 * (hi - lo);
    ((lo - pad).max(clamp.0), (hi + pad).min(clamp.1))
}

/// What every plot of one budget group needs.
struct PlotData<'a> {
    rows: Vec<&'a SweepRow>,
    modes: Vec<Mode>,
    taus: Vec<f64>,
    /// e.g. "784-400-10, 1 epoch, 5000 training / 2000 test images, 1 seed per point"
    subtitle: String,
    max_seeds: usize,
}

fn seeds_note(n: usize) -> String {
    if n > 1 {
        format!("mean ± s.e. over {n} seeds")
    } else {
        "1 seed".to_string()
    }
}

/// Renders the three SVG files into `out`; returns their paths.
fn render_plots(out: &Path, rows: &[SweepRow], group: RunGroup, layers: Option<&str>) -> CliResult<Vec<String>> {
    let rows = sw::rows_of_group(rows, group);
    if rows.is_empty() {
        return Err(Failure::runtime("there are no finished runs to plot".to_string()));
    }
    let max_seeds = sw::modes_present(&rows)
        .into_iter()
        .flat_map(|m| sw::curve(&rows, m, |r| r.test_accuracy))
        .map(|p| p.n)
        .max()
        .unwrap_or(1);
    let subtitle = format!(
        "{}{} epoch{}, {} training / {} test images, {}",
        layers.map(|l| format!("{l}, ")).unwrap_or_default(),
        group.epochs,
        if group.epochs == 1 { "" } else { "s" },
        group.train_samples,
        group.test_samples,
        seeds_note(max_seeds)
    );
    let data = PlotData { modes: sw::modes_present(&rows), taus: sw::taus_present(&rows), rows, subtitle, max_seeds };
    let mut written = Vec::new();
    for (name, svg) in [(PLOTS[0], accuracy_svg(&data)), (PLOTS[1], spikes_svg(&data)), (PLOTS[2], hist_svg(&data))] {
        let svg = svg.map_err(|e| Failure::runtime(format!("cannot draw {name}: {e}")))?;
        let path = out.join(name);
        write_atomic(&path, svg.as_bytes())?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// Test accuracy vs τ_I (paper Fig. 5).
/// A chart over τ_I (log axis, see [`tau_axis`]) and an f64 value.
type TauChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::combinators::WithKeyPoints<LogCoord<f64>>, plotters::coord::types::RangedCoordf64>,
>;

/// One curve per mode: a line through the per-τ means, ± s.e. bars where there are several
/// seeds, and the mode's marker (circles for multi-spike, triangles for single-spike).
fn draw_mode_curves(chart: &mut TauChart, curves: &[(Mode, Vec<sw::Point>)]) -> PlotResult {
    for (m, c) in curves {
        let color = mode_color(*m);
        chart.draw_series(LineSeries::new(c.iter().map(|p| (p.tau_i, p.mean)), color.stroke_width(2)))?;
        chart.draw_series(c.iter().filter(|p| p.n > 1).map(|p| {
            ErrorBar::new_vertical(p.tau_i, p.mean - p.se, p.mean, p.mean + p.se, color.stroke_width(2), 10)
        }))?;
        match m {
            Mode::Multi => chart.draw_series(c.iter().map(|p| Circle::new((p.tau_i, p.mean), 5, color.filled())))?,
            Mode::Single => {
                chart.draw_series(c.iter().map(|p| TriangleMarker::new((p.tau_i, p.mean), 6, color.filled())))?
            }
        };
    }
    Ok(())
}

/// What the accuracy panels share: the curves, the paper's reference lines and points, the x axis.
struct AccuracyPanel<'a> {
    curves: &'a [(Mode, Vec<sw::Point>)],
    refs: &'a [(Glyph, String, f64)],
    /// The paper's Table I points at τ_I = 0.8 that apply (multi and/or single), (τ, %, s.e.).
    points: &'a [(f64, f64, f64)],
    x_taus: &'a [f64],
}

/// One accuracy chart on `area` over `y0..y1`; points outside that range are left out (the
/// zoomed panel).
fn draw_accuracy_panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    p: &AccuracyPanel,
    (y0, y1): (f64, f64),
    caption: String,
) -> PlotResult {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 17))
        .margin(14)
        .margin_right(28)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(tau_axis(p.x_taus), y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("τ_I  (in units of t_out = 1; τ_V = τ_I / 2), log scale")
        .y_desc("test accuracy (%)")
        .x_label_formatter(&|x| fmt_tau(*x))
        .y_label_formatter(&|y| if y1 - y0 < 10.0 { format!("{y:.1}") } else { format!("{y:.0}") })
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    let (xa, xb) = (p.x_taus[0] / 1.35, p.x_taus[p.x_taus.len() - 1] * 1.35);
    for (g, _, y) in p.refs {
        if let Glyph::Dashed(c) = g {
            chart.draw_series(DashedLineSeries::new(vec![(xa, *y), (xb, *y)], 8, 5, c.mix(0.8).stroke_width(2)))?;
        }
    }
    for &(x, y, se) in p.points {
        chart.draw_series(std::iter::once(ErrorBar::new_vertical(x, y - se, y, y + se, REF_COLOR.stroke_width(1), 8)))?;
        chart.draw_series(std::iter::once(Cross::new((x, y), 7, REF_COLOR.stroke_width(2))))?;
    }
    let inside: Vec<(Mode, Vec<sw::Point>)> = p
        .curves
        .iter()
        .map(|(m, c)| (*m, c.iter().filter(|q| q.mean >= y0 && q.mean <= y1).cloned().collect()))
        .collect();
    draw_mode_curves(&mut chart, &inside)
}

fn accuracy_svg(d: &PlotData) -> PlotResult<String> {
    let curves: Vec<(Mode, Vec<sw::Point>)> =
        d.modes.iter().map(|&m| (m, sw::curve(&d.rows, m, |r| 100.0 * r.test_accuracy))).collect();
    let mut refs: Vec<(Glyph, String, f64)> = Vec::new();
    let mut points = Vec::new();
    if d.modes.contains(&Mode::Multi) {
        refs.push((
            Glyph::Dashed(MULTI_COLOR),
            format!("paper: multi, τ_I → ∞ (non-leaky), {PAPER_LIMIT_MULTI}%"),
            PAPER_LIMIT_MULTI,
        ));
        points.push(PAPER_MULTI_BEST);
    }
    if d.modes.contains(&Mode::Single) {
        refs.push((
            Glyph::Dashed(SINGLE_COLOR),
            format!("paper: single, τ_I → ∞ (non-leaky), {PAPER_LIMIT_SINGLE}%"),
            PAPER_LIMIT_SINGLE,
        ));
        points.push(PAPER_SINGLE_08);
    }
    let mut x_taus = d.taus.clone();
    if !points.is_empty() && !x_taus.contains(&PAPER_MULTI_BEST.0) {
        x_taus.push(PAPER_MULTI_BEST.0);
        x_taus.sort_by(f64::total_cmp);
    }
    let data_values = || curves.iter().flat_map(|(_, c)| c.iter().flat_map(|p| [p.mean - p.se, p.mean + p.se]));
    let ref_values = || refs.iter().map(|r| r.2).chain(points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]));
    let (y0, y1) = padded(data_values().chain(ref_values()), 1.0, (0.0, 100.0));
    // A zoomed panel of the region near the paper's values when the full range hides it (some
    // τ_I far below, e.g. the collapse at small τ_I).
    let zoom = (y1 - y0 > 10.0).then(|| {
        let near = data_values().filter(|v| *v >= 90.0).chain(ref_values());
        padded(near, 1.0, (0.0, 100.0))
    });
    let panel = AccuracyPanel { curves: &curves, refs: &refs, points: &points, x_taus: &x_taus };
    let width = if zoom.is_some() { 1500 } else { 900 };

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, 660)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(570);
        let title = format!("MNIST test accuracy vs τ_I  ({})", d.subtitle);
        match zoom {
            None => draw_accuracy_panel(&top, &panel, (y0, y1), title)?,
            Some(z) => {
                let (left, right) = top.split_horizontally(width / 2);
                draw_accuracy_panel(&left, &panel, (y0, y1), title)?;
                draw_accuracy_panel(&right, &panel, z, format!("zoom: {:.1}–{:.1} % (points below left out)", z.0, z.1))?;
            }
        }
        let mut legend: Vec<(Glyph, String)> = d
            .modes
            .iter()
            .map(|&m| (Glyph::Series(m), format!("this run: {m}-spike ({})", seeds_note(d.max_seeds))))
            .collect();
        if d.modes.contains(&Mode::Multi) {
            legend.push((Glyph::Star(REF_COLOR), "paper (Table I): multi, τ_I = 0.8 (its best), 98.43 ± 0.05%".to_string()));
        }
        if d.modes.contains(&Mode::Single) {
            legend.push((Glyph::Star(REF_COLOR), "paper (Table I): single, τ_I = 0.8, 97.99 ± 0.06%".to_string()));
        }
        legend.extend(refs.into_iter().map(|(g, t, _)| (g, t)));
        draw_legend(&bottom, &legend)?;
        root.present()?;
    }
    Ok(buf)
}

/// Mean spikes per hidden neuron vs τ_I (paper Fig. 4).
fn spikes_svg(d: &PlotData) -> PlotResult<String> {
    let curves: Vec<(Mode, Vec<sw::Point>)> =
        d.modes.iter().map(|&m| (m, sw::curve(&d.rows, m, |r| r.mean_spikes))).collect();
    let mut refs: Vec<(Glyph, String, f64)> =
        vec![(Glyph::Dashed(BLACK), "1 spike per neuron: the single-spike maximum".to_string(), 1.0)];
    if d.modes.contains(&Mode::Multi) {
        refs.push((
            Glyph::Dashed(MULTI_COLOR),
            format!("paper: multi, τ_I → ∞, ≈ {PAPER_SPIKES_MULTI}"),
            PAPER_SPIKES_MULTI,
        ));
    }
    if d.modes.contains(&Mode::Single) {
        refs.push((
            Glyph::Dashed(SINGLE_COLOR),
            format!("paper: single, τ_I → ∞, ≈ {PAPER_SPIKES_SINGLE}"),
            PAPER_SPIKES_SINGLE,
        ));
    }
    let top_value = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.mean + p.se))
        .chain(refs.iter().map(|r| r.2))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y1 = top_value * 1.12;

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 660)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(570);
        let mut chart = ChartBuilder::on(&top)
            .caption(format!("Spikes per hidden neuron vs τ_I  ({})", d.subtitle), (FONT, 17))
            .margin(14)
            .margin_right(28)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(tau_axis(&d.taus), 0.0..y1)?;
        chart
            .configure_mesh()
            .x_desc("τ_I  (synaptic time constant, in units of t_out = 1; τ_V = τ_I / 2), log scale")
            .y_desc("mean spikes per hidden neuron per test image")
            .x_label_formatter(&|x| fmt_tau(*x))
            .y_label_formatter(&|y| format!("{y:.2}"))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()?;
        let (xa, xb) = (d.taus[0] / 1.35, d.taus[d.taus.len() - 1] * 1.35);
        for (g, _, y) in &refs {
            if let Glyph::Dashed(c) = g {
                let style = if *c == BLACK { c.stroke_width(2) } else { c.mix(0.6).stroke_width(2) };
                chart.draw_series(DashedLineSeries::new(vec![(xa, *y), (xb, *y)], 8, 5, style))?;
            }
        }
        draw_mode_curves(&mut chart, &curves)?;
        let mut legend: Vec<(Glyph, String)> = d
            .modes
            .iter()
            .map(|&m| (Glyph::Series(m), format!("this run: {m}-spike ({})", seeds_note(d.max_seeds))))
            .collect();
        legend.extend(refs.into_iter().map(|(g, t, _)| (g, t)));
        draw_legend(&bottom, &legend)?;
        root.present()?;
    }
    Ok(buf)
}

/// Spike-count histograms of the first hidden layer at three τ_I (paper Fig. 3), multi mode (or
/// single when the sweep has no multi runs).
fn hist_svg(d: &PlotData) -> PlotResult<String> {
    let mode = if d.modes.contains(&Mode::Multi) { Mode::Multi } else { d.modes[0] };
    let mine: Vec<&SweepRow> = d.rows.iter().copied().filter(|r| r.key.mode == mode).collect();
    let panels: Vec<(f64, Vec<f64>, usize)> = sw::hist_taus(&sw::taus_present(&mine))
        .into_iter()
        .filter_map(|t| sw::hist_fractions(&mine, mode, t).map(|(h, n)| (t, h, n)))
        .collect();
    let spikes = sw::curve(&mine, mode, |r| r.mean_spikes);
    let bins = multispike::train::HIST_BINS;

    let mut buf = String::new();
    {
        let height = 150 + 230 * panels.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut buf, (900, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(
            &format!("Spike counts per hidden neuron and test image, {mode}-spike  ({})", d.subtitle),
            (FONT, 17),
        )?;
        if panels.is_empty() {
            root.draw(&Text::new("no histogram in the CSV", (300, 100), (FONT, 16)))?;
        }
        let n = panels.len().max(1);
        let areas = root.split_evenly((n, 1));
        for (i, ((tau, h, runs), area)) in panels.iter().zip(&areas).enumerate() {
            let last = i + 1 == n;
            let mean = spikes.iter().find(|p| p.tau_i == *tau).map(|p| p.mean).unwrap_or(f64::NAN);
            // each panel on its own scale, so that the tail stays visible next to a tall 0 bin
            let y_top = h.iter().copied().fold(0.0, f64::max).max(0.01) * 1.12;
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!(
                        "τ_I = {}:  mean {:.2} spikes per neuron,  {:.0}% of (neuron, image) pairs without a spike  ({})",
                        fmt_tau(*tau),
                        mean,
                        100.0 * h[0],
                        seeds_note(*runs)
                    ),
                    (FONT, 15),
                )
                .margin(8)
                .margin_right(28)
                .x_label_area_size(if last { 48 } else { 24 })
                .y_label_area_size(70)
                .build_cartesian_2d((0..bins as i32 - 1).into_segmented(), 0.0..y_top)?;
            let x_fmt = |x: &SegmentValue<i32>| match x {
                SegmentValue::CenterOf(k) | SegmentValue::Exact(k) if (*k as usize) + 1 < bins => k.to_string(),
                SegmentValue::CenterOf(k) | SegmentValue::Exact(k) if (*k as usize) + 1 == bins => format!("≥{k}"),
                _ => String::new(),
            };
            let mut mesh = chart.configure_mesh();
            mesh.x_labels(bins + 1)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&|y| format!("{y:.2}"))
                .y_desc("fraction")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 15))
                .disable_x_mesh()
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.12));
            if last {
                mesh.x_desc("spikes of one hidden neuron on one test image (first hidden layer)");
            }
            mesh.draw()?;
            let color = mode_color(mode);
            chart.draw_series(h.iter().enumerate().map(|(k, &f)| {
                let k = k as i32;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(k), 0.0), (SegmentValue::Exact(k + 1), f)],
                    color.mix(0.85).filled(),
                );
                bar.set_margin(0, 0, 5, 5);
                bar
            }))?;
        }
        root.present()?;
    }
    Ok(buf)
}

//! What a sweep keeps in its output directory: `sweep.csv` (one row per finished run, repaired
//! after an interrupted write), `config.json` (the settings, which a re-run must match, and the
//! commands so far), the per-epoch log of each run under `logs/`, and the checkpoint of each
//! unfinished run under `checkpoints/` with the statistics a resumed run needs.

use super::plan::Plan;
use super::SweepArgs;
use crate::util::{self, CliResult, Context, Failure};
use multispike::app::sweep::{self as sw, RunKey, SweepRow};
use multispike::data::{DatasetId, Examples, Samples};
use multispike::formats::checkpoint::Checkpoint;
use multispike::train::resume::DATA_FINGERPRINT_KEY;
use multispike::train::{StepStats, TrainConfig, Trainer};
use serde_json::{json, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The finished runs, one CSV row each.
pub(super) const CSV: &str = "sweep.csv";
/// The sweep's settings and command history.
pub(super) const CONFIG: &str = "config.json";
/// The checkpoints of unfinished runs.
pub(super) const CHECKPOINTS: &str = "checkpoints";
const LOGS: &str = "logs";

/// Refuses to mix runs of different settings in one directory.
/// The data set a config.json names; a config without the key (written before data sets other
/// than MNIST existed) is MNIST's. `None` for no config or an unknown name.
pub(super) fn dataset_of(config: Option<&Value>) -> Option<DatasetId> {
    let config = config?;
    DatasetId::from_metadata(config.get("dataset").and_then(Value::as_str)).ok()
}

pub(super) fn check_config(out: &Path, recipe: &Value, dataset: DatasetId) -> CliResult {
    let path = out.join(CONFIG);
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(()) };
    let old: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::runtime(format!("{} is not valid JSON ({e}); fix or remove it", path.display())))?;
    if let Some(old_set) = dataset_of(Some(&old)) {
        if old_set != dataset {
            return Err(Failure::usage(format!(
                "{} holds a sweep on {}, not {}; pass --dataset {} or another --out",
                out.display(),
                old_set.name(),
                dataset.name(),
                old_set.name()
            )));
        }
    }
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
pub(super) fn write_config(out: &Path, args: &SweepArgs, plan: &Plan, train: &Examples, test: &Examples) -> CliResult {
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
        "dataset": args.recipe.dataset().name(),
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

/// Replaces `path` by `bytes` atomically ([`multispike::formats::fsio::write_atomic`]).
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult {
    multispike::formats::fsio::write_atomic(path, bytes).context(|| format!("cannot write {}", path.display()))
}

/// Reads the finished runs of `path` (none if it does not exist). A last line without a line break
/// that does not parse is what an interrupted write leaves: it is dropped (and with `repair`
/// removed from the file); any other bad line is an error.
pub(super) fn read_csv(path: &Path, repair: bool) -> CliResult<Vec<SweepRow>> {
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
pub(super) fn append_row(path: &Path, row: &SweepRow) -> CliResult {
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

/// The checkpoint of an unfinished run: `<out>/checkpoints/tau<τ>-<mode>-seed<s>.ckpt` (`dir` is
/// `<out>/checkpoints`), deleted once its row is written.
pub(super) fn ckpt_path(dir: &Path, k: &RunKey) -> PathBuf {
    dir.join(format!("tau{}-{}-seed{}.ckpt", k.tau_i, k.mode, k.seed))
}

/// The per-epoch log of a run: `<out>/logs/tau<τ>-<mode>-seed<s>-e<epochs>.jsonl`, one JSON line per
/// epoch (training statistics and the test accuracy after it), kept after the run: with it the
/// best epoch's test accuracy can be reported beside the final one (clearly labelled: selecting
/// an epoch on the test set is biased).
pub(super) fn log_path(out: &Path, k: &RunKey) -> PathBuf {
    out.join(LOGS).join(format!("tau{}-{}-seed{}-e{}.jsonl", k.tau_i, k.mode, k.seed, k.epochs))
}

/// Opens a run's log for appending after `epoch` finished epochs: lines of later epochs (written
/// before an interruption that lost their checkpoint) are dropped first; a fresh run (`epoch` 0)
/// starts an empty log.
pub(super) fn open_log(path: &Path, epoch: u64) -> CliResult<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).context(|| format!("cannot create {}", dir.display()))?;
    }
    let kept: String = match std::fs::read_to_string(path) {
        Ok(text) if epoch > 0 => text
            .lines()
            .filter(|l| {
                serde_json::from_str::<Value>(l)
                    .ok()
                    .and_then(|v| v.get("epoch").and_then(Value::as_u64))
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
pub(super) struct Progress {
    /// All epochs so far.
    pub totals: StepStats,
    /// The last finished epoch.
    pub last: StepStats,
    /// Seconds of training so far.
    pub wall_s: f64,
}

const PROGRESS_KEY: &str = "sweep_progress";

/// The trainer of a run: resumed from its checkpoint when that belongs to this run
/// ([`Checkpoint::resume`]) and is not past its last epoch, else fresh.
pub(super) fn start(cfg: &TrainConfig, path: &Path, fingerprint: &str, label: &str) -> CliResult<(Trainer, Progress)> {
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

/// Writes the checkpoint of a run after `epoch` finished epochs, with the statistics so far and
/// the fingerprint of its training data.
pub(super) fn save_checkpoint(
    path: &Path,
    trainer: &Trainer,
    epoch: u64,
    train_config: &str,
    progress: &Progress,
    fingerprint: &str,
) -> CliResult {
    let metadata = [
        (PROGRESS_KEY.to_string(), serde_json::to_string(progress).context(|| "serialising progress".into())?),
        (DATA_FINGERPRINT_KEY.to_string(), fingerprint.to_string()),
        ("command".to_string(), util::command_line()),
    ]
    .into_iter()
    .collect();
    let ck = Checkpoint {
        network: trainer.net.clone(),
        adam: trainer.adam.clone(),
        epoch,
        train_config: train_config.to_string(),
        metadata,
    };
    Ok(ck.save(path)?)
}

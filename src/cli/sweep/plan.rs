//! The plan of a sweep: the arguments checked, the τ_I values and modes without repeats, the
//! runs in order (seed, then τ_I, then mode, so that a partial sweep already has whole curves)
//! and the settings they share.

use super::SweepArgs;
use crate::util::{check_limit, CliResult, Context, Failure};
use multispike::train::TrainConfig;
use multispike::{Mode, NetConfig};
use serde_json::Value;

/// The validated grid and settings of a sweep.
pub(super) struct Plan {
    pub taus: Vec<f64>,
    pub modes: Vec<Mode>,
    /// (seed, tau_I, mode) in run order.
    pub runs: Vec<(u64, f64, Mode)>,
    /// Layer sizes joined by `-`, e.g. `784-400-10`.
    pub layers: String,
    /// The settings shared by all runs (everything but tau_I, mode, seed, epochs).
    pub recipe: Value,
}

impl Plan {
    /// Checks the arguments (usage errors) and lays out the runs.
    pub fn new(args: &SweepArgs) -> CliResult<Plan> {
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

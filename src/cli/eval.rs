//! `multispike eval`: accuracy and spiking statistics of a trained model on the MNIST test set.

use crate::train::{set_threads, PrecisionArg};
use crate::util::{self, check_limit, CliResult, Context, DatasetArg, Failure};
use clap::Args;
use multispike::data::{DatasetId, Samples, Split};
use multispike::formats::model_file;
use multispike::train::{evaluate, HIST_BINS};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Options of `multispike eval`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Reports the test accuracy (overall and per digit), the cross-entropy, the mean number of hidden
spikes per neuron per image, the fraction of hidden neurons that never fire on any test image,
the number of spike trains cut by the spike cap, and the histogram of per-(neuron, image) spike
counts of the first hidden layer (the last bin collects 20 or more).

Examples:
  multispike eval model.safetensors
  multispike eval model.safetensors --limit 1000 --json > eval.json")]
pub struct EvalArgs {
    /// Model file written by `multispike train` (safetensors, format multispike-v1).
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Data set to test on [default: the model's, from its `dataset` metadata; MNIST for files
    /// that have none].
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetArg>,
    /// Directory with the IDX files [default: data/<dataset>].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Evaluate on the first N test images only.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print one JSON object instead of the human-readable report.
    #[arg(long)]
    pub json: bool,
    /// Worker threads [default: all CPUs].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Precision of the per-neuron state (f32 is ~2x faster; f64 is the exact reference).
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
}

/// Runs `multispike eval`.
pub fn run(args: &EvalArgs) -> CliResult {
    check_limit("--limit", args.limit)?;
    set_threads(args.threads)?;
    let mut mf = model_file::load(&args.model)?;
    mf.network.set_precision(args.precision.into());
    let net = &mf.network;
    let cfg = net.config();
    let n_out = cfg.layers[cfg.layers.len() - 1];
    let dataset: DatasetId = match args.dataset {
        Some(d) => d.into(),
        None => mf.dataset().map_err(|e| Failure::runtime(format!("{}: {e}", args.model.display())))?,
    };
    let spec = dataset.spec();
    if n_out != spec.classes() {
        return Err(Failure::runtime(format!(
            "{}: the model has {n_out} outputs but {} has {} classes",
            args.model.display(),
            spec.title,
            spec.classes()
        )));
    }
    if let Ok(trained_on) = mf.dataset() {
        if args.dataset.is_some() && trained_on != dataset {
            note!(
                "note: {} was trained on {}; evaluating it on {} as asked",
                args.model.display(),
                trained_on.spec().title,
                spec.title
            );
        }
    }
    let dir = util::data_dir(dataset, args.data.as_deref());
    let test = util::load_split(dataset, &dir, Split::Test, args.limit)?;
    let sp = if args.json { None } else { Some(util::spinner(format!("evaluating on {} test examples", test.len()))) };
    let start = Instant::now();
    let ev = evaluate(net, &test)?;
    let eval_s = start.elapsed().as_secs_f64();
    if let Some(sp) = sp {
        sp.finish_and_clear();
    }
    let per_class: Vec<f64> =
        ev.per_class_correct.iter().zip(&ev.per_class_total).map(|(&c, &t)| util::ratio(c as f64, t as f64)).collect();
    let loss = util::ratio(ev.loss_sum, ev.samples as f64);

    if args.json {
        let out = json!({
            "model": args.model.display().to_string(),
            "dataset": dataset.name(),
            "layers": cfg.layers,
            "tau_I": cfg.tau_i,
            "t_out": cfg.t_out,
            "mode": cfg.mode.as_str(),
            "max_spikes": cfg.max_spikes,
            "provenance": mf.provenance(),
            "samples": ev.samples,
            "accuracy": ev.accuracy(),
            "loss": loss,
            "per_class_accuracy": per_class,
            "per_class_total": ev.per_class_total,
            "mean_spikes": ev.mean_spikes,
            "silent_fraction": ev.silent_fraction,
            "truncated": ev.truncated,
            "undecided": ev.undecided,
            "spike_hist": ev.spike_hist,
            "eval_s": eval_s,
        });
        let s = serde_json::to_string_pretty(&out).context(|| "writing JSON".into())?;
        say!("{s}");
        return Ok(());
    }

    let prov = mf.provenance();
    say!("model       {}", args.model.display());
    say!(
        "network     {} ({}, tau_I {}, t_out {}, spike cap {})",
        cfg.layers_string(),
        cfg.mode,
        cfg.tau_i,
        cfg.t_out,
        cfg.spike_cap()
    );
    if let Some(e) = prov.get("epochs") {
        let acc = prov.get("test_accuracy").map(|a| format!(", recorded test accuracy {a}")).unwrap_or_default();
        let date = prov.get("date").map(|d| format!(", saved {d}")).unwrap_or_default();
        say!("training    {e} epochs{acc}{date}");
    }
    if dataset.is_mnist() {
        say!("test images {}  ({:.2} s, {:.0} images/s)", ev.samples, eval_s, util::ratio(ev.samples as f64, eval_s));
    } else {
        say!(
            "test set    {} examples of {}  ({:.2} s, {:.0} examples/s)",
            ev.samples,
            spec.title,
            eval_s,
            util::ratio(ev.samples as f64, eval_s)
        );
    }
    say!();
    say!("accuracy    {:.2}%  ({} / {})", 100.0 * ev.accuracy(), ev.correct, ev.samples);
    say!("loss        {loss:.4}  (cross-entropy)");
    if dataset.is_mnist() {
        for (row, digits) in [(0, 0..5), (1, 5..n_out)] {
            let cells: Vec<String> = digits.map(|d| format!("{d}: {:5.1}%", 100.0 * per_class[d])).collect();
            say!("{}{}", if row == 0 { "per digit   " } else { "            " }, cells.join("   "));
        }
    } else {
        for (c, name) in spec.class_names.iter().enumerate() {
            let head = if c == 0 { "per class   " } else { "            " };
            say!("{head}{name:<12} {:5.1}%", 100.0 * per_class[c]);
        }
    }
    say!();
    say!("hidden spikes per neuron per image  {:.3}", ev.mean_spikes);
    say!("silent hidden neurons               {:.1}%", 100.0 * ev.silent_fraction);
    say!("spike trains cut by the cap         {}", ev.truncated);
    say!("undecided (tied outputs, counted wrong) {}", ev.undecided);
    if !ev.spike_hist.is_empty() && ev.spike_hist.iter().any(|&c| c > 0) {
        say!();
        say!("spike-count histogram of the first hidden layer (per neuron and image):");
        let total: u64 = ev.spike_hist.iter().sum();
        let peak = ev.spike_hist.iter().copied().max().unwrap_or(1).max(1);
        let last = ev.spike_hist.iter().rposition(|&c| c > 0).unwrap_or(0);
        for (k, &c) in ev.spike_hist.iter().enumerate().take(last + 1) {
            let label = if k + 1 == HIST_BINS { format!("≥{k}") } else { format!("{k}") };
            let bar = "#".repeat(((c as f64 / peak as f64) * 50.0).round() as usize);
            say!("  {label:>3} {:6.2}%  {bar}", 100.0 * util::ratio(c as f64, total as f64));
        }
    }
    Ok(())
}

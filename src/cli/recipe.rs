//! The training-recipe flags shared by `multispike train` and `multispike sweep` (defaults: the
//! paper's recipe for the image data sets, our Yin-Yang recipe for Yin-Yang), and the training
//! configuration they describe.

use crate::train::PrecisionArg;
use crate::util::{self, CliResult, DatasetArg, Failure};
use clap::Args;
use multispike::data::DatasetId;
use multispike::train::TrainConfig;
use multispike::{Mode, NetConfig};
use std::path::PathBuf;

/// Data, network and optimiser flags common to every training command.
#[derive(Args, Debug, Clone)]
pub struct RecipeArgs {
    /// Data set to train and test on (sets the input and output sizes).
    #[arg(long, value_enum, default_value_t = DatasetArg::Mnist)]
    pub dataset: DatasetArg,
    /// Directory with the four IDX files (raw or .gz) [default: data/<dataset>]; see
    /// `multispike fetch`. Unused for yin-yang (generated).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Hidden layer sizes: repeat the flag or give a comma list for deeper nets (e.g. 400,400)
    /// [default: 400; yin-yang: 120].
    #[arg(long, value_name = "N[,N…]", value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Mini-batch size [default: 100; yin-yang: 20].
    #[arg(long, value_name = "N")]
    pub batch: Option<usize>,
    /// Adam learning rate [default: 1e-3; yin-yang: 3e-3].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Weight of the dead-neuron penalty (pushes up neurons silent on > 90% of a batch).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda: f64,
    /// Weight of the L2 penalty on the output potentials.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub sigma: f64,
    /// Mean of the Gaussian weight initialisation: one value for every layer, or a comma list
    /// with one per weight layer [default: 0.03; yin-yang: 1.5,0].
    #[arg(long, value_name = "MEAN[,…]", value_delimiter = ',', allow_negative_numbers = true)]
    pub init_mean: Vec<f64>,
    /// Standard deviation of the Gaussian weight initialisation, one value or one per weight
    /// layer [default: sqrt(0.3) ≈ 0.5477; yin-yang: 0.8,0.3].
    #[arg(long, value_name = "STD[,…]", value_delimiter = ',', allow_negative_numbers = true)]
    pub init_std: Vec<f64>,
    /// Per-neuron spike cap in multi mode [default: 64]; spikes beyond it are dropped and counted.
    #[arg(long, value_name = "N")]
    pub max_spikes: Option<u32>,
    /// Train on the first N training examples only.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test examples only.
    #[arg(long, value_name = "N")]
    pub test_limit: Option<usize>,
    /// Worker threads [default: all CPUs]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Precision of the per-neuron state (f32 is ~2x faster; f64 is the exact reference).
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
}

/// A data set's recipe defaults (what the flags above fall back to).
pub struct Defaults {
    pub hidden: &'static [usize],
    pub batch: usize,
    pub lr: f64,
    /// (mean, std) of the first weight layer and of every later one.
    pub init_first: [f64; 2],
    pub init_rest: [f64; 2],
}

/// The defaults of a data set: the paper's recipe for the image data sets; for Yin-Yang a small
/// net whose first layer fires (5 inputs need weights near 1: a single spike of weight w lifts
/// V by at most w·τ_I/4) — see README, "Beyond MNIST", for how it was chosen.
pub fn defaults(id: DatasetId) -> Defaults {
    match id {
        DatasetId::Mnist | DatasetId::FashionMnist => {
            // The paper's recipe, as `TrainConfig::paper` states it (the layers do not matter here).
            let p = TrainConfig::paper(NetConfig::new(vec![1, 1], 1.0, Mode::Multi));
            let init = [p.init_mean, p.init_std];
            Defaults { hidden: &[400], batch: p.batch_size, lr: p.adam.lr, init_first: init, init_rest: init }
        }
        DatasetId::YinYang => {
            use multispike::data::yinyang as yy;
            Defaults {
                hidden: &[yy::RECIPE_HIDDEN],
                batch: yy::RECIPE_BATCH,
                lr: yy::RECIPE_LR,
                init_first: yy::RECIPE_INIT[0],
                init_rest: yy::RECIPE_INIT[1],
            }
        }
    }
}

impl RecipeArgs {
    /// The data set.
    pub fn dataset(&self) -> DatasetId {
        self.dataset.into()
    }

    /// The data directory (`--data` or the data set's default).
    pub fn data_dir(&self) -> PathBuf {
        util::data_dir(self.dataset(), self.data.as_deref())
    }

    /// Layer sizes: the data set's inputs, the hidden sizes, its classes.
    pub fn layers(&self) -> Vec<usize> {
        let spec = self.dataset().spec();
        let mut layers = vec![spec.inputs];
        match &self.hidden {
            Some(h) => layers.extend(h),
            None => layers.extend(defaults(self.dataset()).hidden),
        }
        layers.push(spec.classes());
        layers
    }

    /// The training configuration of one run (not yet validated).
    pub fn train_config(&self, tau: f64, mode: Mode, seed: u64, epochs: usize) -> CliResult<TrainConfig> {
        let d = defaults(self.dataset());
        let mut net = NetConfig::new(self.layers(), tau, mode);
        if let Some(m) = self.max_spikes {
            net.max_spikes = m;
        }
        let n_w = net.n_weight_layers();
        let mut cfg = TrainConfig::paper(net);
        cfg.dataset = self.dataset();
        cfg.epochs = epochs;
        cfg.batch_size = self.batch.unwrap_or(d.batch);
        cfg.adam.lr = self.lr.unwrap_or(d.lr);
        cfg.loss.lambda = self.lambda;
        cfg.loss.sigma = self.sigma;
        cfg.seed = seed;
        cfg.precision = self.precision.into();
        for (flag, list) in [("--init-mean", &self.init_mean), ("--init-std", &self.init_std)] {
            if list.len() > 1 && list.len() != n_w {
                return Err(Failure::usage(format!(
                    "{flag} has {} values; give one (every layer) or one per weight layer ({n_w})",
                    list.len()
                )));
            }
        }
        let pick = |list: &[f64], l: usize, default: f64| match list.len() {
            0 => default,
            1 => list[0],
            _ => list[l],
        };
        let per_layer: Vec<[f64; 2]> = (0..n_w)
            .map(|l| {
                let def = if l == 0 { d.init_first } else { d.init_rest };
                [pick(&self.init_mean, l, def[0]), pick(&self.init_std, l, def[1])]
            })
            .collect();
        cfg.init_mean = per_layer[0][0];
        cfg.init_std = per_layer[0][1];
        // One pair for every layer is stored as init_mean/init_std alone (as before per-layer
        // initialisation existed, so earlier checkpoints and sweeps still match).
        if per_layer.iter().any(|p| p != &per_layer[0]) {
            cfg.init_layers = per_layer;
        }
        Ok(cfg)
    }
}

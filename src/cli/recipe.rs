//! The training-recipe flags shared by `multispike train` and `multispike sweep` (defaults: the
//! paper's recipe), and the training configuration they describe.

use crate::train::PrecisionArg;
use clap::Args;
use multispike::data::mnist::{CLASSES, DIM};
use multispike::train::TrainConfig;
use multispike::{Mode, NetConfig};
use std::path::PathBuf;

/// Data, network and optimiser flags common to every training command.
#[derive(Args, Debug, Clone)]
pub struct RecipeArgs {
    /// Directory with the four MNIST IDX files (raw or .gz); see `multispike fetch-mnist`.
    #[arg(long, value_name = "DIR", default_value = "data/mnist")]
    pub data: PathBuf,
    /// Hidden layer sizes: repeat the flag or give a comma list for deeper nets (e.g. 400,400).
    #[arg(long, value_name = "N[,N…]", value_delimiter = ',', default_values_t = [400])]
    pub hidden: Vec<usize>,
    /// Mini-batch size.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub batch: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub lr: f64,
    /// Weight of the dead-neuron penalty (pushes up neurons silent on > 90% of a batch).
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub lambda: f64,
    /// Weight of the L2 penalty on the output potentials.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub sigma: f64,
    /// Mean of the Gaussian weight initialisation.
    #[arg(long, value_name = "MEAN", default_value_t = 0.03, allow_negative_numbers = true)]
    pub init_mean: f64,
    /// Standard deviation of the Gaussian weight initialisation [default: sqrt(0.3) ≈ 0.5477].
    #[arg(long, value_name = "STD", allow_negative_numbers = true)]
    pub init_std: Option<f64>,
    /// Per-neuron spike cap in multi mode [default: 64]; spikes beyond it are dropped and counted.
    #[arg(long, value_name = "N")]
    pub max_spikes: Option<u32>,
    /// Train on the first N training images only.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,
    /// Evaluate on the first N test images only.
    #[arg(long, value_name = "N")]
    pub test_limit: Option<usize>,
    /// Worker threads [default: all CPUs]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Precision of the per-neuron state (f32 is ~2x faster; f64 is the exact reference).
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    pub precision: PrecisionArg,
}

impl RecipeArgs {
    /// Layer sizes: 784 inputs, the hidden sizes, 10 outputs.
    pub fn layers(&self) -> Vec<usize> {
        let mut layers = vec![DIM];
        layers.extend(&self.hidden);
        layers.push(CLASSES);
        layers
    }

    /// The training configuration of one run (not yet validated).
    pub fn train_config(&self, tau: f64, mode: Mode, seed: u64, epochs: usize) -> TrainConfig {
        let mut net = NetConfig::new(self.layers(), tau, mode);
        if let Some(m) = self.max_spikes {
            net.max_spikes = m;
        }
        let mut cfg = TrainConfig::paper(net);
        cfg.epochs = epochs;
        cfg.batch_size = self.batch;
        cfg.adam.lr = self.lr;
        cfg.loss.lambda = self.lambda;
        cfg.loss.sigma = self.sigma;
        cfg.seed = seed;
        cfg.init_mean = self.init_mean;
        if let Some(s) = self.init_std {
            cfg.init_std = s;
        }
        cfg.precision = self.precision.into();
        cfg
    }
}

//! Validated hyper-parameters of a network (architecture and neuron dynamics).
//!
//! Everything that arrives from a user (CLI flag, model file metadata, JS object) goes through
//! [`NetConfig::validate`] before the engine sees it, so the engine itself can assume sane values.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Largest number of neurons in one layer that a configuration may ask for.
pub const MAX_LAYER_WIDTH: usize = 65_536;
/// Largest number of weights of a whole network.
pub const MAX_PARAMS: usize = 64 * 1024 * 1024;
/// Largest per-neuron spike cap.
pub const MAX_SPIKE_CAP: u32 = 10_000;
/// Largest t_out / τ_I: z = exp(t/τ_I) is kept in f64, and z² (≤ e^{2·150}) must stay far from overflow.
pub const MAX_TOUT_OVER_TAU: f64 = 150.0;
/// Largest τ_I.
pub const MAX_TAU_I: f64 = 1e6;

/// Firing rule of the hidden neurons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A neuron may fire any number of times (up to the spike cap).
    Multi,
    /// A neuron fires at most once; after it V is still reset and keeps integrating but never fires again.
    Single,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Multi => "multi",
            Mode::Single => "single",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "multi" => Ok(Mode::Multi),
            "single" => Ok(Mode::Single),
            other => Err(Error::Config(format!("mode must be \"multi\" or \"single\", got {other:?}"))),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Architecture and dynamics of a network. τ_V = τ_I / 2 (the neuron kernel `engine::kernel_p2`;
/// `engine::dynamics` is where another τ_I/τ_V would plug in) and V_th = 1 are fixed by the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetConfig {
    /// Layer sizes `[n_in, h_1, …, h_k, n_out]`.
    pub layers: Vec<usize>,
    /// Synaptic-current time constant τ_I (τ_V = τ_I / 2).
    pub tau_i: f64,
    /// Read-out time t_out: hidden spikes count only at t < t_out, the output is V_o(t_out).
    #[serde(default = "default_t_out")]
    pub t_out: f64,
    /// Firing rule of hidden neurons.
    pub mode: Mode,
    /// Per-neuron spike cap in multi mode (spikes beyond it are counted as truncations and
    /// suppressed: the neuron then behaves like a single-spike neuron that already fired).
    #[serde(default = "default_max_spikes")]
    pub max_spikes: u32,
    /// Grazing guard: in the backward pass the crossing slope δ = √D / z (= τ_I · dV/dt at the
    /// crossing) is clamped from below at this value, bounding |dt/dw|. Each clamp is counted.
    #[serde(default = "default_grazing_eps")]
    pub grazing_eps: f64,
}

fn default_t_out() -> f64 {
    1.0
}
fn default_max_spikes() -> u32 {
    64
}
fn default_grazing_eps() -> f64 {
    1e-3
}

/// The threshold potential (fixed).
pub const V_TH: f64 = 1.0;

impl NetConfig {
    /// A configuration with the defaults for t_out, spike cap and grazing guard.
    pub fn new(layers: Vec<usize>, tau_i: f64, mode: Mode) -> Self {
        NetConfig {
            layers,
            tau_i,
            t_out: default_t_out(),
            mode,
            max_spikes: default_max_spikes(),
            grazing_eps: default_grazing_eps(),
        }
    }

    /// Checks every field; the error names the field and the accepted range.
    pub fn validate(&self) -> Result<()> {
        let cfg = |m: String| Err(Error::Config(m));
        if self.layers.len() < 2 {
            return cfg(format!("layers needs at least an input and an output size, got {:?}", self.layers));
        }
        for (l, &n) in self.layers.iter().enumerate() {
            if n == 0 {
                return cfg(format!("layer {l} has zero neurons"));
            }
            if n > MAX_LAYER_WIDTH {
                return cfg(format!("layer {l} has {n} neurons; at most {MAX_LAYER_WIDTH} are supported"));
            }
        }
        let params: usize = self.layers.windows(2).map(|w| w[0] * w[1]).sum();
        if params > MAX_PARAMS {
            return cfg(format!("the network would have {params} weights; at most {MAX_PARAMS} are supported"));
        }
        if !self.tau_i.is_finite() || self.tau_i <= 0.0 {
            return cfg(format!("tau_I must be a positive finite number, got {}", self.tau_i));
        }
        if !self.t_out.is_finite() || self.t_out <= 0.0 {
            return cfg(format!("t_out must be a positive finite number, got {}", self.t_out));
        }
        if self.t_out / self.tau_i > MAX_TOUT_OVER_TAU {
            return cfg(format!(
                "t_out / tau_I = {} is too large (at most {MAX_TOUT_OVER_TAU}): exp(t/tau_I) would overflow",
                self.t_out / self.tau_i
            ));
        }
        if self.tau_i > MAX_TAU_I {
            return cfg(format!("tau_I = {} is absurdly large (at most {MAX_TAU_I:e})", self.tau_i));
        }
        if self.max_spikes == 0 || self.max_spikes > MAX_SPIKE_CAP {
            return cfg(format!("max_spikes must be in 1..={MAX_SPIKE_CAP}, got {}", self.max_spikes));
        }
        if !(self.grazing_eps.is_finite() && (0.0..1.0).contains(&self.grazing_eps)) {
            return cfg(format!("grazing_eps must be in [0, 1), got {}", self.grazing_eps));
        }
        Ok(())
    }

    /// Number of weight matrices.
    pub fn n_weight_layers(&self) -> usize {
        self.layers.len() - 1
    }

    /// Effective per-neuron spike cap: 1 in single mode.
    pub fn spike_cap(&self) -> u32 {
        match self.mode {
            Mode::Multi => self.max_spikes,
            Mode::Single => 1,
        }
    }

    /// Comma-separated layer sizes, e.g. `784,400,10`.
    pub fn layers_string(&self) -> String {
        self.layers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values() {
        let ok = NetConfig::new(vec![784, 400, 10], 0.8, Mode::Multi);
        ok.validate().unwrap();
        for (f, want) in [
            (Box::new(|c: &mut NetConfig| c.tau_i = 0.0) as Box<dyn Fn(&mut NetConfig)>, "tau_I"),
            (Box::new(|c: &mut NetConfig| c.tau_i = f64::NAN), "tau_I"),
            (Box::new(|c: &mut NetConfig| c.tau_i = 1e9), "tau_I"),
            (Box::new(|c: &mut NetConfig| c.tau_i = 0.001), "overflow"),
            (Box::new(|c: &mut NetConfig| c.t_out = -1.0), "t_out"),
            (Box::new(|c: &mut NetConfig| c.layers = vec![784, 0, 10]), "zero neurons"),
            (Box::new(|c: &mut NetConfig| c.layers = vec![784, 1_000_000, 10]), "at most"),
            (Box::new(|c: &mut NetConfig| c.layers = vec![10]), "at least"),
            (Box::new(|c: &mut NetConfig| c.max_spikes = 0), "max_spikes"),
            (Box::new(|c: &mut NetConfig| c.max_spikes = u32::MAX), "max_spikes"),
        ] {
            let mut c = ok.clone();
            f(&mut c);
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(want), "{e} should mention {want}");
        }
    }
}

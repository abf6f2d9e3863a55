//! Reference cases: one sample through a small, fully specified network, with every intermediate
//! quantity written out, for cross-checking this engine against other implementations of the
//! model (a Python/NumPy port, an ODE solver, a paper-and-pencil derivation).
//!
//! # Input (JSON object, unknown fields are rejected)
//!
//! | field         | meaning                                                                      |
//! |---------------|------------------------------------------------------------------------------|
//! | `layers`      | layer sizes `[n_0, h_1, …, n_out]`, at least 2 entries                       |
//! | `weights`     | one matrix per layer pair: `weights[l]` has `n_l` rows of `n_{l+1}` numbers (row = presynaptic neuron) |
//! | `input_times` | `n_0` input spike times; `null` or a time ≥ `t_out` means "no spike"; times must be ≥ 0 |
//! | `tau_I`       | synaptic time constant τ_I (τ_V = τ_I/2, V_th = 1)                           |
//! | `t_out`       | read-out time (optional, default 1)                                          |
//! | `mode`        | `"multi"` or `"single"`                                                      |
//! | `label`       | target class, `0 ≤ label < n_out`                                            |
//! | `lambda`      | weight λ ≥ 0 of the dead-neuron penalty                                     |
//! | `sigma`       | weight σ ≥ 0 of the L2 term on the output potentials                         |
//! | `max_spikes`  | per-neuron spike cap in multi mode (optional, default 64)                    |
//! | `flags`       | dead-neuron flags P_j of the **first** hidden layer (`true`/`false` or `1`/`0`); optional, default: the neurons of that layer that do not spike in this sample |
//!
//! # Output (JSON object)
//!
//! | field             | meaning                                                               |
//! |-------------------|-----------------------------------------------------------------------|
//! | `spikes`          | `[hidden layer][neuron][spike times…]`, in time order                 |
//! | `counts`          | `[hidden layer][neuron]` spike counts                                 |
//! | `v_hidden`        | `[hidden layer][neuron]` membrane potential V(t_out)                   |
//! | `v_out`           | output membrane potentials V_o(t_out)                                 |
//! | `loss`            | −log softmax(v_out)_label + σ/N_out ‖v_out‖² + λ/J_1 Σ_j P_j (1 − V_j(t_out)) |
//! | `grad`            | `[weight layer][row][col]`: dL/dW, exact, in f64                      |
//! | `flags`           | the flags actually used (given or defaulted)                           |
//! | `truncated`       | spike trains cut by the spike cap (0 unless a neuron hit `max_spikes`) |
//! | `guarded`         | crossings whose slope was clamped by the grazing guard; when > 0 the gradient is deliberately bounded, not exact |
//! | `weights_rounded_to_f32` | always `true`, see below                                       |
//!
//! # Conventions
//!
//! * **Weights are rounded to f32.** The engine stores weights in single precision, so every
//!   weight of the input is rounded to the nearest f32 before anything is computed. All the rest
//!   (times, potentials, loss, gradient) is computed in f64. An implementation that wants to match
//!   to the last digits should use f32-representable weights (e.g. multiples of 2⁻¹⁰).
//! * A crossing exactly at `t_out` is not a spike; V reaching V_th exactly counts as a crossing.
//! * The dead-neuron penalty uses only the first hidden layer; deeper hidden layers get no flags.
//!   The flags are constants for the gradient (as in training).
//! * With no hidden layer (`layers` of length 2) there are no spikes and no penalty; `flags`
//!   must then be absent or empty.

use crate::engine::config::{Mode, NetConfig};
use crate::engine::loss::{dead_penalty, output_loss};
use crate::engine::network::Network;
use crate::error::{Error, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A dead-neuron flag P_j as written in a case: `true`/`false` or the number `1`/`0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a flag: true/false or 1/0")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> std::result::Result<Flag, E> {
                Ok(Flag(b))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> std::result::Result<Flag, E> {
                match x {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(x), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, x: i64) -> std::result::Result<Flag, E> {
                match x {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Signed(x), &self)),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> std::result::Result<Flag, E> {
                if x == 0.0 {
                    Ok(Flag(false))
                } else if x == 1.0 {
                    Ok(Flag(true))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(x), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A reference case as read from JSON (see the module documentation for the meaning of fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub layers: Vec<usize>,
    pub weights: Vec<Vec<Vec<f64>>>,
    pub input_times: Vec<Option<f64>>,
    #[serde(rename = "tau_I")]
    pub tau_i: f64,
    #[serde(default = "default_t_out")]
    pub t_out: f64,
    pub mode: Mode,
    pub label: usize,
    pub lambda: f64,
    pub sigma: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_spikes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<Flag>>,
}

fn default_t_out() -> f64 {
    1.0
}

/// What [`run_case`] computes (see the module documentation for the meaning of fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseOutput {
    pub spikes: Vec<Vec<Vec<f64>>>,
    pub counts: Vec<Vec<u32>>,
    pub v_hidden: Vec<Vec<f64>>,
    pub v_out: Vec<f64>,
    pub loss: f64,
    pub grad: Vec<Vec<Vec<f64>>>,
    pub flags: Vec<bool>,
    pub truncated: u64,
    pub guarded: u64,
    pub weights_rounded_to_f32: bool,
}

fn case_err(msg: String) -> Error {
    Error::Case(msg)
}

/// Re-labels an engine error as a case error, keeping its message.
fn as_case(e: Error) -> Error {
    match e {
        Error::Case(m) => Error::Case(m),
        other => Error::Case(other.to_string()),
    }
}

impl CaseInput {
    /// Parses a case from JSON (syntax and field types only; see [`CaseInput::build`]).
    pub fn from_json(json: &str) -> Result<CaseInput> {
        serde_json::from_str(json).map_err(|e| case_err(format!("invalid case JSON: {e}")))
    }

    /// The network configuration of the case.
    pub fn net_config(&self) -> NetConfig {
        let mut cfg = NetConfig::new(self.layers.clone(), self.tau_i, self.mode);
        cfg.t_out = self.t_out;
        if let Some(m) = self.max_spikes {
            cfg.max_spikes = m;
        }
        cfg
    }

    /// Checks every field and builds the network (weights rounded to f32) and the input times
    /// (`null` → +∞). Every problem is an [`Error::Case`] naming the offending entry.
    pub fn build(&self) -> Result<(Network, Vec<f64>)> {
        if self.layers.len() < 2 {
            return Err(case_err(format!("layers needs at least an input and an output size, got {:?}", self.layers)));
        }
        let cfg = self.net_config();
        cfg.validate().map_err(as_case)?;
        let n_w = cfg.n_weight_layers();
        if self.weights.len() != n_w {
            return Err(case_err(format!(
                "layers {:?} need {n_w} weight matrices, got {}",
                self.layers,
                self.weights.len()
            )));
        }
        let mut ws = Vec::with_capacity(n_w);
        for (l, w) in self.weights.iter().enumerate() {
            let (rows, cols) = (self.layers[l], self.layers[l + 1]);
            if w.len() != rows {
                return Err(case_err(format!(
                    "weights[{l}] must have {rows} rows (one per neuron of layer {l}), got {}",
                    w.len()
                )));
            }
            let mut flat = Vec::with_capacity(rows * cols);
            for (i, row) in w.iter().enumerate() {
                if row.len() != cols {
                    return Err(case_err(format!(
                        "weights[{l}][{i}] must have {cols} entries (one per neuron of layer {}), got {}",
                        l + 1,
                        row.len()
                    )));
                }
                for (j, &x) in row.iter().enumerate() {
                    let r = x as f32;
                    if !x.is_finite() || !r.is_finite() {
                        return Err(case_err(format!(
                            "weights[{l}][{i}][{j}] = {x} is not a finite number within the f32 range"
                        )));
                    }
                    flat.push(r);
                }
            }
            let m = Array2::from_shape_vec((rows, cols), flat).map_err(|e| case_err(format!("weights[{l}]: {e}")))?;
            ws.push(m);
        }
        let net = Network::new(cfg, ws).map_err(as_case)?;

        let n0 = self.layers[0];
        if self.input_times.len() != n0 {
            return Err(case_err(format!(
                "input_times must have {n0} entries (one per input neuron), got {}",
                self.input_times.len()
            )));
        }
        let mut times = Vec::with_capacity(n0);
        for (i, t) in self.input_times.iter().enumerate() {
            match *t {
                None => times.push(f64::INFINITY),
                Some(t) if t.is_finite() && t >= 0.0 => times.push(t),
                Some(t) => {
                    return Err(case_err(format!(
                        "input_times[{i}] = {t}; a time must be a finite number ≥ 0 (or null for no spike)"
                    )))
                }
            }
        }

        let n_out = self.layers[self.layers.len() - 1];
        if self.label >= n_out {
            return Err(case_err(format!("label {} is out of range: there are {n_out} outputs", self.label)));
        }
        for (name, x) in [("lambda", self.lambda), ("sigma", self.sigma)] {
            if !(x.is_finite() && x >= 0.0) {
                return Err(case_err(format!("{name} must be a finite number ≥ 0, got {x}")));
            }
        }
        if let Some(flags) = &self.flags {
            let want = if self.layers.len() > 2 { self.layers[1] } else { 0 };
            if flags.len() != want {
                return Err(case_err(if want == 0 {
                    format!("flags must be empty: the network has no hidden layer (got {})", flags.len())
                } else {
                    format!(
                        "flags must have {want} entries (one per neuron of the first hidden layer), got {}",
                        flags.len()
                    )
                }));
            }
        }
        Ok((net, times))
    }

    /// Validates the case and computes its outputs.
    pub fn run(&self) -> Result<CaseOutput> {
        let (net, times) = self.build()?;
        let tau = net.config().tau_i;
        let tr = net.forward_times(&times).map_err(as_case)?;

        let flags: Vec<bool> = match (&self.flags, tr.hidden.first()) {
            (Some(f), _) => f.iter().map(|x| x.0).collect(),
            (None, Some(h)) => h.counts.iter().map(|&c| c == 0).collect(),
            (None, None) => Vec::new(),
        };

        let (mut loss, dv, _) = output_loss(&tr.v_out, self.label, self.sigma);
        let mut g_hidden: Vec<Vec<f64>> = Vec::new();
        if let Some(h) = tr.hidden.first() {
            let (lc, g) = dead_penalty(&h.v_end, &flags, self.lambda);
            loss += lc;
            g_hidden.push(g);
        }
        let mut grads = net.zero_grads();
        let st = net.backward(&tr, &dv, &g_hidden, &mut grads, &mut Default::default());

        let spikes: Vec<Vec<Vec<f64>>> = tr
            .hidden
            .iter()
            .map(|h| {
                let mut per: Vec<Vec<f64>> = vec![Vec::new(); h.counts.len()];
                for s in &h.spikes {
                    per[s.neuron as usize].push(s.time(tau));
                }
                per
            })
            .collect();
        let grad: Vec<Vec<Vec<f64>>> =
            grads.iter().enumerate().map(|(l, g)| g.chunks(self.layers[l + 1]).map(|r| r.to_vec()).collect()).collect();
        let out = CaseOutput {
            spikes,
            counts: tr.hidden.iter().map(|h| h.counts.clone()).collect(),
            v_hidden: tr.hidden.iter().map(|h| h.v_end.clone()).collect(),
            v_out: tr.v_out.clone(),
            loss,
            grad,
            flags,
            truncated: tr.hidden.iter().map(|h| h.truncated as u64).sum(),
            guarded: st.guarded,
            weights_rounded_to_f32: true,
        };
        if st.non_finite > 0 || !out.all_finite() {
            return Err(case_err(
                "the computation produced a non-finite value (loss, potential or gradient); \
                 the weights or time constants are too extreme for this case"
                    .into(),
            ));
        }
        Ok(out)
    }
}

impl CaseOutput {
    fn all_finite(&self) -> bool {
        let f = |v: &[f64]| v.iter().all(|x| x.is_finite());
        self.loss.is_finite()
            && f(&self.v_out)
            && self.v_hidden.iter().all(|v| f(v))
            && self.spikes.iter().flatten().all(|v| f(v))
            && self.grad.iter().flatten().all(|v| f(v))
    }
}

/// Runs a case given as JSON and returns the output as pretty-printed JSON.
///
/// Never panics on bad input: malformed JSON, unknown fields, wrong lengths, ragged weight rows,
/// non-finite numbers, out-of-range labels and invalid configurations are all [`Error::Case`].
pub fn run_case(json: &str) -> Result<String> {
    let out = CaseInput::from_json(json)?.run()?;
    let mut s = serde_json::to_string_pretty(&out).map_err(|e| case_err(format!("cannot write output: {e}")))?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"{"layers":[2,2,2],"weights":[[[2,0.5],[2,-1]],[[1,-1],[0.5,0.5]]],
        "input_times":[0.1,null],"tau_I":0.5,"mode":"multi","label":1,"lambda":0.1,"sigma":0.01}"#;

    #[test]
    fn runs_and_defaults_flags() {
        let out: CaseOutput = serde_json::from_str(&run_case(TINY).unwrap()).unwrap();
        assert_eq!(out.counts.len(), 1);
        assert_eq!(out.flags, out.counts[0].iter().map(|&c| c == 0).collect::<Vec<_>>());
        assert_eq!(out.grad.len(), 2);
        assert_eq!(out.grad[0].len(), 2);
        assert!(out.weights_rounded_to_f32);
    }

    #[test]
    fn rejects_unknown_fields_and_bad_json() {
        let e = run_case(&TINY.replace("\"label\"", "\"lable\"")).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
        assert!(run_case("{").unwrap_err().to_string().contains("invalid case JSON"));
    }
}

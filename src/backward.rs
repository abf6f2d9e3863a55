//! Hand-written exact backward pass of one layer, through every spike time and every reset path.
//!
//! Spike k of neuron j solves F_k = A_k/z_k − B_k/z_k² − 1 = 0 (see `forward`). Implicit
//! differentiation, with ∂F_k/∂z_k = √D_k / z_k², gives (input i at z_i in the interval's past):
//!   ∂z_k/∂w_i  = −c (z_i z_k − z_i²) / √D_k
//!   ∂z_k/∂z_i  = −c w_i (z_k − 2 z_i) / √D_k          (presynaptic spike time, deeper layers)
//!   ∂z_k/∂z_m  =  2 z_m / √D_k     for the neuron's own earlier spike m < k (reset path)
//! and the read-out v = A/z_out − B/z_out² gives ∂v/∂w_i = c(z_i/z_out − z_i²/z_out²),
//! ∂v/∂z_m = −2 z_m / z_out² for each own spike m.
//!
//! Total adjoints λ_k = dL/dz_k run backwards over each neuron's spikes (the reset chain):
//!   λ_k = ḡ_k + 2 z_k Σ_{k'>k} λ_{k'}/√D_{k'} − 2 z_k g_v / z_out²,
//! with ḡ_k from the next layer and g_v = dL/dv_end. With α_k = λ_k/√D_k and the suffix sums
//!   S1(L) = Σ_{k: level_k ≥ L} α_k z_k − g_v/z_out,   S2(L) = Σ_{k: level_k ≥ L} α_k − g_v/z_out²,
//! every input i at level L gets
//!   dL/dw_ij = c (−z_L S1_j + z_L² S2_j),   dL/dz_i = c Σ_j w_ij (−S1_j + 2 z_L S2_j).
//! One coefficient row per level is added to each of the level's weight-gradient rows.
//!
//! Grazing guard: near a tangential crossing √D → 0 and these derivatives diverge (the spike
//! time is not differentiable at D = 0). The backward uses √D_eff = max(√D, ε z_k), i.e. the
//! crossing slope τ_I·dV/dt = √D/z is clamped at ε (`NetConfig::grazing_eps`), and counts each clamp.

use crate::events::Events;
use crate::forward::{Dynamics, LayerTrace};
use crate::kernels::{self, GradElem};

/// Counters of the backward pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackwardStats {
    /// Spikes whose crossing slope was clamped by the grazing guard.
    pub guarded: u64,
    /// Non-finite adjoints met (the sample's gradient is then not used; see `train`).
    pub non_finite: u64,
}

impl std::ops::AddAssign for BackwardStats {
    fn add_assign(&mut self, o: Self) {
        self.guarded += o.guarded;
        self.non_finite += o.non_finite;
    }
}

/// Reusable buffers of the backward pass.
#[derive(Default, Debug)]
pub struct BackBuffers {
    alpha: Vec<f64>,
    first: Vec<u32>,
    order: Vec<u32>,
    s1: Vec<f64>,
    s2: Vec<f64>,
    row: Vec<f64>,
    q: Vec<f64>,
}

/// Backward pass of one spiking layer.
///
/// * `dz_spike[k]`: dL/dz of spike k of `tr.spikes` coming from the next layer.
/// * `g_v[j]`: dL/dV_j(t_out) (dead-neuron penalty); empty means zero.
/// * `grad`: `[n_in × n_out]` accumulator of dL/dW.
/// * `dz_in`: if given, receives dL/dz of every event of `ev` (for the previous layer).
#[allow(clippy::too_many_arguments)]
pub fn backward_hidden<G: GradElem>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics,
    eps: f64,
    tr: &LayerTrace,
    dz_spike: &[f64],
    g_v: &[f64],
    grad: &mut [G],
    mut dz_in: Option<&mut [f64]>,
    buf: &mut BackBuffers,
) -> BackwardStats {
    let mut st = BackwardStats::default();
    let ns = tr.spikes.len();
    let zo = dy.z_out;
    let zo2 = zo * zo;
    let gv = |j: usize| if g_v.is_empty() { 0.0 } else { g_v[j] };

    // Group spikes per neuron (counting sort keeps time order within a neuron).
    buf.first.clear();
    buf.first.resize(n_out + 1, 0);
    for j in 0..n_out {
        buf.first[j + 1] = buf.first[j] + tr.counts[j];
    }
    buf.order.clear();
    buf.order.resize(ns, 0);
    let mut fill: Vec<u32> = buf.first[..n_out].to_vec();
    for (k, s) in tr.spikes.iter().enumerate() {
        let j = s.neuron as usize;
        buf.order[fill[j] as usize] = k as u32;
        fill[j] += 1;
    }

    // Reset chain, last spike first.
    buf.alpha.clear();
    buf.alpha.resize(ns, 0.0);
    for j in 0..n_out {
        let (a, b) = (buf.first[j] as usize, buf.first[j + 1] as usize);
        let mut tail = 0.0; // Σ_{k'>k} λ_k'/√D_k'
        let gvz = gv(j) / zo2;
        for &k in buf.order[a..b].iter().rev() {
            let s = &tr.spikes[k as usize];
            let lam = dz_spike[k as usize] + 2.0 * s.z * (tail - gvz);
            let floor = eps * s.z;
            let sd = if s.sqrt_d < floor {
                st.guarded += 1;
                floor
            } else {
                s.sqrt_d
            };
            let al = lam / sd;
            if !al.is_finite() {
                st.non_finite += 1;
            }
            buf.alpha[k as usize] = al;
            tail += al;
        }
    }

    // Level sweep, last level first, with running suffix sums S1, S2 per neuron.
    buf.s1.clear();
    buf.s2.clear();
    for j in 0..n_out {
        buf.s1.push(-gv(j) / zo);
        buf.s2.push(-gv(j) / zo2);
    }
    buf.row.resize(n_out, 0.0);
    buf.q.resize(n_out, 0.0);
    let mut p = ns;
    for l in (0..ev.levels()).rev() {
        while p > 0 && tr.spikes[p - 1].level as usize >= l {
            p -= 1;
            let s = &tr.spikes[p];
            let al = buf.alpha[p];
            buf.s1[s.neuron as usize] += al * s.z;
            buf.s2[s.neuron as usize] += al;
        }
        let zl = ev.z[l];
        let c1 = -dy.c * zl;
        let c2 = dy.c * zl * zl;
        kernels::lincomb(&mut buf.row, &buf.s1, &buf.s2, c1, c2);
        let r = ev.level(l);
        for &i in &ev.src[r.clone()] {
            G::add_row(&mut grad[i as usize * n_out..(i as usize + 1) * n_out], &buf.row);
        }
        if let Some(dz) = dz_in.as_deref_mut() {
            let q1 = -dy.c;
            let q2 = 2.0 * dy.c * zl;
            kernels::lincomb(&mut buf.q, &buf.s1, &buf.s2, q1, q2);
            for e in r {
                let i = ev.src[e] as usize;
                dz[e] = kernels::dot_f32(&w[i * n_out..(i + 1) * n_out], &buf.q);
            }
        }
    }
    st
}

/// Backward pass of the read-out layer, given g = dL/dv_out.
pub fn backward_readout<G: GradElem>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics,
    g: &[f64],
    grad: &mut [G],
    mut dz_in: Option<&mut [f64]>,
) {
    let zo = dy.z_out;
    let mut row = vec![0.0; n_out];
    for l in 0..ev.levels() {
        let z = ev.z[l];
        let rho = z / zo;
        let s = dy.c * (rho - rho * rho);
        let ds = dy.c * (1.0 / zo - 2.0 * z / (zo * zo));
        for e in ev.level(l) {
            let i = ev.src[e] as usize;
            for (r, &go) in row.iter_mut().zip(g) {
                *r = go * s;
            }
            G::add_row(&mut grad[i * n_out..(i + 1) * n_out], &row);
            if let Some(dz) = dz_in.as_deref_mut() {
                let wr = &w[i * n_out..(i + 1) * n_out];
                dz[e] = ds * wr.iter().zip(g).map(|(&x, &go)| x as f64 * go).sum::<f64>();
            }
        }
    }
}

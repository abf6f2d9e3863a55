//! Hand-written exact backward pass of one layer, through every spike time and every reset path.
//!
//! Spike k of neuron j solves F_k = A_k/z_k − B_k/z_k^p − 1 = 0 (see `forward`; p = τ_I/τ_V).
//! Implicit differentiation, with z_k ∂F_k/∂z_k = δ_k = τ_I·dV/dt at the crossing, gives (input i
//! at z_i in the interval's past, ρ = z_i/z_k):
//!   z_k⁻¹ ∂z_k/∂w_i  = −c (ρ − ρ^p) / δ_k
//!   z_i ∂z_k/∂z_i / z_k = −c w_i (ρ − p ρ^p) / δ_k          (presynaptic spike time, deeper layers)
//!   z_m ∂z_k/∂z_m / z_k =  p (z_m/z_k)^p / δ_k   for the neuron's own earlier spike m < k (reset path)
//! and the read-out v = A/z_out − B/z_out^p gives ∂v/∂w_i = c(ρ_i − ρ_i^p), ρ_i = z_i/z_out, and
//! z_m ∂v/∂z_m = −p (z_m/z_out)^p for each own spike m. For p = 2 (`kernel_p2`, c = τ_I) δ_k =
//! √D_k / z_k and these are ∂z_k/∂w_i = −c (z_i z_k − z_i²) / √D_k, ∂z_k/∂z_i = −c w_i (z_k − 2 z_i) / √D_k,
//! ∂z_k/∂z_m = 2 z_m / √D_k. The p-dependent factors are the [`NeuronKernel`]'s.
//!
//! Everything is carried in dimensionless form: μ = z·dL/dz = τ_I·dL/dt for every spike, and the
//! local-frame quantities of the forward pass (x_k = z_k / z_level and the slope datum
//! d_k = x_k δ_k, `Spike::sqrt_d`: √d_k = √D_k / z_level for p = 2).
//!
//! * Reset chain, per neuron, last spike first (g_v = dL/dV(t_out)):
//!   `μ_k = μ̄_k + p T_k − p g_v (z_k/z_out)^p`, `T_k = Σ_{k'>k} μ_k' x_k' / d_k' · (z_k/z_k')^p`,
//!   with μ̄_k from the next layer.
//! * Per level L (last first), suffix sums in the frame of z_L over the spikes of levels ≥ L:
//!   `P1 = Σ μ_k/d_k · (z_L/z_{L_k}) − g_v z_L/z_out`,
//!   `P2 = Σ μ_k/(x_k^(p−1) d_k) · (z_L/z_{L_k})^p − g_v (z_L/z_out)^p`,
//!   decayed from level to level like the forward state. Every input i of level L then gets
//!   `dL/dw_ij = c (P2_j − P1_j)` and `μ_i = c Σ_j w_ij (p P2_j − P1_j)`.
//!   One coefficient row per level is added to each of the level's weight-gradient rows.
//!
//! Grazing guard: near a tangential crossing d → 0 and these derivatives diverge (the spike
//! time is not differentiable there). The backward uses d_eff = max(d, ε x), i.e. the
//! crossing slope τ_I·dV/dt = d/x is clamped at ε (`NetConfig::grazing_eps`); each clamp is counted.

use crate::engine::dynamics::{Dynamics, NeuronKernel};
use crate::engine::events::Events;
use crate::engine::forward::LayerTrace;
use crate::engine::kernels::{self, GradElem};
use crate::engine::real::Real;

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
pub struct BackBuffers<T> {
    /// Per neuron, the reset chain's running tail and the z of its latest visited spike.
    tail: Vec<f64>,
    z_next: Vec<f64>,
    p1: Vec<T>,
    p2: Vec<T>,
    row: Vec<T>,
    q: Vec<T>,
}

/// Backward pass of one spiking layer.
///
/// * `mu_spike[k]`: μ̄ = z·dL/dz of spike k of `tr.spikes` coming from the next layer.
/// * `g_v[j]`: dL/dV_j(t_out) (dead-neuron penalty); empty means zero.
/// * `grad`: `[n_in × n_out]` accumulator of dL/dW.
/// * `mu_in`: if given, receives μ = z·dL/dz of every event of `ev` (for the previous layer).
#[allow(clippy::too_many_arguments)]
// Kept out of line: one symbol per stage for scripts/profile.sh (the call is per layer, not per spike).
#[inline(never)]
pub fn backward_hidden<T: Real, G: GradElem, K: NeuronKernel>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics<K>,
    eps: f64,
    tr: &LayerTrace,
    mu_spike: &[f64],
    g_v: &[f64],
    grad: &mut [G],
    mut mu_in: Option<&mut [f64]>,
    buf: &mut BackBuffers<T>,
) -> BackwardStats {
    let mut st = BackwardStats::default();
    let ns = tr.spikes.len();
    let zo = dy.z_out;
    let k = dy.kernel;
    let gv = |j: usize| if g_v.is_empty() { 0.0 } else { g_v[j] };

    // The reset chain runs inside the level sweep below: the sweep visits the spikes in reverse
    // emission order, which is reverse time order within each neuron, so when spike k is
    // reached every later spike of its neuron has been, and the neuron's running tail T (in the
    // frame of its latest visited spike, at z_next) is all the chain needs.
    buf.tail.clear();
    buf.tail.resize(n_out, 0.0);
    buf.z_next.clear();
    buf.z_next.resize(n_out, f64::NAN);

    // Level sweep, last level first, with the suffix sums P1, P2 in the frame of each level.
    let levels = ev.levels();
    buf.p1.clear();
    buf.p2.clear();
    let q_end = if levels > 0 { ev.z[levels - 1] / zo } else { 1.0 };
    for j in 0..n_out {
        let g = gv(j);
        buf.p1.push(T::from_f64(-g * q_end));
        buf.p2.push(T::from_f64(k.b_term(-g, q_end)));
    }
    buf.row.resize(n_out, T::ZERO);
    buf.q.resize(n_out, T::ZERO);
    let c = T::from_f64(dy.c);
    let pk = T::from_f64(k.p());
    let mut p = ns;
    for l in (0..levels).rev() {
        while p > 0 && tr.spikes[p - 1].level as usize >= l {
            p -= 1;
            let s = &tr.spikes[p];
            let j = s.neuron as usize;
            // Reset chain, this neuron's later spikes done: c1 = μ/d, c2 = μ/(x^(p−1) d).
            let mut tail = buf.tail[j];
            let z_next = buf.z_next[j];
            if z_next.is_finite() {
                tail *= k.pow_p(s.z / z_next);
            }
            let mu = k.reset_chain_mu(mu_spike[p], tail, gv(j), s.z / zo);
            let floor = eps * s.x;
            let sd = if s.sqrt_d < floor {
                st.guarded += 1;
                floor
            } else {
                s.sqrt_d
            };
            let c1 = mu / sd;
            if !c1.is_finite() {
                st.non_finite += 1;
            }
            buf.tail[j] = tail + c1 * s.x;
            buf.z_next[j] = s.z;
            buf.p1[j] += T::from_f64(c1);
            buf.p2[j] += T::from_f64(k.b_coeff(c1, s.x));
        }
        let r = ev.level(l);
        if let Some(mu) = mu_in.as_deref_mut() {
            kernels::pre_coeff(&mut buf.q, &buf.p1, &buf.p2, c, pk);
            for e in r.clone() {
                let i = ev.src[e] as usize;
                mu[e] = kernels::dot(&w[i * n_out..(i + 1) * n_out], &buf.q);
            }
        }
        let dec = if l > 0 { ev.z[l - 1] / ev.z[l] } else { 0.0 };
        kernels::row_and_decay(&mut buf.row, &mut buf.p1, &mut buf.p2, c, T::from_f64(dec), T::from_f64(k.pow_p(dec)));
        for &i in &ev.src[r] {
            G::add_row(&mut grad[i as usize * n_out..(i as usize + 1) * n_out], &buf.row);
        }
    }
    st
}

/// The read-out's gradient rows dL/dw_{i,o} += g_o S_i and sums wg_i = Σ_o w_{i,o} g_o (when
/// `wg` is not empty) for exactly `N` outputs; rows with S_i = 0 are skipped only when g is not
/// finite (otherwise they add ±0.0, which changes no bit).
#[inline(always)]
fn readout_rows<const N: usize, G: GradElem>(factors: &[f64], w: &[f32], g: &[f64], grad: &mut [G], wg: &mut [f64]) {
    let g: [f64; N] = g.try_into().expect("one gradient per output");
    let with_wg = !wg.is_empty();
    // With a finite g, a row with S_i = 0 would only add ±0.0 (no bit changes: x + ±0 = x, and
    // +0 + −0 = +0), so every row is taken without the unpredictable branch; its wg_i is never
    // read (a neuron with S_i = 0 has no events).
    let skip_zero_rows = !g.iter().all(|x| x.is_finite());
    for (i, ((&s, gr), row)) in factors.iter().zip(grad.chunks_exact_mut(N)).zip(w.chunks_exact(N)).enumerate() {
        if skip_zero_rows && s == 0.0 {
            continue;
        }
        for (gr, &go) in gr.iter_mut().zip(&g) {
            gr.add(go * s);
        }
        if with_wg {
            wg[i] = row.iter().zip(&g).map(|(&x, &go)| x as f64 * go).sum::<f64>();
        }
    }
}

/// Scratch of the read-out's backward pass (reused per thread).
#[derive(Default, Debug)]
pub struct ReadoutBuffers {
    wg: Vec<f64>,
}

/// Backward pass of the read-out layer, given g = dL/dv_out; `mu_in` receives z·dL/dz per event.
/// dL/dw_{i,o} = g_o S_i with `factors` the S_i of [`crate::engine::forward::readout_factors`]
/// for these events, as the forward pass left them (one row per neuron, however often it fired),
/// and μ_e = c(ρ_e − p ρ_e^p) Σ_o w_{i,o} g_o with the sum computed once per neuron i. `buf` is
/// reused scratch (per thread).
#[allow(clippy::too_many_arguments)]
// Kept out of line: one symbol per stage for scripts/profile.sh (the call is per layer, not per spike).
#[inline(never)]
pub fn backward_readout<G: GradElem, K: NeuronKernel>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics<K>,
    factors: &[f64],
    g: &[f64],
    grad: &mut [G],
    mu_in: Option<&mut [f64]>,
    buf: &mut ReadoutBuffers,
) {
    let zo = dy.z_out;
    let n_in = w.len() / n_out.max(1);
    assert_eq!(factors.len(), n_in, "one read-out factor per presynaptic neuron");
    let wg = &mut buf.wg;
    wg.clear();
    wg.resize(if mu_in.is_some() { n_in } else { 0 }, 0.0);
    match n_out {
        // The data sets' widths with g in registers (the same operations as the general loop).
        10 => readout_rows::<10, G>(factors, w, g, grad, wg),
        3 => readout_rows::<3, G>(factors, w, g, grad, wg),
        _ => {
            for (i, &s) in factors.iter().enumerate() {
                if s == 0.0 {
                    continue;
                }
                for (gr, &go) in grad[i * n_out..][..n_out].iter_mut().zip(g) {
                    gr.add(go * s);
                }
                if !wg.is_empty() {
                    wg[i] = w[i * n_out..][..n_out].iter().zip(g).map(|(&x, &go)| x as f64 * go).sum::<f64>();
                }
            }
        }
    }
    if let Some(mu) = mu_in {
        for l in 0..ev.levels() {
            let rho = ev.z[l] / zo;
            let ds = dy.kernel.readout_dfactor(dy.c, rho);
            for e in ev.level(l) {
                mu[e] = ds * wg[ev.src[e] as usize];
            }
        }
    }
}

//! The seam for the neuron model: [`NeuronKernel`], the maths that depends on p = τ_I/τ_V, and
//! [`Dynamics`], the constants of one network's layers with the kernel they use.
//!
//! Everything else (the level scan of `forward`, the reset chain and level sweep of `backward`,
//! `network`, the traces of `app::traces`, the reference ODE of the tests) is written for any p and
//! calls the kernel for every p-dependent expression. The only kernel today is
//! [`P2`], τ_V = τ_I/2, where the threshold crossing is a quadratic.
//! Every method is statically dispatched (`forward_hidden_into::<T, K>`, `Dynamics<K>`, with
//! `K = P2` by default) and inlined, so the hot loops compile as if p = 2 were written in them.
//!
//! # The model for any p (the paper's Methods, eq. 12–19)
//!
//! With z = exp(t/τ_I), p = τ_I/τ_V ≠ 1, V_th = 1 and c = τ_Iτ_V/(τ_I − τ_V) = τ_I/(p − 1), a
//! hidden neuron's membrane between events is (eq. 14–15)
//!   V(z) = A/z − B/z^p,   A = c Σ w_i z_i (eq. 16),   B = c Σ w_i z_i^p + V_th Σ_k z_k^p,
//! z_i over the events received so far and z_k over the neuron's own earlier spikes. The reset
//! term is eq. 17's max{z_j^(n'), ẑ}^(p−1) written incrementally: at a spike A/z_k − B/z_k^p = 1,
//! so adding V_th z_k^p to B sets V(z_k) = 0 and leaves the current alone. The engine keeps the
//! state in the local frame of the current level L, a = A/z_L, b = B/z_L^p, so that
//! V(x) = a/x − b/x^p with x = z/z_L ≥ 1: moving to the next level multiplies a by r and b by r^p
//! (r = z_L/z_{L+1}), and a level's own events (x = 1) add c·Σw to both. The read-out neurons never
//! fire and report v = A/z_out − B/z_out^p (eq. 20 with its z_out² read as z_out^p).
//!
//! # What a kernel for another p must provide
//!
//! A new file beside `kernel_p2.rs` with a type (holding p, from [`NeuronKernel::for_config`];
//! `NetConfig` would then carry τ_V or p) implementing the required methods:
//!
//! * [`p`](NeuronKernel::p), [`c`](NeuronKernel::c) = τ_I/(p − 1) (negative for p < 1, τ_V > τ_I),
//!   [`pow_p`](NeuronKernel::pow_p) (x^p of a ratio in (0, ∞): decays r^p, resets x^p, the read-out
//!   ρ^p) and [`b_term`](NeuronKernel::b_term) (v·q^p).
//! * [`next_crossing`](NeuronKernel::next_crossing): the first upward crossing of V = 1 (eq. 18) in
//!   a level's interval. For p = 2 it is the smaller root of x² − a x + b (eq. 19). For other p,
//!   x^p − a x^(p−1) + b = 0 is no longer quadratic, so the root must be **bracketed**: V(x) has at
//!   most one stationary point on x > 0, x* with x*^(p−1) = p b / a, and is monotone on either side
//!   of it, so [lo, hi) splits into at most two monotone pieces; the first on which V rises through
//!   1 brackets the crossing, and a safeguarded Newton (or bisection / Brent) iteration on it
//!   converges to full precision. Keep the P2 conventions: a root below `lo` by at most a relative
//!   1e-12 is a crossing at `lo` (clamped), a crossing at `hi` is not in the interval, NaN anywhere
//!   means no crossing.
//! * Its second value, the **slope datum** d = x·δ with δ = τ_I·dV/dt = −a/x + p b/x^p at the
//!   crossing (for p = 2, d = √(a² − 4b), the square root the root formula already computed; store
//!   it, the backward divides by it). The grazing guard of `backward` floors it at ε·x, i.e. δ ≥ ε,
//!   for any p.
//! * [`level_update`](NeuronKernel::level_update): the vectorised per-level state update
//!   (a ← a r + c·sw, b ← b r^p + c·sw) and a branch-free pre-test that marks every neuron whose
//!   first crossing may lie in [1, ρ): it may admit extra candidates (the scalar `next_crossing`
//!   rejects them), it must never drop one. For p ≠ 2 a safe test is, e.g., "the largest V on
//!   [1, ρ] (at an end, or at x* when it lies inside) reaches 1 − slack"; write it with
//!   `crate::engine::kernels::dispatch!` so that it compiles for the baseline and AVX2 targets like
//!   `kernel_p2`'s.
//! * [`b_coeff`](NeuronKernel::b_coeff): v / x^(p−1), the weight of a spike's adjoint in the
//!   B-suffix sum of the backward pass.
//!
//! # What the backward pass takes from the kernel
//!
//! Spike k solves F_k = A_k/z_k − B_k/z_k^p − 1 = 0, with z_k ∂F_k/∂z_k = δ_k. With μ = z·dL/dz
//! per spike, implicit differentiation gives, for an input i at z_i < z_k and ρ = z_i/z_k,
//!   dL/dw_i += −(μ_k/δ_k) c (ρ − ρ^p),   μ_i += −(μ_k/δ_k) c w_i (ρ − p ρ^p),
//! and for the neuron's own earlier spike m (reset path) μ_m += p (μ_k/δ_k) (z_m/z_k)^p; the
//! read-out gives ∂v/∂w_i = c(ρ − ρ^p) and z_i ∂v/∂z_i = c w_i (ρ − p ρ^p) with ρ = z_i/z_out
//! ([`readout_factor`](NeuronKernel::readout_factor), [`readout_dfactor`](NeuronKernel::readout_dfactor)),
//! and z_m ∂v/∂z_m = −p (z_m/z_out)^p. In the local frames of `backward` this is: per spike
//! c1 = μ/d, c2 = [`b_coeff`](NeuronKernel::b_coeff)(c1, x); suffix sums P1 (decayed by r) and P2
//! (decayed by r^p); dL/dw = c (P2 − P1); μ_in = c Σ w (p P2 − P1); the reset chain
//! [`reset_chain_mu`](NeuronKernel::reset_chain_mu) with its tail decayed by q^p. The provided
//! methods below already spell these for any p in terms of the required ones.

use crate::engine::config::NetConfig;
use crate::engine::kernel_p2::P2;
use crate::engine::kernels::LevelParams;
use crate::engine::real::Real;

/// The p-dependent maths of the neuron model (p = τ_I/τ_V). See the module documentation for
/// what each method means for a general p; [`P2`] is the only implementation.
///
/// Values are in the engine's conventions: z = exp(t/τ_I), V_th = 1, the local frame x = z/z_L
/// (a = A/z_L, b = B/z_L^p), ratios r, q, ρ of two z (so q^p is a decay, never an overflow).
pub trait NeuronKernel: Copy + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The kernel of a configuration (p fixed by the model or read from it).
    fn for_config(cfg: &NetConfig) -> Self;

    /// p = τ_I/τ_V.
    fn p(&self) -> f64;

    /// c = τ_Iτ_V/(τ_I − τ_V) = τ_I/(p − 1), the factor of every input's contribution to A and B.
    fn c(&self, tau_i: f64) -> f64;

    /// x^p.
    fn pow_p(&self, x: f64) -> f64;

    /// v·q^p (one product tree, so that each caller's rounding is fixed by the kernel).
    fn b_term(&self, v: f64, q: f64) -> f64;

    /// v / x^(p−1): the weight of a spike's c1 = μ/d in the backward's B-suffix sum.
    fn b_coeff(&self, v: f64, x: f64) -> f64;

    /// The first upward crossing of V(x) = a/x − b/x^p = 1 in [lo, hi), as (x, d) with the slope
    /// datum d = x·τ_I·dV/dt at the crossing (> 0), or `None`.
    fn next_crossing(&self, a: f64, b: f64, lo: f64, hi: f64) -> Option<(f64, f64)>;

    /// [`next_crossing`](NeuronKernel::next_crossing) from `lo = 1` for a level's candidates at
    /// once: for every k, `ok[k] = 1` and `(x[k], d[k])` when `next_crossing(a[k], b[k], 1.0, hi)`
    /// is `Some((x[k], d[k]))`, `ok[k] = 0` when it is `None` (x, d then unspecified). The same
    /// bits as the scalar call; a kernel may override it with a branch-free vector form (the
    /// forward scan's first roots of a level are independent of each other).
    #[inline(always)]
    fn first_crossings(&self, a: &[f64], b: &[f64], hi: f64, x: &mut [f64], d: &mut [f64], ok: &mut [u8]) {
        for ((((&a, &b), x), d), ok) in a.iter().zip(b).zip(x.iter_mut()).zip(d.iter_mut()).zip(ok.iter_mut()) {
            match self.next_crossing(a, b, 1.0, hi) {
                Some((xv, dv)) => (*x, *d, *ok) = (xv, dv, 1),
                None => *ok = 0,
            }
        }
    }

    /// One level of the forward scan for every neuron: a ← a r + c·sw, b ← b r^p + c·sw, and
    /// `mask[j] = 1` where a crossing may lie in [1, ρ) (never 0 where one does; `gate[j]` is 0 for
    /// a neuron that may fire, +∞ for one that may not). Returns whether any mask byte is set.
    fn level_update<T: Real>(
        &self,
        a: &mut [T],
        b: &mut [T],
        sw: &[T],
        gate: &[T],
        mask: &mut [u8],
        lp: LevelParams<T>,
    ) -> bool;

    /// b after a reset at x: b + V_th x^p (V → 0, the current is kept).
    #[inline(always)]
    fn reset(&self, b: f64, x: f64) -> f64 {
        b + self.pow_p(x)
    }

    /// V at x = 1/q from the local state: a q − b q^p (q ≤ 1: multiplications only).
    #[inline(always)]
    fn membrane_q(&self, a: f64, b: f64, q: f64) -> f64 {
        a * q - self.b_term(b, q)
    }

    /// V(z) = A/z − B/z^p from the global sums (the traces of `app::traces`).
    #[inline(always)]
    fn membrane_z(&self, a: f64, b: f64, z: f64) -> f64 {
        a / z - b / self.pow_p(z)
    }

    /// c(ρ − ρ^p): the read-out's potential per unit weight of one event at ρ = z/z_out
    /// (= ∂v/∂w for that event).
    #[inline(always)]
    fn readout_factor(&self, c: f64, rho: f64) -> f64 {
        c * (rho - self.pow_p(rho))
    }

    /// c(ρ − p ρ^p) = z ∂/∂z of [`NeuronKernel::readout_factor`] (the event's μ per unit weight).
    #[inline(always)]
    fn readout_dfactor(&self, c: f64, rho: f64) -> f64 {
        c * (rho - self.b_term(self.p(), rho))
    }

    /// μ_k of a spike in the reset chain: the next layer's μ̄ plus the reset paths to the neuron's
    /// later spikes (`tail`, already in this spike's frame) and to V(t_out) (g = dL/dV(t_out),
    /// qo = z_k/z_out): μ̄ + p·tail − p·g·qo^p.
    #[inline(always)]
    fn reset_chain_mu(&self, mu_bar: f64, tail: f64, g: f64, qo: f64) -> f64 {
        mu_bar + self.p() * tail - self.b_term(self.p() * g, qo)
    }
}

/// Dynamics constants shared by the layers of one network, with the neuron kernel.
#[derive(Clone, Copy, Debug)]
pub struct Dynamics<K: NeuronKernel = P2> {
    /// The p-dependent maths.
    pub kernel: K,
    /// c = τ_Iτ_V/(τ_I − τ_V) (= τ_I for p = 2).
    pub c: f64,
    /// z_out = exp(t_out/τ_I).
    pub z_out: f64,
    /// Per-neuron spike cap (1 in single mode).
    pub cap: u32,
    /// Whether exceeding the cap is a truncation (multi mode) or the rule (single mode).
    pub count_truncations: bool,
}

impl<K: NeuronKernel> Dynamics<K> {
    pub fn new(cfg: &NetConfig) -> Self {
        let kernel = K::for_config(cfg);
        Dynamics {
            kernel,
            c: kernel.c(cfg.tau_i),
            z_out: (cfg.t_out / cfg.tau_i).exp(),
            cap: cfg.spike_cap(),
            count_truncations: cfg.mode == crate::engine::config::Mode::Multi,
        }
    }
}

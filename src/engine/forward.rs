//! Exact forward pass of one layer: spike times from the closed-form quadratic in z = exp(t/τ_I).
//!
//! With τ_V = τ_I/2 (p = 2) and c = τ_Iτ_V/(τ_I − τ_V) = τ_I, a hidden neuron's membrane between
//! events is V(z) = A/z − B/z², where, over the events received so far,
//!   A = c Σ w_i z_i,   B = c Σ w_i z_i² + V_th Σ_k z_k²   (z_k: the neuron's own earlier spikes).
//! The reset term V_th z_k² is the paper's max{z_j^(n'), ẑ} form of eq. (17) written incrementally:
//! at a spike A z_k − B = V_th z_k², so adding V_th z_k² to B sets V(z_k) = 0 and leaves I untouched.
//! V = V_th ⇔ z² − A z + B = 0; the first upward crossing is the smaller root (eq. 19), evaluated
//! without cancellation as z = 2B / (A + √D), D = A² − 4B (V_th = 1).
//!
//! The scan walks the levels (distinct input times) once for all neurons of the layer. The state
//! is kept in the local frame of the current level L: a = A/z_L, b = B/z_L², so that
//! V(x) = a/x − b/x² with x = z/z_L ∈ [1, ρ), ρ = z_{L+1}/z_L, and every quantity is O(1) at
//! any τ_I (this is what lets the state be f32; see `real`). Moving to the next level decays the
//! state (a ← a r, b ← b r², r = z_L/z_{L+1}); the level's events add c·Σw to both. A
//! branch-free test selects the few neurons whose smaller root can lie in the interval; only
//! those run the scalar spike loop, in f64. O(events·J + levels·J + spikes).

use crate::engine::events::Events;
use crate::engine::kernels::{self, LevelParams};
use crate::engine::real::Real;

/// One hidden spike, with what the backward pass needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// Neuron index in its layer.
    pub neuron: u32,
    /// Index of the level whose interval holds the spike: events of levels `0..=level` shaped it.
    pub level: u32,
    /// z = exp(t/τ_I) of the spike (global frame, f64).
    pub z: f64,
    /// The root in the level's local frame, x = z / z_level ≥ 1.
    pub x: f64,
    /// √d of the local quadratic x² − a x + b at the crossing; √d / x = τ_I · dV/dt there.
    pub sqrt_d: f64,
}

impl Spike {
    /// Spike time t = τ_I ln z.
    pub fn time(&self, tau_i: f64) -> f64 {
        tau_i * self.z.ln()
    }
}

/// What the forward pass of one hidden layer leaves for the backward pass and the statistics.
#[derive(Clone, Debug, Default)]
pub struct LayerTrace {
    /// Spikes in emission order: by level, and in time order within each neuron.
    pub spikes: Vec<Spike>,
    /// Spike count per neuron.
    pub counts: Vec<u32>,
    /// Membrane potential V_j(t_out).
    pub v_end: Vec<f64>,
    /// Neurons whose spike train was cut by the spike cap (multi mode only).
    pub truncated: u32,
    /// Spikes whose z or √d is not finite (counted as they are emitted, so that training need
    /// not scan the trace again before its backward pass).
    pub non_finite: u32,
}

/// Dynamics constants shared by the layers of one network.
#[derive(Clone, Copy, Debug)]
pub struct Dynamics {
    /// c = τ_Iτ_V/(τ_I − τ_V) = τ_I for p = 2.
    pub c: f64,
    /// z_out = exp(t_out/τ_I).
    pub z_out: f64,
    /// Per-neuron spike cap (1 in single mode).
    pub cap: u32,
    /// Whether exceeding the cap is a truncation (multi mode) or the rule (single mode).
    pub count_truncations: bool,
}

impl Dynamics {
    pub fn new(cfg: &crate::engine::config::NetConfig) -> Self {
        Dynamics {
            c: cfg.tau_i,
            z_out: (cfg.t_out / cfg.tau_i).exp(),
            cap: cfg.spike_cap(),
            count_truncations: cfg.mode == crate::engine::config::Mode::Multi,
        }
    }
}

/// Relative slack of the vector pre-test; it only admits extra candidates, which the exact
/// scalar test then rejects, so it can never drop a spike.
const PRETEST_SLACK: f64 = 1e-9;
/// A computed root that falls below the interval start by at most this relative amount is a
/// crossing exactly at the start, pushed down by rounding: it is accepted and clamped.
const ROOT_SLACK: f64 = 1e-12;

/// The smaller root of z² − A z + B in [lo, hi), as (z, √D), if any.
#[inline]
pub fn next_crossing(a: f64, b: f64, lo: f64, hi: f64) -> Option<(f64, f64)> {
    let d = a * a - 4.0 * b;
    // Negated comparisons on purpose: NaN in any of them means "no crossing".
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    if !(d >= 0.0) || !(a > 0.0) || !(b > 0.0) {
        return None;
    }
    // Cheap rejections before the square root (loosened like the vector pre-test): the vertex
    // A/2 must not lie left of `lo`, and the root must not lie right of `hi`.
    if a < 2.0 * lo * (1.0 - PRETEST_SLACK) || (hi * hi - a * hi + b > PRETEST_SLACK * hi * hi && a > 2.0 * hi) {
        return None;
    }
    let sq = d.sqrt();
    let z = 2.0 * b / (a + sq);
    if z < hi && z >= lo * (1.0 - ROOT_SLACK) {
        Some((z.max(lo), sq))
    } else {
        None
    }
}

/// Per-neuron state of the scan.
const ACTIVE: u8 = 0;
const CAPPED: u8 = 1;
const DONE: u8 = 2;

/// Reusable buffers of a layer scan (avoid allocation per sample).
#[derive(Default, Debug)]
pub struct ScanBuffers<T> {
    a: Vec<T>,
    b: Vec<T>,
    sw: Vec<T>,
    gate: Vec<T>,
    mask: Vec<u8>,
    state: Vec<u8>,
}

/// Forward pass of one spiking layer: `w` is `[n_in × n_out]` row-major (row = presynaptic).
pub fn forward_hidden<T: Real>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics,
    buf: &mut ScanBuffers<T>,
) -> LayerTrace {
    let mut tr = LayerTrace::default();
    forward_hidden_into(ev, w, n_out, dy, buf, &mut tr);
    tr
}

/// [`forward_hidden`] into `tr`, reusing its buffers (training keeps a batch of traces).
pub fn forward_hidden_into<T: Real>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics,
    buf: &mut ScanBuffers<T>,
    tr: &mut LayerTrace,
) {
    let j_n = n_out;
    for v in [&mut buf.a, &mut buf.b, &mut buf.gate, &mut buf.sw] {
        v.clear();
        v.resize(j_n, T::ZERO);
    }
    buf.state.clear();
    buf.state.resize(j_n, ACTIVE);
    buf.mask.resize(j_n, 0);
    tr.spikes.clear();
    tr.spikes.reserve(2 * j_n);
    tr.counts.clear();
    tr.counts.resize(j_n, 0);
    tr.v_end.clear();
    tr.v_end.resize(j_n, 0.0);
    tr.truncated = 0;
    tr.non_finite = 0;
    let levels = ev.levels();
    let c = T::from_f64(dy.c);
    let slack = T::from_f64(PRETEST_SLACK);
    for l in 0..levels {
        kernels::sum_rows(&mut buf.sw, w, n_out, &ev.src[ev.level(l)]);
        let zl = ev.z[l];
        let zn = if l + 1 < levels { ev.z[l + 1] } else { dy.z_out };
        let r = if l > 0 { ev.z[l - 1] / zl } else { 0.0 };
        let rho = zn / zl;
        let p = LevelParams { r: T::from_f64(r), r2: T::from_f64(r * r), c, rho: T::from_f64(rho), slack };
        if !kernels::level_update(&mut buf.a, &mut buf.b, &buf.sw, &buf.gate, &mut buf.mask, p) {
            continue;
        }
        for j in set_bytes(&buf.mask) {
            let (a, mut b) = (buf.a[j].to_f64(), buf.b[j].to_f64());
            let mut lo = 1.0;
            while let Some((x, sq)) = next_crossing(a, b, lo, rho) {
                if buf.state[j] == CAPPED {
                    tr.truncated += 1;
                    buf.state[j] = DONE;
                    buf.gate[j] = T::INFINITY;
                    break;
                }
                let z = zl * x;
                tr.non_finite += !(z.is_finite() && sq.is_finite()) as u32;
                tr.spikes.push(Spike { neuron: j as u32, level: l as u32, z, x, sqrt_d: sq });
                tr.counts[j] += 1;
                b += x * x; // reset V → 0 (V_th = 1); the current is not reset
                buf.b[j] = T::from_f64(b);
                lo = x;
                if tr.counts[j] >= dy.cap {
                    if dy.count_truncations {
                        buf.state[j] = CAPPED;
                    } else {
                        buf.state[j] = DONE;
                        buf.gate[j] = T::INFINITY;
                        break;
                    }
                }
            }
        }
    }
    if levels > 0 {
        let q = ev.z[levels - 1] / dy.z_out;
        for j in 0..j_n {
            tr.v_end[j] = buf.a[j].to_f64() * q - buf.b[j].to_f64() * q * q;
        }
    }
}

/// Indices of the non-zero bytes of a 0/1 `mask`, eight bytes at a time.
fn set_bytes(mask: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let words = mask.chunks_exact(8);
    let tail_start = mask.len() - words.remainder().len();
    let head = words.enumerate().flat_map(|(k, c)| {
        let mut m = u64::from_le_bytes(c.try_into().expect("chunk of 8"));
        std::iter::from_fn(move || {
            if m == 0 {
                return None;
            }
            let byte = (m.trailing_zeros() / 8) as usize;
            m &= !(0xffu64 << (byte * 8));
            Some(k * 8 + byte)
        })
    });
    let tail = mask[tail_start..].iter().enumerate().filter(|(_, &m)| m != 0).map(move |(i, _)| tail_start + i);
    head.chain(tail)
}

/// Read-out layer (never fires): v_o = V_o(t_out) = c Σ_events w_{i,o} (ρ − ρ²), ρ = z / z_out.
/// The events' factors are summed per presynaptic neuron first, S_i = Σ_{events of i} c(ρ − ρ²),
/// so that each neuron's weight row is read once however often it fired: v_o = Σ_i S_i w_{i,o}.
pub fn forward_readout(ev: &Events, w: &[f32], n_out: usize, dy: &Dynamics) -> Vec<f64> {
    let per_neuron = readout_factors(ev, w.len() / n_out.max(1), dy);
    let mut v = vec![0.0; n_out];
    for (i, &s) in per_neuron.iter().enumerate() {
        if s != 0.0 {
            for (vo, &x) in v.iter_mut().zip(&w[i * n_out..][..n_out]) {
                *vo += s * x as f64;
            }
        }
    }
    v
}

/// S_i = Σ_{events of neuron i} c(ρ − ρ²), ρ = z / z_out, for the `n_in` presynaptic neurons of
/// the read-out (0 for a neuron without events: every event before t_out has 0 < ρ < 1, so a
/// neuron with events has S_i > 0).
pub fn readout_factors(ev: &Events, n_in: usize, dy: &Dynamics) -> Vec<f64> {
    let mut per_neuron = vec![0.0; n_in];
    for l in 0..ev.levels() {
        let rho = ev.z[l] / dy.z_out;
        let s = dy.c * (rho - rho * rho);
        for &i in &ev.src[ev.level(l)] {
            per_neuron[i as usize] += s;
        }
    }
    per_neuron
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_matches_textbook_formula() {
        let (a, b) = (5.0, 3.0);
        let (z, sq) = next_crossing(a, b, 0.5, 10.0).unwrap();
        let textbook = (a - (a * a - 4.0 * b).sqrt()) / 2.0;
        assert!((z - textbook).abs() < 1e-14);
        assert!((sq - 13f64.sqrt()).abs() < 1e-14);
        assert!(next_crossing(a, b, 0.5, 0.6).is_none());
        assert!(next_crossing(1.0, 1.0, 0.1, 10.0).is_none()); // D < 0
        assert!(next_crossing(-5.0, 3.0, 0.1, 10.0).is_none());
    }

    #[test]
    fn cancellation_free_when_b_tiny() {
        // B ≪ A²: the textbook form loses all digits, 2B/(A+√D) keeps them.
        let (a, b) = (1e8, 1e-3);
        let (z, _) = next_crossing(a, b, 0.0, 1.0).unwrap();
        assert!((z - 1e-11).abs() / 1e-11 < 1e-12, "{z}");
    }
}

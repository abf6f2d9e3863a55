//! Exact forward pass of one layer: spike times in z = exp(t/τ_I), each the neuron kernel's
//! threshold-crossing root (in closed form for p = 2).
//!
//! The membrane between events is V(z) = A/z − B/z^p (p = τ_I/τ_V), where, over the events
//! received so far, A = c Σ w_i z_i and B = c Σ w_i z_i^p + V_th Σ_k z_k^p (z_k: the neuron's own
//! earlier spikes; c = τ_Iτ_V/(τ_I − τ_V)). The reset term V_th z_k^p is the paper's
//! max{z_j^(n'), ẑ} form of eq. (17) written incrementally: adding it to B at a spike sets
//! V(z_k) = 0 and leaves I untouched. Everything that depends on p (decays, the crossing root, the
//! reset, the read-out) is the [`NeuronKernel`]'s (`dynamics`); with the only kernel, `kernel_p2`
//! (τ_V = τ_I/2, c = τ_I), V = V_th ⇔ z² − A z + B = 0 and the first upward crossing is the
//! smaller root (eq. 19), evaluated without cancellation as z = 2B / (A + √D), D = A² − 4B.
//!
//! The scan walks the levels (distinct input times) once for all neurons of the layer. The state
//! is kept in the local frame of the current level L: a = A/z_L, b = B/z_L^p, so that
//! V(x) = a/x − b/x^p with x = z/z_L ∈ [1, ρ), ρ = z_{L+1}/z_L, and every quantity is O(1) at
//! any τ_I (this is what lets the state be f32; see `real`). Moving to the next level decays the
//! state (a ← a r, b ← b r^p, r = z_L/z_{L+1}); the level's events add c·Σw to both. A
//! branch-free test selects the few neurons whose first crossing can lie in the interval; only
//! those run the scalar spike loop, in f64. O(events·J + levels·J + spikes).

use crate::engine::dynamics::NeuronKernel;
use crate::engine::events::Events;
use crate::engine::kernels::{self, LevelParams};
use crate::engine::real::Real;

pub use crate::engine::dynamics::Dynamics;

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
    /// The kernel's slope datum d = x · τ_I · dV/dt at the crossing (so d / x is the crossing
    /// slope); for p = 2 it is √d of the local quadratic x² − a x + b.
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
    /// A level's candidates (from `mask`), their f64 state and first roots.
    cand: Vec<u32>,
    ca: Vec<f64>,
    cb: Vec<f64>,
    cx: Vec<f64>,
    cd: Vec<f64>,
    cok: Vec<u8>,
}

/// Forward pass of one spiking layer: `w` is `[n_in × n_out]` row-major (row = presynaptic).
pub fn forward_hidden<T: Real, K: NeuronKernel>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics<K>,
    buf: &mut ScanBuffers<T>,
) -> LayerTrace {
    let mut tr = LayerTrace::default();
    forward_hidden_into(ev, w, n_out, dy, buf, &mut tr);
    tr
}

/// [`forward_hidden`] into `tr`, reusing its buffers (training keeps a batch of traces).
// Kept out of line: one symbol per stage for scripts/profile.sh (the call is per layer, not per spike).
#[inline(never)]
pub fn forward_hidden_into<T: Real, K: NeuronKernel>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics<K>,
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
    // A level has at most one candidate per neuron.
    buf.cand.resize(j_n, 0);
    for v in [&mut buf.ca, &mut buf.cb, &mut buf.cx, &mut buf.cd] {
        v.resize(j_n, 0.0);
    }
    buf.cok.resize(j_n, 0);
    tr.spikes.clear();
    tr.spikes.reserve(2 * j_n);
    tr.counts.clear();
    tr.counts.resize(j_n, 0);
    tr.v_end.clear();
    tr.v_end.resize(j_n, 0.0);
    tr.truncated = 0;
    tr.non_finite = 0;
    let levels = ev.levels();
    let k = dy.kernel;
    let c = T::from_f64(dy.c);
    for l in 0..levels {
        kernels::sum_rows(&mut buf.sw, w, n_out, &ev.src[ev.level(l)]);
        let zl = ev.z[l];
        let zn = if l + 1 < levels { ev.z[l + 1] } else { dy.z_out };
        let r = if l > 0 { ev.z[l - 1] / zl } else { 0.0 };
        let rho = zn / zl;
        let p = LevelParams { r: T::from_f64(r), r_p: T::from_f64(k.pow_p(r)), c, rho: T::from_f64(rho) };
        if !k.level_update(&mut buf.a, &mut buf.b, &buf.sw, &buf.gate, &mut buf.mask, p) {
            continue;
        }
        // The candidates' first roots (from x = 1) all at once, then the spikes in neuron order,
        // each neuron's later crossings of the interval (after its reset) one by one.
        let n_c = set_bytes(&buf.mask, &mut buf.cand);
        for (c, &j) in buf.cand[..n_c].iter().enumerate() {
            buf.ca[c] = buf.a[j as usize].to_f64();
            buf.cb[c] = buf.b[j as usize].to_f64();
        }
        k.first_crossings(
            &buf.ca[..n_c],
            &buf.cb[..n_c],
            rho,
            &mut buf.cx[..n_c],
            &mut buf.cd[..n_c],
            &mut buf.cok[..n_c],
        );
        for c in 0..n_c {
            if buf.cok[c] == 0 {
                continue;
            }
            let j = buf.cand[c] as usize;
            let (a, mut b) = (buf.ca[c], buf.cb[c]);
            let mut found = Some((buf.cx[c], buf.cd[c]));
            while let Some((x, sq)) = found {
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
                b = k.reset(b, x); // V → 0 (V_th = 1); the current is not reset
                buf.b[j] = T::from_f64(b);
                if tr.counts[j] >= dy.cap {
                    if dy.count_truncations {
                        buf.state[j] = CAPPED;
                    } else {
                        buf.state[j] = DONE;
                        buf.gate[j] = T::INFINITY;
                        break;
                    }
                }
                found = k.next_crossing(a, b, x, rho); // the next crossing after this one
            }
        }
    }
    if levels > 0 {
        let q = ev.z[levels - 1] / dy.z_out;
        for j in 0..j_n {
            tr.v_end[j] = k.membrane_q(buf.a[j].to_f64(), buf.b[j].to_f64(), q);
        }
    }
}

/// Writes the indices of the non-zero bytes of a 0/1 `mask` into `out` (as long as `mask`), in
/// increasing order; returns how many. Each 8 bytes become 8 bits (one multiply: bit i of the
/// top byte of w·0x0102040810204080 is byte i of w, for 0/1 bytes), 64 bytes one word, so that
/// the branches are per 64 neurons and per candidate, not per 8 neurons.
fn set_bytes(mask: &[u8], out: &mut [u32]) -> usize {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let mut n = 0;
    let mut emit = |base: usize, mut m: u64| {
        while m != 0 {
            out[n] = (base + m.trailing_zeros() as usize) as u32;
            n += 1;
            m &= m - 1;
        }
    };
    let blocks = mask.chunks_exact(64);
    let tail = blocks.remainder();
    for (k, block) in blocks.enumerate() {
        let mut m = 0u64;
        for (i, c) in block.chunks_exact(8).enumerate() {
            // Each byte is 0 or 1 (the level update's contract).
            debug_assert!(c.iter().all(|&b| b <= 1), "mask bytes must be 0 or 1");
            let w = u64::from_le_bytes(c.try_into().expect("chunk of 8"));
            m |= (w.wrapping_mul(GATHER) >> 56) << (8 * i);
        }
        emit(k * 64, m);
    }
    let base = mask.len() - tail.len();
    let mut m = 0u64;
    for (i, &b) in tail.iter().enumerate() {
        debug_assert!(b <= 1, "mask bytes must be 0 or 1");
        m |= ((b != 0) as u64) << i;
    }
    emit(base, m);
    n
}

/// Read-out layer (never fires): v_o = V_o(t_out) = c Σ_events w_{i,o} (ρ − ρ^p), ρ = z / z_out.
/// The events' factors are summed per presynaptic neuron first, S_i = Σ_{events of i} c(ρ − ρ^p),
/// so that each neuron's weight row is read once however often it fired: v_o = Σ_i S_i w_{i,o}.
/// Written into `v`, with `factors` as scratch for the S_i (no allocation once the buffers have
/// grown: training and evaluation reuse them per thread).
// Kept out of line: one symbol per stage for scripts/profile.sh (the call is per layer, not per spike).
#[inline(never)]
pub fn forward_readout<K: NeuronKernel>(
    ev: &Events,
    w: &[f32],
    n_out: usize,
    dy: &Dynamics<K>,
    factors: &mut Vec<f64>,
    v: &mut Vec<f64>,
) {
    readout_factors(ev, w.len() / n_out.max(1), dy, factors);
    v.clear();
    v.resize(n_out, 0.0);
    match n_out {
        // The data sets' widths (MNIST, Fashion-MNIST: 10; Yin-Yang: 3) with the sums in
        // registers; the same additions in the same order as the general loop.
        10 => readout_sums::<10>(factors, w, v),
        3 => readout_sums::<3>(factors, w, v),
        _ => {
            for (i, &s) in factors.iter().enumerate() {
                if s != 0.0 {
                    for (vo, &x) in v.iter_mut().zip(&w[i * n_out..][..n_out]) {
                        *vo += s * x as f64;
                    }
                }
            }
        }
    }
}

/// v_o = Σ_i S_i w_{i,o} (rows with S_i = 0 skipped) for exactly `N` outputs, kept in registers
/// across the rows instead of in memory (where each row's additions waited for the previous
/// row's stores).
#[inline(always)]
fn readout_sums<const N: usize>(factors: &[f64], w: &[f32], v: &mut [f64]) {
    let mut acc = [0.0f64; N];
    for (&s, row) in factors.iter().zip(w.chunks_exact(N)) {
        if s != 0.0 {
            for (a, &x) in acc.iter_mut().zip(row) {
                *a += s * x as f64;
            }
        }
    }
    v.copy_from_slice(&acc);
}

/// S_i = Σ_{events of neuron i} c(ρ − ρ^p), ρ = z / z_out, for the `n_in` presynaptic neurons of
/// the read-out (0 for a neuron without events: every event before t_out has 0 < ρ < 1, so a
/// neuron with events has S_i > 0). Written into a reused buffer.
pub fn readout_factors<K: NeuronKernel>(ev: &Events, n_in: usize, dy: &Dynamics<K>, per_neuron: &mut Vec<f64>) {
    per_neuron.clear();
    per_neuron.resize(n_in, 0.0);
    for l in 0..ev.levels() {
        let rho = ev.z[l] / dy.z_out;
        let s = dy.kernel.readout_factor(dy.c, rho);
        for &i in &ev.src[ev.level(l)] {
            per_neuron[i as usize] += s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::set_bytes;

    #[test]
    fn set_bytes_lists_every_set_byte_in_order() {
        // Lengths around the 8- and 64-byte blocks and random 0/1 patterns of every density.
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 130, 400, 1000] {
            for density in [0u64, 1, 8, 32, 64] {
                let mask: Vec<u8> = (0..len).map(|_| (next() % 64 < density) as u8).collect();
                let want: Vec<u32> = (0..len as u32).filter(|&j| mask[j as usize] == 1).collect();
                let mut out = vec![u32::MAX; len];
                let n = set_bytes(&mask, &mut out);
                assert_eq!(&out[..n], &want[..], "len {len}, density {density}/64");
            }
        }
    }
}

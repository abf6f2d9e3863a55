//! Vectorisable inner loops of the engine, with runtime CPU-feature dispatch.
//!
//! Each kernel is written once as plain, branch-free Rust over zipped slices (so LLVM
//! vectorises it), generic over the state type ([`Real`]: f32 or f64), and compiled twice on
//! x86-64: for the baseline target and, behind `#[target_feature(enable = "avx2")]`, for AVX2,
//! chosen at run time. No fused multiply-add is introduced (Rust never contracts a*b+c by
//! itself), so both paths give identical bits. On wasm32 the baseline build uses simd128 when
//! the crate is compiled with it.
//!
//! The loops here are the same for every neuron model; the one that depends on p = τ_I/τ_V (the
//! level update with its candidate pre-test) lives with its kernel (`kernel_p2`), written with
//! `dispatch!` too.

use crate::engine::real::Real;

#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            // MULTISPIKE_NO_AVX2 (any value) keeps the baseline (SSE2) path: a diagnostic for
            // measuring what the vector width is worth (docs/PERFORMANCE.md); same bits.
            let yes = std::is_x86_feature_detected!("avx2") && std::env::var_os("MULTISPIKE_NO_AVX2").is_none();
            STATE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

/// Defines `pub fn name<T: Real>(…)` with a baseline and an AVX2 body from one source (also used
/// by the neuron kernels: `crate::engine::kernels::dispatch!`).
macro_rules! dispatch {
    ($(#[$m:meta])* pub fn $name:ident<$t:ident>($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        // `--cfg multispike_noinline` keeps every kernel out of line, one symbol per stage for a
        // profile of the WebAssembly build (scripts/profile-wasm.sh), where no dispatch stub
        // stands between the kernel and its caller.
        #[cfg_attr(not(multispike_noinline), inline)]
        #[cfg_attr(multispike_noinline, inline(never))]
        pub fn $name<$t: $crate::engine::real::Real>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn imp<$t: $crate::engine::real::Real>($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2<$t: $crate::engine::real::Real>($($arg: $ty),*) $(-> $ret)? { imp::<$t>($($arg),*) }
                if $crate::engine::kernels::has_avx2() {
                    // SAFETY: the CPU supports AVX2 (checked at run time).
                    return unsafe { avx2::<$t>($($arg),*) };
                }
            }
            imp::<$t>($($arg),*)
        }
    };
}
pub(crate) use dispatch;

dispatch! {
    /// `sw = Σ_{i ∈ src} w[i, ..]` (f32 rows of width `n`, summed in `T`).
    pub fn sum_rows<T>(sw: &mut [T], w: &[f32], n: usize, src: &[u32]) {
        sw.iter_mut().for_each(|s| *s = T::ZERO);
        let mut it = src.chunks_exact(2);
        for pair in &mut it {
            let r0 = &w[pair[0] as usize * n..][..n];
            let r1 = &w[pair[1] as usize * n..][..n];
            for ((s, &x), &y) in sw.iter_mut().zip(r0).zip(r1) {
                *s += T::from_f32(x) + T::from_f32(y);
            }
        }
        for &i in it.remainder() {
            let r = &w[i as usize * n..][..n];
            for (s, &x) in sw.iter_mut().zip(r) {
                *s += T::from_f32(x);
            }
        }
    }
}

/// Scalars of one level of the forward scan, in the level's local frame x = z / z_L (the
/// argument of [`NeuronKernel::level_update`](crate::engine::dynamics::NeuronKernel::level_update)).
#[derive(Clone, Copy, Debug)]
pub struct LevelParams<T> {
    /// Decay of the state from the previous level's frame, r = z_{L−1}/z_L and r^p
    /// (a ← a r, b ← b r^p).
    pub r: T,
    pub r_p: T,
    /// c = τ_Iτ_V/(τ_I − τ_V): a += c·sw, b += c·sw (the level's own events have x = 1).
    pub c: T,
    /// Interval end ρ = z_{L+1}/z_L (or z_out/z_L).
    pub rho: T,
}

dispatch! {
    /// Backward level step: `row = c·(p2 − p1)`, then decay the suffix sums to the previous
    /// level's frame: p1 ← p1 r, p2 ← p2 r^p (`r_p`).
    pub fn row_and_decay<T>(row: &mut [T], p1: &mut [T], p2: &mut [T], c: T, r: T, r_p: T) {
        for ((o, x), y) in row.iter_mut().zip(p1.iter_mut()).zip(p2.iter_mut()) {
            *o = c * (*y - *x);
            *x *= r;
            *y *= r_p;
        }
    }
}

dispatch! {
    /// `q = c·(p·p2 − p1)` (adjoint of presynaptic spike times, before the weight product).
    pub fn pre_coeff<T>(q: &mut [T], p1: &[T], p2: &[T], c: T, p: T) {
        for ((o, &x), &y) in q.iter_mut().zip(p1).zip(p2) {
            *o = c * (p * y - x);
        }
    }
}

dispatch! {
    /// Σ_j w_j·q_j with f32 weights, accumulated in f64 with a fixed order.
    pub fn dot<T>(w: &[f32], q: &[T]) -> f64 {
        let mut acc = [0.0f64; 4];
        let mut wc = w.chunks_exact(4);
        let mut qc = q.chunks_exact(4);
        for (a, b) in (&mut wc).zip(&mut qc) {
            for k in 0..4 {
                acc[k] += a[k] as f64 * b[k].to_f64();
            }
        }
        let mut tail = 0.0;
        for (&a, &b) in wc.remainder().iter().zip(qc.remainder()) {
            tail += a as f64 * b.to_f64();
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
    }
}

dispatch! {
    /// `y += x` elementwise into an f32 accumulator.
    pub fn add_into_f32<T>(y: &mut [f32], x: &[T]) {
        for (a, &b) in y.iter_mut().zip(x) {
            *a += b.to_f32();
        }
    }
}

dispatch! {
    /// `y += x` elementwise into an f64 accumulator.
    pub fn add_into_f64<T>(y: &mut [f64], x: &[T]) {
        for (a, &b) in y.iter_mut().zip(x) {
            *a += b.to_f64();
        }
    }
}

/// `y += x` elementwise from an f32 buffer, which is left zeroed (so it can accumulate again
/// without a separate clearing pass).
#[inline]
pub fn add_into_f64_and_clear(y: &mut [f64], x: &mut [f32]) {
    add_into_f64(y, x);
    x.iter_mut().for_each(|v| *v = 0.0);
}

dispatch! {
    /// Adam update in f32: `k = [beta1, beta2, lr / (1 − beta1^t), √(1 − beta2^t), eps]`.
    pub fn adam_update<T>(w: &mut [f32], g: &[T], m: &mut [f32], v: &mut [f32], k: [f32; 5]) {
        let [b1, b2, step, sqrt_bc2, eps] = k;
        for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let g = g.to_f32();
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *w -= step * *m / (v.sqrt() / sqrt_bc2 + eps);
        }
    }
}

/// Element type of a gradient accumulator: f64 for exact checks, f32 for the training chunks
/// (half the memory traffic of the hottest backward loop).
pub trait GradElem: Copy + Default + Send + Sync + 'static {
    /// `dst += src` elementwise.
    fn add_row<T: Real>(dst: &mut [Self], src: &[T]);
    /// `self += x`.
    fn add(&mut self, x: f64);
    fn to_f64(self) -> f64;
}

impl GradElem for f64 {
    #[inline]
    fn add_row<T: Real>(dst: &mut [f64], src: &[T]) {
        add_into_f64(dst, src)
    }
    #[inline]
    fn add(&mut self, x: f64) {
        *self += x;
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

impl GradElem for f32 {
    #[inline]
    fn add_row<T: Real>(dst: &mut [f32], src: &[T]) {
        add_into_f32(dst, src)
    }
    #[inline]
    fn add(&mut self, x: f64) {
        *self += x as f32;
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_scalar_definitions() {
        let n = 13;
        let w: Vec<f32> = (0..5 * n).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut sw = vec![9.0f64; n];
        sum_rows(&mut sw, &w, n, &[4, 1, 1]);
        for j in 0..n {
            let want = w[4 * n + j] as f64 + 2.0 * w[n + j] as f64;
            assert!((sw[j] - want).abs() < 1e-12);
        }
        let q: Vec<f64> = (0..n).map(|i| i as f64 - 3.5).collect();
        let d = dot(&w[..n], &q);
        let want: f64 = w[..n].iter().zip(&q).map(|(&a, &b)| a as f64 * b).sum();
        assert!((d - want).abs() < 1e-12);
        let (mut p1, mut p2, mut row) = (vec![1.0f32, 2.0], vec![3.0f32, -1.0], vec![0.0f32; 2]);
        row_and_decay(&mut row, &mut p1, &mut p2, 2.0, 0.5, 0.25);
        assert_eq!(row, vec![4.0, -6.0]);
        assert_eq!((p1, p2), (vec![0.5, 1.0], vec![0.75, -0.25]));
    }
}

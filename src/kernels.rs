//! Vectorisable inner loops of the engine, with runtime CPU-feature dispatch.
//!
//! Each kernel is written once as plain, branch-free Rust over zipped slices (so LLVM
//! vectorises it) and compiled twice on x86-64: for the baseline target and, behind
//! `#[target_feature(enable = "avx2")]`, for AVX2, chosen at run time. No fused multiply-add
//! is introduced (Rust never contracts a*b+c by itself), so both paths give identical bits.
//! On wasm32 the baseline build uses simd128 when the crate is compiled with it.

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let yes = std::is_x86_feature_detected!("avx2");
            STATE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

macro_rules! dispatch {
    ($(#[$m:meta])* pub fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        #[inline]
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn imp($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? { imp($($arg),*) }
                if has_avx2() {
                    // SAFETY: the CPU supports AVX2 (checked at run time).
                    return unsafe { avx2($($arg),*) };
                }
            }
            imp($($arg),*)
        }
    };
}

dispatch! {
    /// `sw = Σ_{i ∈ src} w[i, ..]` (f32 rows of width `n`, summed in f64).
    pub fn sum_rows(sw: &mut [f64], w: &[f32], n: usize, src: &[u32]) {
        sw.iter_mut().for_each(|s| *s = 0.0);
        let mut it = src.chunks_exact(2);
        for pair in &mut it {
            let r0 = &w[pair[0] as usize * n..][..n];
            let r1 = &w[pair[1] as usize * n..][..n];
            for ((s, &x), &y) in sw.iter_mut().zip(r0).zip(r1) {
                *s += x as f64 + y as f64;
            }
        }
        for &i in it.remainder() {
            let r = &w[i as usize * n..][..n];
            for (s, &x) in sw.iter_mut().zip(r) {
                *s += x as f64;
            }
        }
    }
}

/// Scalars of one level of the forward scan.
#[derive(Clone, Copy, Debug)]
pub struct LevelParams {
    /// c·z_L and c·z_L²: A += ca·sw, B += cb·sw.
    pub ca: f64,
    pub cb: f64,
    /// Interval [zl, zn) and the slack of the pre-test.
    pub zl: f64,
    pub zn: f64,
    pub slack: f64,
}

dispatch! {
    /// A += ca·sw, B += cb·sw for every neuron, and `mask[j] = 1` where the smaller root of
    /// z² − A z + B may lie in [zl, zn): D ≥ 0, A ≥ 2 zl, f(zl) ≥ 0 and (f(zn) < 0 or A ≤ 2 zn),
    /// each loosened by `slack` (it may admit extra candidates, never drop one). `gate[j]` is 0
    /// for a neuron that may still fire and +∞ for one that may not (the test then fails).
    /// Returns whether any mask entry is set.
    pub fn level_update(a: &mut [f64], b: &mut [f64], sw: &[f64], gate: &[f64], mask: &mut [u8], p: LevelParams) -> bool {
        let lo2 = 2.0 * p.zl * (1.0 - p.slack);
        let zl2 = p.zl * p.zl;
        let zn2 = p.zn * p.zn;
        let tol_l = p.slack * zl2;
        let tol_n = p.slack * zn2;
        let hi2 = 2.0 * p.zn;
        let mut any = 0u8;
        for ((((a, b), &s), &g), m) in a.iter_mut().zip(b.iter_mut()).zip(sw).zip(gate).zip(mask.iter_mut()) {
            let av = *a + p.ca * s;
            let bv = *b + p.cb * s;
            *a = av;
            *b = bv;
            let d_ok = av * av >= 4.0 * bv;
            let right = av >= lo2 + g;
            let f_lo = zl2 - av * p.zl + bv >= -tol_l;
            let f_hi = (zn2 - av * p.zn + bv <= tol_n) | (av <= hi2);
            let c = (d_ok & right & f_lo & f_hi) as u8;
            *m = c;
            any |= c;
        }
        any != 0
    }
}

dispatch! {
    /// `y += x` elementwise.
    pub fn add_assign(y: &mut [f64], x: &[f64]) {
        for (a, &b) in y.iter_mut().zip(x) {
            *a += b;
        }
    }
}

dispatch! {
    /// `y += x` elementwise, into an f32 accumulator.
    pub fn add_assign_f32(y: &mut [f32], x: &[f64]) {
        for (a, &b) in y.iter_mut().zip(x) {
            *a += b as f32;
        }
    }
}

dispatch! {
    /// `y += x` elementwise, from f32 into f64.
    pub fn add_assign_from_f32(y: &mut [f64], x: &[f32]) {
        for (a, &b) in y.iter_mut().zip(x) {
            *a += b as f64;
        }
    }
}

/// Element type of a gradient accumulator: f64 for exact checks, f32 for the training chunks
/// (half the memory traffic of the hottest backward loop).
pub trait GradElem: Copy + Default + Send + Sync + 'static {
    /// `dst += src` elementwise.
    fn add_row(dst: &mut [Self], src: &[f64]);
    fn to_f64(self) -> f64;
}

impl GradElem for f64 {
    #[inline]
    fn add_row(dst: &mut [f64], src: &[f64]) {
        add_assign(dst, src)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

impl GradElem for f32 {
    #[inline]
    fn add_row(dst: &mut [f32], src: &[f64]) {
        add_assign_f32(dst, src)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

dispatch! {
    /// `row = c1·s1 + c2·s2` elementwise.
    pub fn lincomb(row: &mut [f64], s1: &[f64], s2: &[f64], c1: f64, c2: f64) {
        for ((r, &x), &y) in row.iter_mut().zip(s1).zip(s2) {
            *r = c1 * x + c2 * y;
        }
    }
}

dispatch! {
    /// Σ w[j]·q[j] with f32 weights, in f64.
    pub fn dot_f32(w: &[f32], q: &[f64]) -> f64 {
        // Four partial sums keep the loop vectorisable with a fixed, thread-independent order.
        let mut acc = [0.0f64; 4];
        let mut wc = w.chunks_exact(4);
        let mut qc = q.chunks_exact(4);
        for (a, b) in (&mut wc).zip(&mut qc) {
            for k in 0..4 {
                acc[k] += a[k] as f64 * b[k];
            }
        }
        let mut tail = 0.0;
        for (&a, &b) in wc.remainder().iter().zip(qc.remainder()) {
            tail += a as f64 * b;
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
    }
}

dispatch! {
    /// Adam update in f32: `k = [beta1, beta2, lr / (1 − beta1^t), √(1 − beta2^t), eps]`.
    pub fn adam_update(w: &mut [f32], g: &[f64], m: &mut [f32], v: &mut [f32], k: [f32; 5]) {
        let [b1, b2, step, sqrt_bc2, eps] = k;
        for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let g = g as f32;
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *w -= step * *m / (v.sqrt() / sqrt_bc2 + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_scalar_definitions() {
        let n = 13;
        let w: Vec<f32> = (0..5 * n).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut sw = vec![9.0; n];
        sum_rows(&mut sw, &w, n, &[4, 1, 1]);
        for j in 0..n {
            let want = w[4 * n + j] as f64 + 2.0 * w[n + j] as f64;
            assert!((sw[j] - want).abs() < 1e-12);
        }
        let q: Vec<f64> = (0..n).map(|i| i as f64 - 3.5).collect();
        let d = dot_f32(&w[..n], &q);
        let want: f64 = w[..n].iter().zip(&q).map(|(&a, &b)| a as f64 * b).sum();
        assert!((d - want).abs() < 1e-12);
    }
}

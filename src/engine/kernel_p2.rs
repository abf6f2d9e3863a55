//! The neuron kernel of the paper's experiments: τ_V = τ_I/2 (p = 2), the one [`NeuronKernel`]
//! of the engine.
//!
//! With p = 2, c = τ_Iτ_V/(τ_I − τ_V) = τ_I and V(x) = a/x − b/x² in a level's local frame, so
//! V = V_th (= 1) ⇔ x² − a x + b = 0 and the first upward crossing is the smaller root (eq. 19),
//! evaluated without cancellation as x = 2b / (a + √d), d = a² − 4b. Its slope datum is
//! x·τ_I·dV/dt = a − 2x = √d, the square root already taken. Decays, resets and the read-out
//! use q² (written `q * q`, and v·q² as `v * q * q`, the product trees the engine has always used,
//! so that results are bit for bit those of before the kernel existed).
//!
//! [`level_update`] is the vectorised level step with the quadratic's candidate pre-test.

use crate::engine::config::NetConfig;
use crate::engine::dynamics::NeuronKernel;
use crate::engine::kernels::{dispatch, LevelParams};
use crate::engine::real::Real;

/// τ_V = τ_I/2: p = 2, the crossing is the smaller root of a quadratic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct P2;

/// Relative slack of the vector pre-test; it only admits extra candidates, which the exact
/// scalar test then rejects, so it can never drop a spike.
pub const PRETEST_SLACK: f64 = 1e-9;
/// A computed root that falls below the interval start by at most this relative amount is a
/// crossing exactly at the start, pushed down by rounding: it is accepted and clamped.
pub const ROOT_SLACK: f64 = 1e-12;

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
        // max(z, lo) as a select (f64::max calls libm's fmax on wasm32); z is not NaN here.
        Some((if z > lo { z } else { lo }, sq))
    } else {
        None
    }
}

dispatch! {
    /// [`next_crossing`]`(a[k], b[k], 1.0, hi)` for every k, branch-free (so that the square
    /// roots and divisions of a level's candidates overlap, 4 to a vector with AVX2): `ok[k]` is
    /// 1 where it is `Some((x[k], d[k]))`. Every expression is `next_crossing`'s with lo = 1
    /// (2·lo·(1 − slack) = 2(1 − slack) and lo·(1 − slack) = 1 − slack exactly), so the bits are
    /// the same (tested).
    pub fn first_crossings_lo1<T>(a: &[T], b: &[T], hi: f64, x: &mut [f64], d: &mut [f64], ok: &mut [u8]) {
        let lo2 = 2.0 * 1.0 * (1.0 - PRETEST_SLACK);
        let lo_root = 1.0 * (1.0 - ROOT_SLACK);
        let hh = hi * hi;
        let tol = PRETEST_SLACK * hi * hi;
        let hi2 = 2.0 * hi;
        for ((((&a, &b), x), d), ok) in a.iter().zip(b).zip(x.iter_mut()).zip(d.iter_mut()).zip(ok.iter_mut()) {
            let (a, b) = (a.to_f64(), b.to_f64());
            let disc = a * a - 4.0 * b;
            let pos = (disc >= 0.0) & (a > 0.0) & (b > 0.0);
            let rejected = (a < lo2) | ((hh - a * hi + b > tol) & (a > hi2));
            let sq = disc.sqrt();
            let z = 2.0 * b / (a + sq);
            let found = pos & !rejected & (z < hi) & (z >= lo_root);
            // max(z, 1) as a select: f64::max is a call to libm's fmax on wasm32 (its NaN rule
            // differs from f64x2.max), which kept this loop from being vectorised there. Same
            // value for every z, NaN included (→ 1).
            *x = if z > 1.0 { z } else { 1.0 };
            *d = sq;
            *ok = found as u8;
        }
    }
}

/// The scalars of [`level_update`]: the level's and the pre-test's slack (one struct passed by
/// reference, as the level's alone was before the kernel seam: the vector loop then compiles to
/// the same code).
#[derive(Clone, Copy, Debug)]
pub struct Pretest<T> {
    pub level: LevelParams<T>,
    pub slack: T,
}

dispatch! {
    /// a ← a r + c·sw, b ← b r² + c·sw for every neuron, and `mask[j] = 1` where the smaller
    /// root of x² − a x + b may lie in [1, ρ): D ≥ 0, a ≥ 2, f(1) ≥ 0 and (f(ρ) < 0 or a ≤ 2ρ),
    /// each loosened by `slack` (it may admit extra candidates, never drop one). `gate[j]` is 0
    /// for a neuron that may still fire and +∞ for one that may not. Returns whether any is set.
    pub fn level_update<T>(a: &mut [T], b: &mut [T], sw: &[T], gate: &[T], mask: &mut [u8], q: Pretest<T>) -> bool {
        let Pretest { level: p, slack } = q;
        let one = T::from_f64(1.0);
        let two = T::from_f64(2.0);
        let four = T::from_f64(4.0);
        let lo2 = two * (one - slack);
        let rho2 = p.rho * p.rho;
        let tol_l = slack;
        let tol_n = slack * rho2;
        let hi2 = two * p.rho;
        let mut any = 0u8;
        for ((((a, b), &s), &g), m) in a.iter_mut().zip(b.iter_mut()).zip(sw).zip(gate).zip(mask.iter_mut()) {
            let cs = p.c * s;
            let av = *a * p.r + cs;
            let bv = *b * p.r_p + cs;
            *a = av;
            *b = bv;
            let d_ok = av * av >= four * bv;
            let right = av >= lo2 + g;
            let f_lo = one - av + bv >= -tol_l;
            let f_hi = (rho2 - av * p.rho + bv <= tol_n) | (av <= hi2);
            let c = (d_ok & right & f_lo & f_hi) as u8;
            *m = c;
            any |= c;
        }
        any != 0
    }
}

impl NeuronKernel for P2 {
    #[inline(always)]
    fn for_config(_cfg: &NetConfig) -> Self {
        P2
    }

    #[inline(always)]
    fn p(&self) -> f64 {
        2.0
    }

    /// τ_Iτ_V/(τ_I − τ_V) with τ_V = τ_I/2 is τ_I exactly.
    #[inline(always)]
    fn c(&self, tau_i: f64) -> f64 {
        tau_i
    }

    #[inline(always)]
    fn pow_p(&self, x: f64) -> f64 {
        x * x
    }

    #[inline(always)]
    fn b_term(&self, v: f64, q: f64) -> f64 {
        v * q * q
    }

    #[inline(always)]
    fn b_coeff(&self, v: f64, x: f64) -> f64 {
        v / x
    }

    #[inline(always)]
    fn next_crossing(&self, a: f64, b: f64, lo: f64, hi: f64) -> Option<(f64, f64)> {
        next_crossing(a, b, lo, hi)
    }

    #[inline(always)]
    fn first_crossings(&self, a: &[f64], b: &[f64], hi: f64, x: &mut [f64], d: &mut [f64], ok: &mut [u8]) {
        first_crossings_lo1(a, b, hi, x, d, ok)
    }

    #[inline(always)]
    fn level_update<T: Real>(
        &self,
        a: &mut [T],
        b: &mut [T],
        sw: &[T],
        gate: &[T],
        mask: &mut [u8],
        lp: LevelParams<T>,
    ) -> bool {
        level_update(a, b, sw, gate, mask, Pretest { level: lp, slack: T::from_f64(PRETEST_SLACK) })
    }
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
    fn first_crossings_match_next_crossing_bit_for_bit() {
        // Random states around the threshold, edge cases (D = 0, roots at 1 and at hi, NaN, ±0,
        // huge and tiny values): the vector form must agree with the scalar call exactly.
        let mut a = vec![2.0, 2.0 * (1.0 - PRETEST_SLACK), 3.0, f64::NAN, 0.0, -0.0, 1e300, 1e-300, 4.0, 2.5];
        let mut b = vec![1.0, 1.0, 2.0, 1.0, 0.0, 1.0, 1e299, 1e-301, 4.0, 1.5625];
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20_000 {
            let av = 4.0 * next();
            a.push(av);
            b.push(av * (0.2 + 0.8 * next()) * av / 4.0 + (next() - 0.5) * 0.1);
        }
        for hi in [1.0 + 1e-12, 1.01, 1.3, 2.0, 7.5, f64::INFINITY] {
            let n = a.len();
            let (mut x, mut d, mut ok) = (vec![0.0; n], vec![0.0; n], vec![9u8; n]);
            first_crossings_lo1(&a, &b, hi, &mut x, &mut d, &mut ok);
            let mut hits = 0;
            for k in 0..n {
                match next_crossing(a[k], b[k], 1.0, hi) {
                    Some((xs, ds)) => {
                        hits += 1;
                        assert_eq!(ok[k], 1, "a {} b {} hi {hi}", a[k], b[k]);
                        assert_eq!((x[k].to_bits(), d[k].to_bits()), (xs.to_bits(), ds.to_bits()));
                    }
                    None => assert_eq!(ok[k], 0, "a {} b {} hi {hi}", a[k], b[k]),
                }
            }
            assert!(hi < 1.001 || hits > 20, "too few crossings to test at hi {hi}: {hits}");
        }
    }

    #[test]
    fn cancellation_free_when_b_tiny() {
        // B ≪ A²: the textbook form loses all digits, 2B/(A+√D) keeps them.
        let (a, b) = (1e8, 1e-3);
        let (z, _) = next_crossing(a, b, 0.0, 1.0).unwrap();
        assert!((z - 1e-11).abs() / 1e-11 < 1e-12, "{z}");
    }

    #[test]
    fn slope_datum_is_x_times_tau_dv_dt() {
        // d = x·τ_I·dV/dt at the crossing, with τ_I·dV/dt = x·dV/dx = −a/x + 2b/x².
        let (a, b) = (5.0, 3.0);
        let (x, d) = P2.next_crossing(a, b, 0.5, 10.0).unwrap();
        assert!((d - x * (-a / x + 2.0 * b / (x * x))).abs() < 1e-12);
        assert!((P2.membrane_q(a, b, 1.0 / x) - 1.0).abs() < 1e-12);
        assert!((P2.membrane_z(a, b, x) - 1.0).abs() < 1e-12);
    }
}

//! Latency encoding of images: pixel intensity x ∈ [0, 255] → one input spike at
//! t = t_out · (1 − x/255). Background pixels (x = 0) land exactly at t_out and are dropped
//! exactly (their kernel vanishes at t_out and they cannot cause a spike before it).

use crate::engine::events::Events;
use crate::error::{Error, Result};

/// Spike time of one pixel.
#[inline]
pub fn pixel_time(x: u8, t_out: f64) -> f64 {
    t_out * (1.0 - x as f64 / 255.0)
}

/// Spike times of an image, one per pixel.
pub fn latency_times(pixels: &[u8], t_out: f64) -> Vec<f64> {
    pixels.iter().map(|&x| pixel_time(x, t_out)).collect()
}

/// Checks a vector of input spike times: the right length, no NaN, no negative time.
/// `+∞` means "no spike".
pub fn validate_times(times: &[f64], n_in: usize) -> Result<()> {
    if times.len() != n_in {
        return Err(Error::Shape(format!("expected {n_in} input spike times, got {}", times.len())));
    }
    if let Some((i, t)) = times.iter().enumerate().find(|(_, t)| t.is_nan() || **t < 0.0 || **t == f64::NEG_INFINITY) {
        return Err(Error::NonFinite(format!("input spike time {i} is {t}; times must be ≥ 0 (or +inf for no spike)")));
    }
    Ok(())
}

/// Precomputed z = exp(t/τ_I) of the 255 non-background intensity levels, for fast encoding.
#[derive(Clone, Debug)]
pub struct PixelEncoder {
    z: [f64; 256],
    tau_i: f64,
    t_out: f64,
}

impl PixelEncoder {
    pub fn new(tau_i: f64, t_out: f64) -> Self {
        let mut z = [0.0; 256];
        for (x, zx) in z.iter_mut().enumerate() {
            *zx = (pixel_time(x as u8, t_out) / tau_i).exp();
        }
        PixelEncoder { z, tau_i, t_out }
    }

    /// Input events of given spike times (time-coded data sets; `+∞` or t ≥ t_out: no spike).
    pub fn events_of_times(&self, times: &[f64]) -> Events {
        Events::from_times(times, self.tau_i, self.t_out)
    }

    /// The read-out time this encoder was made for.
    pub fn t_out(&self) -> f64 {
        self.t_out
    }

    /// Input events of an image (same result as `Events::from_times(latency_times(..))`,
    /// by a counting sort over the 255 intensity levels).
    pub fn events(&self, pixels: &[u8]) -> Events {
        let mut ev = Events::default();
        self.events_into(pixels, &mut ev);
        ev
    }

    /// Like [`PixelEncoder::events`], into `ev`, reusing its buffers.
    pub fn events_into(&self, pixels: &[u8], ev: &mut Events) {
        // Dark pixels (x = 0: no event) are most of an image and its borders, so blocks of eight
        // of them are skipped at once: the two passes touch only the blocks holding a bright one.
        let blocks = pixels.chunks_exact(8);
        let tail = blocks.remainder();
        let tail_start = pixels.len() - tail.len();
        let bright = |b: &[u8]| u64::from_ne_bytes(b.try_into().expect("block of 8")) != 0;
        let mut count = [0u32; 256];
        for b in blocks.clone().filter(|b| bright(b)) {
            for &x in b {
                count[x as usize] += 1;
            }
        }
        for &x in tail {
            count[x as usize] += 1;
        }
        ev.z.clear();
        ev.start.clear();
        ev.start.push(0);
        ev.src.clear();
        ev.spike_id.clear();
        // Brightest pixel first (earliest time); x = 0 is at t_out and dropped.
        let mut pos = [0u32; 256];
        let mut acc = 0u32;
        for x in (1..256).rev() {
            if count[x] > 0 {
                pos[x] = acc;
                acc += count[x];
                ev.z.push(self.z[x]);
                ev.start.push(acc);
            }
        }
        ev.src.resize(acc as usize, 0);
        let mut place = |i: usize, x: u8| {
            if x > 0 {
                ev.src[pos[x as usize] as usize] = i as u32;
                pos[x as usize] += 1;
            }
        };
        for (k, b) in blocks.enumerate().filter(|(_, b)| bright(b)) {
            for (i, &x) in b.iter().enumerate() {
                place(8 * k + i, x);
            }
        }
        for (i, &x) in tail.iter().enumerate() {
            place(tail_start + i, x);
        }
        if ev.src.is_empty() {
            ev.start.truncate(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_encoder_skips_dark_blocks_exactly() {
        // Lengths that are and are not multiples of 8, dark blocks, bright pixels at block edges
        // and in the tail, repeated values.
        let enc = PixelEncoder::new(0.8, 1.0);
        for n in [0usize, 1, 7, 8, 9, 16, 23, 64, 785] {
            for pat in 0..6u32 {
                let px: Vec<u8> = (0..n as u32)
                    .map(|i| match pat {
                        0 => 0,
                        1 => 255,
                        2 => ((i % 8 == 7) as u8) * 200,
                        3 => ((i / 8 % 3 == 1) as u8) * ((i * 53 % 256) as u8),
                        4 => ((i + 1 == n as u32) as u8) * 9,
                        _ => ((i * 7919 % 11 < 3) as u8) * (1 + (i * 31 % 255) as u8),
                    })
                    .collect();
                let a = enc.events(&px);
                let b = Events::from_times(&latency_times(&px, 1.0), 0.8, 1.0);
                assert_eq!((&a.src, &a.start, &a.z), (&b.src, &b.start, &b.z), "n {n} pattern {pat}");
            }
        }
    }

    #[test]
    fn fast_encoder_matches_generic_path() {
        let px: Vec<u8> = (0..784u32).map(|i| ((i * 37 + i / 5) % 256) as u8 * ((i % 3 != 0) as u8)).collect();
        let a = PixelEncoder::new(0.8, 1.0).events(&px);
        let b = Events::from_times(&latency_times(&px, 1.0), 0.8, 1.0);
        assert_eq!(a.src, b.src);
        assert_eq!(a.start, b.start);
        assert_eq!(a.z, b.z);
        let empty = PixelEncoder::new(0.8, 1.0).events(&[0u8; 784]);
        assert!(empty.is_empty() && empty.levels() == 0);
    }

    #[test]
    fn rejects_bad_times() {
        assert!(validate_times(&[0.1, f64::NAN], 2).is_err());
        assert!(validate_times(&[0.1, -0.5], 2).is_err());
        assert!(validate_times(&[0.1], 2).is_err());
        validate_times(&[0.0, f64::INFINITY], 2).unwrap();
    }
}

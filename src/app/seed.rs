//! Random seeds on request. Runs are reproducible from their seed, so a "random" seed is drawn
//! once from the operating system (natively) or `crypto.getRandomValues` (in the browser) and then
//! used and recorded like any other: the model metadata and checkpoints hold the number drawn.

use crate::error::{Error, Result};

/// Largest seed handed out: 2^53 − 1, so that it survives a round trip through a JavaScript
/// number (the pages show and store seeds as numbers).
pub const MAX_RANDOM_SEED: u64 = (1 << 53) - 1;

/// A seed drawn from the system's random source, in 0..=2^53 − 1.
pub fn random_seed() -> Result<u64> {
    let x = getrandom::u64().map_err(|e| Error::Config(format!("no random source for a random seed: {e}")))?;
    Ok(x & MAX_RANDOM_SEED)
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_seeds_are_in_range_and_differ() {
        let a = super::random_seed().unwrap();
        let b = super::random_seed().unwrap();
        assert!(a <= super::MAX_RANDOM_SEED && b <= super::MAX_RANDOM_SEED);
        assert_ne!(a, b, "two 53-bit draws collide with probability 2^-53");
    }
}

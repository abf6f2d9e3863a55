#![no_main]
//! Fuzz target `checkpoint`: see `checks::checkpoint` in tests/support/fuzz_checks.rs.
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::checkpoint(data));

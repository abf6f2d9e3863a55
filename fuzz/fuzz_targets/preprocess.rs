#![no_main]
//! Fuzz target `preprocess`: see `checks::preprocess` in tests/support/fuzz_checks.rs.
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::preprocess(data));

#![no_main]
//! Fuzz target `case`: see `checks::case` in tests/support/fuzz_checks.rs.
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::case(data));

#![no_main]
//! Fuzz target `model_file`: see `checks::model_file` in tests/support/fuzz_checks.rs.
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::model_file(data));

#![no_main]
//! Fuzz target `session_config`: see `checks::session_config` in tests/support/fuzz_checks.rs.
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::session_config(data));

//! Scenario files are user input: loading one must never panic, whatever its bytes.
//! The body is `firedrill::fuzzing::scenario_load`, which tests/it/fuzz_corpus.rs replays.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The repository's checks/, so that scenarios naming its scripts validate fully.
    let checks = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../checks"));
    firedrill::fuzzing::scenario_load(data, checks);
});

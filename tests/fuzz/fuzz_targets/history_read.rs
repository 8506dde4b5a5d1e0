//! History files (journals, results) are read back by cleanup, history and reports, and
//! may be torn or corrupted: reading one must never panic, whatever its bytes.
//! The body is `firedrill::fuzzing::history_read`, which tests/it/fuzz_corpus.rs replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    firedrill::fuzzing::history_read(data);
});

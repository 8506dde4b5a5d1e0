//! History files (journals, results) are read back by cleanup, history and reports, and
//! may be torn or corrupted: reading one must never panic, whatever its bytes.
//! Replayed as an ordinary test by tests/it/fuzz_corpus.rs, which runs the same steps.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A journal, and the result replayed from its events.
    if let Ok(events) = firedrill::journal::parse(data)
        && let Some(result) = firedrill::result::from_events(&events)
    {
        let _ = firedrill::report::render_run(&result);
    }
    // A result file, and its HTML report.
    if let Ok(result) = serde_json::from_slice::<firedrill::result::DrillResult>(data) {
        let _ = result.teardown_incomplete();
        let _ = firedrill::report::render_run(&result);
    }
});

//! Scenario files are user input: loading one must never panic, whatever its bytes.
//! Replayed as an ordinary test by tests/it/fuzz_corpus.rs, which runs the same steps.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The repository's checks/, so that scenarios naming its scripts validate fully.
    let checks = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../checks"));
    match firedrill::scenario::parse(Path::new("fuzz.yaml"), data.to_vec(), checks) {
        // What `firedrill plan` does with a valid scenario.
        Ok(scenario) => {
            let plan = firedrill::plan::plan(&scenario);
            let _ = firedrill::plan::render_text(&plan);
            let _ = serde_json::to_string(&plan);
        }
        // What `firedrill validate` prints: the problems as text (with snippets) and JSON.
        Err(invalid) => {
            for diagnostic in invalid.diagnostics().take(50) {
                let _ = format!("{:?}", miette::Report::new(diagnostic));
            }
            let _ = serde_json::to_string(&invalid.problems);
        }
    }
});

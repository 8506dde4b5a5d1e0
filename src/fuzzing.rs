//! The fuzz targets' bodies, in one place: `tests/fuzz/fuzz_targets/*` call them under
//! libFuzzer, and `tests/it/fuzz_corpus.rs` replays their corpora through them in CI, so
//! the two can never drift apart. Whatever the bytes, none of these may panic.

use std::path::Path;

/// Loads a scenario from bytes, then does what `firedrill plan` (valid) or `firedrill
/// validate` (invalid: the problems as text with snippets, and JSON) does with it.
/// `checks` is the folder check scripts are looked up in.
pub fn scenario_load(data: &[u8], checks: &Path) {
    match crate::scenario::parse(Path::new("fuzz.yaml"), data.to_vec(), checks) {
        Ok(scenario) => {
            let plan = crate::plan::plan(&scenario);
            let _ = crate::plan::render_text(&plan);
            let _ = serde_json::to_string(&plan);
        }
        Err(invalid) => {
            for diagnostic in invalid.diagnostics().take(50) {
                let _ = format!("{:?}", miette::Report::new(diagnostic));
            }
            let _ = serde_json::to_string(&invalid.problems);
        }
    }
}

/// Reads bytes as a journal (strictly and leniently, and the result replayed from it)
/// and as a result file, rendering the HTML report of whatever parses.
pub fn history_read(data: &[u8]) {
    if let Ok(events) = crate::journal::parse(data)
        && let Some(result) = crate::result::from_events(&events)
    {
        let _ = crate::report::render_run(&result);
    }
    let (events, _) = crate::journal::parse_lenient(data);
    let _ = crate::teardown::cleanup::trace_of(&events);
    if let Ok(result) = crate::history::parse(data) {
        let _ = result.teardown_incomplete();
        let _ = crate::report::render_run(&result);
        trend_report(result);
    }
}

/// The whole trend report of one result read from a file: site, JUnit, Markdown, JSON.
fn trend_report(result: crate::result::DrillResult) {
    use crate::report::view::{Input, overview};
    let results = [result];
    let input = Input {
        results: &results,
        scenarios: &[],
        unreadable: &[],
        now: jiff::Timestamp::UNIX_EPOCH,
        include_simulated: true,
        tool_version: "fuzz",
        coverage: None,
    };
    let _ = crate::report::build_site(&input);
    let _ = crate::report::junit::junit(&[&results[0]]);
    let _ = crate::report::markdown::markdown(&overview(&input));
    let _ = serde_json::to_string(&crate::report::json::summary(&input));
}

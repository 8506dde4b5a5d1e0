//! JUnit XML for CI systems (quick-junit): a test suite per drill, a test case per check,
//! and one each for the RTO and the RPO against their targets.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::text::compact;
use crate::measure::Outcome;
use crate::result::DrillResult;

/// The JUnit report of these drills (each its own suite, named after its scenario).
pub fn junit(results: &[&DrillResult]) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("firedrill");
    for result in results {
        report.add_test_suite(suite(result));
    }
    report.to_string()
}

fn suite(r: &DrillResult) -> TestSuite {
    let mut suite = TestSuite::new(format!("{} ({})", r.scenario, r.run_id));
    suite.set_time(duration(r.finished_at.duration_since(r.started_at).as_secs_f64()));
    for (name, value) in [
        ("run_id", r.run_id.clone()),
        ("outcome", super::text::outcome_text(r.outcome).to_owned()),
        ("started_at", r.started_at.to_string()),
        ("simulated", r.simulated.to_string()),
        ("tool_version", r.tool_version.clone()),
    ] {
        suite.add_property(Property::new(name, value));
    }
    for check in &r.checks {
        let status = if check.passed {
            TestCaseStatus::success()
        } else {
            failure(&check.reasons.join("; "), "check")
        };
        let mut case = TestCase::new(format!("check {}", check.id), status);
        case.set_classname(r.scenario.clone())
            .set_time(duration(check.ended_at.duration_since(check.started_at).as_secs_f64()))
            .set_system_out_lossy(check.stdout.as_bytes())
            .set_system_err_lossy(check.stderr.as_bytes());
        suite.add_test_case(case);
    }
    suite.add_test_case(objective(
        r,
        "RTO",
        r.rto.as_ref().map(|v| v.seconds),
        r.rto_target.as_duration().as_secs_f64(),
    ));
    suite.add_test_case(objective(
        r,
        "RPO",
        r.rpo.as_ref().map(|v| v.seconds),
        r.rpo_target.as_duration().as_secs_f64(),
    ));
    if matches!(r.outcome, Outcome::Error | Outcome::Aborted) {
        // A drill that did not finish is an error of the harness, not of a check.
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(r.reasons.join("; "));
        let mut case = TestCase::new("drill completed", status);
        case.set_classname(r.scenario.clone());
        suite.add_test_case(case);
    }
    suite
}

fn objective(r: &DrillResult, name: &str, measured: Option<f64>, target: f64) -> TestCase {
    let status = match measured {
        Some(value) if value <= target => TestCaseStatus::success(),
        Some(value) => failure(
            &format!("{name} {} exceeds the target {}", compact(value), compact(target)),
            "objective",
        ),
        None => failure(&format!("{name} was not measured"), "objective"),
    };
    let mut case = TestCase::new(format!("{name} within {}", compact(target)), status);
    case.set_classname(r.scenario.clone());
    if let Some(value) = measured {
        case.add_property(Property::new("seconds", format!("{value:.3}")));
    }
    case
}

/// A time for JUnit; a result file can hold any number, so out-of-range ones are zero.
fn duration(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or_default()
}

fn failure(message: &str, kind: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message.to_owned()).set_type(kind.to_owned());
    status
}

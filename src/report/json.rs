//! The report's figures as JSON, for dashboards and scripts: per scenario its last drill,
//! due date and streak, with times in RFC 3339 and durations in seconds.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::view::Input;
use crate::measure::Outcome;
use crate::result::DrillResult;
use crate::schedule;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub as_of: Timestamp,
    pub include_simulated: bool,
    pub scenarios: Vec<ScenarioFigures>,
    pub unreadable: Vec<crate::history::Unreadable>,
}

#[derive(Debug, Serialize)]
pub struct ScenarioFigures {
    pub scenario: String,
    pub runs_counted: usize,
    pub runs_simulated: usize,
    pub last_run_id: Option<String>,
    pub last_outcome: Option<Outcome>,
    pub last_started_at: Option<Timestamp>,
    pub last_rto_seconds: Option<f64>,
    pub last_rpo_seconds: Option<f64>,
    pub rto_target_seconds: f64,
    pub rpo_target_seconds: f64,
    pub last_passed_at: Option<Timestamp>,
    pub next_due: Option<Timestamp>,
    pub overdue: Option<bool>,
    pub pass_streak: usize,
}

pub fn summary(input: &Input<'_>) -> Summary {
    let mut names: Vec<&str> = input
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .chain(input.results.iter().map(|r| r.scenario.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    Summary {
        as_of: input.now,
        include_simulated: input.include_simulated,
        scenarios: names.into_iter().map(|name| figures(input, name)).collect(),
        unreadable: input.unreadable.to_vec(),
    }
}

fn figures(input: &Input<'_>, name: &str) -> ScenarioFigures {
    let mut runs: Vec<&DrillResult> = input.results.iter().filter(|r| r.scenario == name).collect();
    runs.sort_by_key(|r| r.started_at);
    let counted: Vec<&DrillResult> = runs
        .iter()
        .copied()
        .filter(|r| input.include_simulated || !r.simulated)
        .collect();
    let file = input.scenarios.iter().find(|s| s.name == name);
    let last = counted.last();
    let last_passed_at = counted
        .iter()
        .rev()
        .find(|r| r.outcome == Outcome::Passed)
        .map(|r| r.started_at);
    let simulated = file.is_some_and(|s| s.cloud == crate::scenario::CloudKind::Sim) && !input.include_simulated;
    let due = file.filter(|_| !simulated).and_then(|s| {
        let grace = SignedDuration::try_from(s.max_duration.as_duration()).unwrap_or(SignedDuration::ZERO);
        s.schedule
            .as_ref()
            .and_then(|sch| schedule::due(sch, last_passed_at, grace, input.now).ok())
    });
    let target = |f: fn(&DrillResult) -> f64, g: fn(&crate::scenario::Scenario) -> f64| {
        file.map(g).or_else(|| runs.last().map(|r| f(r))).unwrap_or(0.0)
    };
    ScenarioFigures {
        scenario: name.to_owned(),
        runs_counted: counted.len(),
        runs_simulated: runs.iter().filter(|r| r.simulated).count(),
        last_run_id: last.map(|r| r.run_id.clone()),
        last_outcome: last.map(|r| r.outcome),
        last_started_at: last.map(|r| r.started_at),
        last_rto_seconds: last.and_then(|r| r.rto.as_ref().map(|v| v.seconds)),
        last_rpo_seconds: last.and_then(|r| r.rpo.as_ref().map(|v| v.seconds)),
        rto_target_seconds: target(
            |r| r.rto_target.as_duration().as_secs_f64(),
            |s| s.targets.rto.as_duration().as_secs_f64(),
        ),
        rpo_target_seconds: target(
            |r| r.rpo_target.as_duration().as_secs_f64(),
            |s| s.targets.rpo.as_duration().as_secs_f64(),
        ),
        last_passed_at,
        next_due: due.as_ref().and_then(|d| d.next_due),
        overdue: due.map(|d| d.overdue),
        pass_streak: counted
            .iter()
            .rev()
            .take_while(|r| r.outcome == Outcome::Passed)
            .count(),
    }
}

//! The report's figures as JSON, for dashboards and scripts: per scenario its last drill,
//! due date and streak, with times in RFC 3339 and durations in seconds.

use jiff::Timestamp;
use serde::Serialize;

use super::view::{self, Input, Standing};
use crate::measure::Outcome;

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
    let known = input.known();
    Summary {
        as_of: input.now,
        include_simulated: input.include_simulated,
        scenarios: view::standings(input, &known).iter().map(figures).collect(),
        unreadable: input.unreadable.to_vec(),
    }
}

fn figures(s: &Standing<'_>) -> ScenarioFigures {
    let last = s.counted.last();
    ScenarioFigures {
        scenario: s.name.to_owned(),
        runs_counted: s.counted.len(),
        runs_simulated: s.runs.iter().filter(|r| r.simulated).count(),
        last_run_id: last.map(|r| r.run_id.clone()),
        last_outcome: last.map(|r| r.outcome),
        last_started_at: last.map(|r| r.started_at),
        last_rto_seconds: last.and_then(|r| r.rto.as_ref().map(|v| v.seconds)),
        last_rpo_seconds: last.and_then(|r| r.rpo.as_ref().map(|v| v.seconds)),
        rto_target_seconds: s.rto_target,
        rpo_target_seconds: s.rpo_target,
        last_passed_at: s.last_passed,
        next_due: s.due.as_ref().and_then(|(d, _)| d.next_due),
        overdue: s.due.as_ref().map(|(d, _)| d.overdue),
        pass_streak: s.pass_streak,
    }
}

//! What the trend report says, computed from the history alone: per scenario its last
//! outcome, due date, streak and figures against targets; per scenario page its charts,
//! restore-time percentiles and failures. Pure data, serialisable, snapshot-tested;
//! the templates only lay it out.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::charts::{self, Both, LineChart, PhaseRow, Sample, Sparkline, StackedBars};
use super::text::{compact, date_text, outcome_text, slug, utc_text, zoned_text};
use crate::history::Unreadable;
use crate::measure::Outcome;
use crate::result::DrillResult;
use crate::scenario::Scenario;
use crate::schedule;

/// What a report is made from.
pub struct Input<'a> {
    /// Every result read, any order.
    pub results: &'a [DrillResult],
    /// The scenario files, for schedules, owners and targets (may be empty).
    pub scenarios: &'a [Scenario],
    pub unreadable: &'a [Unreadable],
    /// The time the report is as of (due dates, "overdue").
    pub now: Timestamp,
    /// Whether simulated runs count in compliance figures.
    pub include_simulated: bool,
    pub tool_version: &'a str,
    /// What `firedrill coverage --out` found, for the coverage page.
    pub coverage: Option<&'a crate::coverage::Coverage>,
}

/// How many runs the sparkline and the phase breakdown show.
pub const RECENT_RUNS: usize = 12;

/// The kinds of phase, in the order a drill goes through them.
pub const PHASE_CATEGORIES: [&str; 4] = ["isolation", "restore", "runner", "check"];

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub as_of: String,
    pub include_simulated: bool,
    pub tool_version: String,
    pub totals: Totals,
    pub scenarios: Vec<ScenarioSummary>,
    pub unreadable: Vec<Unreadable>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<super::coverage_view::CoverageSummary>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Scenarios counted (simulated-only ones are not, unless asked).
    pub scenarios: usize,
    pub passing: usize,
    pub failing: usize,
    pub overdue: usize,
    pub runs_counted: usize,
    pub runs_simulated: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    pub name: String,
    pub page: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// `0 3 1 * * (Europe/Berlin)`, or none when no scenario file gave a schedule.
    pub schedule: Option<String>,
    /// Every run of it is simulated, and simulated runs are not counted.
    pub simulated_only: bool,
    pub runs_counted: usize,
    pub runs_simulated: usize,
    pub last: Option<RunSummary>,
    pub last_simulated: Option<RunSummary>,
    pub next_due: Option<String>,
    pub overdue: bool,
    /// Why it is overdue: `due 2026-09-01 03:00 CEST, 91 days ago` or `never passed`.
    pub overdue_text: Option<String>,
    pub pass_streak: usize,
    /// Passed runs of the last `RECENT_RUNS` counted ones, as `9 / 12`.
    pub recent_passes: String,
    pub rto_target: String,
    pub rpo_target: String,
    pub sparkline: Sparkline,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub page: String,
    pub outcome: &'static str,
    pub started: String,
    pub date: String,
    pub simulated: bool,
    pub rto: Figure,
    pub rpo: Figure,
    pub reasons: Vec<String>,
}

/// A measured figure against its target.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub text: String,
    pub target: String,
    /// Met, missed, or not measured (none).
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioPage {
    pub summary: ScenarioSummary,
    pub rto_chart: Both<LineChart>,
    pub rpo_chart: Both<LineChart>,
    pub timeline: Vec<TimelineCell>,
    pub phases: Both<StackedBars>,
    pub restore_percentiles: Vec<KindPercentiles>,
    pub failures: Vec<RunSummary>,
    /// Every run, newest first.
    pub runs: Vec<RunSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineCell {
    pub date: String,
    pub page: String,
    pub outcome: &'static str,
    pub simulated: bool,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindPercentiles {
    pub kind: String,
    pub count: u64,
    pub p50: String,
    pub p90: String,
    pub p99: String,
    pub max: String,
}

/// A scenario as the report knows it: from its file, or only from its results.
pub struct Known<'a> {
    name: String,
    file: Option<&'a Scenario>,
    /// Its results, oldest first.
    runs: Vec<&'a DrillResult>,
}

impl Input<'_> {
    /// Whether a result counts in compliance figures (simulated ones only when asked).
    pub fn counts(&self, result: &DrillResult) -> bool {
        self.include_simulated || !result.simulated
    }

    /// Every scenario, from the files and the history, by name.
    pub fn known(&self) -> Vec<Known<'_>> {
        // One pass over the results, grouped by scenario (histories hold thousands).
        let mut by_name: BTreeMap<&str, Vec<&DrillResult>> =
            self.scenarios.iter().map(|s| (s.name.as_str(), Vec::new())).collect();
        for result in self.results {
            by_name.entry(result.scenario.as_str()).or_default().push(result);
        }
        by_name
            .into_iter()
            .map(|(name, mut runs)| {
                runs.sort_by(|a, b| (a.started_at, &a.run_id).cmp(&(b.started_at, &b.run_id)));
                Known {
                    file: self.scenarios.iter().find(|s| s.name == name),
                    name: name.to_owned(),
                    runs,
                }
            })
            .collect()
    }
}

/// The file names of the site's pages, relative to its root.
pub fn scenario_page(name: &str) -> String {
    format!("scenarios/{}.html", slug(name))
}

pub fn run_page(run_id: &str) -> String {
    format!("runs/{}.html", slug(run_id))
}

fn seconds_of(duration: crate::scenario::HumanDuration) -> f64 {
    duration.as_duration().as_secs_f64()
}

fn figure(value: Option<f64>, target: f64) -> Figure {
    Figure {
        text: value.map_or_else(|| "not measured".to_owned(), compact),
        target: compact(target),
        met: value.map(|v| v <= target),
    }
}

fn run_summary(r: &DrillResult) -> RunSummary {
    let (rto_target, rpo_target) = (seconds_of(r.rto_target), seconds_of(r.rpo_target));
    RunSummary {
        run_id: r.run_id.clone(),
        page: run_page(&r.run_id),
        outcome: outcome_text(r.outcome),
        started: utc_text(r.started_at),
        date: date_text(r.started_at),
        simulated: r.simulated,
        rto: figure(r.rto.as_ref().map(|v| v.seconds), rto_target),
        rpo: figure(r.rpo.as_ref().map(|v| v.seconds), rpo_target),
        reasons: r.reasons.clone(),
    }
}

fn sample(r: &DrillResult, seconds: Option<f64>) -> Sample {
    Sample {
        at: r.started_at,
        seconds,
        outcome: r.outcome,
        simulated: r.simulated,
        page: run_page(&r.run_id),
        label: date_text(r.started_at),
    }
}

/// The runs a scenario's figures are drawn from: the counted ones; for a scenario that
/// only ever ran simulated, those (marked), so that its page is not empty.
fn shown<'a>(input: &Input<'_>, known: &Known<'a>) -> Vec<&'a DrillResult> {
    let counted: Vec<&DrillResult> = known.runs.iter().copied().filter(|r| input.counts(r)).collect();
    if counted.is_empty() {
        known.runs.clone()
    } else {
        counted
    }
}

fn targets(known: &Known<'_>) -> (f64, f64) {
    match (known.file, known.runs.last()) {
        (Some(s), _) => (seconds_of(s.targets.rto), seconds_of(s.targets.rpo)),
        (None, Some(r)) => (seconds_of(r.rto_target), seconds_of(r.rpo_target)),
        (None, None) => (0.0, 0.0),
    }
}

/// Where a scenario stands at the report's time: what the summary, the JSON figures
/// and the due date are all computed from, once.
pub struct Standing<'a> {
    pub name: &'a str,
    pub file: Option<&'a Scenario>,
    /// Its runs, oldest first, and those of them that count.
    pub runs: &'a [&'a DrillResult],
    pub counted: Vec<&'a DrillResult>,
    pub simulated_only: bool,
    pub last_passed: Option<Timestamp>,
    pub due: Option<(schedule::DueStatus, &'a crate::scenario::Schedule)>,
    pub pass_streak: usize,
    pub rto_target: f64,
    pub rpo_target: f64,
}

fn standing<'a>(input: &Input<'_>, known: &'a Known<'a>) -> Standing<'a> {
    let counted: Vec<&DrillResult> = known.runs.iter().copied().filter(|r| input.counts(r)).collect();
    // Simulated only: every run is simulated (and those are not counted), or the file
    // says `cloud: sim`.
    let simulated_only = counted.is_empty() && !known.runs.is_empty() && known.runs.iter().all(|r| r.simulated)
        || known.file.is_some_and(|s| s.cloud == crate::scenario::CloudKind::Sim) && !input.include_simulated;
    let last_passed = counted
        .iter()
        .rev()
        .find(|r| r.outcome == Outcome::Passed)
        .map(|r| r.started_at);
    // A scenario loaded through validation has a valid schedule, so `due` cannot fail.
    let due = known
        .file
        .and_then(|s| s.schedule.as_ref().map(|sch| (s, sch)))
        .filter(|_| !simulated_only)
        .and_then(|(s, sch)| {
            let grace = SignedDuration::try_from(s.max_duration.as_duration()).unwrap_or(SignedDuration::ZERO);
            schedule::due(sch, last_passed, grace, input.now).ok().map(|d| (d, sch))
        });
    let (rto_target, rpo_target) = targets(known);
    Standing {
        name: &known.name,
        file: known.file,
        runs: &known.runs,
        pass_streak: counted
            .iter()
            .rev()
            .take_while(|r| r.outcome == Outcome::Passed)
            .count(),
        counted,
        simulated_only,
        last_passed,
        due,
        rto_target,
        rpo_target,
    }
}

/// Every scenario's standing, by name.
pub fn standings<'a>(input: &Input<'_>, known: &'a [Known<'a>]) -> Vec<Standing<'a>> {
    known.iter().map(|k| standing(input, k)).collect()
}

fn summary(input: &Input<'_>, known: &Known<'_>) -> ScenarioSummary {
    let Standing {
        counted,
        simulated_only,
        due,
        pass_streak,
        rto_target,
        rpo_target,
        ..
    } = standing(input, known);
    let schedule = known.file.and_then(|s| s.schedule.as_ref().map(|sch| (s, sch)));
    let overdue_text = due
        .as_ref()
        .filter(|(d, _)| d.overdue)
        .map(|(d, sch)| match d.next_due {
            Some(at) => {
                let days = input.now.duration_since(at).as_secs() / 86_400;
                format!(
                    "due {}, {days} day{} ago",
                    zoned_text(at, &sch.timezone),
                    if days == 1 { "" } else { "s" }
                )
            }
            None => "never passed".to_owned(),
        });
    let recent: Vec<&DrillResult> = shown(input, known).into_iter().rev().take(RECENT_RUNS).rev().collect();
    let recent_counted: Vec<&&DrillResult> = counted.iter().rev().take(RECENT_RUNS).collect();
    ScenarioSummary {
        name: known.name.clone(),
        page: scenario_page(&known.name),
        description: known.file.and_then(|s| s.description.clone()),
        owner: known.file.map(|s| s.owner.clone()),
        schedule: schedule.map(|(_, sch)| format!("{} ({})", sch.cron, sch.timezone)),
        simulated_only,
        runs_counted: counted.len(),
        runs_simulated: known.runs.iter().filter(|r| r.simulated).count(),
        last: counted.last().map(|r| run_summary(r)),
        last_simulated: known.runs.iter().rev().find(|r| r.simulated).map(|r| run_summary(r)),
        next_due: due
            .as_ref()
            .and_then(|(d, sch)| d.next_due.map(|at| zoned_text(at, &sch.timezone))),
        overdue: due.as_ref().is_some_and(|(d, _)| d.overdue),
        overdue_text,
        pass_streak,
        recent_passes: format!(
            "{} / {}",
            recent_counted.iter().filter(|r| r.outcome == Outcome::Passed).count(),
            recent_counted.len()
        ),
        rto_target: compact(rto_target),
        rpo_target: compact(rpo_target),
        sparkline: charts::sparkline(
            &recent
                .iter()
                .map(|r| sample(r, r.rto.as_ref().map(|v| v.seconds)))
                .collect::<Vec<_>>(),
            rto_target,
        ),
    }
}

pub fn overview(input: &Input<'_>) -> Overview {
    let scenarios: Vec<ScenarioSummary> = input.known().iter().map(|k| summary(input, k)).collect();
    let counted: Vec<&ScenarioSummary> = scenarios.iter().filter(|s| !s.simulated_only).collect();
    let totals = Totals {
        scenarios: counted.len(),
        passing: counted
            .iter()
            .filter(|s| s.last.as_ref().is_some_and(|l| l.outcome == "passed"))
            .count(),
        failing: counted
            .iter()
            .filter(|s| s.last.as_ref().is_some_and(|l| l.outcome != "passed"))
            .count(),
        overdue: counted.iter().filter(|s| s.overdue).count(),
        runs_counted: input.results.iter().filter(|r| input.counts(r)).count(),
        runs_simulated: input.results.iter().filter(|r| r.simulated).count(),
    };
    Overview {
        as_of: utc_text(input.now),
        include_simulated: input.include_simulated,
        tool_version: input.tool_version.to_owned(),
        totals,
        scenarios,
        unreadable: input.unreadable.to_vec(),
        coverage: input.coverage.map(super::coverage_view::summary),
    }
}

/// The span of each kind of phase in a run (restores overlap: their span, not their sum).
fn phase_parts(r: &DrillResult) -> Vec<(String, f64)> {
    PHASE_CATEGORIES
        .iter()
        .filter_map(|category| {
            let phases: Vec<_> = r
                .phases
                .iter()
                .filter(|p| p.name.split('/').next() == Some(*category))
                .collect();
            let start = phases.iter().map(|p| p.start).min()?;
            let end = phases.iter().map(|p| p.end).max()?;
            Some(((*category).to_owned(), end.duration_since(start).as_secs_f64().max(0.0)))
        })
        .collect()
}

pub fn scenario_pages(input: &Input<'_>) -> Vec<ScenarioPage> {
    input
        .known()
        .iter()
        .map(|known| {
            let shown = shown(input, known);
            let (rto_target, rpo_target) = targets(known);
            let recent: Vec<&DrillResult> = shown.iter().rev().take(RECENT_RUNS).rev().copied().collect();
            let rto: Vec<Sample> = shown
                .iter()
                .map(|r| sample(r, r.rto.as_ref().map(|v| v.seconds)))
                .collect();
            let rpo: Vec<Sample> = shown
                .iter()
                .map(|r| sample(r, r.rpo.as_ref().map(|v| v.seconds)))
                .collect();
            let phase_rows: Vec<PhaseRow> = recent
                .iter()
                .map(|r| PhaseRow {
                    label: date_text(r.started_at),
                    page: run_page(&r.run_id),
                    parts: phase_parts(r),
                })
                .collect();
            let percentiles = crate::result::percentiles(shown.iter().flat_map(|r| &r.restores));
            ScenarioPage {
                summary: summary(input, known),
                rto_chart: charts::line_charts("RTO", &rto, rto_target),
                rpo_chart: charts::line_charts("RPO", &rpo, rpo_target),
                timeline: known
                    .runs
                    .iter()
                    .map(|r| TimelineCell {
                        date: date_text(r.started_at),
                        page: run_page(&r.run_id),
                        outcome: outcome_text(r.outcome),
                        simulated: r.simulated,
                        title: format!(
                            "{}: {}{}",
                            utc_text(r.started_at),
                            outcome_text(r.outcome),
                            if r.simulated { " (simulated)" } else { "" }
                        ),
                    })
                    .collect(),
                phases: charts::stacked_bars_both(&phase_rows, &PHASE_CATEGORIES),
                restore_percentiles: percentiles
                    .into_iter()
                    .map(|(kind, p)| KindPercentiles {
                        kind,
                        count: p.count,
                        p50: compact(p.p50_seconds),
                        p90: compact(p.p90_seconds),
                        p99: compact(p.p99_seconds),
                        max: compact(p.max_seconds),
                    })
                    .collect(),
                failures: known
                    .runs
                    .iter()
                    .rev()
                    .filter(|r| r.outcome != Outcome::Passed)
                    .map(|r| run_summary(r))
                    .collect(),
                runs: known.runs.iter().rev().map(|r| run_summary(r)).collect(),
            }
        })
        .collect()
}

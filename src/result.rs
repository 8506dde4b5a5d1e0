//! The result of a drill: one schema-versioned JSON document per run (see
//! docs/result-format.md), built from the drill's events alone, so that replaying a
//! journal gives the same result.

use std::collections::BTreeMap;
use std::path::Path;

use hdrhistogram::Histogram;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::cloud::{RecoveryPoint, ResourceRef};
use crate::measure::{self, Outcome, Rpo, RpoBasis, Rto};
use crate::runner::events::{DrillEvent, EventKind};
use crate::scenario::HumanDuration;

/// The result format's version; readers accept newer minor additions (unknown fields).
pub const SCHEMA_VERSION: u32 = 1;

/// Check output kept in a result, per stream.
pub const MAX_OUTPUT_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillResult {
    pub schema_version: u32,
    pub tool_version: String,
    pub run_id: String,
    pub scenario: String,
    /// `sim` results are excluded from compliance figures unless asked for.
    pub simulated: bool,
    pub t0: Timestamp,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub rto_target: HumanDuration,
    pub rpo_target: HumanDuration,
    pub outcome: Outcome,
    pub reasons: Vec<String>,
    pub rto: Option<RtoRecord>,
    pub rpo: Option<RpoRecord>,
    /// The RTO waterfall: isolation, each restore, runner, each check.
    pub phases: Vec<Phase>,
    pub restores: Vec<RestoreRecord>,
    /// Restore durations (provider start to completion) per resource kind, from hdrhistogram.
    pub restore_durations: BTreeMap<String, Percentiles>,
    pub checks: Vec<CheckRecord>,
    /// Game days: each manual step, who answered what, when, and their note.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual_steps: Vec<ManualRecord>,
    pub teardown: TeardownRecord,
    /// The API calls the drill made, by `service:Operation` (empty in older results).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_calls: BTreeMap<String, u64>,
}

/// A manual step of a game day, as the operator answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualRecord {
    pub id: String,
    pub operator: String,
    pub answer: crate::runner::game_day::Answer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtoRecord {
    pub seconds: f64,
    pub recovered_at: Timestamp,
    /// The largest time between AWS reporting a restore complete and the harness
    /// noticing: part of the measured RTO, shown beside it.
    pub detection_lag_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpoRecord {
    pub seconds: f64,
    pub data_time: Timestamp,
    pub basis: RpoBasis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub seconds: f64,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreRecord {
    pub id: String,
    pub recovery_point: Option<RecoveryPoint>,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub seen_at: Option<Timestamp>,
    pub duration_seconds: Option<f64>,
    pub detection_lag_seconds: Option<f64>,
    pub resource: Option<ResourceRef>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_seconds: f64,
    pub p90_seconds: f64,
    pub p99_seconds: f64,
    pub max_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub id: String,
    pub passed: bool,
    pub gates_rto: bool,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TeardownRecord {
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub seconds: Option<f64>,
    pub deleted: Vec<ResourceRef>,
    pub kept: Vec<ResourceRef>,
    pub refused: Vec<ResourceRef>,
    /// Resources that could not be deleted: left behind, for `firedrill cleanup`.
    pub left_behind: Vec<ResourceRef>,
    /// AWS Backup restore jobs still running (they cannot be cancelled).
    pub pending: Vec<ResourceRef>,
    /// Why the last look by tag after teardown could not be made, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
}

impl DrillResult {
    /// Whether resources were left behind (exit code 4).
    /// An unverified teardown counts: what remains is unknown, so cleanup is due.
    pub fn teardown_incomplete(&self) -> bool {
        !self.teardown.left_behind.is_empty() || !self.teardown.pending.is_empty() || self.teardown.unverified.is_some()
    }

    /// The run's exit code (DESIGN.md): a run interrupted by a signal exits with its code,
    /// then teardown incomplete (4), error (3), failed (1), passed (0).
    pub fn exit_code(&self, signal: Option<i32>) -> i32 {
        // Interrupted, even during teardown: the signal's code, as the shell expects.
        if let Some(code) = signal {
            return code;
        }
        if self.outcome == Outcome::Aborted {
            return crate::exit_code::INTERRUPTED;
        }
        if self.teardown_incomplete() {
            return crate::exit_code::TEARDOWN_INCOMPLETE;
        }
        match self.outcome {
            Outcome::Passed => crate::exit_code::SUCCESS,
            Outcome::Failed => crate::exit_code::DRILL_FAILED,
            Outcome::Error | Outcome::Aborted => crate::exit_code::ERROR,
        }
    }

    /// Writes the result atomically and only under a free name: results are immutable.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::history::write_new(path, &(text + "\n"))
    }
}

fn seconds(d: SignedDuration) -> f64 {
    d.as_secs_f64()
}

/// Builds the result from a drill's events; `None` if they do not start a run.
pub fn from_events(events: &[DrillEvent]) -> Option<DrillResult> {
    let (start, first) = events.first().map(|e| (e, &e.kind))?;
    let EventKind::RunStarted {
        run_id,
        scenario,
        t0,
        simulated,
        rto_target,
        rpo_target,
        tool_version,
        gating_checks,
        ..
    } = first
    else {
        return None;
    };
    let mut builder = Builder::default();
    for event in events {
        builder.apply(event);
    }
    let finished_at = events.last().map_or(start.at, |e| e.at);
    let restores: Vec<RestoreRecord> = builder.restores.into_values().collect();
    // Every gating check of the scenario counts, run or not; older journals name none.
    let gating: Vec<Option<Timestamp>> = match gating_checks {
        Some(ids) => ids
            .iter()
            .map(|id| {
                builder
                    .gating
                    .iter()
                    .find(|(check, _)| check == id)
                    .and_then(|(_, pass)| *pass)
            })
            .collect(),
        None => builder.gating.iter().map(|(_, pass)| *pass).collect(),
    };
    let rto = measure::rto(*t0, &gating);
    let rpo = match builder.watermark {
        Some(w) => Some(measure::rpo_from_watermark(*t0, w)),
        None => {
            let times: Vec<Timestamp> = restores
                .iter()
                .filter_map(|r| r.recovery_point.as_ref().map(|p| p.data_time))
                .collect();
            measure::rpo_from_metadata(*t0, &times)
        }
    };
    let failed_checks: Vec<String> = builder
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.id.clone())
        .collect();
    let failed_manual: Vec<String> = builder
        .manual_steps
        .iter()
        .filter(|m| m.answer == crate::runner::game_day::Answer::Failed)
        .map(|m| match &m.note {
            Some(note) => format!("manual step `{}` failed ({}: {note})", m.id, m.operator),
            None => format!("manual step `{}` failed ({})", m.id, m.operator),
        })
        .collect();
    let restore_errors = restores
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| format!("restore `{}` failed: {e}", r.id)));
    let harness_error = builder
        .errors
        .first()
        .cloned()
        .or_else(|| restore_errors.clone().next());
    let (outcome, reasons) = measure::outcome(&measure::Verdict {
        rto_target: SignedDuration::try_from(rto_target.as_duration()).unwrap_or(SignedDuration::MAX),
        rpo_target: SignedDuration::try_from(rpo_target.as_duration()).unwrap_or(SignedDuration::MAX),
        rto,
        rpo,
        failed_checks: &failed_checks,
        failed_manual: &failed_manual,
        harness_error: harness_error.as_deref(),
        aborted: builder.interrupted,
    });
    let lag = restores
        .iter()
        .filter_map(|r| r.detection_lag_seconds)
        .fold(0.0, f64::max);
    Some(DrillResult {
        schema_version: SCHEMA_VERSION,
        tool_version: tool_version.clone(),
        run_id: run_id.clone(),
        scenario: scenario.clone(),
        simulated: *simulated,
        t0: *t0,
        started_at: start.at,
        finished_at,
        rto_target: *rto_target,
        rpo_target: *rpo_target,
        outcome,
        reasons,
        rto: rto.map(|r: Rto| RtoRecord {
            seconds: seconds(r.value),
            recovered_at: r.recovered_at,
            detection_lag_seconds: lag,
        }),
        rpo: rpo.map(|r: Rpo| RpoRecord {
            seconds: seconds(r.value),
            data_time: r.data_time,
            basis: r.basis,
        }),
        phases: builder.phases,
        restore_durations: percentiles(&restores),
        restores,
        checks: builder.checks,
        manual_steps: builder.manual_steps,
        teardown: builder.teardown,
        api_calls: builder.api_calls,
    })
}

#[derive(Default)]
struct Builder {
    step_starts: BTreeMap<String, Timestamp>,
    phases: Vec<Phase>,
    restores: BTreeMap<String, RestoreRecord>,
    checks: Vec<CheckRecord>,
    manual_steps: Vec<ManualRecord>,
    gating: Vec<(String, Option<Timestamp>)>,
    watermark: Option<Timestamp>,
    errors: Vec<String>,
    interrupted: bool,
    teardown: TeardownRecord,
    api_calls: BTreeMap<String, u64>,
}

impl Builder {
    fn restore(&mut self, id: &str) -> &mut RestoreRecord {
        self.restores.entry(id.to_owned()).or_insert_with(|| RestoreRecord {
            id: id.to_owned(),
            recovery_point: None,
            started_at: None,
            completed_at: None,
            seen_at: None,
            duration_seconds: None,
            detection_lag_seconds: None,
            resource: None,
            error: None,
        })
    }

    fn apply(&mut self, event: &DrillEvent) {
        match &event.kind {
            EventKind::ApiCalls { calls } => self.api_calls = calls.clone(),
            EventKind::StepStarted { step } => {
                self.step_starts.insert(step.clone(), event.at);
            }
            EventKind::StepFinished { step, ok, .. } => {
                let start = self.step_starts.get(step).copied().unwrap_or(event.at);
                if !step.starts_with("teardown") && step != "measure" {
                    let secs = seconds(event.at.duration_since(start));
                    self.phases.push(Phase {
                        name: step.clone(),
                        start,
                        end: event.at,
                        seconds: secs,
                        ok: *ok,
                    });
                }
            }
            EventKind::RecoveryPointChosen {
                restore,
                recovery_point,
            } => {
                self.restore(restore).recovery_point = Some(recovery_point.clone());
            }
            EventKind::RestoreStarted {
                restore, started_at, ..
            } => self.restore(restore).started_at = Some(*started_at),
            EventKind::RestoreReady {
                restore,
                resource,
                completed_at,
                ..
            } => {
                let record = self.restore(restore);
                record.completed_at = Some(*completed_at);
                record.seen_at = Some(event.at);
                record.resource = Some(resource.clone());
                record.detection_lag_seconds = Some(seconds(measure::detection_lag(*completed_at, event.at)));
                record.duration_seconds = record.started_at.map(|s| seconds(completed_at.duration_since(s)));
            }
            EventKind::RestoreFailed { restore, message } => self.restore(restore).error = Some(message.clone()),
            EventKind::CheckFinished {
                check,
                passed,
                gates_rto,
                exit_code,
                stdout,
                stderr,
                started_at,
                ended_at,
                reasons,
                watermark,
            } => {
                if *gates_rto {
                    self.gating.push((check.clone(), passed.then_some(*ended_at)));
                }
                if watermark.is_some() {
                    self.watermark = *watermark;
                }
                self.checks.push(CheckRecord {
                    id: check.clone(),
                    passed: *passed,
                    gates_rto: *gates_rto,
                    exit_code: *exit_code,
                    stdout: truncate(stdout),
                    stderr: truncate(stderr),
                    started_at: *started_at,
                    ended_at: *ended_at,
                    reasons: reasons.clone(),
                });
            }
            EventKind::ManualStepAnswered {
                step,
                operator,
                answer,
                note,
                started_at,
            } => self.manual_steps.push(ManualRecord {
                id: step.clone(),
                operator: operator.clone(),
                answer: *answer,
                note: note.clone(),
                started_at: *started_at,
                ended_at: event.at,
                seconds: seconds(event.at.duration_since(*started_at)),
            }),
            EventKind::HarnessError { message } => self.errors.push(message.clone()),
            EventKind::Interrupted => self.interrupted = true,
            EventKind::TeardownStarted => self.teardown.started_at = Some(event.at),
            EventKind::ResourceDeleted { resource } => self.teardown.deleted.push(resource.clone()),
            EventKind::ResourceKept { resource, .. } => self.teardown.kept.push(resource.clone()),
            EventKind::DeleteRefused { resource, .. } => self.teardown.refused.push(resource.clone()),
            EventKind::DeleteFailed { resource, .. } => self.teardown.left_behind.push(resource.clone()),
            EventKind::RestorePending { resource } => self.teardown.pending.push(resource.clone()),
            EventKind::TeardownUnverified { error } => self.teardown.unverified = Some(error.clone()),
            EventKind::TeardownFinished => {
                self.teardown.finished_at = Some(event.at);
                self.teardown.seconds = self.teardown.started_at.map(|s| seconds(event.at.duration_since(s)));
            }
            _ => {}
        }
    }
}

/// Output kept in a result: the first bytes, cut at a character boundary, and marked.
fn truncate(text: &str) -> String {
    if text.len() <= MAX_OUTPUT_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_OUTPUT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… {} more bytes cut]", &text[..end], text.len() - end)
}

/// How long each restore took in earlier runs (p50 and p90, seconds), by restore id:
/// what the polling of the next run expects. The last `RECENT` runs count.
pub fn restore_history(results: &[DrillResult]) -> BTreeMap<String, (f64, f64)> {
    const RECENT: usize = 20;
    let mut runs: Vec<&DrillResult> = results.iter().collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.started_at));
    let mut by_restore: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    for record in runs.iter().take(RECENT).flat_map(|r| &r.restores) {
        let Some(secs) = record.duration_seconds.filter(|s| s.is_finite() && *s > 0.0) else {
            continue;
        };
        let histogram = by_restore
            .entry(record.id.clone())
            .or_insert_with(|| Histogram::new(3).expect("3 significant digits is valid"));
        let _ = histogram.record((secs * 1000.0) as u64);
    }
    by_restore
        .into_iter()
        .map(|(id, h)| {
            let at = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            (id, (at(0.5), at(0.9)))
        })
        .collect()
}

/// p50/p90/p99/max of restore durations per resource kind (AWS start to completion).
pub fn percentiles<'a>(restores: impl IntoIterator<Item = &'a RestoreRecord>) -> BTreeMap<String, Percentiles> {
    let mut by_kind: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    for record in restores {
        let (Some(point), Some(secs)) = (&record.recovery_point, record.duration_seconds) else {
            continue;
        };
        let kind = serde_json::to_value(point.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let histogram = by_kind
            .entry(kind)
            .or_insert_with(|| Histogram::new(3).expect("3 significant digits is valid"));
        // An auto-resizing histogram takes any u64; a failure would only lose one sample.
        let _ = histogram.record((secs * 1000.0).max(0.0) as u64);
    }
    by_kind
        .into_iter()
        .map(|(kind, h)| {
            let at = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            (
                kind,
                Percentiles {
                    count: h.len(),
                    p50_seconds: at(0.5),
                    p90_seconds: at(0.9),
                    p99_seconds: at(0.99),
                    max_seconds: h.max() as f64 / 1000.0,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_decides_the_exit_code_even_after_a_passed_drill() {
        let events = vec![
            DrillEvent {
                at: "2026-11-01T03:00:00Z".parse().unwrap(),
                kind: EventKind::RunStarted {
                    run_id: "fd-x-20261101T030000Z-abcdef".into(),
                    scenario: "x".into(),
                    t0: "2026-11-01T03:00:00Z".parse().unwrap(),
                    simulated: true,
                    lease_until: "2026-11-01T05:00:00Z".parse().unwrap(),
                    rto_target: HumanDuration::from_secs(60),
                    rpo_target: HumanDuration::from_secs(60),
                    tool_version: "test".into(),
                    gating_checks: None,
                },
            },
            DrillEvent {
                at: "2026-11-01T03:00:01Z".parse().unwrap(),
                kind: EventKind::RunFinished,
            },
        ];
        let result = from_events(&events).unwrap();
        assert_eq!(result.exit_code(Some(crate::exit_code::INTERRUPTED)), 130);
        assert_eq!(result.exit_code(Some(crate::exit_code::TERMINATED)), 143);
        assert_ne!(result.exit_code(None), 130);
    }
}

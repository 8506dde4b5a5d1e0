//! The typed event stream of a drill. Every consumer (console, journal, result) reads
//! these and nothing else, so a journal replays to the same result.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cloud::{RecoveryPoint, ResourceRef};
use crate::scenario::HumanDuration;

/// Something that happened during a drill, at a time of the cloud's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillEvent {
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    RunStarted {
        run_id: String,
        scenario: String,
        t0: Timestamp,
        simulated: bool,
        /// When cleanup may treat what is left as orphaned.
        lease_until: Timestamp,
        rto_target: HumanDuration,
        rpo_target: HumanDuration,
        tool_version: String,
        /// The checks that gate recovery: RTO is reached only once each of them passed,
        /// so one that never ran leaves RTO unreached. (Absent in older journals.)
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gating_checks: Option<Vec<String>>,
    },
    StepStarted {
        step: String,
    },
    StepFinished {
        step: String,
        ok: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Journaled before a create call, so a crash between call and answer can be resolved.
    CreateIntended {
        step: String,
        token: String,
    },
    /// A resource now exists and belongs to this run.
    ResourceCreated {
        step: String,
        resource: ResourceRef,
    },
    IsolationVerified {
        violations: Vec<String>,
    },
    RecoveryPointChosen {
        restore: String,
        recovery_point: RecoveryPoint,
    },
    RestoreStarted {
        restore: String,
        tracked: ResourceRef,
        /// The provider's start time.
        started_at: Timestamp,
    },
    RestoreReady {
        restore: String,
        resource: ResourceRef,
        /// The provider's completion time.
        completed_at: Timestamp,
        outputs: BTreeMap<String, String>,
    },
    RestoreFailed {
        restore: String,
        message: String,
    },
    RunnerOnline {
        instance: ResourceRef,
    },
    CheckFinished {
        check: String,
        passed: bool,
        gates_rto: bool,
        exit_code: i32,
        stdout: String,
        stderr: String,
        started_at: Timestamp,
        ended_at: Timestamp,
        reasons: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        watermark: Option<Timestamp>,
    },
    ManualStepSkipped {
        step: String,
    },
    /// Game day: the operator is asked to do a manual step.
    ManualStepStarted {
        step: String,
        operator: String,
        instructions: String,
    },
    /// Game day: the operator's answer.
    ManualStepAnswered {
        step: String,
        operator: String,
        answer: super::game_day::Answer,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        started_at: Timestamp,
    },
    /// The harness or AWS failed; the drill's outcome is `error`.
    HarnessError {
        message: String,
    },
    Interrupted,
    TeardownStarted,
    ResourceDeleted {
        resource: ResourceRef,
    },
    ResourceKept {
        resource: ResourceRef,
        until: Timestamp,
    },
    /// A delete refused by the tag guard (invariant 1).
    DeleteRefused {
        resource: ResourceRef,
        reason: String,
    },
    DeleteFailed {
        resource: ResourceRef,
        error: String,
    },
    /// An AWS Backup restore job still running: it cannot be cancelled; what it creates
    /// is removed when it completes, by teardown or `firedrill cleanup`.
    RestorePending {
        resource: ResourceRef,
    },
    /// The last look by tag after teardown could not be made: what remains is unknown.
    TeardownUnverified {
        error: String,
    },
    TeardownFinished,
    /// The API calls the drill's cloud made, by `service:Operation` (the cost of
    /// observing: kept in the result beside the detection lag).
    ApiCalls {
        calls: BTreeMap<String, u64>,
    },
    RunFinished,
}

/// Every event's journaled name (crash points name them).
pub const EVENT_NAMES: &[&str] = &[
    "run_started",
    "step_started",
    "step_finished",
    "create_intended",
    "resource_created",
    "isolation_verified",
    "recovery_point_chosen",
    "restore_started",
    "restore_ready",
    "restore_failed",
    "runner_online",
    "check_finished",
    "manual_step_skipped",
    "manual_step_started",
    "manual_step_answered",
    "harness_error",
    "interrupted",
    "teardown_started",
    "resource_deleted",
    "resource_kept",
    "delete_refused",
    "delete_failed",
    "restore_pending",
    "teardown_unverified",
    "teardown_finished",
    "api_calls",
    "run_finished",
];

impl DrillEvent {
    /// The event's name, as journaled (used by crash points and logs).
    pub fn name(&self) -> String {
        serde_json::to_value(&self.kind)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }
}

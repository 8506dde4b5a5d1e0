//! firedrill as the validator of an AWS Backup restore testing plan: AWS Backup starts
//! the restore job (on the plan's schedule) and deletes the copy itself after the plan's
//! retention; an EventBridge rule starts `firedrill validate-restore-job JOB` when the
//! job completes. firedrill reads the job and its copy, judges them against RTO and RPO
//! targets, records the verdict in its history, and posts it with
//! PutRestoreValidationResult, the API's documented use (docs/aws.md). It creates,
//! changes and deletes nothing: the copy is AWS Backup's.
//!
//! Pure: the caller reads the job and the copy (`crate::cloud::aws`), passes them here,
//! and gets a `DrillResult` like a drill's, so that the history, the report and JUnit
//! treat both alike.
//!
//! The measures: RTO from the job's creation to its completion (when the copy was ready,
//! not when firedrill looked, which EventBridge and a container start delay); RPO from
//! the recovery point's creation to the job's creation (what the backup metadata says).

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::cloud::{RecoveryPoint, ResourceRef, ResourceType};
use crate::measure::{self, Outcome};
use crate::result::{CheckRecord, DrillResult, Phase, RestoreRecord, RpoRecord, RtoRecord, TeardownRecord};
use crate::scenario::{HumanDuration, ResourceKind};

/// A restore job, as DescribeRestoreJob tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    /// The restore testing plan that started it; `None` for an on-demand job.
    pub plan_arn: Option<String>,
    /// `PENDING`, `RUNNING`, `COMPLETED`, `ABORTED` or `FAILED`.
    pub status: String,
    pub status_message: Option<String>,
    pub resource_type: Option<String>,
    pub created_resource_arn: Option<String>,
    pub recovery_point_arn: Option<String>,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub recovery_point_created_at: Option<Timestamp>,
}

/// The copy, as its service describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyState {
    /// In a usable state (`available`, `running`, `in-use`).
    Ready { status: String },
    /// Exists, not usable (`creating`, `stopped`, `failed`, …).
    NotReady { status: String },
    /// Not found.
    Missing,
    /// A kind firedrill cannot describe (DynamoDB, EFS, S3, …): only the job is judged.
    Unsupported,
}

/// The targets the job is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub rto: HumanDuration,
    pub rpo: HumanDuration,
}

/// Why firedrill will not validate this job, if it will not.
pub fn refusal(job: &Job) -> Option<String> {
    if job.plan_arn.is_none() {
        return Some(format!(
            "restore job {} was not started by a restore testing plan: firedrill validates only restore testing jobs (PutRestoreValidationResult is documented for those; see docs/aws.md)",
            job.id
        ));
    }
    if matches!(job.status.as_str(), "PENDING" | "RUNNING") {
        return Some(format!(
            "restore job {} is {}: validate it once it completed (the EventBridge rule of docs/deploy.md fires then)",
            job.id, job.status
        ));
    }
    None
}

/// The plan's name, from its ARN (`…:restore-testing-plan:NAME-uuid` or `…:NAME`).
pub fn plan_name(plan_arn: &str) -> String {
    let name = plan_arn.rsplit(':').next().unwrap_or(plan_arn);
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    let mut name = format!("restore-testing-{slug}");
    name.truncate(48);
    name.trim_end_matches('-').to_owned()
}

/// The verdict on a completed (or failed) restore testing job and its copy.
pub fn judge(job: &Job, copy: &CopyState, targets: Targets, run_id: &str, checked_at: Timestamp) -> DrillResult {
    let t0 = job.created_at;
    let finished = job.completed_at.unwrap_or(checked_at);
    let mut checks = vec![check(
        "job-completed",
        job.status == "COMPLETED",
        format!(
            "AWS Backup says {}{}",
            job.status,
            job.status_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ),
        t0,
        finished,
    )];
    let resource = job
        .created_resource_arn
        .as_deref()
        .and_then(crate::cloud::aws::created_resource);
    let copy_check = match copy {
        CopyState::Ready { status } => Some((true, format!("the copy is {status}"))),
        CopyState::NotReady { status } => Some((false, format!("the copy is {status}, not usable"))),
        CopyState::Missing => Some((false, "the copy AWS Backup created cannot be found".to_owned())),
        CopyState::Unsupported => None,
    };
    if let Some((passed, detail)) = copy_check {
        checks.push(check("copy-usable", passed, detail, finished, checked_at));
    }
    let recovered = checks.iter().all(|c| c.passed).then_some(finished);
    let rto = measure::rto(t0, &[recovered]);
    let rpo = job
        .recovery_point_created_at
        .and_then(|at| measure::rpo_from_metadata(t0, &[at]));
    let failed: Vec<String> = checks.iter().filter(|c| !c.passed).map(|c| c.id.clone()).collect();
    let (outcome, reasons) = measure::outcome(&measure::Verdict {
        rto_target: signed(targets.rto),
        rpo_target: signed(targets.rpo),
        rto,
        rpo,
        failed_checks: &failed,
        failed_manual: &[],
        harness_error: None,
        aborted: false,
    });
    let scenario = job
        .plan_arn
        .as_deref()
        .map(plan_name)
        .unwrap_or_else(|| "restore-testing".to_owned());
    DrillResult {
        schema_version: crate::result::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        run_id: run_id.to_owned(),
        scenario,
        simulated: false,
        t0,
        started_at: t0,
        finished_at: checked_at,
        rto_target: targets.rto,
        rpo_target: targets.rpo,
        outcome,
        reasons,
        rto: rto.map(|r| RtoRecord {
            seconds: seconds(r.value),
            recovered_at: r.recovered_at,
            detection_lag_seconds: 0.0,
        }),
        rpo: rpo.map(|r| RpoRecord {
            seconds: seconds(r.value),
            data_time: r.data_time,
            basis: r.basis,
        }),
        phases: vec![Phase {
            name: "restore (AWS Backup restore testing)".to_owned(),
            start: t0,
            end: finished,
            seconds: seconds(finished.duration_since(t0)),
            ok: job.status == "COMPLETED",
        }],
        restores: vec![RestoreRecord {
            id: job.id.clone(),
            recovery_point: job
                .recovery_point_arn
                .as_ref()
                .zip(job.recovery_point_created_at)
                .map(|(arn, at)| RecoveryPoint {
                    id: arn.clone(),
                    data_time: at,
                    kind: kind_of(resource.as_ref()),
                    point_in_time: false,
                }),
            started_at: Some(t0),
            completed_at: job.completed_at,
            seen_at: Some(checked_at),
            duration_seconds: job.completed_at.map(|c| seconds(c.duration_since(t0))),
            detection_lag_seconds: None,
            resource,
            error: (job.status != "COMPLETED").then(|| job.status_message.clone().unwrap_or(job.status.clone())),
        }],
        restore_durations: BTreeMap::new(),
        checks,
        manual_steps: Vec::new(),
        // The copy is AWS Backup's: it deletes it after the plan's retention period.
        teardown: TeardownRecord {
            started_at: Some(checked_at),
            finished_at: Some(checked_at),
            seconds: Some(0.0),
            ..TeardownRecord::default()
        },
        api_calls: BTreeMap::new(),
    }
}

/// What is posted with PutRestoreValidationResult: SUCCESSFUL or FAILED, and why.
pub fn verdict_message(result: &DrillResult) -> (bool, String) {
    let passed = result.outcome == Outcome::Passed;
    let figures = format!(
        "RTO {} (target {}), RPO {} (target {})",
        result
            .rto
            .as_ref()
            .map_or("not reached".to_owned(), |r| friendly(r.seconds)),
        result.rto_target,
        result
            .rpo
            .as_ref()
            .map_or("unknown".to_owned(), |r| friendly(r.seconds)),
        result.rpo_target
    );
    let mut message = if passed {
        format!("firedrill {}: passed; {figures}", result.run_id)
    } else {
        format!("firedrill {}: {}; {figures}", result.run_id, result.reasons.join("; "))
    };
    if message.len() > 1000 {
        let mut end = 997;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("...");
    }
    (passed, message)
}

fn friendly(secs: f64) -> String {
    crate::report::text::seconds_text(secs)
}

fn check(id: &str, passed: bool, detail: String, start: Timestamp, end: Timestamp) -> CheckRecord {
    CheckRecord {
        id: id.to_owned(),
        passed,
        gates_rto: true,
        exit_code: if passed { 0 } else { 1 },
        stdout: detail.clone(),
        stderr: String::new(),
        started_at: start,
        ended_at: end.max(start),
        reasons: if passed { Vec::new() } else { vec![detail] },
    }
}

fn kind_of(resource: Option<&ResourceRef>) -> ResourceKind {
    match resource.map(|r| r.kind) {
        Some(ResourceType::DbCluster) => ResourceKind::AuroraCluster,
        Some(ResourceType::Volume) => ResourceKind::EbsVolume,
        Some(ResourceType::Instance) => ResourceKind::Ec2Instance,
        _ => ResourceKind::RdsInstance,
    }
}

fn signed(duration: HumanDuration) -> SignedDuration {
    SignedDuration::try_from(duration.as_duration()).unwrap_or(SignedDuration::MAX)
}

fn seconds(duration: SignedDuration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "arn:aws:backup:eu-west-1:123456789012:restore-testing-plan:nightly_orders-9f1c";

    fn job(status: &str, minutes: i64) -> Job {
        let created: Timestamp = "2026-12-01T03:00:00Z".parse().unwrap();
        Job {
            id: "job-1".into(),
            plan_arn: Some(PLAN.into()),
            status: status.into(),
            status_message: None,
            resource_type: Some("RDS".into()),
            created_resource_arn: Some("arn:aws:rds:eu-west-1:123456789012:db:awsbackup-restore-test-1".into()),
            recovery_point_arn: Some("arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-x".into()),
            created_at: created,
            completed_at: Some(created.saturating_add(SignedDuration::from_mins(minutes)).unwrap()),
            recovery_point_created_at: Some("2026-11-30T22:00:00Z".parse().unwrap()),
        }
    }

    fn targets(rto: &str) -> Targets {
        Targets {
            rto: HumanDuration::parse(rto).unwrap(),
            rpo: HumanDuration::parse("1d").unwrap(),
        }
    }

    fn now() -> Timestamp {
        "2026-12-01T04:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_completed_job_with_a_usable_copy_within_targets_passes() {
        let ready = CopyState::Ready {
            status: "available".into(),
        };
        let result = judge(&job("COMPLETED", 40), &ready, targets("1h"), "fd-x", now());
        assert_eq!(result.outcome, Outcome::Passed, "{:?}", result.reasons);
        assert_eq!(
            result.rto.as_ref().unwrap().seconds,
            40.0 * 60.0,
            "creation to completion"
        );
        assert_eq!(
            result.rpo.as_ref().unwrap().seconds,
            5.0 * 3600.0,
            "recovery point to job"
        );
        assert_eq!(result.scenario, "restore-testing-nightly-orders-9f1c");
        assert_eq!(
            result.restores[0].resource,
            Some(ResourceRef::new(ResourceType::DbInstance, "awsbackup-restore-test-1"))
        );
        let (passed, message) = verdict_message(&result);
        assert!(passed);
        assert!(message.starts_with("firedrill fd-x: passed; RTO 40m"), "{message}");
    }

    #[test]
    fn a_slow_restore_or_an_unusable_copy_fails_with_its_reason() {
        let ready = CopyState::Ready {
            status: "available".into(),
        };
        let slow = judge(&job("COMPLETED", 90), &ready, targets("1h"), "fd-x", now());
        assert_eq!(slow.outcome, Outcome::Failed);
        assert!(
            slow.reasons[0].contains("RTO 1h 30m 0s exceeds the target 1h 0m 0s"),
            "{:?}",
            slow.reasons
        );
        let stopped = CopyState::NotReady {
            status: "incompatible-parameters".into(),
        };
        let broken = judge(&job("COMPLETED", 10), &stopped, targets("1h"), "fd-x", now());
        assert_eq!(broken.outcome, Outcome::Failed);
        let (passed, message) = verdict_message(&broken);
        assert!(!passed);
        assert!(message.contains("check `copy-usable` failed"), "{message}");
        let gone = judge(&job("COMPLETED", 10), &CopyState::Missing, targets("1h"), "fd-x", now());
        assert!(
            gone.checks
                .iter()
                .any(|c| c.reasons.iter().any(|r| r.contains("cannot be found")))
        );
    }

    #[test]
    fn a_failed_job_fails_and_an_unsupported_copy_is_judged_by_its_job() {
        let failed = judge(&job("FAILED", 10), &CopyState::Missing, targets("1h"), "fd-x", now());
        assert_eq!(failed.outcome, Outcome::Failed);
        assert!(failed.rto.is_none());
        let mut table = job("COMPLETED", 10);
        table.created_resource_arn = Some("arn:aws:dynamodb:eu-west-1:123456789012:table/carts-restored".into());
        let judged = judge(&table, &CopyState::Unsupported, targets("1h"), "fd-x", now());
        assert_eq!(judged.outcome, Outcome::Passed);
        assert_eq!(judged.checks.len(), 1, "only the job is judged");
    }

    #[test]
    fn only_completed_restore_testing_jobs_are_validated() {
        let mut on_demand = job("COMPLETED", 10);
        on_demand.plan_arn = None;
        assert!(
            refusal(&on_demand)
                .unwrap()
                .contains("not started by a restore testing plan")
        );
        assert!(refusal(&job("RUNNING", 10)).unwrap().contains("is RUNNING"));
        assert_eq!(refusal(&job("COMPLETED", 10)), None);
        assert_eq!(refusal(&job("FAILED", 10)), None, "a failed job gets a FAILED verdict");
    }

    #[test]
    fn the_message_fits_the_api() {
        let mut result = judge(&job("FAILED", 10), &CopyState::Missing, targets("1h"), "fd-x", now());
        result.reasons = vec!["é".repeat(800)];
        let (_, message) = verdict_message(&result);
        assert!(message.len() <= 1000 && message.ends_with("..."));
    }
}

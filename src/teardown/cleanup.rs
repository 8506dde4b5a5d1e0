//! `firedrill cleanup`: finds what runs left behind (journals and tags), decides per run
//! whether it may be touched (lease, `--force`, `--older-than`), resolves AWS Backup
//! restore jobs to the resources they created, deletes through the tag guard in
//! teardown order, and reports what remains.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;

use super::discover::{self, RunTrace, Verdict};
use super::{Deleted, delete_in_order};
use crate::cloud::*;
use crate::exit_code;
use crate::interrupts::Interrupts;

pub use super::discover::Target;

/// What to clean up.
#[derive(Debug, Clone)]
pub struct CleanupRequest {
    pub target: Target,
    pub older_than: Option<Duration>,
    /// Overrides the lease of the run named by `Target::Run`, and only that.
    pub force: bool,
    pub dry_run: bool,
    /// Where the journals are.
    pub history: PathBuf,
}

/// What cleanup found and did.
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// Runs it was allowed to clean (or, dry, would have).
    pub cleaned_runs: Vec<String>,
    /// Runs left alone because they may still be running, with their lease.
    pub leased_runs: Vec<(String, Option<Timestamp>, usize)>,
    pub deleted: Vec<ResourceRef>,
    /// What a dry run would delete.
    pub would_delete: Vec<ResourceRef>,
    pub kept: Vec<(ResourceRef, Timestamp)>,
    pub refused: Vec<(ResourceRef, String)>,
    pub failed: Vec<(ResourceRef, String)>,
    /// Restore jobs still running: their resources appear later; run cleanup again then.
    pub pending_jobs: Vec<ResourceRef>,
    /// Tagged with a cleaned run's id and still there afterwards (kept ones excluded).
    pub remaining: Vec<ResourceRef>,
    /// Unreadable journals, failed lookups: named, never fatal.
    pub problems: Vec<String>,
    /// The account could not be listed: nothing is known.
    pub listing_failed: Option<String>,
}

impl CleanupReport {
    /// 4 when something of the cleaned runs remains (kept resources aside), else 3 when
    /// something could not be checked (the account's listing, a journal, a lookup), else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.remaining.is_empty() || !self.failed.is_empty() || !self.pending_jobs.is_empty() {
            exit_code::TEARDOWN_INCOMPLETE
        } else if self.listing_failed.is_some() || !self.problems.is_empty() {
            exit_code::ERROR
        } else {
            exit_code::SUCCESS
        }
    }
}

/// What a journal's events say a run left (for fuzzing the journal reader's consumers).
pub fn trace_of(events: &[crate::runner::events::DrillEvent]) -> Option<RunTrace> {
    RunTrace::from_journal(events, None)
}

/// Runs a cleanup; `say` hears progress lines as they happen.
pub async fn cleanup<C: Cloud>(
    cloud: &C,
    request: &CleanupRequest,
    now: Timestamp,
    say: &dyn Fn(String),
) -> CleanupReport {
    let mut report = CleanupReport::default();
    let traces = discover::read_journals(&request.history, &mut report.problems);
    let found = match cloud.list_by_tag(TAG_RUN_ID, None).await {
        Ok(found) => found,
        Err(error) => {
            report.listing_failed = Some(format!("listing resources tagged {TAG_RUN_ID}: {error}"));
            return report;
        }
    };
    for trace in discover::merge_tagged(traces, found) {
        let verdict = discover::decide(&trace, &request.target, request.older_than, request.force, now);
        let leftovers = trace.tagged.len() + trace.journaled.len() + trace.restore_tokens.len();
        match verdict {
            Verdict::NotTargeted | Verdict::TooRecent => {}
            Verdict::InLease(until) if leftovers > 0 => {
                let lease = until.map_or_else(|| "an unknown time".to_owned(), |t| t.to_string());
                say(format!(
                    "left alone: run {} ({leftovers} resource(s)) is inside its lease until {lease}; `--run-id {} --force` overrides it",
                    trace.run_id, trace.run_id
                ));
                report.leased_runs.push((trace.run_id.clone(), until, leftovers));
            }
            Verdict::InLease(_) => {}
            Verdict::Clean => clean_run(cloud, &trace, request, now, say, &mut report).await,
        }
    }
    report
}

async fn clean_run<C: Cloud>(
    cloud: &C,
    trace: &RunTrace,
    request: &CleanupRequest,
    now: Timestamp,
    say: &dyn Fn(String),
    report: &mut CleanupReport,
) {
    let mut targets: Vec<ResourceRef> = trace.tagged.iter().chain(&trace.journaled).cloned().collect();
    targets.sort();
    targets.dedup();
    let jobs = restore_jobs(cloud, trace, report).await;
    if targets.is_empty() && jobs.is_empty() {
        return;
    }
    report.cleaned_runs.push(trace.run_id.clone());
    if request.dry_run {
        say(format!(
            "run {}: would delete {} resource(s), and what {} AWS Backup restore job(s) created",
            trace.run_id,
            targets.len(),
            jobs.len()
        ));
        for resource in &targets {
            say(format!("  would delete {resource}"));
        }
        for job in &jobs {
            say(format!(
                "  would take over what restore job {} created, and delete it",
                job.id
            ));
        }
        report.would_delete.extend(targets);
        return;
    }
    targets.extend(take_over_jobs(cloud, trace, jobs, report).await);
    targets.sort();
    targets.dedup();
    say(format!("run {}: deleting {} resource(s)", trace.run_id, targets.len()));
    let outcomes = RefCell::new(Vec::new());
    let done = |resource: &ResourceRef, outcome: Result<Deleted, String>| {
        match &outcome {
            Ok(Deleted::Done) => say(format!("  deleted {resource}")),
            Ok(Deleted::Kept(until)) if *until == Timestamp::MAX => say(format!(
                "  kept {resource} (its firedrill:keep-until tag cannot be read)"
            )),
            Ok(Deleted::Kept(until)) => say(format!("  kept {resource} (firedrill:keep-until {until})")),
            Ok(Deleted::Refused(reason)) => say(format!("  refused {resource}: {reason}")),
            Err(error) => say(format!("  FAILED to delete {resource}: {error}")),
        }
        outcomes.borrow_mut().push((resource.clone(), outcome));
    };
    delete_in_order(cloud, &trace.run_id, targets, now, &Interrupts::never(), &done).await;
    for (resource, outcome) in outcomes.into_inner() {
        match outcome {
            Ok(Deleted::Done) => report.deleted.push(resource),
            Ok(Deleted::Kept(until)) => report.kept.push((resource, until)),
            Ok(Deleted::Refused(reason)) => report.refused.push((resource, reason)),
            Err(error) => report.failed.push((resource, error)),
        }
    }
    remaining(cloud, trace, report).await;
}

/// The run's AWS Backup restore jobs not taken over, found by the tokens of the starts
/// it journaled (only its own tokens: see `RunTrace::restore_tokens`).
async fn restore_jobs<C: Cloud>(cloud: &C, trace: &RunTrace, report: &mut CleanupReport) -> Vec<ResourceRef> {
    let mut jobs = Vec::new();
    for token in &trace.restore_tokens {
        match cloud.find_restore_job(token).await {
            Ok(Some(job)) => jobs.push(job),
            Ok(None) => {}
            Err(error) => report.problems.push(format!(
                "run {}: looking up the restore started as {token}: {error}",
                trace.run_id
            )),
        }
    }
    jobs.sort();
    jobs.dedup();
    jobs
}

/// Observes the jobs; what a completed one created is tagged as the run's (AWS Backup
/// could not tag it), so that the guarded delete takes it. Running jobs stay pending.
async fn take_over_jobs<C: Cloud>(
    cloud: &C,
    trace: &RunTrace,
    jobs: Vec<ResourceRef>,
    report: &mut CleanupReport,
) -> Vec<ResourceRef> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let handles: Vec<RestoreHandle> = jobs
        .iter()
        .map(|job| RestoreHandle {
            restore: job.id.clone(),
            tracked: job.clone(),
            started_at: Timestamp::UNIX_EPOCH,
            also_created: Vec::new(),
        })
        .collect();
    let statuses = match cloud.observe_restores(&handles).await {
        Ok(statuses) => statuses,
        Err(error) => {
            report
                .problems
                .push(format!("run {}: observing its restore jobs: {error}", trace.run_id));
            report.pending_jobs.extend(jobs);
            return Vec::new();
        }
    };
    let mut tags = Tags::from([
        (TAG_RUN_ID.to_owned(), trace.run_id.clone()),
        (
            TAG_CREATED_BY.to_owned(),
            format!("firedrill/{}", env!("CARGO_PKG_VERSION")),
        ),
    ]);
    if let Some(scenario) = &trace.scenario {
        tags.insert(TAG_SCENARIO.to_owned(), scenario.clone());
    }
    let mut created = Vec::new();
    for (job, status) in jobs.into_iter().zip(statuses) {
        match status {
            RestoreStatus::Running { .. } => report.pending_jobs.push(job),
            RestoreStatus::Failed { .. } => {}
            // The tag call refuses a resource that already belongs to another run.
            RestoreStatus::Ready { resource, .. } => match cloud.tag(&resource, &tags).await {
                Ok(()) => created.push(resource),
                Err(CloudError::Refused(reason)) => report.refused.push((resource, reason)),
                Err(error) => report
                    .failed
                    .push((resource, format!("tagging what job {} created: {error}", job.id))),
            },
        }
    }
    created
}

/// What still carries the run's id, kept resources aside.
async fn remaining<C: Cloud>(cloud: &C, trace: &RunTrace, report: &mut CleanupReport) {
    match cloud.list_by_tag(TAG_RUN_ID, Some(&trace.run_id)).await {
        Ok(found) => report.remaining.extend(
            found
                .into_iter()
                .map(|(resource, _)| resource)
                .filter(|r| !report.kept.iter().any(|(k, _)| k == r)),
        ),
        Err(error) => report
            .problems
            .push(format!("run {}: listing what remains: {error}", trace.run_id)),
    }
}

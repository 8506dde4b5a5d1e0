//! Teardown at the end of a drill: every resource the run created, through the shared
//! tag-guarded deletion (`crate::teardown`), then a last look by tag for anything the
//! run's tag still marks. Deleting what is already gone is success.

use std::time::Duration;

use jiff::Timestamp;

use super::Drill;
use super::events::EventKind;
use crate::cloud::*;
use crate::scenario::TeardownPolicy;
use crate::teardown::{self, Deleted};

/// How long tagging one resource to keep it may take.
const TAG_TIMEOUT: Duration = Duration::from_secs(5 * 60);

pub(super) async fn run<C: Cloud>(drill: &Drill<'_, C>, passed: bool, keep_until: Option<Timestamp>) {
    drill.emit(EventKind::TeardownStarted);
    let created = created_by_run(drill);
    let keep = keep_until.or_else(|| match drill.scenario.teardown {
        TeardownPolicy::Always => None,
        TeardownPolicy::OnSuccess if passed => None,
        // Kept for investigation; cleanup removes them after the lease.
        TeardownPolicy::OnSuccess | TeardownPolicy::Never => Some(
            drill
                .t0
                .saturating_add(drill.scenario.max_duration.as_duration())
                .unwrap_or(drill.t0),
        ),
    });
    match keep {
        Some(until) => keep_all(drill, &created, until).await,
        None => {
            // What a job creates lands in the drill's VPC: settle the jobs before the
            // network goes, so their resources are deleted with the rest.
            find_lost_restore_jobs(drill).await;
            settle_restore_jobs(drill).await;
            delete_all(drill, created_by_run(drill)).await;
            remaining_by_tag(drill).await;
        }
    }
    for job in drill.unfinished_jobs.borrow().values() {
        drill.emit(EventKind::RestorePending {
            resource: job.tracked.clone(),
        });
    }
    drill.emit(EventKind::TeardownFinished);
}

/// Restore starts journaled as intended whose answer never came (the call may still
/// have taken effect): an AWS Backup job started with the token is settled like the
/// others. (Resources that take tags at creation are found by tag after teardown.)
async fn find_lost_restore_jobs<C: Cloud>(drill: &Drill<'_, C>) {
    let lost: Vec<(String, String)> = {
        let reporter = drill.reporter.borrow();
        let started: Vec<String> = reporter
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::RestoreStarted { restore, .. } => Some(format!("restore/{restore}")),
                _ => None,
            })
            .collect();
        reporter
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::CreateIntended { step, token }
                    if step.starts_with("restore/") && !started.contains(step) =>
                {
                    Some((step.trim_start_matches("restore/").to_owned(), token.clone()))
                }
                _ => None,
            })
            .collect()
    };
    for (restore, token) in lost {
        let found = tokio::time::timeout(teardown::CALL_TIMEOUT, drill.cloud.find_restore_job(&token)).await;
        if let Ok(Ok(Some(job))) = found {
            let started_at = (drill.now)();
            drill.emit(EventKind::RestoreStarted {
                restore: restore.clone(),
                tracked: job.clone(),
                started_at,
            });
            let handle = RestoreHandle {
                restore: restore.clone(),
                tracked: job,
                started_at,
                also_created: Vec::new(),
            };
            drill.unfinished_jobs.borrow_mut().insert(restore, handle);
        }
    }
}

/// Waits, until the run's lease ends, for AWS Backup restore jobs still running (they
/// cannot be cancelled); each one that completes has its resource tagged as this run's,
/// so that the guarded delete takes it.
async fn settle_restore_jobs<C: Cloud>(drill: &Drill<'_, C>) {
    let until = drill.lease_deadline - super::DELETE_RESERVE;
    while !drill.unfinished_jobs.borrow().is_empty() && tokio::time::Instant::now() < until && !drill.interrupts.hurry()
    {
        let jobs: Vec<(String, RestoreHandle)> = drill
            .unfinished_jobs
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let handles: Vec<RestoreHandle> = jobs.iter().map(|(_, h)| h.clone()).collect();
        let hurried = drill.interrupts.reached(2);
        let observed = tokio::select! {
            observed = tokio::time::timeout_at(until, drill.cloud.observe_restores(&handles)) => observed,
            () = hurried => break,
        };
        let Ok(Ok(statuses)) = observed else {
            tokio::time::sleep(drill.poll).await;
            continue;
        };
        for ((restore, _), status) in jobs.into_iter().zip(statuses) {
            match status {
                RestoreStatus::Running { .. } => {}
                RestoreStatus::Failed { .. } => {
                    drill.unfinished_jobs.borrow_mut().remove(&restore);
                }
                RestoreStatus::Ready { resource, .. } => {
                    if drill.cloud.tag(&resource, &drill.tags).await.is_ok() {
                        drill.unfinished_jobs.borrow_mut().remove(&restore);
                        drill.emit(EventKind::ResourceCreated {
                            step: format!("restore/{restore}"),
                            resource,
                        });
                    }
                }
            }
        }
        tokio::time::sleep(drill.poll).await;
    }
}

/// What the run's events say it created, without duplicates.
fn created_by_run<C: Cloud>(drill: &Drill<'_, C>) -> Vec<ResourceRef> {
    let reporter = drill.reporter.borrow();
    let mut created: Vec<ResourceRef> = reporter
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ResourceCreated { resource, .. } => Some(resource.clone()),
            _ => None,
        })
        .collect();
    created.sort();
    created.dedup();
    created
}

async fn keep_all<C: Cloud>(drill: &Drill<'_, C>, created: &[ResourceRef], until: Timestamp) {
    let tags = Tags::from([(TAG_KEEP_UNTIL.to_owned(), until.to_string())]);
    for resource in created {
        let tagged = tokio::time::timeout(TAG_TIMEOUT, drill.cloud.tag(resource, &tags)).await;
        match tagged.unwrap_or_else(|_| Err(CloudError::Failed("no answer".to_owned()))) {
            Ok(()) => drill.emit(EventKind::ResourceKept {
                resource: resource.clone(),
                until,
            }),
            Err(error) => drill.emit(EventKind::DeleteFailed {
                resource: resource.clone(),
                error: format!("tagging it to keep: {error}"),
            }),
        }
    }
}

async fn delete_all<C: Cloud>(drill: &Drill<'_, C>, created: Vec<ResourceRef>) {
    let done = |resource: &ResourceRef, outcome: Result<Deleted, String>| {
        let resource = resource.clone();
        drill.emit(match outcome {
            Ok(Deleted::Done) => EventKind::ResourceDeleted { resource },
            Ok(Deleted::Refused(reason)) => EventKind::DeleteRefused { resource, reason },
            Ok(Deleted::Kept(until)) => EventKind::ResourceKept { resource, until },
            Err(error) => EventKind::DeleteFailed { resource, error },
        });
    };
    let now = (drill.now)();
    teardown::delete_in_order(drill.cloud, &drill.run_id, created, now, &drill.interrupts, &done).await;
}

/// Anything the run's tag still marks once teardown is done (a create whose answer was
/// lost, a resource journaled late) is deleted too; what cannot be is reported.
async fn remaining_by_tag<C: Cloud>(drill: &Drill<'_, C>) {
    let remaining: Vec<ResourceRef> = match list_run(drill).await {
        Ok(found) => found,
        Err(error) => return drill.emit(EventKind::TeardownUnverified { error }),
    };
    let handled = handled_by_run(drill);
    let left: Vec<ResourceRef> = remaining.into_iter().filter(|r| !handled.contains(r)).collect();
    if !left.is_empty() {
        for resource in &left {
            drill.emit(EventKind::ResourceCreated {
                step: "teardown".to_owned(),
                resource: resource.clone(),
            });
        }
        delete_all(drill, left).await;
    }
}

/// What carries the run's tag, retrying throttling a few times, each call bounded.
async fn list_run<C: Cloud>(drill: &Drill<'_, C>) -> Result<Vec<ResourceRef>, String> {
    let mut backoff = Duration::from_millis(500);
    for _ in 0..5 {
        let listed = tokio::time::timeout(
            teardown::CALL_TIMEOUT,
            drill.cloud.list_by_tag(TAG_RUN_ID, Some(&drill.run_id)),
        )
        .await;
        match listed {
            Ok(Ok(found)) => return Ok(found.into_iter().map(|(resource, _)| resource).collect()),
            Ok(Err(error)) if error.is_retryable() && !drill.interrupts.hurry() => {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Ok(Err(error)) => return Err(error.to_string()),
            Err(_) => return Err(format!("no answer within {} s", teardown::CALL_TIMEOUT.as_secs())),
        }
    }
    Err("still throttled after 5 attempts".to_owned())
}

/// Resources whose deletion was already tried, kept or refused: not tried again.
fn handled_by_run<C: Cloud>(drill: &Drill<'_, C>) -> Vec<ResourceRef> {
    drill
        .reporter
        .borrow()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ResourceDeleted { resource }
            | EventKind::DeleteFailed { resource, .. }
            | EventKind::DeleteRefused { resource, .. }
            | EventKind::ResourceKept { resource, .. } => Some(resource.clone()),
            _ => None,
        })
        .collect()
}

//! Teardown at the end of a drill: every resource the run created, in reverse
//! dependency order (by kind), concurrently within a kind, each delete guarded by the
//! run-id tag and retried with backoff. Deleting what is already gone is success.

use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;

use super::Drill;
use super::events::EventKind;
use crate::cloud::*;
use crate::scenario::TeardownPolicy;

const ATTEMPTS: u32 = 6;

/// How long one resource's deletion (or tagging to keep it) may take, retries included.
const DELETE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

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
            settle_restore_jobs(drill).await;
            delete_all(drill, created_by_run(drill)).await;
        }
    }
    for job in drill.unfinished_jobs.borrow().values() {
        drill.emit(EventKind::RestorePending {
            resource: job.tracked.clone(),
        });
    }
    drill.emit(EventKind::TeardownFinished);
}

/// Waits, until the run's lease ends, for AWS Backup restore jobs still running (they
/// cannot be cancelled); each one that completes has its resource tagged as this run's,
/// so that the guarded delete takes it.
async fn settle_restore_jobs<C: Cloud>(drill: &Drill<'_, C>) {
    while !drill.unfinished_jobs.borrow().is_empty() && tokio::time::Instant::now() < drill.lease_deadline {
        let jobs: Vec<(String, RestoreHandle)> = drill
            .unfinished_jobs
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let handles: Vec<RestoreHandle> = jobs.iter().map(|(_, h)| h.clone()).collect();
        let observed = tokio::time::timeout_at(drill.lease_deadline, drill.cloud.observe_restores(&handles)).await;
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
        let tagged = tokio::time::timeout(DELETE_TIMEOUT, drill.cloud.tag(resource, &tags)).await;
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

async fn delete_all<C: Cloud>(drill: &Drill<'_, C>, mut created: Vec<ResourceRef>) {
    created.sort_by_key(|r| std::cmp::Reverse(r.kind.teardown_rank()));
    let mut start = 0;
    while start < created.len() {
        let rank = created[start].kind.teardown_rank();
        let end = created[start..]
            .iter()
            .position(|r| r.kind.teardown_rank() != rank)
            .map_or(created.len(), |p| start + p);
        join_all(created[start..end].iter().map(|r| delete_guarded(drill, r))).await;
        start = end;
    }
}

/// Deletes one resource if, and only if, its tags say this run created it.
pub(super) async fn delete_guarded<C: Cloud>(drill: &Drill<'_, C>, resource: &ResourceRef) {
    let outcome = tokio::time::timeout(DELETE_TIMEOUT, guard_and_delete(drill.cloud, &drill.run_id, resource))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} minutes", DELETE_TIMEOUT.as_secs() / 60)));
    match outcome {
        Ok(Deleted::Done) => drill.emit(EventKind::ResourceDeleted {
            resource: resource.clone(),
        }),
        Ok(Deleted::Refused(reason)) => drill.emit(EventKind::DeleteRefused {
            resource: resource.clone(),
            reason,
        }),
        Err(error) => drill.emit(EventKind::DeleteFailed {
            resource: resource.clone(),
            error,
        }),
    }
}

/// What a guarded delete did.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    Done,
    Refused(String),
}

/// The tag guard of invariant 1: re-read the tags, refuse anything not tagged with this
/// run's id (source backups, production resources), then delete with retries.
pub async fn guard_and_delete<C: Cloud>(cloud: &C, run_id: &str, resource: &ResourceRef) -> Result<Deleted, String> {
    if matches!(resource.kind, ResourceType::RecoveryPoint) {
        return Ok(Deleted::Refused("source backups are read-only to firedrill".to_owned()));
    }
    let mut backoff = Duration::from_millis(250);
    for attempt in 1..=ATTEMPTS {
        let outcome = match cloud.read_tags(resource).await {
            Ok(None) => return Ok(Deleted::Done),
            Ok(Some(tags)) if tags.get(TAG_RUN_ID).map(String::as_str) != Some(run_id) => {
                return Ok(Deleted::Refused(format!("it is not tagged {TAG_RUN_ID}={run_id}")));
            }
            Ok(Some(_)) => cloud.delete(resource).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) | Err(CloudError::NotFound(_)) => return Ok(Deleted::Done),
            Err(error @ CloudError::AccessDenied(_)) => return Err(error.to_string()),
            Err(error) if attempt == ATTEMPTS => return Err(error.to_string()),
            Err(_) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(8));
            }
        }
    }
    unreachable!("the loop returns on its last attempt")
}

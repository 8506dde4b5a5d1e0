//! Tag-guarded, ordered, idempotent deletion, shared by a drill's own teardown and by
//! `firedrill cleanup`: what is deleted is decided by the resources' tags at the moment
//! of deletion, never by a list alone. (`cleanup` finds what runs left behind.)

pub mod cleanup;
mod discover;

use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;

use crate::cloud::*;
use crate::interrupts::Interrupts;

/// Attempts per delete (throttling, transient failures), each bounded in time.
const ATTEMPTS: u32 = 6;

/// How long a delete refused as still in use (`CloudError::InUse`) is tried again: the
/// network interfaces a deleted database or interface endpoint leaves in a subnet are
/// released by AWS asynchronously, minutes later, with no bound documented; a quarter of
/// an hour covers what is seen in practice without holding teardown forever.
pub const IN_USE_PATIENCE: Duration = Duration::from_secs(15 * 60);

/// The pause between two tries of a delete still in use.
const IN_USE_PAUSE: Duration = Duration::from_secs(15);

/// How long one call of a delete may take before it is abandoned and retried: a call
/// that hangs must not hold teardown forever.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// What a guarded delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// Deleted now, or already gone.
    Done,
    /// The tag guard refused it (invariant 1).
    Refused(String),
    /// Tagged `firedrill:keep-until` a time still to come.
    Kept(Timestamp),
}

/// The tag guard of invariant 1, first layer: source backups and restore jobs are never
/// deleted, a resource kept until later is left alone, and the delete call itself (the
/// second layer, in each `Cloud`) re-checks `firedrill:run-id` atomically. Retries
/// transient failures with backoff, each attempt bounded by `CALL_TIMEOUT`, and a delete
/// still in use for up to `IN_USE_PATIENCE`; in a hurry (second interrupt) it makes one
/// attempt and does not wait.
pub async fn guard_and_delete<C: Cloud>(
    cloud: &C,
    run_id: &str,
    resource: &ResourceRef,
    now: Timestamp,
    interrupts: &Interrupts,
) -> Result<Deleted, String> {
    if matches!(resource.kind, ResourceType::RecoveryPoint | ResourceType::RestoreJob) {
        return Ok(Deleted::Refused(format!("{resource} is not firedrill's to delete")));
    }
    let mut backoff = Duration::from_millis(250);
    let in_use_until = tokio::time::Instant::now() + IN_USE_PATIENCE;
    let mut attempt = 0;
    loop {
        let outcome = match bounded(cloud.read_tags(resource)).await {
            Ok(None) => return Ok(Deleted::Done),
            Ok(Some(tags)) => match kept_until(&tags, now) {
                Some(until) => return Ok(Deleted::Kept(until)),
                None => bounded(cloud.delete(resource, run_id)).await,
            },
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) | Err(CloudError::NotFound(_)) => return Ok(Deleted::Done),
            Err(CloudError::Refused(reason)) => return Ok(Deleted::Refused(reason)),
            Err(error @ CloudError::AccessDenied(_)) => return Err(error.to_string()),
            Err(error) if interrupts.hurry() => return Err(error.to_string()),
            // Not an attempt used up: what holds it goes by itself, in its own time.
            Err(CloudError::InUse(_)) if tokio::time::Instant::now() + IN_USE_PAUSE < in_use_until => {
                tokio::time::sleep(IN_USE_PAUSE).await;
            }
            Err(error) => {
                attempt += 1;
                if attempt >= ATTEMPTS || matches!(error, CloudError::InUse(_)) {
                    return Err(error.to_string());
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(8));
            }
        }
    }
}

/// One cloud call, abandoned after `CALL_TIMEOUT`.
async fn bounded<T>(call: impl Future<Output = Result<T, CloudError>>) -> Result<T, CloudError> {
    tokio::time::timeout(CALL_TIMEOUT, call).await.unwrap_or_else(|_| {
        Err(CloudError::Failed(format!(
            "no answer within {} s",
            CALL_TIMEOUT.as_secs()
        )))
    })
}

/// The time a `firedrill:keep-until` tag keeps a resource until, if still to come. A tag
/// that cannot be read keeps the resource (better left than wrongly deleted).
pub fn kept_until(tags: &Tags, now: Timestamp) -> Option<Timestamp> {
    let text = tags.get(TAG_KEEP_UNTIL)?;
    match text.parse::<Timestamp>() {
        Ok(until) if until > now => Some(until),
        Ok(_) => None,
        Err(_) => Some(Timestamp::MAX),
    }
}

/// Deletes resources in teardown order (instances first, the VPC last), concurrently
/// within one rank, each through the guard; `done` hears of each outcome.
pub async fn delete_in_order<C: Cloud>(
    cloud: &C,
    run_id: &str,
    mut resources: Vec<ResourceRef>,
    now: Timestamp,
    interrupts: &Interrupts,
    done: &dyn Fn(&ResourceRef, Result<Deleted, String>),
) {
    resources.sort();
    resources.dedup();
    resources.sort_by_key(|r| std::cmp::Reverse(r.kind.teardown_rank()));
    for rank in resources.chunk_by(|a, b| a.kind.teardown_rank() == b.kind.teardown_rank()) {
        let deletions = rank.iter().map(|resource| async move {
            let outcome = guard_and_delete(cloud, run_id, resource, now, interrupts).await;
            let deleted = matches!(outcome, Ok(Deleted::Done));
            done(resource, outcome);
            deleted.then(|| resource.clone())
        });
        let deleted: Vec<ResourceRef> = join_all(deletions).await.into_iter().flatten().collect();
        // What the next rank needs gone (a subnet group's databases, a subnet's
        // interfaces) is awaited, unless the user asked to stop waiting; what was
        // refused, kept or not deleted is not waited for.
        if !interrupts.hurry() && !deleted.is_empty() {
            let _ = cloud.await_deleted(&deleted).await;
        }
    }
}

//! EC2's eventual consistency: an id EC2 has just returned may answer its `…NotFound`
//! error (`InvalidVpcID.NotFound`, `InvalidGroup.NotFound`, `InvalidInstanceID.NotFound`,
//! …) to the next call that names it, "starting with a couple of seconds … up to a few
//! minutes" ("Eventual consistency in the Amazon EC2 API",
//! https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
//!
//! So a call on an id firedrill has just been given retries that answer with backoff,
//! and a restore whose id EC2 does not show yet is still running; both for at most
//! `GRACE`, after which the answer is believed.

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;

use crate::cloud::{CloudError, ResourceType, RestoreStatus};

/// How long a just-returned id may be unknown to EC2 before that answer is believed
/// ("a few minutes", the page above).
pub const GRACE: Duration = Duration::from_secs(5 * 60);

/// The longest pause between two tries (the page's backoff grows to minutes; a drill
/// waiting on its network is better served by a look every half minute).
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Runs `call` until it answers anything but `NotFound`, pausing `first_pause` and then
/// twice as long each time, for at most `GRACE`; the last answer is returned.
pub async fn on_fresh_id<T, F, Fut>(first_pause: Duration, mut call: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CloudError>>,
{
    let deadline = tokio::time::Instant::now() + GRACE;
    let mut pause = first_pause.max(Duration::from_millis(10));
    loop {
        match call().await {
            Err(CloudError::NotFound(_)) if tokio::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            answer => return answer,
        }
    }
}

/// The status of a restore whose `id` (a volume or an instance EC2 returned when it was
/// started at `started_at`) a describe did not show: still running within `GRACE`,
/// failed after it.
pub fn unseen(kind: ResourceType, id: &str, started_at: Timestamp, now: Timestamp) -> RestoreStatus {
    let what = match kind {
        ResourceType::Volume => "volume",
        ResourceType::Instance => "instance",
        _ => "resource",
    };
    let waited = now.duration_since(started_at);
    if waited < jiff::SignedDuration::try_from(GRACE).unwrap_or(jiff::SignedDuration::MAX) {
        RestoreStatus::Running { expected_minutes: None }
    } else {
        RestoreStatus::Failed {
            message: format!(
                "{what} {id} was not found {} minutes after EC2 returned it (EC2 is eventually \
                 consistent, but not for this long): it is gone",
                GRACE.as_secs() / 60
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn not_found() -> CloudError {
        CloudError::NotFound("ec2:ModifyVpcAttribute: InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist".into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_id_that_ec2_does_not_know_yet_is_tried_again_with_backoff() {
        let calls = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let answer = on_fresh_id(Duration::from_secs(1), || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Err(not_found()),
                _ => Ok("modified"),
            }
        })
        .await;
        assert_eq!(answer.unwrap(), "modified");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // 1 s, 2 s, 4 s between the tries.
        assert_eq!(started.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_for_the_whole_grace_is_believed_and_other_errors_at_once() {
        let started = tokio::time::Instant::now();
        let answer: Result<(), _> = on_fresh_id(Duration::from_secs(1), || async { Err(not_found()) }).await;
        assert!(matches!(answer, Err(CloudError::NotFound(_))));
        assert!(started.elapsed() <= GRACE && started.elapsed() > GRACE - MAX_PAUSE * 2);

        let calls = AtomicUsize::new(0);
        let answer: Result<(), _> = on_fresh_id(Duration::from_secs(1), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(CloudError::Failed(
                "ec2:ModifyVpcAttribute: InvalidParameterValue".into(),
            ))
        })
        .await;
        assert!(matches!(answer, Err(CloudError::Failed(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "only NotFound is waited out");
    }

    #[test]
    fn an_unseen_restore_runs_for_the_grace_then_fails_saying_why() {
        let started: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let soon = started + jiff::SignedDuration::from_secs(30);
        assert_eq!(
            unseen(ResourceType::Volume, "vol-1", started, soon),
            RestoreStatus::Running { expected_minutes: None }
        );
        let late = started + jiff::SignedDuration::from_mins(5);
        let RestoreStatus::Failed { message } = unseen(ResourceType::Volume, "vol-1", started, late) else {
            panic!("an id unseen for the whole grace is gone");
        };
        assert!(message.contains("vol-1") && message.contains("5 minutes"), "{message}");
    }
}

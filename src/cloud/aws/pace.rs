//! At most one observation call a second to one service. A poll round asks each service
//! once where it can (all DB instances, standalone and Aurora members, in one
//! DescribeDBInstances), but some rounds need a second call to the same service: the
//! clusters of members that just became available, RDS's events for the exact
//! completion time, volumes and instances both pending on EC2. Those calls take turns
//! here, `gap` apart per service, so a drill of hundreds of restores never asks one
//! service more than once a second, whatever the rounds need.
//!
//! Turns are reserved under the lock and waited for outside it, so concurrent callers
//! queue in order instead of all waking at once.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The next free turn of each service.
#[derive(Debug)]
pub struct Pace {
    gap: Duration,
    next_turn: Mutex<BTreeMap<&'static str, Instant>>,
}

impl Pace {
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            next_turn: Mutex::new(BTreeMap::new()),
        }
    }

    /// Waits for `service`'s next turn, and takes it.
    pub async fn turn(&self, service: &'static str) {
        let at = self.reserve(service, Instant::now());
        tokio::time::sleep_until(at).await;
    }

    /// The time of the caller's turn: now if the service is free, else the turn after
    /// the last one reserved.
    fn reserve(&self, service: &'static str, now: Instant) -> Instant {
        let mut next_turn = self.next_turn.lock().unwrap_or_else(|p| p.into_inner());
        let free = next_turn.get(service).copied().unwrap_or(now);
        let at = free.max(now);
        next_turn.insert(service, at + self.gap);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_to_one_service_are_a_gap_apart_and_other_services_do_not_wait() {
        let pace = Pace::new(Duration::from_secs(1));
        let start = Instant::now();
        pace.turn("rds").await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        pace.turn("ec2").await;
        assert_eq!(start.elapsed(), Duration::ZERO, "another service's turn is free");
        pace.turn("rds").await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        pace.turn("rds").await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_service_left_alone_for_longer_than_the_gap_is_asked_at_once() {
        let pace = Pace::new(Duration::from_secs(1));
        pace.turn("rds").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let before = Instant::now();
        pace.turn("rds").await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_queue_a_gap_apart() {
        let pace = Pace::new(Duration::from_secs(1));
        let start = Instant::now();
        let times = futures::future::join_all((0..4).map(|_| async {
            pace.turn("backup").await;
            start.elapsed()
        }))
        .await;
        let mut times = times;
        times.sort();
        assert_eq!(
            times,
            [0, 1, 2, 3].map(Duration::from_secs).to_vec(),
            "four callers, four turns a second apart"
        );
    }
}

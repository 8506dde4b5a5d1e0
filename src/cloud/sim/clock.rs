//! The simulated account's wall clock, driven by tokio's clock so that paused-clock
//! tests see AWS-style timestamps move exactly as simulated time does.

use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

/// Maps tokio's monotonic clock onto wall-clock timestamps.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    base: Timestamp,
    origin: Instant,
}

impl SimClock {
    /// A clock that reads `base` now.
    pub fn starting_at(base: Timestamp) -> Self {
        Self {
            base,
            origin: Instant::now(),
        }
    }

    pub fn now(&self) -> Timestamp {
        let elapsed = SignedDuration::try_from(self.origin.elapsed()).unwrap_or(SignedDuration::MAX);
        self.base.saturating_add(elapsed).unwrap_or(self.base)
    }
}

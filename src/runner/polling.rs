//! When to look next at the restores in flight: sparse while completion is predictably
//! far, dense while it is likely, never more often than the floor (one describe per
//! service per round, so at most one call a second to a service), never rarer than the
//! ceiling. Pure: the observer loop asks it for the next interval.
//!
//! Each restore's total duration is modelled as log-normal: a median and a spread
//! (sigma of its logarithm). The median comes, best first, from AWS's own estimate
//! (AWS Backup's ExpectedCompletionTimeMinutes), from the durations of earlier restores
//! of the same kind in the history, or from a wide prior per kind. Then:
//!
//! - before the 0.5 % quantile, the interval is half the time left until it (at least the
//!   floor), so that polls close in geometrically;
//! - between the 10 % and 90 % quantiles it is the floor (1 s);
//! - from 2.5 % to 10 % and 90 % to 97.5 %, three floors; from 0.5 % to 2.5 % and 97.5 %
//!   to 99.5 %, five: a completion is seen within the interval it falls in, so most are
//!   seen within a second (p50 ≤ 1 s) and 99 % within five (p99 ≤ 5 s), for fewer rounds
//!   than polling every second through the whole spread;
//! - past the 99.5 % quantile (the estimate was wrong) it widens with the overrun, up to
//!   the ceiling.
//!
//! The interval of a round is the smallest of every restore's, shortened by up to 10 %
//! of jitter, so that many drills do not poll in lockstep.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::scenario::ResourceKind;

/// The bounds of polling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// The shortest interval: one round a second at most.
    pub floor: Duration,
    /// The longest interval, however far completion is.
    pub ceiling: Duration,
    /// The largest fraction an interval is shortened by at random.
    pub jitter: f64,
}

impl Policy {
    pub const DEFAULT: Policy = Policy {
        floor: Duration::from_secs(1),
        ceiling: Duration::from_secs(60),
        jitter: 0.1,
    };

    /// A policy with this floor (tests and the simulated cloud poll faster).
    pub fn with_floor(floor: Duration) -> Policy {
        Policy {
            floor,
            ceiling: Policy::DEFAULT.ceiling.max(floor),
            ..Policy::DEFAULT
        }
    }
}

/// How long a restore is expected to take, as a log-normal distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub started_at: Timestamp,
    /// Median total duration, in seconds.
    pub median: f64,
    /// Sigma of the logarithm of the duration.
    pub sigma: f64,
}

/// How far off AWS Backup's ExpectedCompletionTimeMinutes usually is (about ±30 %).
pub const AWS_ESTIMATE_SIGMA: f64 = 0.3;

/// Standard normal quantiles used by the policy: 0.5 %, 2.5 % and 10 % (and mirrors).
const Z_005: f64 = 2.5758;
const Z_025: f64 = 1.9600;
const Z_10: f64 = 1.2816;
/// The 90 % quantile, to turn a p50/p90 pair into a sigma.
const Z_90: f64 = Z_10;

impl Estimate {
    /// From AWS's estimate of the total time, in whole minutes.
    pub fn from_aws(started_at: Timestamp, expected_minutes: u32) -> Estimate {
        Estimate {
            started_at,
            median: f64::from(expected_minutes.max(1)) * 60.0,
            sigma: AWS_ESTIMATE_SIGMA,
        }
    }

    /// From the p50 and p90 of earlier restores of the same kind (seconds).
    pub fn from_history(started_at: Timestamp, p50: f64, p90: f64) -> Option<Estimate> {
        if !(p50.is_finite() && p90.is_finite() && p50 > 0.0) {
            return None;
        }
        // One earlier restore gives p50 = p90: assume at least the AWS estimates' spread.
        let sigma = ((p90.max(p50) / p50).ln() / Z_90).clamp(AWS_ESTIMATE_SIGMA, 1.5);
        Some(Estimate {
            started_at,
            median: p50,
            sigma,
        })
    }

    /// What is known without an estimate or a history: wide, per kind.
    pub fn prior(started_at: Timestamp, kind: ResourceKind) -> Estimate {
        let (median_minutes, sigma) = match kind {
            ResourceKind::RdsInstance => (20.0, 1.0),
            ResourceKind::AuroraCluster => (25.0, 1.0),
            ResourceKind::EbsVolume => (3.0, 1.2),
            ResourceKind::Ec2Instance => (8.0, 1.0),
        };
        Estimate {
            started_at,
            median: median_minutes * 60.0,
            sigma,
        }
    }

    /// The time by which a fraction of such restores has completed (z: its normal score).
    fn at(&self, z: f64) -> f64 {
        self.median * (self.sigma * z).exp()
    }

    /// The interval this restore asks for, `elapsed` seconds after its start.
    fn interval(&self, elapsed: f64, policy: &Policy) -> f64 {
        let floor = policy.floor.as_secs_f64();
        let ceiling = policy.ceiling.as_secs_f64();
        let within = |z: f64| (self.at(-z)..self.at(z)).contains(&elapsed);
        let wanted = if elapsed < self.at(-Z_005) {
            (self.at(-Z_005) - elapsed) / 2.0
        } else if within(Z_10) {
            floor
        } else if within(Z_025) {
            3.0 * floor
        } else if within(Z_005) {
            5.0 * floor
        } else {
            5.0 * floor + (elapsed - self.at(Z_005)) / 10.0
        };
        wanted.clamp(floor, ceiling)
    }
}

/// The time until the next round of observation; `random` in [0, 1) draws the jitter.
pub fn next_interval(policy: &Policy, now: Timestamp, estimates: &[Estimate], random: f64) -> Duration {
    let wanted = estimates
        .iter()
        .map(|e| e.interval(elapsed(e.started_at, now), policy))
        .fold(policy.ceiling.as_secs_f64(), f64::min);
    let jittered = wanted * (1.0 - policy.jitter * random.clamp(0.0, 1.0));
    Duration::from_secs_f64(jittered.max(policy.floor.as_secs_f64()))
}

fn elapsed(since: Timestamp, now: Timestamp) -> f64 {
    now.duration_since(since).max(SignedDuration::ZERO).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &str = "2026-12-01T10:00:00Z";

    fn at(secs: f64) -> Timestamp {
        START
            .parse::<Timestamp>()
            .unwrap()
            .checked_add(SignedDuration::from_secs_f64(secs))
            .unwrap()
    }

    fn interval(estimate: &Estimate, secs: f64) -> f64 {
        next_interval(&Policy::DEFAULT, at(secs), &[*estimate], 0.0).as_secs_f64()
    }

    #[test]
    fn sparse_early_dense_near_the_expected_completion() {
        // AWS says 40 minutes.
        let e = Estimate::from_aws(at(0.0), 40);
        assert_eq!(interval(&e, 0.0), 60.0, "far from done: the ceiling");
        assert_eq!(interval(&e, 2400.0), 1.0, "at the expected time: the floor");
        assert_eq!(interval(&e, 1500.0), 3.0, "between the 2.5 % and 10 % quantiles");
        assert_eq!(interval(&e, 1200.0), 5.0, "in the early tail");
        assert!(interval(&e, 5500.0) > 5.0, "overrun: widening");
        assert!(interval(&e, 100_000.0) <= 60.0, "never past the ceiling");
    }

    #[test]
    fn polls_close_in_geometrically_before_the_window() {
        let e = Estimate::from_aws(at(0.0), 40);
        let early = e.at(-Z_005);
        let mut t = 0.0;
        let mut rounds = 0;
        while t < early {
            t += interval(&e, t);
            rounds += 1;
        }
        assert!(
            t - early < 1.5,
            "the first poll in the window comes at its start: {t} vs {early}"
        );
        assert!(rounds < 40, "{rounds} rounds before the window");
    }

    #[test]
    fn the_round_takes_the_most_urgent_restore() {
        let far = Estimate::from_aws(at(0.0), 120);
        let near = Estimate::from_aws(at(0.0), 10);
        let both = next_interval(&Policy::DEFAULT, at(600.0), &[far, near], 0.0);
        assert_eq!(both, Duration::from_secs(1));
        assert_eq!(
            next_interval(&Policy::DEFAULT, at(600.0), &[], 0.0),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn jitter_only_shortens_and_never_below_the_floor() {
        let e = Estimate::from_aws(at(0.0), 40);
        let plain = next_interval(&Policy::DEFAULT, at(0.0), &[e], 0.0);
        let jittered = next_interval(&Policy::DEFAULT, at(0.0), &[e], 0.999);
        assert!(jittered < plain && jittered.as_secs_f64() >= 54.0, "{jittered:?}");
        let dense = next_interval(&Policy::DEFAULT, at(2400.0), &[e], 0.999);
        assert_eq!(dense, Duration::from_secs(1));
    }

    #[test]
    fn history_gives_a_spread_and_nonsense_gives_none() {
        let e = Estimate::from_history(at(0.0), 600.0, 1200.0).unwrap();
        assert!((e.sigma - (2.0f64).ln() / Z_90).abs() < 1e-9);
        assert_eq!(
            Estimate::from_history(at(0.0), 600.0, 600.0).unwrap().sigma,
            AWS_ESTIMATE_SIGMA
        );
        assert!(Estimate::from_history(at(0.0), 0.0, 10.0).is_none());
        assert!(Estimate::from_history(at(0.0), f64::NAN, 10.0).is_none());
    }

    #[test]
    fn a_floor_of_tests_and_the_sim_is_honoured() {
        let policy = Policy::with_floor(Duration::from_millis(100));
        let e = Estimate::from_aws(at(0.0), 40);
        assert_eq!(
            next_interval(&policy, at(2400.0), &[e], 0.0),
            Duration::from_millis(100)
        );
    }
}

//! RTO, RPO and the outcome of a drill, defined once (see DESIGN.md, "Measures").
//!
//! - RTO (measured) = time from t0 until every RTO-gating check has passed. It includes
//!   the harness's detection lag, which is reported beside it.
//! - RPO (measured) = t0 minus the data's own newest timestamp (the watermark check);
//!   without one, t0 minus the recovery point's creation time, or the restore time of a
//!   point-in-time restore, marked as metadata-based.
//! - A drill passes when every check passed, RTO ≤ target and RPO ≤ target.
//!
//! Pure: times come in as values, so the rules are tested without a clock or a cloud.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How a drill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed and both targets were met.
    Passed,
    /// A check or a target missed.
    Failed,
    /// The harness or AWS failed (permissions, quota, timeout).
    Error,
    /// Interrupted before it could finish.
    Aborted,
}

/// Where a measured RPO comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RpoBasis {
    /// The watermark check's newest data timestamp: what was really restored.
    Watermark,
    /// The recovery point's creation time, or a point-in-time restore's time: what the
    /// backup metadata claims, not what the data shows.
    Metadata,
}

/// A measured RPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rpo {
    /// t0 minus `data_time`.
    pub value: SignedDuration,
    /// The newest data the restored copies hold.
    pub data_time: Timestamp,
    pub basis: RpoBasis,
}

/// RPO from the watermark check's output.
pub fn rpo_from_watermark(t0: Timestamp, watermark: Timestamp) -> Rpo {
    Rpo {
        value: t0.duration_since(watermark),
        data_time: watermark,
        basis: RpoBasis::Watermark,
    }
}

/// RPO from backup metadata: with several restores, the oldest recovery point decides,
/// since the drill recovers only as much as its most out-of-date part.
pub fn rpo_from_metadata(t0: Timestamp, recovery_point_times: &[Timestamp]) -> Option<Rpo> {
    let oldest = recovery_point_times.iter().min()?;
    Some(Rpo {
        value: t0.duration_since(*oldest),
        data_time: *oldest,
        basis: RpoBasis::Metadata,
    })
}

/// A measured RTO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rto {
    /// From t0 until the last RTO-gating check passed.
    pub value: SignedDuration,
    /// When recovery was reached.
    pub recovered_at: Timestamp,
}

/// RTO from the times the RTO-gating checks passed; `None` while any of them has not
/// passed (recovery was not reached), or when there is no gating check at all.
pub fn rto(t0: Timestamp, gating_check_passes: &[Option<Timestamp>]) -> Option<Rto> {
    let mut recovered_at: Option<Timestamp> = None;
    for pass in gating_check_passes {
        let pass = (*pass)?;
        recovered_at = Some(recovered_at.map_or(pass, |r| r.max(pass)));
    }
    recovered_at.map(|at| Rto {
        value: at.duration_since(t0),
        recovered_at: at,
    })
}

/// The harness's detection lag for one resource: from the moment AWS says it was ready
/// to the moment the harness noticed. Never negative (clock skew is reported as zero).
pub fn detection_lag(ready_at: Timestamp, seen_at: Timestamp) -> SignedDuration {
    seen_at.duration_since(ready_at).max(SignedDuration::ZERO)
}

/// What decides an outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict<'a> {
    pub rto_target: SignedDuration,
    pub rpo_target: SignedDuration,
    pub rto: Option<Rto>,
    pub rpo: Option<Rpo>,
    /// Ids of the checks that failed (ran and did not meet their expectations).
    pub failed_checks: &'a [String],
    /// Manual steps the operator reported as failed, each described (game days).
    pub failed_manual: &'a [String],
    /// Why the harness or AWS failed, if it did.
    pub harness_error: Option<&'a str>,
    /// Whether the drill was interrupted.
    pub aborted: bool,
}

/// The outcome and every reason for it, in the order a reader needs them.
pub fn outcome(verdict: &Verdict<'_>) -> (Outcome, Vec<String>) {
    if verdict.aborted {
        return (Outcome::Aborted, vec!["the drill was interrupted".to_owned()]);
    }
    if let Some(error) = verdict.harness_error {
        return (Outcome::Error, vec![error.to_owned()]);
    }
    let mut reasons: Vec<String> = verdict
        .failed_checks
        .iter()
        .map(|c| format!("check `{c}` failed"))
        .chain(verdict.failed_manual.iter().cloned())
        .collect();
    match verdict.rto {
        Some(rto) if rto.value > verdict.rto_target => reasons.push(format!(
            "RTO {} exceeds the target {}",
            friendly(rto.value),
            friendly(verdict.rto_target)
        )),
        Some(_) => {}
        None => reasons.push("recovery was not reached: not every RTO-gating check passed".to_owned()),
    }
    match verdict.rpo {
        Some(rpo) if rpo.value > verdict.rpo_target => reasons.push(format!(
            "RPO {} exceeds the target {} ({} data from {})",
            friendly(rpo.value),
            friendly(verdict.rpo_target),
            match rpo.basis {
                RpoBasis::Watermark => "newest",
                RpoBasis::Metadata => "backup metadata:",
            },
            rpo.data_time
        )),
        Some(_) => {}
        None => reasons.push("the RPO could not be measured".to_owned()),
    }
    let outcome = if reasons.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed
    };
    (outcome, reasons)
}

/// `1h 30m 5s`, to the second.
pub fn friendly(duration: SignedDuration) -> String {
    let secs = duration.as_secs();
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{sign}{s}s"),
        (0, _) => format!("{sign}{m}m {s}s"),
        _ => format!("{sign}{h}h {m}m {s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const T0: &str = "2026-11-25T10:00:00Z";

    #[test]
    fn rto_is_t0_to_the_last_gating_pass() {
        let passes = [Some(at("2026-11-25T10:20:00Z")), Some(at("2026-11-25T10:41:30Z"))];
        let rto = rto(at(T0), &passes).unwrap();
        assert_eq!(rto.value, SignedDuration::from_secs(41 * 60 + 30));
        assert_eq!(rto.recovered_at, at("2026-11-25T10:41:30Z"));
    }

    #[test]
    fn no_rto_until_every_gating_check_passed() {
        assert_eq!(rto(at(T0), &[Some(at("2026-11-25T10:20:00Z")), None]), None);
        assert_eq!(rto(at(T0), &[]), None);
    }

    #[test]
    fn rpo_from_the_watermark_is_t0_minus_the_newest_data() {
        let rpo = rpo_from_watermark(at(T0), at("2026-11-24T22:00:00Z"));
        assert_eq!(rpo.value, SignedDuration::from_hours(12));
        assert_eq!(rpo.basis, RpoBasis::Watermark);
    }

    #[test]
    fn metadata_rpo_takes_the_oldest_recovery_point() {
        let points = [at("2026-11-25T02:00:00Z"), at("2026-11-24T02:00:00Z")];
        let rpo = rpo_from_metadata(at(T0), &points).unwrap();
        assert_eq!(rpo.value, SignedDuration::from_hours(32));
        assert_eq!(rpo.basis, RpoBasis::Metadata);
        assert_eq!(rpo_from_metadata(at(T0), &[]), None);
    }

    #[test]
    fn detection_lag_is_never_negative() {
        assert_eq!(
            detection_lag(at(T0), at("2026-11-25T10:00:00.400Z")),
            SignedDuration::from_millis(400)
        );
        assert_eq!(detection_lag(at("2026-11-25T10:00:01Z"), at(T0)), SignedDuration::ZERO);
    }

    fn verdict<'a>(rto_min: i64, rpo_h: i64, failed: &'a [String]) -> Verdict<'a> {
        Verdict {
            rto_target: SignedDuration::from_mins(45),
            rpo_target: SignedDuration::from_hours(24),
            rto: Some(Rto {
                value: SignedDuration::from_mins(rto_min),
                recovered_at: at(T0),
            }),
            rpo: Some(Rpo {
                value: SignedDuration::from_hours(rpo_h),
                data_time: at(T0),
                basis: RpoBasis::Watermark,
            }),
            failed_checks: failed,
            failed_manual: &[],
            harness_error: None,
            aborted: false,
        }
    }

    #[test]
    fn passes_only_when_checks_and_both_targets_hold() {
        assert_eq!(outcome(&verdict(45, 24, &[])), (Outcome::Passed, vec![]));
        let (o, reasons) = outcome(&verdict(46, 24, &[]));
        assert_eq!(o, Outcome::Failed);
        assert_eq!(reasons, vec!["RTO 46m 0s exceeds the target 45m 0s"]);
        let (o, reasons) = outcome(&verdict(10, 25, &[]));
        assert_eq!(o, Outcome::Failed);
        assert!(
            reasons[0].starts_with("RPO 25h 0m 0s exceeds the target 24h 0m 0s"),
            "{reasons:?}"
        );
        let failed = ["row-counts".to_owned()];
        assert_eq!(outcome(&verdict(10, 1, &failed)).1, vec!["check `row-counts` failed"]);
    }

    #[test]
    fn errors_and_interruptions_outrank_misses() {
        let mut v = verdict(99, 99, &[]);
        v.harness_error = Some("AccessDenied on StartRestoreJob");
        assert_eq!(outcome(&v).0, Outcome::Error);
        v.aborted = true;
        assert_eq!(outcome(&v).0, Outcome::Aborted);
    }

    #[test]
    fn unmeasured_recovery_fails() {
        let mut v = verdict(10, 1, &[]);
        v.rto = None;
        v.rpo = None;
        let (o, reasons) = outcome(&v);
        assert_eq!(o, Outcome::Failed);
        assert_eq!(reasons.len(), 2);
    }
}

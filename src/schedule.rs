//! When a scenario's next drill is due, and whether it is overdue: pure functions of its
//! schedule, its last passed run and a clock the caller passes in (the reports use it;
//! the operations commands reuse it).
//!
//! The rules, in one place:
//! - a scenario is due at the first time its schedule names strictly after its last
//!   passed run, in the schedule's time zone (a failed or errored drill does not count:
//!   it proved nothing);
//! - it is overdue once that time plus a grace (the scenario's `max_duration`, the time a
//!   drill started on the dot may still be running) has passed;
//! - a scheduled scenario that never passed is overdue: it has proved nothing yet;
//! - daylight-saving changes follow cron's usual rules, as croner implements them: a time
//!   skipped by the clock change runs at the first instant after the gap, a repeated one
//!   runs once, at its first occurrence.

use std::cmp::Ordering;

use croner::errors::CronError;
use croner::time::{CivilDate, CivilDateTime, CivilTime, CronDateTime, Resolution, Weekday};
use jiff::ZonedDateTime as Zoned;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::scenario::Schedule;
use crate::scenario::formats;

/// Where a scenario stands against its schedule at a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueStatus {
    /// The next time a drill is due; `None` if it never passed (then it is overdue now).
    pub next_due: Option<Timestamp>,
    /// Whether the drill is late: past `next_due` plus the grace, or never passed.
    pub overdue: bool,
    /// How late, when it is overdue and has passed before.
    pub overdue_by: Option<SignedDuration>,
}

/// Why a schedule cannot be read (a scenario loaded through validation never has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("schedule `{0}`: {1}")]
    Cron(String, String),
    #[error("time zone `{0}` is not an IANA time zone")]
    TimeZone(String),
    #[error("schedule `{0}` names no time after {1}")]
    NoNextTime(String, Timestamp),
}

/// The first time `schedule` names strictly after `after`.
pub fn next_after(schedule: &Schedule, after: Timestamp) -> Result<Timestamp, ScheduleError> {
    let expression = formats::schedule(&schedule.cron).map_err(|e| ScheduleError::Cron(schedule.cron.clone(), e))?;
    let cron = <croner::Cron as std::str::FromStr>::from_str(&expression)
        .map_err(|e| ScheduleError::Cron(schedule.cron.clone(), e.to_string()))?;
    let zone = TimeZone::get(&schedule.timezone).map_err(|_| ScheduleError::TimeZone(schedule.timezone.clone()))?;
    let start = WallClock(Zoned::new(after, zone));
    cron.find_next_occurrence(&start, false)
        .map(|next| next.0.timestamp())
        .map_err(|_| ScheduleError::NoNextTime(schedule.cron.clone(), after))
}

/// Where a scenario stands at `now`, given its last passed run.
pub fn due(
    schedule: &Schedule,
    last_passed: Option<Timestamp>,
    grace: SignedDuration,
    now: Timestamp,
) -> Result<DueStatus, ScheduleError> {
    let Some(passed) = last_passed else {
        return Ok(DueStatus {
            next_due: None,
            overdue: true,
            overdue_by: None,
        });
    };
    let next = next_after(schedule, passed)?;
    let late = now.duration_since(next);
    let overdue = late > grace;
    Ok(DueStatus {
        next_due: Some(next),
        overdue,
        overdue_by: overdue.then_some(late),
    })
}

/// A time in a zone, as croner searches it. croner ships this for an older jiff; this is
/// the same mapping for the jiff firedrill uses, so that one time-zone database decides.
#[derive(Clone)]
struct WallClock(Zoned);

impl CronDateTime for WallClock {
    fn to_civil(&self) -> CivilDateTime {
        let d = self.0.datetime();
        CivilDateTime::new(
            CivilDate::from_parts_unchecked(i32::from(d.year()), d.month() as u32, d.day() as u32),
            CivilTime::from_parts_unchecked(d.hour() as u32, d.minute() as u32, d.second() as u32),
        )
    }

    fn civil_weekday(&self) -> Weekday {
        Weekday::from_days_from_sunday(self.0.weekday().to_sunday_zero_offset() as u32)
    }

    fn resolve_civil(&self, civil: CivilDateTime) -> Result<Resolution<Self>, CronError> {
        let year = i16::try_from(civil.year()).map_err(|_| CronError::InvalidDate)?;
        let datetime = jiff::civil::DateTime::new(
            year,
            civil.month() as i8,
            civil.day() as i8,
            civil.hour() as i8,
            civil.minute() as i8,
            civil.second() as i8,
            0,
        )
        .map_err(|_| CronError::InvalidDate)?;
        let ambiguous = self.0.time_zone().to_ambiguous_zoned_datetime(datetime);
        Ok(match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => {
                Resolution::Single(WallClock(ambiguous.unambiguous().map_err(|_| CronError::InvalidTime)?))
            }
            AmbiguousOffset::Fold { .. } => Resolution::Ambiguous(
                WallClock(ambiguous.clone().earlier().map_err(|_| CronError::InvalidTime)?),
                WallClock(ambiguous.later().map_err(|_| CronError::InvalidTime)?),
            ),
            AmbiguousOffset::Gap { .. } => Resolution::Gap,
        })
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(WallClock)
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.timestamp().cmp(&other.0.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cron: &str, timezone: &str) -> Schedule {
        Schedule {
            cron: cron.to_owned(),
            timezone: timezone.to_owned(),
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn next(cron: &str, timezone: &str, after: &str) -> String {
        next_after(&schedule(cron, timezone), at(after)).unwrap().to_string()
    }

    #[test]
    fn a_day_of_month_that_some_months_lack_skips_them() {
        // The 31st: February, April and June have none.
        assert_eq!(
            next("0 3 31 * *", "UTC", "2026-01-31T03:30:00Z"),
            "2026-03-31T03:00:00Z"
        );
        assert_eq!(
            next("0 3 31 * *", "UTC", "2026-03-31T03:00:00Z"),
            "2026-05-31T03:00:00Z"
        );
        // The 29th of February, in a leap year only.
        assert_eq!(
            next("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
    }

    #[test]
    fn monthly_runs_across_the_year_end_in_the_schedules_zone() {
        // `monthly` is 00:00 on the 1st in Berlin: 23:00 UTC the day before in winter.
        assert_eq!(
            next("monthly", "Europe/Berlin", "2026-12-05T10:00:00Z"),
            "2026-12-31T23:00:00Z"
        );
        // A pass late on the 31st in UTC is already the 1st in Tokyo: the next is February.
        assert_eq!(
            next("monthly", "Asia/Tokyo", "2026-12-31T16:00:00Z"),
            "2027-01-31T15:00:00Z"
        );
    }

    #[test]
    fn a_time_the_spring_clock_change_skips_runs_right_after_the_gap() {
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"),
            "2026-03-29T01:00:00Z"
        );
        // The day after, 02:30 CEST is 00:30 UTC.
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z"),
            "2026-03-30T00:30:00Z"
        );
    }

    #[test]
    fn a_time_the_autumn_clock_change_repeats_runs_once() {
        // New York, 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 (EST).
        let first = next("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z");
        assert_eq!(first, "2026-11-01T05:30:00Z");
        // Not a second time an hour later: the next is the day after, in EST.
        assert_eq!(next("30 1 * * *", "America/New_York", &first), "2026-11-02T06:30:00Z");
    }

    #[test]
    fn the_same_cron_means_different_instants_in_different_zones() {
        let after = "2026-06-30T12:00:00Z";
        assert_eq!(next("0 3 1 * *", "UTC", after), "2026-07-01T03:00:00Z");
        assert_eq!(next("0 3 1 * *", "Europe/Berlin", after), "2026-07-01T01:00:00Z");
        assert_eq!(next("0 3 1 * *", "America/Los_Angeles", after), "2026-07-01T10:00:00Z");
        assert_eq!(next("0 3 1 * *", "Australia/Sydney", after), "2026-06-30T17:00:00Z");
    }

    #[test]
    fn overdue_only_after_the_grace() {
        let weekly = schedule("weekly", "UTC");
        let passed = Some(at("2026-11-02T00:20:00Z"));
        let grace = SignedDuration::from_hours(2);
        // Due Monday 2026-11-09 00:00; a drill started then may run until 02:00.
        let on_time = due(&weekly, passed, grace, at("2026-11-09T01:59:00Z")).unwrap();
        assert_eq!(on_time.next_due, Some(at("2026-11-09T00:00:00Z")));
        assert!(!on_time.overdue);
        let late = due(&weekly, passed, grace, at("2026-11-10T00:00:00Z")).unwrap();
        assert!(late.overdue);
        assert_eq!(late.overdue_by, Some(SignedDuration::from_hours(24)));
    }

    #[test]
    fn never_passed_is_overdue() {
        let status = due(
            &schedule("daily", "UTC"),
            None,
            SignedDuration::ZERO,
            at("2026-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(status.next_due, None);
        assert!(status.overdue);
    }

    #[test]
    fn a_bad_schedule_is_an_error_not_a_panic() {
        let error = next_after(&schedule("61 * * * *", "UTC"), at("2026-01-01T00:00:00Z")).unwrap_err();
        assert!(matches!(error, ScheduleError::Cron(..)), "{error}");
        let error = next_after(&schedule("daily", "Mars/Olympus"), at("2026-01-01T00:00:00Z")).unwrap_err();
        assert_eq!(error, ScheduleError::TimeZone("Mars/Olympus".to_owned()));
    }
}

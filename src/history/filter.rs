//! Which results a history command looks at: by scenario, outcome and time.

use jiff::{Timestamp, civil::Date, tz::TimeZone};

use crate::measure::Outcome;
use crate::result::DrillResult;
use crate::scenario::HumanDuration;

/// A filter over results; empty lists and absent times let everything through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub scenarios: Vec<String>,
    pub outcomes: Vec<Outcome>,
    /// Runs started at or after this time.
    pub since: Option<Timestamp>,
    /// Runs started before this time.
    pub until: Option<Timestamp>,
}

impl Filter {
    pub fn matches(&self, result: &DrillResult) -> bool {
        (self.scenarios.is_empty() || self.scenarios.iter().any(|s| s == &result.scenario))
            && (self.outcomes.is_empty() || self.outcomes.contains(&result.outcome))
            && self.since.is_none_or(|since| result.started_at >= since)
            && self.until.is_none_or(|until| result.started_at < until)
    }

    /// Whether the filter lets everything through (prune refuses that).
    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty() && self.outcomes.is_empty() && self.since.is_none() && self.until.is_none()
    }
}

/// A time as the command line gives it: RFC 3339 (`2026-06-01T00:00:00Z`), a date
/// (`2026-06-01`, midnight UTC), or an age (`90d`, `12w`: that long before `now`).
pub fn parse_time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    if let Ok(date) = text.parse::<Date>() {
        return date
            .to_zoned_datetime(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{text}`: {e}"));
    }
    if let Ok(age) = HumanDuration::parse(text) {
        let age = jiff::SignedDuration::try_from(age.as_duration()).map_err(|e| format!("`{text}`: {e}"))?;
        return now
            .checked_sub(age)
            .map_err(|_| format!("`{text}` reaches before year -9999"));
    }
    Err(format!(
        "`{text}` is not a time: give an RFC 3339 time (2026-06-01T00:00:00Z), a date (2026-06-01) or an age (90d)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_instants_dates_or_ages() {
        let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_time("2026-06-01T08:00:00+02:00", now).unwrap().to_string(),
            "2026-06-01T06:00:00Z"
        );
        assert_eq!(
            parse_time("2026-06-01", now).unwrap().to_string(),
            "2026-06-01T00:00:00Z"
        );
        assert_eq!(parse_time("30d", now).unwrap().to_string(), "2026-11-01T12:00:00Z");
        let error = parse_time("last tuesday", now).unwrap_err();
        assert!(error.contains("`last tuesday` is not a time"), "{error}");
    }
}

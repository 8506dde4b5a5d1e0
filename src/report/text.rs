//! How figures read on the page: durations, times, outcomes, URL-safe names.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

use crate::measure::{Outcome, friendly};

/// A duration in seconds for reading: `42.5s` under a minute, `1h 05m` above.
pub fn seconds_text(secs: f64) -> String {
    if secs.abs() < 60.0 {
        format!("{secs:.1}s")
    } else {
        // A result file can hold any number: one too large for a duration is shown as is.
        SignedDuration::try_from_secs_f64(secs).map_or_else(|_| format!("{secs:.0}s"), friendly)
    }
}

/// A span people read at a glance: `150 days`, `5h 20m`, `12m`.
pub fn span_text(secs: f64) -> String {
    let secs = secs.abs();
    if !secs.is_finite() {
        return "—".to_owned();
    }
    let minutes = (secs / 60.0).round() as u64;
    match minutes {
        m if m >= 2 * 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m >= 60 => format!("{}h {}m", m / 60, m % 60),
        m => format!("{m}m"),
    }
}

/// A time to the minute in UTC, the reports' one time zone for runs.
pub fn utc_text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// A date in UTC.
pub fn date_text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// A time in a schedule's zone, with the zone's abbreviation (`2026-12-01 03:00 CET`).
pub fn zoned_text(at: Timestamp, zone: &str) -> String {
    match TimeZone::get(zone) {
        Ok(tz) => at.to_zoned_datetime(tz).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => utc_text(at),
    }
}

pub fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Error => "error",
        Outcome::Aborted => "aborted",
    }
}

/// A file name for a scenario or run name read from a history file: the name itself when
/// it is plain, else a safe spelling with a hash of the name (so two names never meet).
pub fn slug(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        return name.to_owned();
    }
    let safe: String = name
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let hash = crate::stable_hash::fnv1a(name);
    format!("{safe}-{:08x}", hash as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_files_become_safe_file_names() {
        assert_eq!(slug("orders-db"), "orders-db");
        assert_eq!(slug("orders-20261201T030000Z-ab12"), "orders-20261201T030000Z-ab12");
        let odd = slug("../../etc/passwd");
        assert!(odd.starts_with("------etc-passwd-"), "{odd}");
        assert_ne!(slug("a b"), slug("a/b"));
        assert!(!slug("").is_empty());
    }

    #[test]
    fn durations_and_times_read_well() {
        assert_eq!(seconds_text(42.46), "42.5s");
        assert_eq!(
            utc_text("2026-03-01T02:05:09Z".parse().unwrap()),
            "2026-03-01 02:05 UTC"
        );
        assert_eq!(
            zoned_text("2026-12-01T02:00:00Z".parse().unwrap(), "Europe/Berlin"),
            "2026-12-01 03:00 CET"
        );
    }
}

/// A duration in two units at most, for tables and charts: `42s`, `23m 10s`, `5h 10m`,
/// `2d 3h`.
pub fn compact(secs: f64) -> String {
    if !secs.is_finite() {
        return "—".to_owned();
    }
    let sign = if secs < 0.0 { "-" } else { "" };
    let total = secs.abs().round() as u64;
    let (d, h, m, s) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60);
    let text = match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) if s == 0 => format!("{m}m"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod compact_tests {
    use super::compact;

    #[test]
    fn two_units_at_most() {
        assert_eq!(compact(42.4), "42s");
        assert_eq!(compact(1390.0), "23m 10s");
        assert_eq!(compact(1800.0), "30m");
        assert_eq!(compact(18_600.0), "5h 10m");
        assert_eq!(compact(7200.0), "2h");
        assert_eq!(compact(183_600.0), "2d 3h");
        assert_eq!(compact(f64::NAN), "—");
    }
}

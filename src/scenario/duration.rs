//! Human durations in scenarios (`45m`, `24h`, `1h30m`, `2d`): parsing and display.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use jiff::SpanRelativeTo;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration written as a number and a unit, or several (`1h30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(Duration);

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration")]
    Malformed(String),
    #[error("`{0}` is negative")]
    Negative(String),
    #[error("`{0}` uses months or years, which have no fixed length")]
    Calendar(String),
}

impl HumanDuration {
    /// What a duration looks like, for hints.
    pub const EXAMPLES: &'static str = "a number and a unit (s, m, h, d), e.g. 90s, 45m, 24h, 1h30m";

    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Parses `45m`, `24h`, `1h30m`, `1h 30m`, `2d`, `90s`, `500ms`. Days count as 24 hours.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let trimmed = text.trim();
        let span: jiff::Span = trimmed.parse().map_err(|_| DurationError::Malformed(text.to_owned()))?;
        if span.get_years() != 0 || span.get_months() != 0 || span.get_weeks() != 0 {
            return Err(DurationError::Calendar(text.to_owned()));
        }
        let signed = span
            .to_duration(SpanRelativeTo::days_are_24_hours())
            .map_err(|_| DurationError::Malformed(text.to_owned()))?;
        Duration::try_from(signed)
            .map(Self)
            .map_err(|_| DurationError::Negative(text.to_owned()))
    }
}

impl fmt::Display for HumanDuration {
    /// The shortest exact form with units from days to milliseconds: `1h30m`, `2d`, `45s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut millis = self.0.as_millis();
        if millis == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
            if millis >= size {
                write!(f, "{}{unit}", millis / size)?;
                millis %= size;
            }
        }
        if millis > 0 {
            write!(f, "{millis}ms")?;
        }
        Ok(())
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HumanDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for HumanDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "duration",
            "description": "A duration: a number and a unit (s, m, h, d), or several, e.g. 90s, 45m, 24h, 1h30m.",
            "examples": ["45m", "24h", "1h30m"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let cases = [
            ("45m", 2700),
            ("24h", 86_400),
            ("1h30m", 5400),
            ("1h 30m", 5400),
            ("2d", 172_800),
            ("90s", 90),
            ("0s", 0),
        ];
        for (text, secs) in cases {
            assert_eq!(HumanDuration::parse(text), Ok(HumanDuration::from_secs(secs)), "{text}");
        }
    }

    #[test]
    fn rejects_bad_forms() {
        for text in [
            "",
            "45",
            "m",
            "45x",
            "-5m",
            "1 month",
            "2w",
            "1y",
            "abc",
            "45 minutes ago",
        ] {
            assert!(HumanDuration::parse(text).is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn displays_compactly() {
        assert_eq!(HumanDuration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(HumanDuration::from_secs(86_400 + 60).to_string(), "1d1m");
        assert_eq!(HumanDuration::from_secs(0).to_string(), "0s");
        assert_eq!(HumanDuration::parse("500ms").unwrap().to_string(), "500ms");
    }
}

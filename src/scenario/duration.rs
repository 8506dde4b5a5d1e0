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
    #[error("`{0}` uses weeks, months or years; write days instead (e.g. 7d)")]
    Calendar(String),
    #[error("`{0}` is finer than a millisecond")]
    TooFine(String),
    #[error("`{0}` is longer than firedrill can use (at most 10000 days)")]
    TooLong(String),
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
        let duration = Duration::try_from(signed).map_err(|_| DurationError::Negative(text.to_owned()))?;
        // What is parsed must print back the same: whole milliseconds, a sane length.
        if duration.subsec_nanos() % 1_000_000 != 0 {
            return Err(DurationError::TooFine(text.to_owned()));
        }
        if duration > Self::MAX {
            return Err(DurationError::TooLong(text.to_owned()));
        }
        Ok(Self(duration))
    }

    /// The longest duration accepted: far beyond any drill, and prints back exactly.
    const MAX: Duration = Duration::from_secs(10_000 * 86_400);
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
    fn refuses_what_would_not_print_back() {
        for text in ["1ns", "0.5ms", "1500us", "10001d", "7304484d 48h"] {
            assert!(HumanDuration::parse(text).is_err(), "{text}");
        }
        assert_eq!(
            HumanDuration::parse("10000d"),
            Ok(HumanDuration::from_secs(10_000 * 86_400))
        );
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

    /// Property tests: parsing never panics, written components add up, and what Display
    /// writes parses back to the same duration.
    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// The longest duration the parser accepts (10,000 days).
        const MAX_MILLIS: u64 = 10_000 * 86_400_000;

        /// Text around what durations are made of: digits, units, spaces, signs, `PT`.
        fn durationish() -> impl Strategy<Value = String> {
            "[ 0-9dhmsuµnwyoPTMS.,:+-]{0,24}"
        }

        /// One component written with a unit, or left out.
        fn component(max: u64, unit: &'static str) -> impl Strategy<Value = Option<(u64, &'static str)>> {
            proptest::option::of((0..=max).prop_map(move |n| (n, unit)))
        }

        /// Durations written as the README shows them: units from days to milliseconds in
        /// that order, joined directly (`1h30m`) or with spaces (`1h 30m`), with the
        /// number of milliseconds they stand for.
        fn written() -> impl Strategy<Value = (String, u64)> {
            (
                component(10_000, "d"),
                component(100_000, "h"),
                component(1_000_000, "m"),
                component(10_000_000, "s"),
                component(1_000_000, "ms"),
                proptest::sample::select(vec!["", " "]),
                proptest::sample::select(vec!["", " ", "\t", "\n"]),
            )
                .prop_filter("at least one component", |(d, h, m, s, ms, ..)| {
                    d.is_some() || h.is_some() || m.is_some() || s.is_some() || ms.is_some()
                })
                .prop_map(|(d, h, m, s, ms, separator, padding)| {
                    let parts: Vec<(u64, &str)> = [d, h, m, s, ms].into_iter().flatten().collect();
                    let millis = parts
                        .iter()
                        .map(|&(n, unit)| {
                            n * match unit {
                                "d" => 86_400_000,
                                "h" => 3_600_000,
                                "m" => 60_000,
                                "s" => 1000,
                                _ => 1,
                            }
                        })
                        .sum();
                    let text = parts
                        .iter()
                        .map(|(n, unit)| format!("{n}{unit}"))
                        .collect::<Vec<_>>()
                        .join(separator);
                    (format!("{padding}{text}{padding}"), millis)
                })
                .prop_filter("within the longest duration accepted", |(_, millis)| {
                    *millis <= MAX_MILLIS
                })
        }

        /// Any duration the parser can give back: whole milliseconds, and whole seconds
        /// (the common case, rarely drawn among milliseconds).
        fn duration() -> impl Strategy<Value = HumanDuration> {
            prop_oneof![
                (0..=MAX_MILLIS).prop_map(HumanDuration::from_millis),
                (0..=MAX_MILLIS / 1000).prop_map(HumanDuration::from_secs),
                (0..=1_000_000u64).prop_map(HumanDuration::from_secs),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 256,
                // Failures found are kept under tests/ (the top-level layout is fixed).
                failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
                    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/proptest-regressions/duration.txt"),
                ))),
                ..ProptestConfig::default()
            })]

            #[test]
            fn any_text_is_parsed_or_refused_without_panicking(text in any::<String>()) {
                let _ = HumanDuration::parse(&text);
            }

            #[test]
            fn durationish_text_is_parsed_or_refused_without_panicking(text in durationish()) {
                if let Ok(parsed) = HumanDuration::parse(&text) {
                    // Whatever parses also displays without panicking.
                    let _ = parsed.to_string();
                }
            }

            #[test]
            fn written_components_add_up((text, millis) in written()) {
                prop_assert_eq!(HumanDuration::parse(&text), Ok(HumanDuration::from_millis(millis)), "{:?}", text);
            }

            #[test]
            fn display_parses_back_to_the_same_duration(duration in duration()) {
                let shown = duration.to_string();
                prop_assert_eq!(HumanDuration::parse(&shown), Ok(duration), "{}", shown);
            }

            #[test]
            fn written_durations_round_trip_through_display((text, _) in written()) {
                let parsed = HumanDuration::parse(&text).expect("written components parse");
                let shown = parsed.to_string();
                prop_assert_eq!(HumanDuration::parse(&shown), Ok(parsed), "{:?} shown as {}", text, shown);
                // Display is canonical: showing it again changes nothing.
                prop_assert_eq!(HumanDuration::parse(&shown).map(|d| d.to_string()), Ok(shown));
            }
        }
    }
}

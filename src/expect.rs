//! Whether a check's output meets its expectations: exit code, stdout pattern, expected
//! values (`key=value` lines), row-count baselines (`rows.<table>=<n>`), and the
//! watermark (an RFC 3339 timestamp on the last line). Pure.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::scenario::{Check, RowCount};

/// A check's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Why it failed; empty when it passed.
    pub reasons: Vec<String>,
    /// For the watermark check: the newest data timestamp it printed.
    pub watermark: Option<Timestamp>,
}

/// Judges a check's output against its expectations.
pub fn judge(check: &Check, exit_code: i32, stdout: &str) -> Verdict {
    let expect = &check.expect;
    let mut reasons = Vec::new();
    if exit_code != expect.exit_code {
        reasons.push(format!("exit code {exit_code}, expected {}", expect.exit_code));
    }
    if let Some(pattern) = &expect.stdout_matches {
        // Like grep: `^` and `$` match at the start and end of each line of the output.
        match regex::RegexBuilder::new(pattern).multi_line(true).build() {
            Ok(re) if re.is_match(stdout) => {}
            Ok(_) => reasons.push(format!("stdout does not match `{pattern}`")),
            Err(e) => reasons.push(format!("invalid pattern `{pattern}`: {e}")),
        }
    }
    let values = key_values(stdout);
    for (key, expected) in &expect.values {
        match values.get(key.as_str()) {
            Some(actual) if actual == expected => {}
            Some(actual) => reasons.push(format!("{key} is {actual}, expected {expected}")),
            None => reasons.push(format!("{key} was not printed")),
        }
    }
    for (table, baseline) in &expect.row_counts {
        let key = format!("rows.{table}");
        match values.get(key.as_str()).map(|v| v.parse::<u64>()) {
            Some(Ok(count)) => reasons.extend(row_count_miss(table, count, baseline)),
            Some(Err(_)) => reasons.push(format!("{key} is not a count")),
            None => reasons.push(format!("{key} was not printed")),
        }
    }
    let watermark = check.watermark.then(|| watermark(stdout)).flatten();
    if check.watermark && watermark.is_none() && exit_code == expect.exit_code {
        reasons.push("the watermark check printed no RFC 3339 timestamp on its last line".to_owned());
    }
    Verdict { reasons, watermark }
}

/// `key=value` lines of the output (the last value of a key wins).
fn key_values(stdout: &str) -> BTreeMap<&str, &str> {
    stdout
        .lines()
        .filter_map(|l| l.trim().split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn row_count_miss(table: &str, count: u64, baseline: &RowCount) -> Option<String> {
    match *baseline {
        RowCount::AtLeast(n) if count < n => Some(format!("{table} has {count} rows, expected at least {n}")),
        RowCount::Equals(n) if count != n => Some(format!("{table} has {count} rows, expected {n}")),
        RowCount::Within(ref t) => {
            let deviation = (count as f64 - t.of as f64).abs() / (t.of.max(1) as f64) * 100.0;
            (deviation > t.percent).then(|| {
                format!(
                    "{table} has {count} rows, {deviation:.1} % off the baseline {} (allowed {} %)",
                    t.of, t.percent
                )
            })
        }
        _ => None,
    }
}

/// The RFC 3339 timestamp on the last non-empty line.
fn watermark(stdout: &str) -> Option<Timestamp> {
    stdout.lines().rev().find(|l| !l.trim().is_empty())?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Expectations, HumanDuration, Tolerance};

    fn check(expect: Expectations, watermark: bool) -> Check {
        Check {
            id: "c".into(),
            script: "x.sh".into(),
            needs: vec![],
            env: BTreeMap::new(),
            timeout: HumanDuration::from_secs(60),
            expect,
            packages: vec![],
            gates_rto: true,
            watermark,
        }
    }

    #[test]
    fn stdout_patterns_anchor_at_lines_like_grep() {
        let expect = |pattern: &str| Expectations {
            stdout_matches: Some(pattern.into()),
            ..Expectations::default()
        };
        let out = "connecting\nhttp.status=200\n";
        assert!(
            judge(&check(expect("^http\\.status=200$"), false), 0, out)
                .reasons
                .is_empty()
        );
        assert!(judge(&check(expect("^ok$"), false), 0, "ok\n").reasons.is_empty());
        assert_eq!(judge(&check(expect("^status"), false), 0, out).reasons.len(), 1);
    }

    #[test]
    fn passes_when_everything_holds() {
        let expect = Expectations {
            stdout_matches: Some("^rows".into()),
            values: BTreeMap::from([("files.checked".into(), "2".into())]),
            row_counts: BTreeMap::from([
                ("orders".into(), RowCount::AtLeast(1000)),
                (
                    "customers".into(),
                    RowCount::Within(Tolerance { percent: 5.0, of: 250 }),
                ),
            ]),
            ..Expectations::default()
        };
        let out = "rows.orders=1200\nrows.customers=240\nfiles.checked=2\n";
        assert_eq!(judge(&check(expect, false), 0, out).reasons, Vec::<String>::new());
    }

    #[test]
    fn reports_every_miss() {
        let expect = Expectations {
            values: BTreeMap::from([("files.checked".into(), "2".into())]),
            row_counts: BTreeMap::from([
                ("orders".into(), RowCount::AtLeast(1000)),
                ("products".into(), RowCount::Equals(10)),
                (
                    "customers".into(),
                    RowCount::Within(Tolerance { percent: 5.0, of: 250 }),
                ),
            ]),
            ..Expectations::default()
        };
        let out = "rows.orders=999\nrows.customers=200\nfiles.checked=1\n";
        let reasons = judge(&check(expect, false), 2, out).reasons;
        assert_eq!(reasons.len(), 5, "{reasons:?}");
        assert!(reasons[0].contains("exit code 2"));
        assert!(reasons.iter().any(|r| r.contains("20.0 % off")));
        assert!(reasons.iter().any(|r| r.contains("rows.products was not printed")));
    }

    #[test]
    fn reads_the_watermark_from_the_last_line() {
        let verdict = judge(
            &check(Expectations::default(), true),
            0,
            "scanning\n2026-11-24T23:58:00Z\n\n",
        );
        assert_eq!(verdict.watermark, Some("2026-11-24T23:58:00Z".parse().unwrap()));
        let verdict = judge(&check(Expectations::default(), true), 0, "no timestamp\n");
        assert_eq!(verdict.reasons.len(), 1);
    }
}

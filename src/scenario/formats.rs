//! Value formats the schema names with `format` and JSON Schema cannot check by itself:
//! durations, schedules, time zones, timestamps, ARNs, CIDRs, regular expressions.
//!
//! One function decides each format, so the schema check, the error message and the
//! editor's schema all agree.

use std::net::Ipv4Addr;
use std::str::FromStr;

use super::duration::HumanDuration;

/// The formats this module decides, as named in the schema.
pub const FORMATS: [&str; 10] = [
    "duration",
    "schedule",
    "iana-timezone",
    "date-time",
    "latest-or-date-time",
    "iam-role-arn",
    "protected-resource-arn",
    "recovery-point-arn",
    "ipv4-cidr",
    "regex",
];

/// Checks `value` against `format`: `Err` says what is wrong and how it should look.
pub fn check(format: &str, value: &str) -> Result<(), FormatError> {
    let ok = match format {
        "duration" => HumanDuration::parse(value).is_ok(),
        "schedule" => schedule(value).is_ok(),
        "iana-timezone" => jiff::tz::TimeZone::get(value).is_ok(),
        "date-time" => jiff::Timestamp::from_str(value).is_ok(),
        "latest-or-date-time" => value == "latest" || jiff::Timestamp::from_str(value).is_ok(),
        "iam-role-arn" => arn(value).is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/")),
        "protected-resource-arn" => arn(value).is_some_and(|a| ProtectedKind::of_arn(&a).is_some()),
        "recovery-point-arn" => arn(value).is_some_and(is_recovery_point),
        "ipv4-cidr" => cidr(value).is_ok(),
        "regex" => regex::Regex::new(value).is_ok(),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(FormatError {
        reason: reason(format, value),
        expected: expected(format),
    })
}

/// Why a value does not have its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// What is wrong, in a sentence.
    pub reason: String,
    /// What a right value looks like.
    pub expected: &'static str,
}

fn reason(format: &str, value: &str) -> String {
    match format {
        "duration" => HumanDuration::parse(value)
            .err()
            .map_or_else(String::new, |e| e.to_string()),
        "schedule" => schedule(value).err().unwrap_or_default(),
        "iana-timezone" => format!("`{value}` is not an IANA time zone"),
        "date-time" | "latest-or-date-time" => format!("`{value}` is not an RFC 3339 timestamp"),
        "ipv4-cidr" => cidr(value).err().unwrap_or_default(),
        "regex" => match regex::Regex::new(value) {
            Err(e) => format!(
                "`{value}` is not a valid regular expression: {}",
                last_line(&e.to_string())
            ),
            Ok(_) => String::new(),
        },
        _ => format!("`{value}` is not a {}", format.replace('-', " ")),
    }
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

fn expected(format: &str) -> &'static str {
    match format {
        "duration" => HumanDuration::EXAMPLES,
        "schedule" => {
            "a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. `0 3 1 * *`, or monthly, weekly, daily"
        }
        "iana-timezone" => "an IANA time zone name, e.g. UTC, Europe/Berlin, America/New_York",
        "date-time" => "an RFC 3339 timestamp with a zone, e.g. 2026-11-01T03:00:00Z",
        "latest-or-date-time" => "`latest` or an RFC 3339 timestamp with a zone, e.g. 2026-11-01T03:00:00Z",
        "iam-role-arn" => "an IAM role ARN, e.g. arn:aws:iam::123456789012:role/firedrill-drills",
        "protected-resource-arn" => {
            "the ARN of an RDS instance (…:db:name), Aurora cluster (…:cluster:name), EBS volume (…:volume/vol-…) or EC2 instance (…:instance/i-…)"
        }
        "recovery-point-arn" => {
            "an AWS Backup recovery point ARN (…:recovery-point:…) or an RDS/EBS/EC2 snapshot or image ARN"
        }
        "ipv4-cidr" => "an IPv4 CIDR from /16 to /24, e.g. 10.250.0.0/16",
        "regex" => "a regular expression in Rust regex syntax",
        _ => "see `firedrill schema`",
    }
}

/// The cron expression a schedule means (the aliases spelled out), or why it is wrong.
pub fn schedule(value: &str) -> Result<String, String> {
    let expression = match value.trim() {
        "monthly" => "0 0 1 * *",
        "weekly" => "0 0 * * 1",
        "daily" => "0 0 * * *",
        other => other,
    };
    let fields = expression.split_whitespace().count();
    if fields != 5 {
        return Err(format!("`{value}` has {fields} fields; a schedule has 5"));
    }
    croner::Cron::from_str(expression)
        .map(|_| expression.to_owned())
        .map_err(|e| format!("`{value}` is not a valid cron expression: {e}"))
}

/// An IPv4 CIDR block for the drill's VPC (AWS allows /16 to /28; subnets need room, so /24).
pub fn cidr(value: &str) -> Result<(Ipv4Addr, u8), String> {
    let bad = || format!("`{value}` is not an IPv4 CIDR block");
    let (address, prefix) = value.split_once('/').ok_or_else(bad)?;
    let address: Ipv4Addr = address.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    if !(16..=24).contains(&prefix) {
        return Err(format!("`{value}`: the prefix must be /16 to /24"));
    }
    let mask = u32::MAX << (32 - prefix);
    if u32::from(address) & !mask != 0 {
        return Err(format!(
            "`{value}` has host bits set; the block starts at {}",
            Ipv4Addr::from(u32::from(address) & mask)
        ));
    }
    Ok((address, prefix))
}

/// The parts of an ARN that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Splits `arn:partition:service:region:account:resource`.
pub fn arn(value: &str) -> Option<Arn<'_>> {
    let mut parts = value.splitn(6, ':');
    let (prefix, partition) = (parts.next()?, parts.next()?);
    let (service, region, account, resource) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let partition_ok = matches!(partition, "aws" | "aws-cn" | "aws-us-gov");
    let account_ok = account.is_empty() || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    (prefix == "arn" && partition_ok && !service.is_empty() && account_ok && !resource.is_empty()).then_some(Arn {
        service,
        region,
        account,
        resource,
    })
}

/// What kind of resource an AWS Backup protected-resource ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtectedKind {
    RdsInstance,
    AuroraCluster,
    EbsVolume,
    Ec2Instance,
}

impl ProtectedKind {
    pub fn of_arn(arn: &Arn<'_>) -> Option<Self> {
        match (arn.service, arn.resource.split_once([':', '/'])) {
            ("rds", Some(("db", _))) => Some(Self::RdsInstance),
            ("rds", Some(("cluster", _))) => Some(Self::AuroraCluster),
            ("ec2", Some(("volume", _))) => Some(Self::EbsVolume),
            ("ec2", Some(("instance", _))) => Some(Self::Ec2Instance),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::RdsInstance => "RDS instance",
            Self::AuroraCluster => "Aurora cluster",
            Self::EbsVolume => "EBS volume",
            Self::Ec2Instance => "EC2 instance",
        }
    }
}

fn is_recovery_point(arn: Arn<'_>) -> bool {
    let kind = arn.resource.split_once([':', '/']).map(|(k, _)| k);
    matches!(
        (arn.service, kind),
        ("backup", Some("recovery-point"))
            | ("rds", Some("snapshot" | "cluster-snapshot"))
            | ("ec2", Some("snapshot" | "image"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        assert_eq!(schedule("monthly").unwrap(), "0 0 1 * *");
        assert!(schedule("0 3 1 * *").is_ok());
        assert!(schedule("*/15 2-4 * * MON-FRI").is_ok());
        assert!(schedule("0 3 1 *").unwrap_err().contains("4 fields"));
        assert!(schedule("0 0 3 1 * *").unwrap_err().contains("6 fields"));
        assert!(schedule("99 3 1 * *").is_err());
        assert!(schedule("fortnightly").is_err());
    }

    #[test]
    fn cidrs() {
        assert!(cidr("10.250.0.0/16").is_ok());
        assert!(cidr("10.250.0.0/8").is_err());
        assert!(cidr("10.250.1.0/16").unwrap_err().contains("host bits"));
        assert!(cidr("10.250.0.0").is_err());
        assert!(cidr("300.1.0.0/16").is_err());
    }

    #[test]
    fn arns() {
        let a = arn("arn:aws:rds:eu-west-1:123456789012:db:orders").unwrap();
        assert_eq!(ProtectedKind::of_arn(&a), Some(ProtectedKind::RdsInstance));
        let v = arn("arn:aws:ec2:eu-west-1:123456789012:volume/vol-0abc").unwrap();
        assert_eq!(ProtectedKind::of_arn(&v), Some(ProtectedKind::EbsVolume));
        assert!(arn("arn:aws:rds:eu-west-1:12345:db:x").is_none());
        assert!(arn("not an arn").is_none());
        assert!(check("iam-role-arn", "arn:aws:iam::123456789012:role/dr").is_ok());
        assert!(check("iam-role-arn", "arn:aws:iam::123456789012:user/dr").is_err());
        assert!(
            check(
                "recovery-point-arn",
                "arn:aws:backup:eu-west-1:123456789012:recovery-point:1EB3B5E7"
            )
            .is_ok()
        );
    }

    #[test]
    fn other_formats() {
        assert!(check("iana-timezone", "Europe/Berlin").is_ok());
        assert!(check("iana-timezone", "Mars/Olympus").is_err());
        assert!(check("date-time", "2026-11-01T03:00:00Z").is_ok());
        assert!(check("date-time", "2026-11-01 03:00").is_err());
        assert!(check("latest-or-date-time", "latest").is_ok());
        assert!(check("regex", "^rows=[0-9]+$").is_ok());
        let e = check("regex", "([").unwrap_err();
        assert!(e.reason.contains("not a valid regular expression"), "{}", e.reason);
        assert!(check("duration", "45x").unwrap_err().reason.contains("not a duration"));
    }
}

//! Which backups are restore-tested: every resource AWS Backup protects, and for each
//! the scenarios that drill it and when one of them last passed. "Backups never
//! restore-tested" is the list auditors ask for first.
//!
//! Pure: the protected resources are listed by `aws` (ListProtectedResources, per region,
//! and ListProtectedResourcesByBackupVault for the vaults), then matched here against
//! the scenarios' restore sources and the history. A resource is drilled by a scenario
//! of its region when a restore names it: an AWS Backup source by its ARN, a snapshot
//! or point-in-time source by its instance, cluster or volume. Only `cloud: aws`
//! scenarios drill backups, and only their real drills count (`crate::due::counts`): a
//! simulated rehearsal proves nothing about an AWS backup.

pub mod aws;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::measure::Outcome;
use crate::result::DrillResult;
use crate::scenario::{CloudKind, RestoreSource, Scenario};

/// A resource AWS Backup protects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResource {
    pub arn: String,
    /// AWS Backup's resource type: `RDS`, `Aurora`, `EBS`, `EC2`, `DynamoDB`, `EFS`, …
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub region: String,
    /// The vaults holding its recovery points, by name.
    #[serde(default)]
    pub vaults: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<Timestamp>,
}

/// How well a protected resource is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No scenario restores it: its backups were never restore-tested.
    NeverDrilled,
    /// A scenario restores it, but no drill of it has passed.
    NeverPassed,
    /// A drill of it passed.
    Passed,
    /// firedrill cannot restore this kind (DynamoDB, EFS, S3, …): listed, not judged.
    NotDrillable,
}

impl Status {
    pub fn text(self) -> &'static str {
        match self {
            Status::NeverDrilled => "never restore-tested",
            Status::NeverPassed => "drilled, never passed",
            Status::Passed => "restore-tested",
            Status::NotDrillable => "not drillable by firedrill",
        }
    }
}

/// One protected resource, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covered {
    pub resource: ProtectedResource,
    pub status: Status,
    /// The scenarios that restore it, by name.
    pub drilled_by: Vec<String>,
    /// The newest passed drill among them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_passed: Option<Timestamp>,
}

/// The coverage of some regions at a time: what `firedrill coverage` writes and the
/// report's coverage page reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub as_of: Timestamp,
    pub regions: Vec<String>,
    /// Worst first (never drilled, never passed, passed, not drillable), then by ARN.
    pub resources: Vec<Covered>,
}

impl Coverage {
    /// How many resources have each status.
    pub fn count(&self, status: Status) -> usize {
        self.resources.iter().filter(|c| c.status == status).count()
    }
}

/// The kinds firedrill restores, as AWS Backup names them.
fn drillable(resource_type: &str) -> bool {
    matches!(resource_type, "RDS" | "Aurora" | "EBS" | "EC2")
}

/// What an ARN names: (service, region, account, kind, name), e.g. ("rds", "eu-west-1",
/// "123456789012", "db", "orders-prod") or ("ec2", "eu-west-1", "…", "volume", "vol-0abc").
fn arn_parts(arn: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_arn, _partition, service, region, account, rest) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let (kind, name) = rest.split_once(':').or_else(|| rest.split_once('/'))?;
    Some((service, region, account, kind, name))
}

/// The account a scenario drills in: its `assume_role`'s, else the caller's.
fn account_of<'a>(scenario: &'a Scenario, caller_account: Option<&'a str>) -> Option<&'a str> {
    match &scenario.assume_role {
        Some(role) => role.split(':').nth(4).filter(|a| !a.is_empty()),
        None => caller_account,
    }
}

/// Whether `scenario` restores the resource `arn` names. A name means the same resource
/// only in the scenario's region and account (`caller_account`: whose credentials list
/// the resources, for scenarios without `assume_role`; unknown, only the region counts).
pub fn drills(scenario: &Scenario, arn: &str, caller_account: Option<&str>) -> bool {
    let Some((service, region, account, kind, name)) = arn_parts(arn) else {
        return false;
    };
    let other_account = account_of(scenario, caller_account).is_some_and(|a| !account.is_empty() && a != account);
    scenario.restores.iter().any(|restore| match &restore.source {
        RestoreSource::AwsBackup(source) => source.resource_arn.as_deref() == Some(arn),
        _ if region != scenario.region || other_account => false,
        RestoreSource::RdsSnapshot(source) => {
            (service, kind) == ("rds", "db") && source.instance.as_deref() == Some(name)
        }
        RestoreSource::RdsPointInTime(source) => (service, kind) == ("rds", "db") && source.instance == name,
        RestoreSource::AuroraClusterSnapshot(source) => {
            (service, kind) == ("rds", "cluster") && source.cluster.as_deref() == Some(name)
        }
        RestoreSource::AuroraPointInTime(source) => (service, kind) == ("rds", "cluster") && source.cluster == name,
        RestoreSource::EbsSnapshot(source) => {
            (service, kind) == ("ec2", "volume") && source.volume.as_deref() == Some(name)
        }
        // An AMI names an image, not the instance it was made from.
        RestoreSource::Ami(_) => false,
    })
}

/// Judges every protected resource against the scenarios and the history.
pub fn assess(
    resources: Vec<ProtectedResource>,
    regions: Vec<String>,
    scenarios: &[Scenario],
    results: &[DrillResult],
    as_of: Timestamp,
    caller_account: Option<&str>,
) -> Coverage {
    let mut covered: Vec<Covered> = resources
        .into_iter()
        .map(|resource| {
            // A `cloud: sim` scenario restores nothing in AWS: it drills no backup.
            let by: Vec<&Scenario> = scenarios
                .iter()
                .filter(|s| s.cloud == CloudKind::Aws && drills(s, &resource.arn, caller_account))
                .collect();
            let last_passed = results
                .iter()
                .filter(|r| r.outcome == Outcome::Passed && by.iter().any(|s| crate::due::counts(s, r)))
                .map(|r| r.started_at)
                .max();
            let status = match (drillable(&resource.resource_type), by.is_empty(), last_passed) {
                (false, true, _) => Status::NotDrillable,
                (_, true, _) => Status::NeverDrilled,
                (_, false, None) => Status::NeverPassed,
                (_, false, Some(_)) => Status::Passed,
            };
            Covered {
                drilled_by: by.iter().map(|s| s.name.clone()).collect(),
                resource,
                status,
                last_passed,
            }
        })
        .collect();
    covered.sort_by(|a, b| (a.status, &a.resource.arn).cmp(&(b.status, &b.resource.arn)));
    Coverage {
        as_of,
        regions,
        resources: covered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, region: &str, sources: &[&str]) -> Scenario {
        let restores: String = sources
            .iter()
            .enumerate()
            .map(|(i, s)| format!("  - id: r{i}\n    source: {s}\n"))
            .collect();
        let text = format!(
            "name: {name}\nowner: t@example.com\ncloud: aws\nregion: {region}\ntargets: {{ rto: 1h, rpo: 1d }}\nrestores:\n{restores}"
        );
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn resource(arn: &str, resource_type: &str) -> ProtectedResource {
        ProtectedResource {
            arn: arn.into(),
            resource_type: resource_type.into(),
            name: None,
            region: arn.split(':').nth(3).unwrap().into(),
            vaults: vec!["Default".into()],
            last_backup: None,
        }
    }

    fn passed(scenario: &str, at: &str, simulated: bool) -> DrillResult {
        let mut result: DrillResult = serde_json::from_str(include_str!(
            "../../tests/fixtures/report/history/orders-db/fd-orders-db-20241201T020800Z-zytgvj.json"
        ))
        .expect("a fixture result");
        result.scenario = scenario.into();
        result.started_at = at.parse().unwrap();
        result.outcome = Outcome::Passed;
        result.simulated = simulated;
        result
    }

    const DB: &str = "arn:aws:rds:eu-west-1:123456789012:db:orders-prod";
    const CLUSTER: &str = "arn:aws:rds:eu-west-1:123456789012:cluster:shop-aurora";
    const VOLUME: &str = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0abc12345678def01";
    const MACHINE: &str = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc12345678def01";

    #[test]
    fn each_source_kind_names_its_resource_in_its_region() {
        let cases = [
            ("{ rds_snapshot: { instance: orders-prod } }", DB),
            ("{ rds_point_in_time: { instance: orders-prod } }", DB),
            ("{ aurora_cluster_snapshot: { cluster: shop-aurora } }", CLUSTER),
            ("{ aurora_point_in_time: { cluster: shop-aurora } }", CLUSTER),
            ("{ ebs_snapshot: { volume: vol-0abc12345678def01 } }", VOLUME),
            (
                "{ aws_backup: { vault: Default, resource_arn: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc12345678def01' } }",
                MACHINE,
            ),
        ];
        for (source, arn) in cases {
            let s = scenario("s", "eu-west-1", &[source]);
            assert!(drills(&s, arn, None), "{source} drills {arn}");
            for other in [DB, CLUSTER, VOLUME, MACHINE].iter().filter(|o| **o != arn) {
                assert!(!drills(&s, other, None), "{source} does not drill {other}");
            }
            let elsewhere = scenario("s", "us-east-1", &[source]);
            assert_eq!(
                drills(&elsewhere, arn, None),
                source.contains("aws_backup"),
                "{source} in another region: only an ARN names a resource across regions"
            );
        }
    }

    #[test]
    fn a_name_in_another_account_is_another_resource() {
        let mut s = scenario("s", "eu-west-1", &["{ rds_snapshot: { instance: orders-prod } }"]);
        assert!(drills(&s, DB, Some("123456789012")));
        assert!(
            !drills(&s, DB, Some("210987654321")),
            "the caller's account is not the ARN's"
        );
        s.assume_role = Some("arn:aws:iam::210987654321:role/drills".into());
        assert!(
            !drills(&s, DB, Some("123456789012")),
            "the scenario drills in its role's account"
        );
        s.assume_role = Some("arn:aws:iam::123456789012:role/drills".into());
        assert!(drills(&s, DB, Some("210987654321")));
    }

    #[test]
    fn an_ami_or_a_snapshot_by_id_names_no_protected_resource() {
        let s = scenario(
            "s",
            "eu-west-1",
            &[
                "{ ami: { image: ami-0abc12345678def01 } }",
                "{ rds_snapshot: { snapshot: orders-1 } }",
            ],
        );
        assert!([DB, CLUSTER, VOLUME, MACHINE].iter().all(|arn| !drills(&s, arn, None)));
        assert!(!drills(&s, "not an arn", None));
    }

    #[test]
    fn a_simulated_scenario_drills_no_backup() {
        let mut sim = scenario("demo", "eu-west-1", &["{ rds_snapshot: { instance: orders-prod } }"]);
        sim.cloud = CloudKind::Sim;
        let coverage = assess(
            vec![resource(DB, "RDS")],
            vec!["eu-west-1".into()],
            &[sim],
            &[passed("demo", "2026-11-01T02:00:00Z", true)],
            "2026-12-01T00:00:00Z".parse().unwrap(),
            None,
        );
        assert_eq!(coverage.resources[0].status, Status::NeverDrilled);
        assert!(coverage.resources[0].drilled_by.is_empty());
    }

    #[test]
    fn resources_are_judged_worst_first_by_real_passes_only() {
        let scenarios = [
            scenario("orders", "eu-west-1", &["{ rds_snapshot: { instance: orders-prod } }"]),
            scenario(
                "shop",
                "eu-west-1",
                &["{ aurora_point_in_time: { cluster: shop-aurora } }"],
            ),
        ];
        let results = [
            passed("orders", "2026-11-01T02:00:00Z", false),
            passed("orders", "2026-11-15T02:00:00Z", false),
            // A rehearsal on the sim proves nothing about the cluster's backups.
            passed("shop", "2026-11-20T02:00:00Z", true),
        ];
        let coverage = assess(
            vec![
                resource(DB, "RDS"),
                resource(CLUSTER, "Aurora"),
                resource(VOLUME, "EBS"),
                resource("arn:aws:dynamodb:eu-west-1:123456789012:table/carts", "DynamoDB"),
            ],
            vec!["eu-west-1".into()],
            &scenarios,
            &results,
            "2026-12-01T00:00:00Z".parse().unwrap(),
            None,
        );
        let judged: Vec<(Status, &str, Vec<String>)> = coverage
            .resources
            .iter()
            .map(|c| (c.status, c.resource.arn.as_str(), c.drilled_by.clone()))
            .collect();
        assert_eq!(
            judged,
            [
                (Status::NeverDrilled, VOLUME, vec![]),
                (Status::NeverPassed, CLUSTER, vec!["shop".to_owned()]),
                (Status::Passed, DB, vec!["orders".to_owned()]),
                (
                    Status::NotDrillable,
                    "arn:aws:dynamodb:eu-west-1:123456789012:table/carts",
                    vec![]
                ),
            ]
        );
        assert_eq!(
            coverage.resources[2].last_passed,
            Some("2026-11-15T02:00:00Z".parse().unwrap())
        );
        assert_eq!(coverage.count(Status::NeverDrilled), 1);
    }
}

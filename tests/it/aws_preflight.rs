//! Preflight against moto: every problem found before anything is created, each saying
//! what to fix (a missing snapshot, a disabled or unknown KMS key, a missing AWS Backup
//! restore role, a request or a source's key the drill identity may not use), and nothing
//! created by it.

use firedrill::cloud::{Cloud, TAG_RUN_ID};

use crate::aws_drill::{load, seed_production};
use crate::moto;

fn scenario(kms_key: &str) -> String {
    format!(
        r#"
name: aws-preflight
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: {{ rto: 30m, rpo: 24h }}
region: us-east-1
restores:
  - id: orders-db
    source: {{ rds_snapshot: {{ instance: orders-prod, snapshot: latest }} }}
  - id: missing
    source: {{ rds_snapshot: {{ instance: no-such-db, snapshot: latest }} }}
  - id: encrypted
    source: {{ aurora_cluster_snapshot: {{ cluster: orders-aurora, snapshot: latest }} }}
    overrides: {{ kms_key: "{kms_key}" }}
  - id: from-backup
    source:
      aws_backup:
        vault: nightly
        resource_arn: arn:aws:rds:us-east-1:123456789012:db:orders-prod
        recovery_point: {{ arn: "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-1" }}
        restore_role: arn:aws:iam::123456789012:role/no-such-role
checks:
  - id: rows
    script: postgres-row-counts.sh
    needs: [orders-db]
    env: {{ TABLES: orders }}
"#
    )
}

#[tokio::test]
async fn preflight_reports_every_problem_at_once_and_creates_nothing() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    seed_production(&setup).await;
    let key = setup.kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();
    setup.kms.disable_key().key_id(&key).send().await.unwrap();
    let cloud = moto::cloud(&url);

    let report = cloud.preflight(&load(&scenario(&key)).scenario).await;
    let problems = report.problems.join("\n");
    assert!(report.identity.is_some_and(|i| i.contains("123456789012")));
    assert!(
        problems.contains("restore `missing`") && problems.contains("no-such-db"),
        "{problems}"
    );
    assert!(
        problems.contains(&format!("the KMS key {key} is Disabled")),
        "{problems}"
    );
    assert!(problems.contains("restore `from-backup`"), "{problems}");
    assert!(
        problems.contains("no-such-role") || problems.contains("recovery point"),
        "{problems}"
    );
    assert!(
        !problems.contains("restore `orders-db`"),
        "the good restore passes: {problems}"
    );

    let unknown = cloud
        .preflight(&load(&scenario("1234abcd-12ab-34cd-56ef-1234567890ab")).scenario)
        .await;
    assert!(
        unknown.problems.iter().any(|p| p.contains("does not exist")),
        "{:?}",
        unknown.problems
    );
    let created = cloud.list_by_tag(TAG_RUN_ID, None).await.unwrap();
    assert!(created.is_empty(), "preflight creates nothing: {created:?}");
    // moto has no SimulatePrincipalPolicy: said as a warning, never a problem.
    assert!(!problems.contains("may not"), "{problems}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("cannot simulate the drill identity's permissions")),
        "{:?}",
        report.warnings
    );
}

// The drill identity's permissions, simulated (moto has no SimulatePrincipalPolicy: the
// IAM client's simulations are answered by mocks shaped after the IAM API Reference, its
// other calls by moto).

use std::sync::{Arc, Mutex};

use aws_sdk_iam::operation::simulate_principal_policy::{
    SimulatePrincipalPolicyError, SimulatePrincipalPolicyInput, SimulatePrincipalPolicyOutput,
};
use aws_sdk_iam::types::{ContextKeyTypeEnum, EvaluationResult, PolicyEvaluationDecisionType};
use aws_smithy_mocks::mock;
use firedrill::cloud::aws::{AwsCloud, Clients};

/// The simulations asked for, as sent.
type Asked = Arc<Mutex<Vec<SimulatePrincipalPolicyInput>>>;

/// Results per page, few so that a drill's simulations take several pages.
const PAGE: usize = 10;

/// SimulatePrincipalPolicy as IAM answers it: every action on every resource (a cross
/// product), `decide` giving each decision, in pages of `PAGE` with `IsTruncated` and
/// `Marker`.
fn simulator(asked: &Asked, decide: fn(&str, &str) -> &'static str) -> aws_smithy_mocks::Rule {
    let asked = asked.clone();
    mock!(aws_sdk_iam::Client::simulate_principal_policy).then_compute_output(move |input| {
        asked.lock().unwrap().push(input.clone());
        let mut all = Vec::new();
        for action in input.action_names() {
            for resource in input.resource_arns() {
                let result = EvaluationResult::builder()
                    .eval_action_name(action)
                    .eval_resource_name(resource)
                    .eval_decision(PolicyEvaluationDecisionType::from(decide(action, resource)))
                    .build()
                    .unwrap();
                all.push(result);
            }
        }
        let start: usize = input.marker().map_or(0, |m| m.parse().unwrap());
        let end = (start + PAGE).min(all.len());
        SimulatePrincipalPolicyOutput::builder()
            .set_evaluation_results(Some(all[start..end].to_vec()))
            .is_truncated(end < all.len())
            .set_marker((end < all.len()).then(|| end.to_string()))
            .build()
    })
}

/// The AWS cloud on moto, its simulations answered by `rule`.
fn simulated_cloud(url: &str, rule: &aws_smithy_mocks::Rule) -> AwsCloud {
    let clients = Clients {
        iam: moto::iam_with_mocks(url, &[rule]),
        ..moto::clients(url)
    };
    AwsCloud::from_clients(clients, moto::REGION)
}

fn good_scenario(restores: &str) -> String {
    format!(
        r#"
name: aws-preflight
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: {{ rto: 30m, rpo: 24h }}
region: us-east-1
restores:
{restores}
checks:
  - id: rows
    script: postgres-row-counts.sh
    env: {{ TABLES: orders }}
"#
    )
}

const RDS_SNAPSHOT: &str =
    "  - id: orders-db\n    source: { rds_snapshot: { instance: orders-prod, snapshot: latest } }";

const SUBNETS: &str = "arn:aws:ec2:us-east-1:123456789012:subnet/*";

fn everything_allowed(_: &str, _: &str) -> &'static str {
    "allowed"
}

/// The entry of `key` in a simulation that asked about `action`.
fn entry(asked: &[SimulatePrincipalPolicyInput], action: &str, key: &str) -> (Option<ContextKeyTypeEnum>, Vec<String>) {
    let found = asked
        .iter()
        .filter(|i| i.action_names().iter().any(|a| a == action))
        .flat_map(|i| i.context_entries())
        .find(|e| e.context_key_name() == Some(key))
        .unwrap_or_else(|| panic!("no simulation of {action} with {key}"));
    (found.context_key_type().cloned(), found.context_key_values().to_vec())
}

#[tokio::test]
async fn preflight_simulates_the_drills_requests_and_passes_when_all_are_allowed() {
    let (_lock, url) = moto::moto().await;
    seed_production(&moto::setup_clients(&url)).await;
    let asked = Asked::default();
    let cloud = simulated_cloud(&url, &simulator(&asked, everything_allowed));

    let report = cloud.preflight(&load(&good_scenario(RDS_SNAPSHOT)).scenario).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(
        !report.warnings.iter().any(|w| w.contains("cannot simulate")),
        "{:?}",
        report.warnings
    );
    let asked = asked.lock().unwrap().clone();
    let actions: std::collections::BTreeSet<&str> = asked
        .iter()
        .flat_map(|i| i.action_names())
        .map(String::as_str)
        .collect();
    for planned in [
        "ec2:CreateVpc",
        "ec2:CreateVpcEndpoint",
        "ec2:RunInstances",
        "rds:CreateDBSubnetGroup",
        "rds:RestoreDBInstanceFromDBSnapshot",
        "iam:CreateRole",
        "iam:PassRole",
        "ssm:SendCommand",
        "ec2:DeleteVpc",
    ] {
        assert!(actions.contains(planned), "{planned} not simulated: {actions:?}");
    }
    assert!(!actions.contains("ec2:CreateVolume"), "no EBS restore: {actions:?}");
    assert!(
        asked
            .iter()
            .all(|i| i.policy_source_arn() == Some("arn:aws:iam::123456789012:user/moto"))
    );
    assert!(
        asked.iter().any(|i| i.marker().is_some()),
        "the results were read page by page"
    );
    let (kind, run_id) = entry(&asked, "ec2:CreateVpc", "aws:RequestTag/firedrill:run-id");
    assert_eq!(kind, Some(ContextKeyTypeEnum::String));
    assert!(run_id[0].starts_with("fd-aws-preflight-"), "{run_id:?}");
    let (kind, keys) = entry(&asked, "ec2:CreateVpc", "aws:TagKeys");
    assert_eq!(kind, Some(ContextKeyTypeEnum::StringList));
    assert!(keys.iter().any(|k| k == TAG_RUN_ID), "{keys:?}");
    let public = entry(&asked, "rds:RestoreDBInstanceFromDBSnapshot", "rds:PubliclyAccessible");
    assert_eq!(public, (Some(ContextKeyTypeEnum::Boolean), vec!["false".to_owned()]));
}

fn runner_subnet_denied(action: &str, resource: &str) -> &'static str {
    match (action, resource) {
        ("ec2:RunInstances", SUBNETS) => "implicitDeny",
        // Asked too (the call is a cross product) but never planned: not the drill's.
        ("ec2:CreateVpc", SUBNETS) => "explicitDeny",
        _ => "allowed",
    }
}

#[tokio::test]
async fn preflight_names_a_denied_action_and_resource_and_creates_nothing() {
    let (server, url) = moto::moto().await;
    seed_production(&moto::setup_clients(&url)).await;
    let asked = Asked::default();
    let cloud = simulated_cloud(&url, &simulator(&asked, runner_subnet_denied));

    let report = cloud.preflight(&load(&good_scenario(RDS_SNAPSHOT)).scenario).await;
    assert_eq!(
        report.problems,
        [format!(
            "the drill identity may not ec2:RunInstances on {SUBNETS} (implicitDeny): see docs/iam.md"
        )],
        "only the planned pair is reported"
    );
    let tagged = cloud.list_by_tag(TAG_RUN_ID, None).await.unwrap();
    assert!(tagged.is_empty(), "preflight creates nothing: {tagged:?}");
    let made = server.mutations();
    assert!(made.is_empty(), "preflight sends no mutating call: {made:?}");
    let vpcs = moto::setup_clients(&url).ec2.describe_vpcs().send().await.unwrap();
    assert!(
        vpcs.vpcs().iter().all(|v| v.is_default() == Some(true)),
        "no VPC but moto's default"
    );
}

#[tokio::test]
async fn a_caller_who_may_not_simulate_gets_a_warning_not_a_problem() {
    let (_lock, url) = moto::moto().await;
    seed_production(&moto::setup_clients(&url)).await;
    let refused = mock!(aws_sdk_iam::Client::simulate_principal_policy).then_error(|| {
        let meta = aws_sdk_iam::error::ErrorMetadata::builder()
            .code("AccessDenied")
            .message(
                "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:SimulatePrincipalPolicy",
            )
            .build();
        SimulatePrincipalPolicyError::generic(meta)
    });
    let cloud = simulated_cloud(&url, &refused);

    let report = cloud.preflight(&load(&good_scenario(RDS_SNAPSHOT)).scenario).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let warning = report
        .warnings
        .iter()
        .find(|w| w.contains("cannot simulate the drill identity's permissions"))
        .unwrap_or_else(|| panic!("{:?}", report.warnings));
    assert!(warning.contains("AccessDenied"), "{warning}");
    assert!(
        warning.contains("going on; AWS will refuse at creation what is not allowed"),
        "{warning}"
    );
}

fn create_grant_denied(action: &str, resource: &str) -> &'static str {
    if action == "kms:CreateGrant" && resource.contains(":key/") {
        "implicitDeny"
    } else {
        "allowed"
    }
}

#[tokio::test]
async fn a_source_encrypted_with_a_customer_key_the_identity_cannot_use_is_said_plainly() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, _) = seed_production(&setup).await;
    let key = setup.kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().arn().unwrap().to_owned();
    let plain = setup.ec2.create_snapshot().volume_id(&volume).send().await.unwrap();
    // moto keeps a snapshot's key only on a copy made with one.
    let copy = (setup.ec2.copy_snapshot())
        .source_snapshot_id(plain.snapshot_id().unwrap())
        .source_region(moto::REGION)
        .encrypted(true)
        .kms_key_id(&key)
        .send()
        .await
        .unwrap();
    let snapshot = copy.snapshot_id().unwrap().to_owned();
    let asked = Asked::default();
    let cloud = simulated_cloud(&url, &simulator(&asked, create_grant_denied));
    let restore = format!("  - id: files\n    source: {{ ebs_snapshot: {{ snapshot: {snapshot} }} }}");

    let report = cloud.preflight(&load(&good_scenario(&restore)).scenario).await;
    assert_eq!(
        report.problems,
        [format!(
            "the drill identity cannot use the KMS key {key} that encrypts restore `files`'s EBS snapshot \
             {snapshot}: grant kms:CreateGrant in the key policy or docs/iam-policy.json"
        )]
    );
    let (_, via) = entry(&asked.lock().unwrap(), "kms:CreateGrant", "kms:ViaService");
    assert_eq!(via, ["ec2.us-east-1.amazonaws.com"]);
}

/// Every kind of source firedrill restores itself, and check output to S3.
const EVERY_KIND: &str = r#"  - id: snap
    source: { rds_snapshot: { instance: orders-prod, snapshot: latest } }
  - id: pitr
    source: { rds_point_in_time: { instance: orders-prod } }
  - id: aurora
    source: { aurora_cluster_snapshot: { cluster: orders-aurora, snapshot: latest } }
  - id: aurora-pitr
    source: { aurora_point_in_time: { cluster: orders-aurora } }
  - id: files
    source: { ebs_snapshot: { snapshot: snap-0123456789abcdef0 } }
  - id: app
    source: { ami: { image: ami-0123456789abcdef0 } }
  - id: vault
    source:
      aws_backup:
        vault: nightly
        resource_arn: arn:aws:rds:us-east-1:123456789012:db:orders-prod
check_output: { s3_bucket: drill-output }"#;

#[test]
fn the_drill_policy_allows_every_request_preflight_plans() {
    use crate::iam_model::{self, eval::Decision};
    use firedrill::cloud::aws::simulate::{planned, preflight_tags};

    let scenario = load(&good_scenario(EVERY_KIND)).scenario;
    let tags = preflight_tags(&scenario, "2026-11-25T12:00:00Z".parse().unwrap());
    let planned = planned(&scenario, &iam_model::scope(), &tags);
    let policies = iam_model::policy_set(&[]);
    let denied: Vec<String> = planned
        .iter()
        .filter(|a| !matches!(iam_model::decide(&policies, a), Decision::Allowed { .. }))
        .map(|a| format!("{} on {}", a.action, a.resource))
        .collect();
    assert!(
        denied.is_empty(),
        "docs/iam-policy.json denies planned requests: {denied:#?}"
    );
    for action in [
        "iam:PutRolePolicy",
        "rds:RestoreDBClusterFromSnapshot",
        "backup:StartRestoreJob",
    ] {
        assert!(planned.iter().any(|a| a.action == action), "{action} planned");
    }
}

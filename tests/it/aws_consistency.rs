//! AWS as it answers and moto does not, on whole drills on the emulator
//! (tests/it/aws_rules.rs): EC2 answers ids it has just returned with their `…NotFound`
//! errors, filtered describes of fresh ids match nothing, RunInstances refuses the run's
//! instance profile as IAM has not propagated it yet, and an opted-in Local Zone is
//! listed first among the zones, each in AWS's own codes and words. The drill gets past
//! each, passes, leaves nothing and changes nothing in production.

use firedrill::measure::Outcome;

use crate::aws_drill::{
    assert_nothing_left, canned_outputs, cloud_with, drill, load, matrix_scenario, production, seed_production,
    ssm_rules,
};
use crate::aws_rules::{self, Rule};
use crate::moto;

/// The calls creating the isolated network, each answered once as for an id EC2 has
/// just returned and not yet propagated.
fn network_unseen_once() -> Vec<Rule> {
    let fresh_vpc = [
        "ModifyVpcAttribute",
        "CreateSubnet",
        "CreateSecurityGroup",
        "CreateVpcEndpoint",
    ]
    .map(|action| aws_rules::ec2_id_not_yet_visible(action, "InvalidVpcID.NotFound", 1));
    let fresh_group = [
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
    ]
    .map(|action| aws_rules::ec2_id_not_yet_visible(action, "InvalidGroup.NotFound", 1));
    let mut rules: Vec<Rule> = fresh_vpc.into_iter().chain(fresh_group).collect();
    rules.push(aws_rules::ec2_filter_sees_nothing_yet(
        "DescribeRouteTables",
        "association.main",
        "routeTableSet",
    ));
    rules
}

/// A drill of `matrix_scenario` (a database, a volume, the launched runner) with `rules`
/// on: it passes, nothing is left, production is unchanged; returns how often each rule
/// was given.
async fn drill_passes_despite(rules: &[Rule]) -> Vec<u32> {
    let (server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, image) = seed_production(&setup).await;
    let before = production(&setup).await;
    let watermark = jiff::Timestamp::now()
        .saturating_sub(jiff::SignedDuration::from_hours(1))
        .unwrap();
    let (ssm, _) = ssm_rules(canned_outputs(&watermark.to_string()));
    let ssm: Vec<&aws_smithy_mocks::Rule> = ssm.iter().collect();
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &ssm), None);
    server.emulate(rules);

    let result = drill(&cloud, &load(&matrix_scenario(&volume, &image))).await;

    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.reasons);
    assert_nothing_left(&cloud, &url, &result.run_id).await;
    assert_eq!(production(&setup).await, before, "production is unchanged");
    server.rules_given().into_iter().map(|(_, given)| given).collect()
}

/// Asserts that every answer of every rule was given.
fn all_given(given: &[u32], rules: &[Rule]) {
    let times: Vec<u32> = rules.iter().map(|r| r.times).collect();
    assert_eq!(given, times, "every emulated answer was given");
}

#[tokio::test]
async fn the_network_is_made_though_ec2_does_not_show_its_fresh_ids_at_first() {
    let rules = network_unseen_once();
    all_given(&drill_passes_despite(&rules).await, &rules);
}

#[tokio::test]
async fn a_restored_volume_ec2_does_not_show_yet_is_still_restoring() {
    // A fresh volume: by id EC2 answers it with InvalidVolume.NotFound, by filter with
    // nothing. The restore's first observation (by filter) and the first look before
    // attaching it (by id) each get that answer once.
    let rules = [
        aws_rules::ec2_id_not_yet_visible("DescribeVolumes", "InvalidVolume.NotFound", 1).matching("VolumeId.1="),
        aws_rules::ec2_filter_sees_nothing_yet("DescribeVolumes", "Filter.1.Name=volume-id", "volumeSet"),
    ];
    let given = drill_passes_despite(&rules).await;
    assert_eq!(given, [1, 1], "both looks were answered as for a fresh volume");
}

#[tokio::test]
async fn the_runner_launches_once_iam_has_propagated_its_fresh_profile() {
    let rules = [aws_rules::instance_profile_not_propagated(2)];
    all_given(&drill_passes_despite(&rules).await, &rules);
}

#[tokio::test]
async fn the_emulator_answers_a_rule_without_moto_acting_on_it_then_passes_calls_through() {
    let (server, url) = moto::moto().await;
    let ec2 = moto::setup_clients(&url).ec2;
    server.emulate(&[aws_rules::ec2_id_not_yet_visible(
        "CreateVpc",
        "InvalidParameterValue",
        1,
    )]);
    let refused = ec2.create_vpc().cidr_block("10.9.0.0/16").send().await;
    let code = refused.as_ref().err().and_then(|e| {
        use aws_sdk_ec2::error::ProvideErrorMetadata;
        e.code().map(str::to_owned)
    });
    assert_eq!(code.as_deref(), Some("InvalidParameterValue"), "{refused:?}");
    let cidrs = |vpcs: aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput| -> Vec<String> {
        vpcs.vpcs()
            .iter()
            .filter_map(|v| v.cidr_block().map(str::to_owned))
            .collect()
    };
    let after_refusal = cidrs(ec2.describe_vpcs().send().await.unwrap());
    assert!(
        !after_refusal.contains(&"10.9.0.0/16".to_owned()),
        "moto never saw it: {after_refusal:?}"
    );
    ec2.create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .expect("the rule is spent: moto answers");
    assert!(cidrs(ec2.describe_vpcs().send().await.unwrap()).contains(&"10.9.0.0/16".to_owned()));
    assert_eq!(
        server.rules_given(),
        [("CreateVpc before its id has propagated".to_owned(), 1)]
    );
}

#[tokio::test]
async fn an_opted_in_local_zone_that_sorts_first_is_not_given_a_subnet() {
    let rules = [aws_rules::local_zone_listed_first()];
    all_given(&drill_passes_despite(&rules).await, &rules);
}

#[tokio::test]
async fn a_database_restore_whose_answer_was_lost_is_found_made_when_asked_again() {
    let rules = [aws_rules::rds_answer_lost("RestoreDBInstanceFromDBSnapshot", 1)];
    all_given(&drill_passes_despite(&rules).await, &rules);
}

#[tokio::test]
async fn zones_an_endpoint_service_is_not_offered_in_are_not_given_subnets() {
    let (server, url) = moto::moto().await;
    let cloud = moto::cloud(&url);
    let services = ["ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms"];
    server.emulate(&[aws_rules::endpoint_service_not_in_zone(&services, "ssm", "us-east-1a")]);
    let tags = firedrill::cloud::Tags::from([(
        firedrill::cloud::TAG_RUN_ID.to_owned(),
        "fd-zones-20261204T120000Z-abcdef".to_owned(),
    )]);
    let environment = cloud
        .create_network(&firedrill::scenario::Isolation::default(), false, &tags, &|_| {})
        .await
        .unwrap();
    let setup = moto::setup_clients(&url).ec2;
    let subnets = setup
        .describe_subnets()
        .set_subnet_ids(Some(environment.subnet_ids.clone()))
        .send()
        .await
        .unwrap();
    let mut zones: Vec<&str> = subnets.subnets().iter().filter_map(|s| s.availability_zone()).collect();
    zones.sort();
    assert_eq!(zones, ["us-east-1b", "us-east-1c"], "ssm is not offered in us-east-1a");
    let given = server.rules_given();
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].1, 1);
}

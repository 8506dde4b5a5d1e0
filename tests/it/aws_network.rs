//! The AWS cloud's isolated environment against moto: created with everything tagged at
//! creation, verified isolated (and a route to the internet is caught), deleted through
//! the tag guard in teardown order, and a "production" VPC beside it left unchanged.

use std::cell::RefCell;

use firedrill::cloud::{CloudError, ResourceRef, ResourceType, TAG_RUN_ID, Tags};
use firedrill::scenario::Isolation;

use crate::moto::{self, REGION};

fn run_tags(run_id: &str) -> Tags {
    Tags::from([
        (TAG_RUN_ID.to_owned(), run_id.to_owned()),
        ("firedrill:scenario".to_owned(), "network".to_owned()),
    ])
}

/// A VPC that is not firedrill's, with a subnet, as production would have.
async fn production(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.1.0/24")
        .send()
        .await
        .unwrap();
    (vpc_id, subnet.subnet().unwrap().subnet_id().unwrap().to_owned())
}

/// A normalised view of production for before/after comparison.
async fn snapshot(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> String {
    let vpcs = ec2.describe_vpcs().vpc_ids(vpc_id).send().await.unwrap();
    let subnets = ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    format!("{:?}\n{:?}", vpcs.vpcs(), subnets.subnets())
}

#[tokio::test]
async fn the_isolated_network_is_created_tagged_verified_and_removed_without_touching_production() {
    let (server, url) = moto::moto().await;
    let cloud = moto::cloud(&url);
    let ec2 = moto::setup_clients(&url).ec2;
    let (prod_vpc, prod_subnet) = production(&ec2).await;
    let before = snapshot(&ec2, &prod_vpc).await;

    let run_id = "fd-network-20261125T120000Z-abcdef";
    let created = RefCell::new(Vec::new());
    let isolation = Isolation::default();
    let environment = cloud
        .create_network(&isolation, true, &run_tags(run_id), &|r| {
            created.borrow_mut().push(r.clone())
        })
        .await
        .unwrap();
    let created = created.into_inner();
    assert_eq!(created, environment.resources, "every resource reported as it was made");
    let count = |kind| created.iter().filter(|r| r.kind == kind).count();
    assert_eq!(count(ResourceType::Vpc), 1);
    assert_eq!(count(ResourceType::Subnet), usize::from(isolation.az_count));
    assert_eq!(
        count(ResourceType::VpcEndpoint),
        isolation.endpoints.len() + 1,
        "interface + S3 gateway"
    );
    assert_eq!(count(ResourceType::DbSubnetGroup), 1);
    for resource in &created {
        let tags = cloud.tags_of(resource).await.unwrap().unwrap_or_default();
        assert_eq!(
            tags.get(TAG_RUN_ID).map(String::as_str),
            Some(run_id),
            "{resource} tagged at creation"
        );
    }
    let report = cloud.verify_network(&environment).await.unwrap();
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    let mut found: Vec<ResourceRef> = cloud
        .tagged(TAG_RUN_ID, Some(run_id))
        .await
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    found.sort();
    let mut expected = created.clone();
    expected.sort();
    assert_eq!(found, expected, "found again by its tag, and nothing else");

    // A route out is caught: an internet gateway attached and routed.
    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw_id = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&environment.vpc_id)
        .send()
        .await
        .unwrap();
    let report = cloud.verify_network(&environment).await.unwrap();
    assert!(
        report.violations.iter().any(|v| v.contains("internet gateway")),
        "{:?}",
        report.violations
    );
    ec2.detach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&environment.vpc_id)
        .send()
        .await
        .unwrap();

    // So is a virtual private gateway with a route to it (what route propagation from
    // an organisation's VPN would add), whatever the route's destination.
    let vgw = ec2
        .create_vpn_gateway()
        .r#type(aws_sdk_ec2::types::GatewayType::Ipsec1)
        .send()
        .await
        .unwrap();
    let vgw_id = vgw.vpn_gateway().unwrap().vpn_gateway_id().unwrap().to_owned();
    ec2.attach_vpn_gateway()
        .vpn_gateway_id(&vgw_id)
        .vpc_id(&environment.vpc_id)
        .send()
        .await
        .unwrap();
    let tables = ec2
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&environment.vpc_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let table = tables.route_tables()[0].route_table_id().unwrap().to_owned();
    ec2.create_route()
        .route_table_id(&table)
        .destination_cidr_block("10.0.0.0/8")
        .gateway_id(&vgw_id)
        .send()
        .await
        .unwrap();
    let report = cloud.verify_network(&environment).await.unwrap();
    let said = report.violations.join("\n");
    assert!(said.contains("virtual private gateway"), "{said}");
    assert!(said.contains(&format!("routes 10.0.0.0/8 to {vgw_id}")), "{said}");
    ec2.delete_route()
        .route_table_id(&table)
        .destination_cidr_block("10.0.0.0/8")
        .send()
        .await
        .unwrap();
    ec2.detach_vpn_gateway()
        .vpn_gateway_id(&vgw_id)
        .vpc_id(&environment.vpc_id)
        .send()
        .await
        .unwrap();

    // The guard refuses production and another run's id, whatever the caller asks.
    let now = jiff::Timestamp::now();
    for foreign in [
        ResourceRef::new(ResourceType::Vpc, &prod_vpc),
        ResourceRef::new(ResourceType::Subnet, &prod_subnet),
    ] {
        let refused = cloud.delete_guarded(&foreign, run_id, now).await;
        assert!(matches!(refused, Err(CloudError::Refused(_))), "{foreign}: {refused:?}");
    }
    let not_ours = cloud
        .delete_guarded(&environment.resources[0], "fd-another-run", now)
        .await;
    assert!(matches!(not_ours, Err(CloudError::Refused(_))), "{not_ours:?}");

    // Teardown order: endpoints and the subnet group, then the group, subnets, the VPC.
    let mut order = created.clone();
    order.sort_by_key(|r| std::cmp::Reverse(r.kind.teardown_rank()));
    for resource in &order {
        cloud
            .delete_guarded(resource, run_id, now)
            .await
            .unwrap_or_else(|e| panic!("{resource}: {e}"));
    }
    for resource in &created {
        assert_eq!(cloud.tags_of(resource).await.unwrap(), None, "{resource} is gone");
    }
    assert!(
        cloud.tagged(TAG_RUN_ID, None).await.unwrap().is_empty(),
        "nothing tagged is left"
    );
    assert_eq!(snapshot(&ec2, &prod_vpc).await, before, "production is unchanged");
    let _ = REGION;
    // The test's own setup calls (production, the internet gateway) are recorded too.
    server.assert_authorized(&[]);
}

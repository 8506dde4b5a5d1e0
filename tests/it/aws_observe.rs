//! Observing restores in flight against moto: however many restores and kinds, one
//! DescribeDBInstances a round (standalone and Aurora instances together), and never
//! two observation calls to one service within a second, even in a round that needs
//! several (clusters, RDS's events, volumes and instances).

use firedrill::cloud::aws::cluster_instance_identifier;
use firedrill::cloud::{Cloud, ResourceRef, ResourceType, RestoreHandle, RestoreStatus};

use crate::moto;

/// The calls a round of observation makes, with their times.
const OBSERVATION: [&str; 6] = [
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "rds:DescribeEvents",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "backup:ListRestoreJobs",
];

async fn seed(setup: &firedrill::cloud::aws::Clients) -> Vec<RestoreHandle> {
    let mut handles = Vec::new();
    let started_at = jiff::Timestamp::now();
    let handle = |restore: &str, kind: ResourceType, id: &str| RestoreHandle {
        restore: restore.to_owned(),
        tracked: ResourceRef::new(kind, id),
        started_at,
        also_created: Vec::new(),
    };
    for i in 0..3 {
        let id = format!("copy-{i}");
        moto::postgres(&setup.rds, &id).send().await.unwrap();
        handles.push(handle(&format!("db-{i}"), ResourceType::DbInstance, &id));
    }
    for i in 0..2 {
        let cluster = format!("aurora-copy-{i}");
        setup
            .rds
            .create_db_cluster()
            .db_cluster_identifier(&cluster)
            .engine("aurora-postgresql")
            .master_username("admin")
            .master_user_password("not-a-real-password")
            .send()
            .await
            .unwrap();
        setup
            .rds
            .create_db_instance()
            .db_instance_identifier(cluster_instance_identifier(&cluster))
            .db_cluster_identifier(&cluster)
            .db_instance_class("db.r6g.large")
            .engine("aurora-postgresql")
            .send()
            .await
            .unwrap();
        handles.push(handle(&format!("aurora-{i}"), ResourceType::DbCluster, &cluster));
    }
    for i in 0..2 {
        let volume = setup
            .ec2
            .create_volume()
            .availability_zone("us-east-1a")
            .size(8)
            .send()
            .await
            .unwrap();
        handles.push(handle(
            &format!("volume-{i}"),
            ResourceType::Volume,
            volume.volume_id().unwrap(),
        ));
    }
    let images = setup.ec2.describe_images().owners("amazon").send().await.unwrap();
    let image = images.images()[0].image_id().unwrap().to_owned();
    let run = setup
        .ec2
        .run_instances()
        .image_id(&image)
        .min_count(2)
        .max_count(2)
        .send()
        .await
        .unwrap();
    for (i, instance) in run.instances().iter().enumerate() {
        handles.push(handle(
            &format!("app-{i}"),
            ResourceType::Instance,
            instance.instance_id().unwrap(),
        ));
    }
    handles
}

#[tokio::test]
async fn each_service_is_asked_once_a_round_per_kind_and_at_most_once_a_second() {
    let (server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let handles = seed(&setup).await;
    let cloud = moto::cloud(&url);
    for _ in 0..2 {
        let statuses = cloud.observe_restores(&handles).await.unwrap();
        let ready = statuses
            .iter()
            .filter(|s| matches!(s, RestoreStatus::Ready { .. }))
            .count();
        assert_eq!(ready, handles.len(), "moto's copies are all ready: {statuses:#?}");
    }
    let calls: Vec<(jiff::Timestamp, String)> = server
        .sequence()
        .into_iter()
        .filter(|(_, call)| OBSERVATION.contains(&call.as_str()))
        .collect();
    let count = |name: &str| calls.iter().filter(|(_, c)| c == name).count();
    assert_eq!(
        count("rds:DescribeDBInstances"),
        2,
        "3 instances and 2 Aurora members in one call a round: {calls:#?}"
    );
    assert_eq!(count("rds:DescribeDBClusters"), 2, "{calls:#?}");
    assert_eq!(count("ec2:DescribeVolumes"), 2, "{calls:#?}");
    assert_eq!(count("ec2:DescribeInstances"), 2, "{calls:#?}");
    for service in ["rds:", "ec2:"] {
        let times: Vec<jiff::Timestamp> = calls
            .iter()
            .filter(|(_, c)| c.starts_with(service))
            .map(|(at, _)| *at)
            .collect();
        assert!(times.len() >= 4, "{service} {calls:#?}");
        for pair in times.windows(2) {
            let gap = pair[1].duration_since(pair[0]);
            // The turns are kept on the monotonic clock; the recorder reads the wall clock.
            assert!(
                gap >= jiff::SignedDuration::from_millis(990),
                "two {service} observation calls {gap:#} apart: {calls:#?}"
            );
        }
    }
}

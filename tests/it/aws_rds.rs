//! RDS snapshot restores against moto: the newest snapshot of "production" found,
//! restored into the isolated network (private, tagged at creation), observed, deleted
//! through the tag guard; production's instance and snapshots unchanged.

use firedrill::cloud::aws::db_identifier;
use firedrill::cloud::{ResourceType, RestoreStatus, TAG_RUN_ID, Tags};
use firedrill::scenario::{Isolation, Overrides, RdsSnapshotSource};

use crate::moto;

async fn seed_production(rds: &aws_sdk_rds::Client) {
    moto::postgres(rds, "orders-prod").send().await.unwrap();
    for name in ["orders-prod-older", "orders-prod-newer"] {
        rds.create_db_snapshot()
            .db_instance_identifier("orders-prod")
            .db_snapshot_identifier(name)
            .send()
            .await
            .unwrap();
        // Snapshot times are whole seconds (at most now's): keep them apart.
        moto::past_the_second_of(jiff::Timestamp::now()).await;
    }
}

/// Production, normalised: ids, configuration, tags and state (not the times moto moves).
async fn production(rds: &aws_sdk_rds::Client) -> String {
    let instances = rds
        .describe_db_instances()
        .db_instance_identifier("orders-prod")
        .send()
        .await
        .unwrap();
    let snapshots = rds
        .describe_db_snapshots()
        .db_instance_identifier("orders-prod")
        .send()
        .await
        .unwrap();
    let instances: Vec<String> = instances
        .db_instances()
        .iter()
        .map(|i| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                i.db_instance_identifier(),
                i.db_instance_class(),
                i.engine(),
                i.db_instance_status(),
                i.vpc_security_groups(),
                i.deletion_protection(),
                i.tag_list()
            )
        })
        .collect();
    let snapshots: Vec<String> = snapshots
        .db_snapshots()
        .iter()
        .map(|s| {
            format!(
                "{:?} {:?} {:?} {:?}",
                s.db_snapshot_identifier(),
                s.status(),
                s.snapshot_create_time(),
                s.tag_list()
            )
        })
        .collect();
    format!("{instances:#?}\n{snapshots:#?}")
}

#[tokio::test]
async fn an_rds_snapshot_is_restored_privately_observed_and_removed() {
    let (server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url).rds;
    seed_production(&setup).await;
    let before = production(&setup).await;
    let cloud = moto::cloud(&url);
    let run_id = "fd-rds-20261125T120000Z-abcdef";
    let tags = Tags::from([(TAG_RUN_ID.to_owned(), run_id.to_owned())]);
    let environment = cloud
        .create_network(&Isolation::default(), true, &tags, &|_| {})
        .await
        .unwrap();

    let source = RdsSnapshotSource {
        instance: Some("orders-prod".into()),
        snapshot: "latest".into(),
    };
    let point = cloud.find_rds_snapshot(&source).await.unwrap();
    assert_eq!(point.id, "orders-prod-newer", "the newest available snapshot");
    let token = format!("{run_id}-orders-db");
    let restored = cloud
        .restore_rds_snapshot(&environment, &point.id, &token, &Overrides::default(), &tags)
        .await
        .unwrap();
    assert_eq!(restored.kind, ResourceType::DbInstance);
    assert_eq!(
        restored.id,
        db_identifier(&token),
        "named from the token, to be found again"
    );

    let described = setup
        .describe_db_instances()
        .db_instance_identifier(&restored.id)
        .send()
        .await
        .unwrap();
    let instance = &described.db_instances()[0];
    assert_ne!(instance.publicly_accessible(), Some(true), "never publicly accessible");
    assert_eq!(
        instance.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        environment.db_subnet_group.as_deref()
    );
    assert!(
        instance
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(TAG_RUN_ID) && t.value() == Some(run_id)),
        "tagged at creation"
    );

    let statuses = cloud
        .observe_db_instances(std::slice::from_ref(&restored.id), jiff::Timestamp::now())
        .await
        .unwrap();
    match &statuses[&restored.id] {
        RestoreStatus::Ready { outputs, .. } => {
            assert!(
                outputs.contains_key("endpoint") && outputs.contains_key("port"),
                "{outputs:?}"
            )
        }
        other => panic!("{other:?}"),
    }

    let now = jiff::Timestamp::now();
    let refused = cloud
        .delete_guarded(
            &firedrill::cloud::ResourceRef::new(ResourceType::DbInstance, "orders-prod"),
            run_id,
            now,
        )
        .await;
    assert!(refused.is_err(), "production is refused: {refused:?}");
    cloud.delete_guarded(&restored, run_id, now).await.unwrap();
    assert_eq!(cloud.tags_of(&restored).await.unwrap(), None);
    let mut rest = environment.resources.clone();
    rest.sort_by_key(|r| std::cmp::Reverse(r.kind.teardown_rank()));
    for resource in &rest {
        cloud.delete_guarded(resource, run_id, now).await.unwrap();
    }
    assert!(cloud.tagged(TAG_RUN_ID, None).await.unwrap().is_empty());
    assert_eq!(production(&setup).await, before, "production is unchanged");
    server.assert_authorized(&[]);
}

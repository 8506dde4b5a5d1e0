//! EBS snapshot and AMI restores against moto: found (newest completed snapshot; the
//! image), restored into the isolated network tagged at creation, observed, deleted
//! through the tag guard (terminated instances count as gone); production unchanged.

use firedrill::cloud::{ResourceRef, ResourceType, RestoreStatus, TAG_RUN_ID, Tags};
use firedrill::scenario::{AmiSource, EbsSnapshotSource, Isolation, Overrides};

use crate::moto;

struct Production {
    volume: String,
    instance: String,
    image: String,
}

/// Production: an instance, its AMI, and a volume encrypted with a customer managed key
/// (`kms_key`), snapshotted twice.
async fn seed(ec2: &aws_sdk_ec2::Client, kms_key: &str) -> Production {
    let images = ec2.describe_images().owners("amazon").send().await.unwrap();
    let base = images.images()[0].image_id().unwrap().to_owned();
    let run = ec2
        .run_instances()
        .image_id(&base)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let instance = run.instances()[0].instance_id().unwrap().to_owned();
    let image = ec2
        .create_image()
        .instance_id(&instance)
        .name("orders-app-nightly")
        .send()
        .await
        .unwrap()
        .image_id()
        .unwrap()
        .to_owned();
    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(8)
        // Not CreateVolume's default (gp2): the copy must be made as its source was.
        .volume_type(aws_sdk_ec2::types::VolumeType::Io2)
        .iops(3_000)
        .encrypted(true)
        .kms_key_id(kms_key)
        .send()
        .await
        .unwrap()
        .volume_id()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        ec2.create_snapshot().volume_id(&volume).send().await.unwrap();
        // Snapshot times are whole seconds (at most now's): keep them apart.
        moto::past_the_second_of(jiff::Timestamp::now()).await;
    }
    Production {
        volume,
        instance,
        image,
    }
}

/// Production, normalised: ids, configuration, tags and state.
async fn production(ec2: &aws_sdk_ec2::Client, p: &Production) -> String {
    let volumes = ec2.describe_volumes().volume_ids(&p.volume).send().await.unwrap();
    let snapshots = ec2.describe_snapshots().owner_ids("self").send().await.unwrap();
    let instances = ec2.describe_instances().instance_ids(&p.instance).send().await.unwrap();
    let images = ec2.describe_images().image_ids(&p.image).send().await.unwrap();
    let volumes: Vec<String> = volumes
        .volumes()
        .iter()
        .map(|v| format!("{:?} {:?} {:?} {:?}", v.volume_id(), v.size(), v.state(), v.tags()))
        .collect();
    let mut snapshots: Vec<String> = snapshots
        .snapshots()
        .iter()
        .map(|s| {
            format!(
                "{:?} {:?} {:?} {:?}",
                s.snapshot_id(),
                s.volume_id(),
                s.state(),
                s.tags()
            )
        })
        .collect();
    snapshots.sort();
    let instances: Vec<String> = instances
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| {
            format!(
                "{:?} {:?} {:?} {:?}",
                i.instance_id(),
                i.instance_type(),
                i.state().and_then(|s| s.name()),
                i.tags()
            )
        })
        .collect();
    let images: Vec<String> = images
        .images()
        .iter()
        .map(|i| format!("{:?} {:?} {:?}", i.image_id(), i.state(), i.tags()))
        .collect();
    format!("{volumes:#?}\n{snapshots:#?}\n{instances:#?}\n{images:#?}")
}

#[tokio::test]
async fn ebs_and_ami_restores_land_in_the_isolated_network_and_go() {
    let (server, url) = moto::moto().await;
    let clients = moto::setup_clients(&url);
    let key = clients.kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().arn().unwrap().to_owned();
    let setup = clients.ec2;
    let prod = seed(&setup, &key).await;
    let before = production(&setup, &prod).await;
    let cloud = moto::cloud(&url);
    let run_id = "fd-ec2-20261125T120000Z-abcdef";
    let tags = Tags::from([(TAG_RUN_ID.to_owned(), run_id.to_owned())]);
    let environment = cloud
        .create_network(&Isolation::default(), false, &tags, &|_| {})
        .await
        .unwrap();
    // No database to restore: no DB subnet group (which would need two zones).
    assert_eq!(environment.db_subnet_group, None);
    assert!(
        !server.mutations().iter().any(|(call, _)| call.starts_with("rds:")),
        "no RDS call"
    );

    let source = EbsSnapshotSource {
        volume: Some(prod.volume.clone()),
        snapshot: "latest".into(),
    };
    let point = cloud.find_ebs_snapshot(&source).await.unwrap();
    let snapshots = setup.describe_snapshots().owner_ids("self").send().await.unwrap();
    let newest = snapshots
        .snapshots()
        .iter()
        .max_by_key(|s| s.start_time().map(|t| t.secs()))
        .unwrap();
    assert_eq!(
        Some(point.id.as_str()),
        newest.snapshot_id(),
        "the newest completed snapshot"
    );
    let volume = cloud
        .restore_ebs_snapshot(
            &environment,
            &source,
            &point.id,
            &format!("{run_id}-files"),
            &Overrides::default(),
            &tags,
        )
        .await
        .unwrap();
    let copy = setup.describe_volumes().volume_ids(&volume.id).send().await.unwrap();
    let copy = &copy.volumes()[0];
    assert_eq!(
        copy.volume_type(),
        Some(&aws_sdk_ec2::types::VolumeType::Io2),
        "the source's type"
    );
    assert_eq!(copy.iops(), Some(3_000), "the source's IOPS");

    let image = cloud
        .find_ami(&AmiSource {
            image: prod.image.clone(),
        })
        .await
        .unwrap();
    let token = format!("{run_id}-app");
    let instance = cloud
        .launch_from_ami(&environment, &image.id, &token, &Overrides::default(), &tags)
        .await
        .unwrap();
    let described = setup
        .describe_instances()
        .instance_ids(&instance.id)
        .send()
        .await
        .unwrap();
    let launched = &described.reservations()[0].instances()[0];
    assert_eq!(launched.subnet_id(), environment.subnet_ids.first().map(String::as_str));
    assert_eq!(launched.public_ip_address(), None, "no public address");

    let statuses = cloud
        .observe_ec2(
            std::slice::from_ref(&volume.id),
            std::slice::from_ref(&instance.id),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    for id in [&volume.id, &instance.id] {
        assert!(
            matches!(statuses[id], RestoreStatus::Ready { .. }),
            "{id}: {:?}",
            statuses[id]
        );
    }
    for resource in [&volume, &instance] {
        let tags = cloud.tags_of(resource).await.unwrap().unwrap();
        assert_eq!(
            tags.get(TAG_RUN_ID).map(String::as_str),
            Some(run_id),
            "{resource} tagged at creation"
        );
    }

    let now = jiff::Timestamp::now();
    for foreign in [
        ResourceRef::new(ResourceType::Volume, &prod.volume),
        ResourceRef::new(ResourceType::Instance, &prod.instance),
    ] {
        assert!(
            cloud.delete_guarded(&foreign, run_id, now).await.is_err(),
            "{foreign} refused"
        );
    }
    cloud.delete_guarded(&instance, run_id, now).await.unwrap();
    cloud.delete_guarded(&volume, run_id, now).await.unwrap();
    assert_eq!(
        cloud.tags_of(&instance).await.unwrap(),
        None,
        "a terminated instance is gone"
    );
    let mut rest = environment.resources.clone();
    rest.sort_by_key(|r| std::cmp::Reverse(r.kind.teardown_rank()));
    for resource in &rest {
        cloud.delete_guarded(resource, run_id, now).await.unwrap();
    }
    assert!(
        cloud.tagged(TAG_RUN_ID, None).await.unwrap().is_empty(),
        "nothing live is tagged"
    );
    assert_eq!(production(&setup, &prod).await, before, "production is unchanged");
    server.assert_authorized(&[]);
}

#[tokio::test]
async fn an_instance_copy_s_own_volumes_are_found_to_be_tagged_and_deleted_with_it() {
    let (_server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url).ec2;
    let images = setup.describe_images().owners("amazon").send().await.unwrap();
    let image = images.images()[0].image_id().unwrap().to_owned();
    let launched = setup
        .run_instances()
        .image_id(&image)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let instance = launched.instances()[0].instance_id().unwrap().to_owned();
    let described = setup.describe_instances().instance_ids(&instance).send().await.unwrap();
    let attached: Vec<String> = described.reservations()[0].instances()[0]
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_owned))
        .collect();
    assert!(!attached.is_empty(), "moto gives the instance a root volume");
    let found = moto::cloud(&url).instance_volumes(&instance).await.unwrap();
    let found: Vec<String> = found.into_iter().map(|v| v.id).collect();
    assert_eq!(found, attached);
}

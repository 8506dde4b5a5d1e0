//! EC2 restores and the runner: an EBS snapshot (the newest completed one of a volume, or
//! a named one) becomes a volume in the isolated VPC's first zone, attached to the
//! runner before its first check; an AMI, and the runner, become instances in a private
//! subnet (no public IP, IMDSv2 only). All tagged at creation, instances started with
//! the token as ClientToken so a retry cannot start a second one.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, HttpTokensState, IamInstanceProfileSpecification, InstanceMetadataOptionsRequest, InstanceType,
    ResourceType as Ec2Type, TagSpecification,
};
use jiff::Timestamp;

use super::consistency::on_fresh_id;
use super::errors::classify;
use super::{AwsCloud, timestamp};
use crate::cloud::{CloudError, Environment, RecoveryPoint, ResourceRef, ResourceType, RestoreStatus, Tags};
use crate::scenario::{AmiSource, EbsSnapshotSource, LaunchedRunner, Overrides, ResourceKind};

fn spec(kind: Ec2Type, tags: &Tags) -> TagSpecification {
    let tags = tags
        .iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect();
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags))
        .build()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The instance type of a launched copy when the scenario names none.
const DEFAULT_INSTANCE_TYPE: &str = "t3.micro";

/// Where restored volumes are mounted (read-only) on the runner.
pub const MOUNT_ROOT: &str = "/mnt/firedrill";

/// The devices restored volumes are attached at, in order.
const DEVICES: &str = "fghijklmnop";

impl AwsCloud {
    /// The snapshot a source names: `latest` is the newest completed one of its volume.
    pub async fn find_ebs_snapshot(&self, source: &EbsSnapshotSource) -> Result<RecoveryPoint, CloudError> {
        let mut request = self.clients.ec2.describe_snapshots().owner_ids("self");
        request = match (source.snapshot.as_str(), &source.volume) {
            ("latest", Some(volume)) => request.filters(filter("volume-id", volume)),
            (snapshot, _) => request.snapshot_ids(snapshot),
        };
        let found = request
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeSnapshots", &e))?;
        let newest = found
            .snapshots()
            .iter()
            .filter(|s| s.state().map(|s| s.as_str()) == Some("completed"))
            .filter_map(|s| Some((timestamp(s.start_time())?, s.snapshot_id()?)))
            .max_by_key(|(started, _)| *started);
        let (data_time, id) = newest.ok_or_else(|| {
            CloudError::NotFound(format!(
                "no completed EBS snapshot for {}",
                source.volume.as_deref().unwrap_or(&source.snapshot)
            ))
        })?;
        Ok(RecoveryPoint {
            id: id.to_owned(),
            data_time,
            kind: ResourceKind::EbsVolume,
            point_in_time: false,
        })
    }

    /// A volume from the snapshot, in the zone of the environment's first subnet (where
    /// the runner is launched, so that it can be attached), of the source volume's type
    /// and performance (`volume_kind`), with the token as ClientToken so that a retried
    /// call cannot make a second volume.
    pub async fn restore_ebs_snapshot(
        &self,
        environment: &Environment,
        source: &EbsSnapshotSource,
        snapshot: &str,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let ec2 = &self.clients.ec2;
        let subnet = environment
            .subnet_ids
            .first()
            .ok_or(CloudError::Failed("no subnet".into()))?;
        let subnets = ec2
            .describe_subnets()
            .subnet_ids(subnet)
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeSubnets", &e))?;
        let zone = subnets
            .subnets()
            .first()
            .and_then(|s| s.availability_zone())
            .ok_or_else(|| CloudError::Failed(format!("subnet {subnet} has no zone")))?;
        let original = match &source.volume {
            Some(volume) => self.source_volume(volume).await?,
            None => None,
        };
        let kind = volume_kind(original.as_ref());
        let volume = ec2
            .create_volume()
            .snapshot_id(snapshot)
            .availability_zone(zone)
            .client_token(super::fit(token, 64))
            .volume_type(kind.volume_type)
            .set_iops(kind.iops)
            .set_throughput(kind.throughput)
            .set_kms_key_id(overrides.kms_key.clone())
            .set_encrypted(overrides.kms_key.as_ref().map(|_| true))
            .tag_specifications(spec(Ec2Type::Volume, tags))
            .send()
            .await
            .map_err(|e| classify("ec2:CreateVolume", &e))?;
        let id = volume.volume_id().unwrap_or_default();
        Ok(ResourceRef::new(ResourceType::Volume, id))
    }

    /// The source volume, if it still exists (a drill of a lost volume restores its
    /// snapshot all the same).
    async fn source_volume(&self, volume: &str) -> Result<Option<aws_sdk_ec2::types::Volume>, CloudError> {
        let found = self
            .clients
            .ec2
            .describe_volumes()
            .filters(Filter::builder().name("volume-id").values(volume).build())
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeVolumes", &e))?;
        Ok(found.volumes().first().cloned())
    }

    /// The EBS volumes attached to an instance (its block device mappings).
    pub async fn instance_volumes(&self, instance: &str) -> Result<Vec<ResourceRef>, CloudError> {
        let found = self
            .clients
            .ec2
            .describe_instances()
            .filters(Filter::builder().name("instance-id").values(instance).build())
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeInstances", &e))?;
        Ok(found
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.ebs().and_then(|e| e.volume_id()))
            .map(|id| ResourceRef::new(ResourceType::Volume, id))
            .collect())
    }

    /// The image a source names, with its creation time.
    pub async fn find_ami(&self, source: &AmiSource) -> Result<RecoveryPoint, CloudError> {
        let found = self
            .clients
            .ec2
            .describe_images()
            .image_ids(&source.image)
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeImages", &e))?;
        let image = found
            .images()
            .iter()
            .find(|i| i.state().map(|s| s.as_str()) == Some("available"))
            .ok_or_else(|| CloudError::NotFound(format!("no available image {}", source.image)))?;
        let created = image
            .creation_date()
            .and_then(|d| d.parse::<Timestamp>().ok())
            .ok_or_else(|| CloudError::Failed(format!("image {} has no creation date", source.image)))?;
        Ok(RecoveryPoint {
            id: source.image.clone(),
            data_time: created,
            kind: ResourceKind::Ec2Instance,
            point_in_time: false,
        })
    }

    /// An instance from the image in the first private subnet.
    pub async fn launch_from_ami(
        &self,
        environment: &Environment,
        image: &str,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let instance_type = overrides.instance_type.as_deref().unwrap_or(DEFAULT_INSTANCE_TYPE);
        let profile = environment.instance_profile.as_deref();
        self.launch(environment, image, instance_type, profile, token, tags)
            .await
    }

    /// The runner: a small instance from the scenario's image (an SSM public parameter
    /// resolved first) with the run's SSM-only profile, or the scenario's own.
    pub async fn launch_runner(
        &self,
        environment: &Environment,
        runner: &LaunchedRunner,
        token: &str,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let image = self.resolve_image(&runner.ami).await?;
        let profile = runner
            .instance_profile
            .as_deref()
            .or(environment.instance_profile.as_deref());
        self.launch(environment, &image, &runner.instance_type, profile, token, tags)
            .await
    }

    /// RunInstances into the first private subnet: no public IP, IMDSv2 only, tagged at
    /// creation (instance and its volumes), the token as ClientToken so that a retry
    /// cannot start a second instance. The run's own profile, made moments ago, may not be
    /// usable yet (see `profile_not_yet_visible`): that answer is retried for two minutes;
    /// a profile the scenario names fails at once.
    async fn launch(
        &self,
        environment: &Environment,
        image: &str,
        instance_type: &str,
        profile: Option<&str>,
        token: &str,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let subnet = environment
            .subnet_ids
            .first()
            .ok_or(CloudError::Failed("no subnet".into()))?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
        let just_made = profile.is_some() && profile == environment.instance_profile.as_deref();
        loop {
            let launched = self
                .clients
                .ec2
                .run_instances()
                .image_id(image)
                .instance_type(InstanceType::from(instance_type))
                .min_count(1)
                .max_count(1)
                .subnet_id(subnet)
                .security_group_ids(&environment.security_group_id)
                .client_token(super::fit(token, 64))
                .set_iam_instance_profile(
                    profile.map(|name| IamInstanceProfileSpecification::builder().name(name).build()),
                )
                .metadata_options(
                    InstanceMetadataOptionsRequest::builder()
                        .http_tokens(HttpTokensState::Required)
                        .build(),
                )
                .tag_specifications(spec(Ec2Type::Instance, tags))
                .tag_specifications(spec(Ec2Type::Volume, tags))
                // Tagged at launch like the rest: the drill policy allows creating a
                // network interface only with the run's tags (docs/iam.md).
                .tag_specifications(spec(Ec2Type::NetworkInterface, tags))
                .send()
                .await
                .map_err(|e| classify("ec2:RunInstances", &e));
            match launched {
                Ok(launched) => {
                    let id = launched
                        .instances()
                        .first()
                        .and_then(|i| i.instance_id())
                        .ok_or_else(|| CloudError::Failed("RunInstances returned no instance".into()))?;
                    return Ok(ResourceRef::new(ResourceType::Instance, id));
                }
                Err(CloudError::Failed(message))
                    if just_made && profile_not_yet_visible(&message) && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(self.waits.poll.max(std::time::Duration::from_millis(100))).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Where a volume's attachment to `instance` stands (a fresh volume is asked again
    /// while EC2 does not know it yet: consistency.rs).
    async fn volume_attachment(&self, volume: &str, instance: &str) -> Result<Attachment, CloudError> {
        let described = on_fresh_id(self.waits.poll, || async {
            self.clients
                .ec2
                .describe_volumes()
                .volume_ids(volume)
                .send()
                .await
                .map_err(|e| classify("ec2:DescribeVolumes", &e))
        })
        .await?;
        Ok(attachment(described.volumes().first(), volume, instance))
    }

    /// Attaches the restored volumes not yet attached to the runner, each at the device
    /// it was given, and waits until each is in use; returns every attached volume with
    /// its device, for the command that mounts them.
    pub async fn attach_volumes(&self, instance: &str) -> Result<Vec<(String, String)>, CloudError> {
        let pending: Vec<(String, String)> = self
            .attached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(volume, device)| (volume.clone(), device.clone()))
            .collect();
        for (volume, device) in &pending {
            if self.volume_attachment(volume, instance).await? == Attachment::Attached {
                continue;
            }
            on_fresh_id(self.waits.poll, || async {
                self.clients
                    .ec2
                    .attach_volume()
                    .volume_id(volume)
                    .instance_id(instance)
                    .device(device)
                    .send()
                    .await
                    .map_err(|e| classify("ec2:AttachVolume", &e))
            })
            .await?;
            // The check's own timeout bounds this wait; an attachment that cannot happen
            // ends it at once.
            loop {
                match self.volume_attachment(volume, instance).await? {
                    Attachment::Attached => break,
                    Attachment::Pending => tokio::time::sleep(self.waits.poll).await,
                    Attachment::Impossible(why) => return Err(CloudError::Failed(why)),
                }
            }
        }
        Ok(pending)
    }

    /// The state of many volumes and instances, one describe each per poll; an id EC2
    /// does not show is absent from the answer.
    pub async fn observe_ec2(
        &self,
        volumes: &[String],
        instances: &[String],
        now: Timestamp,
    ) -> Result<BTreeMap<String, RestoreStatus>, CloudError> {
        let ec2 = &self.clients.ec2;
        let mut statuses = BTreeMap::new();
        if !volumes.is_empty() {
            self.pace.turn("ec2").await;
            // By filter, not by id: an id EC2 does not show yet is left out rather than
            // failing the whole call (consistency.rs), and the caller decides what its
            // absence means.
            let found = ec2
                .describe_volumes()
                .filters(
                    Filter::builder()
                        .name("volume-id")
                        .set_values(Some(volumes.to_vec()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| classify("ec2:DescribeVolumes", &e))?;
            for volume in found.volumes() {
                let Some(id) = volume.volume_id() else { continue };
                let state = volume.state().map(|s| s.as_str()).unwrap_or("");
                let status = match state_verdict(ResourceType::Volume, state) {
                    StateVerdict::Ready => {
                        let device = self.device_for(id);
                        let mount_path = format!("{MOUNT_ROOT}/{id}");
                        ready(
                            ResourceType::Volume,
                            id,
                            now,
                            &[("volume_id", id), ("device", &device), ("mount_path", &mount_path)],
                        )
                    }
                    StateVerdict::Failed => RestoreStatus::Failed {
                        message: format!("volume {id} is {state}"),
                    },
                    StateVerdict::Waiting => RestoreStatus::Running { expected_minutes: None },
                };
                statuses.insert(id.to_owned(), status);
            }
        }
        if !instances.is_empty() {
            self.pace.turn("ec2").await;
            let found = ec2
                .describe_instances()
                .filters(
                    Filter::builder()
                        .name("instance-id")
                        .set_values(Some(instances.to_vec()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| classify("ec2:DescribeInstances", &e))?;
            for instance in found.reservations().iter().flat_map(|r| r.instances()) {
                let Some(id) = instance.instance_id() else { continue };
                let ip = instance.private_ip_address().unwrap_or_default();
                let dns = instance.private_dns_name().unwrap_or_default();
                let state = instance
                    .state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str())
                    .unwrap_or("");
                let status = match state_verdict(ResourceType::Instance, state) {
                    StateVerdict::Ready => ready(
                        ResourceType::Instance,
                        id,
                        now,
                        &[("instance_id", id), ("private_ip", ip), ("private_dns", dns)],
                    ),
                    StateVerdict::Failed => RestoreStatus::Failed {
                        message: format!("instance {id} is {state}"),
                    },
                    StateVerdict::Waiting => RestoreStatus::Running { expected_minutes: None },
                };
                statuses.insert(id.to_owned(), status);
            }
        }
        Ok(statuses)
    }
}

impl AwsCloud {
    /// The device a restored volume is (to be) attached at, given once, in order.
    fn device_for(&self, volume: &str) -> String {
        let mut attached = self.attached.lock().unwrap_or_else(|p| p.into_inner());
        let next = attached.len();
        attached
            .entry(volume.to_owned())
            .or_insert_with(|| {
                let letter = DEVICES.chars().nth(next % DEVICES.len()).unwrap_or('f');
                format!("/dev/sd{letter}")
            })
            .clone()
    }
}

/// What a restored copy's state says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StateVerdict {
    Ready,
    Waiting,
    /// It will not become ready by itself.
    Failed,
}

/// The verdict on a restored volume's or instance's state. Checked against the SDK
/// waiters' acceptors (VolumeAvailable, InstanceRunning) in waiter_conformance.rs: the
/// same successes and failures, plus `error` for a volume and `stopped` for an
/// instance, which the waiters leave to time out (docs/aws.md lists the differences).
pub(super) fn state_verdict(kind: ResourceType, state: &str) -> StateVerdict {
    match (kind, state) {
        (ResourceType::Volume, "available" | "in-use") | (ResourceType::Instance, "running") => StateVerdict::Ready,
        (ResourceType::Volume, "error" | "deleting" | "deleted")
        | (ResourceType::Instance, "shutting-down" | "terminated" | "stopping" | "stopped") => StateVerdict::Failed,
        _ => StateVerdict::Waiting,
    }
}

/// Where attaching a volume to the runner stands.
#[derive(Debug, Clone, PartialEq)]
enum Attachment {
    /// In use, attached to the runner.
    Attached,
    /// Still on its way (attaching, or not yet asked).
    Pending,
    /// It cannot happen: why.
    Impossible(String),
}

/// Reads a described volume: attached when it is `in-use` with the runner's attachment
/// `attached`; impossible when the volume is gone, in a state a restore fails on
/// (`state_verdict`), or attached to another instance (volume states and attachment states of DescribeVolumes,
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Volume.html and
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VolumeAttachment.html).
fn attachment(found: Option<&aws_sdk_ec2::types::Volume>, volume: &str, instance: &str) -> Attachment {
    use aws_sdk_ec2::types::{VolumeAttachmentState, VolumeState};
    let Some(found) = found else {
        return Attachment::Impossible(format!("volume {volume} is gone"));
    };
    let attachments = found.attachments();
    if let Some(other) = attachments
        .iter()
        .find_map(|a| a.instance_id().filter(|id| *id != instance))
    {
        return Attachment::Impossible(format!("volume {volume} is attached to {other}, not the runner"));
    }
    let here = attachments.iter().find(|a| a.instance_id() == Some(instance));
    match (found.state(), here.and_then(|a| a.state())) {
        (Some(VolumeState::InUse), Some(VolumeAttachmentState::Attached)) => Attachment::Attached,
        // The volume states a restore fails on (error, deleting, deleted).
        (Some(state), _) if state_verdict(ResourceType::Volume, state.as_str()) == StateVerdict::Failed => {
            Attachment::Impossible(format!("volume {volume} is {}", state.as_str()))
        }
        _ => Attachment::Pending,
    }
}

/// The type and performance of a restored volume.
#[derive(Debug, Clone, PartialEq)]
struct VolumeKind {
    volume_type: aws_sdk_ec2::types::VolumeType,
    iops: Option<i32>,
    throughput: Option<i32>,
}

/// What a restored volume is made as: its source's type, with the source's provisioned
/// IOPS and throughput where the type takes them (io1, io2 and gp3 IOPS; gp3
/// throughput); gp3 when the source is gone. A snapshot does not record the type it was
/// taken from, and CreateVolume's own default is gp2
/// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html): a
/// drill would measure a slower disk than production's.
fn volume_kind(source: Option<&aws_sdk_ec2::types::Volume>) -> VolumeKind {
    use aws_sdk_ec2::types::VolumeType;
    let Some(source) = source else {
        return VolumeKind {
            volume_type: VolumeType::Gp3,
            iops: None,
            throughput: None,
        };
    };
    let volume_type = source.volume_type().cloned().unwrap_or(VolumeType::Gp3);
    let takes_iops = matches!(volume_type, VolumeType::Io1 | VolumeType::Io2 | VolumeType::Gp3);
    VolumeKind {
        iops: source.iops().filter(|_| takes_iops),
        throughput: source.throughput().filter(|_| volume_type == VolumeType::Gp3),
        volume_type,
    }
}

/// Whether RunInstances refused an instance profile EC2 cannot see yet. IAM is eventually
/// consistent ("Changes that I make are not always immediately visible",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency),
/// and EC2 answers a profile it does not know yet as it answers one that does not exist:
/// `InvalidParameterValue: Value (NAME) for parameter iamInstanceProfile.name is invalid.
/// Invalid IAM Instance Profile name` (`iamInstanceProfile.arn` when given by ARN).
fn profile_not_yet_visible(error: &str) -> bool {
    error.contains("InvalidParameterValue") && error.contains("iamInstanceProfile.")
}

fn ready(kind: ResourceType, id: &str, now: Timestamp, outputs: &[(&str, &str)]) -> RestoreStatus {
    let mut map: BTreeMap<String, String> = outputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.insert("id".to_owned(), id.to_owned());
    RestoreStatus::Ready {
        resource: ResourceRef::new(kind, id),
        completed_at: now,
        outputs: map,
        also_created: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attachment_is_done_pending_or_impossible_as_ec2_says() {
        use aws_sdk_ec2::types::{Volume, VolumeAttachment, VolumeAttachmentState, VolumeState};
        let volume = |state: VolumeState, on: Option<(&str, VolumeAttachmentState)>| {
            let mut v = Volume::builder().volume_id("vol-1").state(state);
            if let Some((instance, attachment)) = on {
                v = v.attachments(
                    VolumeAttachment::builder()
                        .instance_id(instance)
                        .state(attachment)
                        .build(),
                );
            }
            v.build()
        };
        let check = |v: Option<&Volume>| attachment(v, "vol-1", "i-runner");
        let attached = volume(VolumeState::InUse, Some(("i-runner", VolumeAttachmentState::Attached)));
        assert_eq!(check(Some(&attached)), Attachment::Attached);
        let attaching = volume(VolumeState::InUse, Some(("i-runner", VolumeAttachmentState::Attaching)));
        assert_eq!(check(Some(&attaching)), Attachment::Pending);
        assert_eq!(check(Some(&volume(VolumeState::Available, None))), Attachment::Pending);
        for impossible in [
            volume(VolumeState::Error, None),
            volume(VolumeState::Deleting, None),
            volume(VolumeState::InUse, Some(("i-other", VolumeAttachmentState::Attached))),
        ] {
            assert!(
                matches!(check(Some(&impossible)), Attachment::Impossible(_)),
                "{impossible:?}"
            );
        }
        assert!(matches!(check(None), Attachment::Impossible(_)));
    }

    #[test]
    fn a_restored_volume_is_of_its_source_type_and_performance_or_gp3() {
        use aws_sdk_ec2::types::{Volume, VolumeType};
        let io2 = Volume::builder().volume_type(VolumeType::Io2).iops(16_000).build();
        assert_eq!(
            volume_kind(Some(&io2)),
            VolumeKind {
                volume_type: VolumeType::Io2,
                iops: Some(16_000),
                throughput: None
            }
        );
        let gp3 = Volume::builder()
            .volume_type(VolumeType::Gp3)
            .iops(6_000)
            .throughput(500)
            .build();
        assert_eq!(volume_kind(Some(&gp3)).throughput, Some(500));
        // gp2's IOPS follow its size: CreateVolume refuses them.
        let gp2 = Volume::builder().volume_type(VolumeType::Gp2).iops(300).build();
        assert_eq!(volume_kind(Some(&gp2)).iops, None);
        assert_eq!(volume_kind(None).volume_type, VolumeType::Gp3);
    }

    #[test]
    fn a_profile_ec2_cannot_see_yet_is_told_by_aws_own_answer() {
        // The answer AWS gives, as CloudError::Failed carries it (errors.rs).
        let aws = "ec2:RunInstances: InvalidParameterValue: Value (fd-demo-runner) for parameter \
                   iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name";
        assert!(profile_not_yet_visible(aws));
        let by_arn = "ec2:RunInstances: InvalidParameterValue: Value (arn:aws:iam::123456789012:instance-profile/x) \
                      for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN";
        assert!(profile_not_yet_visible(by_arn));
        for other in [
            "ec2:RunInstances: InvalidParameterValue: Value (t9.huge) for parameter instanceType is invalid.",
            "ec2:RunInstances: Unsupported: The requested configuration is currently not supported.",
            "ec2:RunInstances: InvalidAMIID.NotFound: The image id '[ami-1]' does not exist",
        ] {
            assert!(!profile_not_yet_visible(other), "{other}");
        }
    }
}

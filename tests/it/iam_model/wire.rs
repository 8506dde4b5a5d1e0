//! From the requests as sent on the wire (query-protocol forms for EC2, RDS, IAM and STS;
//! JSON for SSM, KMS and AWS Backup; REST paths for S3 and AWS Backup) to the arguments
//! of firedrill's own derivation (`firedrill::cloud::aws::authorization`), with a world
//! that learns, from the requests and their answers, which resources the test created
//! and with which tags: everything else is production, untagged.

use std::collections::BTreeMap;

use firedrill::cloud::Tags;
use firedrill::cloud::aws::authorization::{self as auth, Authorization, Existing, Scope};

use super::Recorded;

/// A request's parameters, flattened (`TagSpecification.1.Tag.1.Key` → value).
pub type Params = BTreeMap<String, String>;

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (b'+', None) => out.push(b' '),
            (byte, None) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query-protocol body (or a JSON body, flattened the same way).
pub fn params(body: &str) -> Params {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let mut out = Params::new();
        flatten("", &json, &mut out);
        return out;
    }
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Params) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| flatten(&join(k), v, out)),
        serde_json::Value::Array(list) => list
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&join(&(i + 1).to_string()), v, out)),
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The values of a list parameter (`SubnetId.1`, `SubnetId.2`, … or `InstanceIds.1`, …).
fn list(params: &Params, name: &str) -> Vec<String> {
    (1..)
        .map_while(|i| params.get(&format!("{name}.{i}")).cloned())
        .collect()
}

/// Tags of a query request: `Tags.member.N.Key` (IAM), `Tags.Tag.N.Key` (RDS), `Tag.N.Key`
/// (EC2 CreateTags), or within one `TagSpecification.N` of the given resource type.
fn tags(params: &Params, prefix: &str) -> Tags {
    let mut out = Tags::new();
    for i in 1.. {
        let key = format!("{prefix}.{i}.Key");
        let Some(k) = params.get(&key) else { break };
        let value = params.get(&format!("{prefix}.{i}.Value")).cloned().unwrap_or_default();
        out.insert(k.clone(), value);
    }
    out
}

fn request_tags(params: &Params) -> Tags {
    ["Tags.member", "Tags.Tag", "Tag", "Tags"]
        .iter()
        .map(|prefix| tags(params, prefix))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// EC2's TagSpecifications: the resource types tagged and their tags.
fn tag_specifications(params: &Params) -> BTreeMap<String, Tags> {
    (1..)
        .map_while(|i| {
            let kind = params.get(&format!("TagSpecification.{i}.ResourceType"))?;
            Some((kind.clone(), tags(params, &format!("TagSpecification.{i}.Tag"))))
        })
        .collect()
}

/// The XML elements named `element` in an answer.
fn elements(body: &str, element: &str) -> Vec<String> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    body.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next().map(str::to_owned))
        .collect()
}

/// What the test's requests created, and the tags and boundaries they carry.
#[derive(Default, Debug)]
pub struct World {
    /// Tags by resource id (EC2 ids, RDS identifiers, IAM names).
    pub tags: BTreeMap<String, Tags>,
    /// Permissions boundaries of roles the test created, by role name.
    pub boundaries: BTreeMap<String, String>,
    /// IAM paths by role or profile name.
    pub paths: BTreeMap<String, String>,
    /// Customer managed keys of snapshots, by snapshot id.
    pub keys: BTreeMap<String, String>,
}

impl World {
    fn tags_of(&self, id: &str) -> Tags {
        self.tags.get(id).cloned().unwrap_or_default()
    }

    fn learn(&mut self, id: &str, tags: &Tags) {
        self.tags.entry(id.to_owned()).or_default().extend(tags.clone());
    }

    /// An EC2 resource by id, with what the world knows of its tags.
    pub fn ec2(&self, scope: &Scope, id: &str) -> Existing {
        let kind = match id.split('-').next().unwrap_or("") {
            "vpc" => "vpc",
            "subnet" => "subnet",
            "sg" => "security-group",
            "vol" => "volume",
            "i" => "instance",
            "vpce" => "vpc-endpoint",
            "rtb" => "route-table",
            "eni" => "network-interface",
            "snap" => return Existing::new(scope.ec2_unowned("snapshot", id), self.tags_of(id)),
            "ami" => return Existing::new(scope.ec2_unowned("image", id), self.tags_of(id)),
            _ => "unknown",
        };
        Existing::new(scope.ec2(kind, id), self.tags_of(id))
    }

    /// An RDS resource by identifier or ARN.
    pub fn rds(&self, scope: &Scope, kind: &str, id: &str) -> Existing {
        let name = id.rsplit(':').next().unwrap_or(id);
        let arn = if id.starts_with("arn:") {
            id.to_owned()
        } else {
            scope.rds(kind, name)
        };
        Existing::new(arn, self.tags_of(name))
    }

    fn role(&self, scope: &Scope, name: &str) -> Existing {
        let path = self.paths.get(name).map(String::as_str).unwrap_or("/");
        Existing::new(scope.iam("role", path, name), self.tags_of(name))
    }

    fn profile(&self, scope: &Scope, name: &str) -> Existing {
        let path = self.paths.get(name).map(String::as_str).unwrap_or("/");
        Existing::new(
            scope.iam("instance-profile", path, name),
            self.tags_of(&format!("profile:{name}")),
        )
    }

    /// Learns from an answer what a request made or described.
    fn learn_from_answer(&mut self, operation: &str, params: &Params, answer: &str) {
        match operation {
            "ec2:DescribeSnapshots" => {
                for item in answer.split("<item>").skip(1) {
                    let id = elements(item, "snapshotId");
                    let key = elements(item, "kmsKeyId");
                    if let (Some(id), Some(key)) = (id.first(), key.first()) {
                        self.keys.insert(id.clone(), key.clone());
                    }
                }
            }
            "rds:DescribeDBSnapshots" | "rds:DescribeDBClusterSnapshots" => {
                for item in answer.split("Snapshot>").skip(1) {
                    let id = [
                        elements(item, "DBSnapshotIdentifier"),
                        elements(item, "DBClusterSnapshotIdentifier"),
                    ]
                    .concat();
                    let key = elements(item, "KmsKeyId");
                    if let (Some(id), Some(key)) = (id.first(), key.first()) {
                        self.keys.insert(id.clone(), key.clone());
                    }
                }
            }
            _ => {}
        }
        let created: &[&str] = match operation {
            "ec2:CreateVpc" => &["vpcId"],
            "ec2:CreateSubnet" => &["subnetId"],
            "ec2:CreateSecurityGroup" => &["groupId"],
            "ec2:CreateVpcEndpoint" => &["vpcEndpointId"],
            "ec2:CreateVolume" => &["volumeId"],
            "ec2:RunInstances" => &["instanceId", "networkInterfaceId"],
            _ => &[],
        };
        let specs = tag_specifications(params);
        let tags = specs.values().next().cloned().unwrap_or_default();
        for element in created {
            for id in elements(answer, element) {
                self.learn(&id, &tags);
            }
        }
    }
}

fn bool_param(params: &Params, name: &str) -> Option<bool> {
    params.get(name).map(|v| v == "true")
}

/// The AWS action a recorded operation is authorized as (where the names differ).
fn action_of(operation: &str) -> &str {
    match operation {
        "s3:ListObjectsV2" => "s3:ListBucket",
        "s3:HeadObject" => "s3:GetObject",
        other => other,
    }
}

/// A customer managed key, when the world knows one for this snapshot or the request names one.
fn key_of(world: &World, params: &Params, snapshot: &str) -> Option<String> {
    params
        .get("KmsKeyId")
        .cloned()
        .or_else(|| world.keys.get(snapshot.rsplit(':').next().unwrap_or(snapshot)).cloned())
}

/// The authorizations of one recorded request; `Err` for one the model cannot derive.
pub fn derive(scope: &Scope, world: &mut World, request: &Recorded) -> Result<Vec<Authorization>, String> {
    let params = params(&request.body);
    let operation = request.operation.as_str();
    let derived = derive_ec2(scope, world, operation, &params)
        .or_else(|| derive_rds(scope, world, operation, &params))
        .or_else(|| derive_iam(scope, world, operation, &params))
        .or_else(|| derive_other(scope, world, operation, &params, &request.uri))
        .map(Ok)
        .unwrap_or_else(|| unscoped_read(scope, operation));
    if let Some(answer) = &request.response {
        world.learn_from_answer(operation, &params, answer);
    }
    derived
}

/// Reads without required resource types are on `*`; anything else must be modelled.
fn unscoped_read(scope: &Scope, operation: &str) -> Result<Vec<Authorization>, String> {
    let action = action_of(operation);
    let required = super::sar::resource_types(action)
        .into_iter()
        .any(|(_, required)| required);
    if super::sar::action(action).is_none() {
        return Err(format!("{action} is not in the Service Authorization Reference"));
    }
    if required {
        return Err(format!("the model does not derive the resources of {action}"));
    }
    Ok(auth::unscoped(scope, action))
}

fn derive_ec2(scope: &Scope, world: &mut World, operation: &str, p: &Params) -> Option<Vec<Authorization>> {
    let get = |name: &str| p.get(name).cloned().unwrap_or_default();
    let specs = tag_specifications(p);
    let first_tags = specs.values().next().cloned().unwrap_or_default();
    let out = match operation {
        "ec2:CreateVpc" => auth::create_vpc(scope, &first_tags),
        "ec2:CreateSubnet" => auth::create_in_vpc(
            scope,
            operation,
            "subnet",
            &world.ec2(scope, &get("VpcId")),
            &first_tags,
        ),
        "ec2:CreateSecurityGroup" => auth::create_in_vpc(
            scope,
            operation,
            "security-group",
            &world.ec2(scope, &get("VpcId")),
            &first_tags,
        ),
        "ec2:CreateVpcEndpoint" => {
            let each = |name: &str| list(p, name).iter().map(|id| world.ec2(scope, id)).collect::<Vec<_>>();
            let (subnets, groups, tables) = (each("SubnetId"), each("SecurityGroupId"), each("RouteTableId"));
            let vpc = world.ec2(scope, &get("VpcId"));
            let endpoint = auth::Endpoint {
                vpc: &vpc,
                service_name: &get("ServiceName"),
                subnets: &subnets,
                security_groups: &groups,
                route_tables: &tables,
                private_dns: bool_param(p, "PrivateDnsEnabled").unwrap_or(false),
            };
            auth::create_vpc_endpoint(scope, &endpoint, &first_tags)
        }
        "ec2:CreateVolume" => {
            let snapshot = world.ec2(scope, &get("SnapshotId"));
            let key = key_of(world, p, &get("SnapshotId"));
            auth::create_volume(scope, &snapshot, key.as_deref(), &first_tags)
        }
        "ec2:RunInstances" => {
            let image = world.ec2(scope, &get("ImageId"));
            let subnet = world.ec2(scope, &get("SubnetId"));
            let groups: Vec<Existing> = list(p, "SecurityGroupId")
                .iter()
                .map(|id| world.ec2(scope, id))
                .collect();
            let role = p.get("IamInstanceProfile.Name").map(|name| world.role(scope, name).arn);
            let tagged: Vec<&str> = specs.keys().map(String::as_str).collect();
            let launch = auth::Launch {
                image: &image,
                subnet: &subnet,
                security_groups: &groups,
                role: role.as_deref(),
                tagged: &tagged,
                kms_key: None,
            };
            auth::run_instances(scope, &launch, &first_tags)
        }
        "ec2:AttachVolume" => auth::attach_volume(
            scope,
            &world.ec2(scope, &get("InstanceId")),
            &world.ec2(scope, &get("VolumeId")),
        ),
        "ec2:CreateTags" => {
            let resources: Vec<Existing> = list(p, "ResourceId").iter().map(|id| world.ec2(scope, id)).collect();
            let tags = tags(p, "Tag");
            let out = auth::ec2_create_tags(scope, &resources, &tags);
            for id in list(p, "ResourceId") {
                world.learn(&id, &tags);
            }
            out
        }
        "ec2:ModifyVpcAttribute" | "ec2:DeleteVpc" => {
            auth::on_existing(scope, operation, &world.ec2(scope, &get("VpcId")))
        }
        "ec2:AuthorizeSecurityGroupIngress"
        | "ec2:AuthorizeSecurityGroupEgress"
        | "ec2:RevokeSecurityGroupEgress"
        | "ec2:DeleteSecurityGroup" => auth::on_existing(scope, operation, &world.ec2(scope, &get("GroupId"))),
        "ec2:DeleteSubnet" => auth::on_existing(scope, operation, &world.ec2(scope, &get("SubnetId"))),
        "ec2:DeleteVolume" => auth::on_existing(scope, operation, &world.ec2(scope, &get("VolumeId"))),
        "ec2:DeleteVpcEndpoints" | "ec2:TerminateInstances" => {
            let name = if operation == "ec2:TerminateInstances" {
                "InstanceId"
            } else {
                "VpcEndpointId"
            };
            list(p, name)
                .iter()
                .flat_map(|id| auth::on_existing(scope, operation, &world.ec2(scope, id)))
                .collect()
        }
        _ => return None,
    };
    Some(out)
}

fn derive_rds(scope: &Scope, world: &mut World, operation: &str, p: &Params) -> Option<Vec<Authorization>> {
    let get = |name: &str| p.get(name).cloned().unwrap_or_default();
    let tags = request_tags(p);
    let group = p.get("DBSubnetGroupName").map(|g| world.rds(scope, "subgrp", g));
    let restore = |target: String, snapshot: Option<Existing>, cluster: Option<Existing>, key: Option<String>| {
        let create = auth::RdsCreate {
            action: operation,
            target: &target,
            snapshot: snapshot.as_ref(),
            cluster: cluster.as_ref(),
            subnet_group: group.as_ref(),
            publicly_accessible: bool_param(p, "PubliclyAccessible"),
            kms_key: key.as_deref(),
        };
        auth::rds_create(scope, &create, &tags)
    };
    let out = match operation {
        "rds:CreateDBSubnetGroup" => auth::create_db_subnet_group(scope, &get("DBSubnetGroupName"), &tags),
        "rds:RestoreDBInstanceFromDBSnapshot" => {
            let snapshot = world.rds(scope, "snapshot", &get("DBSnapshotIdentifier"));
            let key = key_of(world, p, &get("DBSnapshotIdentifier"));
            restore(get("DBInstanceIdentifier"), Some(snapshot), None, key)
        }
        "rds:RestoreDBInstanceToPointInTime" => restore(get("TargetDBInstanceIdentifier"), None, None, None),
        "rds:RestoreDBClusterFromSnapshot" => {
            let snapshot = world.rds(scope, "cluster-snapshot", &get("SnapshotIdentifier"));
            let key = key_of(world, p, &get("SnapshotIdentifier"));
            restore(get("DBClusterIdentifier"), Some(snapshot), None, key)
        }
        "rds:RestoreDBClusterToPointInTime" => restore(get("DBClusterIdentifier"), None, None, None),
        "rds:CreateDBInstance" => {
            let cluster = p.get("DBClusterIdentifier").map(|c| world.rds(scope, "cluster", c));
            restore(get("DBInstanceIdentifier"), None, cluster, None)
        }
        "rds:AddTagsToResource" => {
            let name = get("ResourceName");
            let kind = name.split(':').nth(5).unwrap_or("db").to_owned();
            let out = auth::rds_add_tags(scope, &world.rds(scope, &kind, &name), &tags);
            world.learn(name.rsplit(':').next().unwrap_or(&name), &tags);
            return Some(out);
        }
        "rds:DeleteDBInstance" => {
            auth::on_existing(scope, operation, &world.rds(scope, "db", &get("DBInstanceIdentifier")))
        }
        "rds:DeleteDBCluster" => {
            auth::delete_db_cluster(scope, &world.rds(scope, "cluster", &get("DBClusterIdentifier")))
        }
        "rds:DeleteDBSubnetGroup" => {
            auth::on_existing(scope, operation, &world.rds(scope, "subgrp", &get("DBSubnetGroupName")))
        }
        "rds:ListTagsForResource" => {
            let name = get("ResourceName");
            let kind = name.split(':').nth(5).unwrap_or("db").to_owned();
            auth::on_existing(scope, operation, &world.rds(scope, &kind, &name))
        }
        _ => return None,
    };
    // What a create made carries its request tags from now on (not the cluster an
    // instance joins).
    let creates = operation.starts_with("rds:Create") || operation.starts_with("rds:Restore");
    let joined = p
        .get("DBClusterIdentifier")
        .filter(|_| operation == "rds:CreateDBInstance");
    for name in [
        "DBInstanceIdentifier",
        "TargetDBInstanceIdentifier",
        "DBClusterIdentifier",
        "DBSubnetGroupName",
    ] {
        match p.get(name) {
            Some(id) if creates && !tags.is_empty() && Some(id) != joined => world.learn(id, &tags),
            _ => {}
        }
    }
    Some(out)
}

fn derive_iam(scope: &Scope, world: &mut World, operation: &str, p: &Params) -> Option<Vec<Authorization>> {
    let get = |name: &str| p.get(name).cloned().unwrap_or_default();
    let tags = request_tags(p);
    let role_name = get("RoleName");
    let boundary = world.boundaries.get(&role_name).cloned();
    let out = match operation {
        "iam:CreateInstanceProfile" | "iam:CreateRole" => {
            let (kind, name) = if operation == "iam:CreateRole" {
                ("role", role_name.clone())
            } else {
                ("instance-profile", get("InstanceProfileName"))
            };
            let path = p.get("Path").cloned().unwrap_or_else(|| "/".into());
            let arn = scope.iam(kind, &path, &name);
            let new_boundary = p.get("PermissionsBoundary").cloned();
            world.paths.insert(name.clone(), path);
            let key = if kind == "role" {
                name.clone()
            } else {
                format!("profile:{name}")
            };
            world.learn(&key, &tags);
            if let Some(b) = &new_boundary {
                world.boundaries.insert(name.clone(), b.clone());
            }
            auth::iam_create(scope, operation, &arn, &tags, new_boundary.as_deref())
        }
        "iam:AttachRolePolicy" | "iam:DetachRolePolicy" => {
            let policy = get("PolicyArn");
            let role = world.role(scope, &role_name);
            auth::iam_role_change(
                scope,
                operation,
                &role,
                boundary.as_deref(),
                &[("iam:PolicyARN", &policy)],
            )
        }
        // The reference lists `iam:PermissionsBoundary` for these changes, not for reads.
        "iam:GetRole" | "iam:ListRolePolicies" | "iam:ListAttachedRolePolicies" => {
            auth::on_existing(scope, operation, &world.role(scope, &role_name))
        }
        "iam:PutRolePolicy" | "iam:DeleteRolePolicy" | "iam:DeleteRole" => auth::iam_role_change(
            scope,
            operation,
            &world.role(scope, &role_name),
            boundary.as_deref(),
            &[],
        ),
        "iam:AddRoleToInstanceProfile" => {
            let profile = world.profile(scope, &get("InstanceProfileName"));
            auth::add_role_to_instance_profile(scope, &profile, &world.role(scope, &role_name).arn)
        }
        "iam:DeleteInstanceProfile" | "iam:RemoveRoleFromInstanceProfile" | "iam:GetInstanceProfile" => {
            auth::on_existing(scope, operation, &world.profile(scope, &get("InstanceProfileName")))
        }
        "iam:TagInstanceProfile" => {
            let name = get("InstanceProfileName");
            let profile = world.profile(scope, &name);
            world.learn(&format!("profile:{name}"), &tags);
            firedrill::cloud::aws::authorization::Request::new(scope, operation)
                .request_tags(&tags, None)
                .existing(&profile, Default::default())
                .build()
        }
        _ => return None,
    };
    Some(out)
}

fn derive_other(scope: &Scope, world: &World, operation: &str, p: &Params, uri: &str) -> Option<Vec<Authorization>> {
    let get = |name: &str| p.get(name).cloned().unwrap_or_default();
    let path = uri.split('?').next().unwrap_or(uri);
    let segments: Vec<String> = path
        .split('/')
        .skip_while(|s| !s.is_empty())
        .skip(1)
        .map(percent_decode)
        .collect();
    let out = match operation {
        "backup:StartRestoreJob" => auth::start_restore_job(scope, &get("RecoveryPointArn"), &get("IamRoleArn")),
        "backup:DescribeRecoveryPoint" | "backup:GetRecoveryPointRestoreMetadata" => {
            // /backup-vaults/{vault}/recovery-points/{arn}[/restore-metadata]
            let point = segments
                .iter()
                .skip_while(|s| *s != "recovery-points")
                .nth(1)
                .cloned()
                .unwrap_or_default();
            firedrill::cloud::aws::authorization::Request::new(scope, operation)
                .named(point)
                .build()
        }
        "ssm:SendCommand" => {
            let instances: Vec<Existing> = list(p, "InstanceIds").iter().map(|id| world.ec2(scope, id)).collect();
            let bucket = p.get("OutputS3BucketName").map(String::as_str);
            auth::send_command(scope, &get("DocumentName"), &instances, bucket)
        }
        "ssm:GetParameter" => auth::get_parameter(scope, &get("Name")),
        "iam:SimulatePrincipalPolicy" => firedrill::cloud::aws::authorization::Request::new(scope, operation)
            .named(get("PolicySourceArn"))
            .build(),
        "kms:DescribeKey" => firedrill::cloud::aws::authorization::Request::new(scope, operation)
            .named(scope.kms_key(&get("KeyId")))
            .build(),
        "s3:GetObject" | "s3:HeadObject" | "s3:PutObject" => {
            // Path-style on moto: /bucket/key…
            let host_style = !path.trim_start_matches('/').contains('/');
            let (bucket, key) = if host_style {
                return None;
            } else {
                let trimmed = path.trim_start_matches('/');
                let (b, k) = trimmed.split_once('/').unwrap_or((trimmed, ""));
                (b.to_owned(), percent_decode(k))
            };
            auth::s3_object(scope, action_of(operation), &bucket, &key)
        }
        _ => return None,
    };
    Some(out)
}

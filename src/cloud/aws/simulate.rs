//! Preflight's simulation of the drill's permissions: every authorization the drill's
//! requests will need (derived with `authorization`, from the scenario alone), and the
//! customer managed KMS keys that encrypt its sources, put to IAM's policy simulator
//! (`iam:SimulatePrincipalPolicy`) as the drill identity, and AWS Backup's restore role
//! for the keys it restores with, before anything is created. A denial is a preflight
//! problem; a simulation IAM will not run is a warning (AWS still refuses at creation
//! what is not allowed, and teardown removes what was made).
//!
//! The API, as the IAM API Reference gives it ("SimulatePrincipalPolicy", "ContextEntry",
//! "EvaluationResult", "ResourceSpecificResult"): `PolicySourceArn` is a user, group or
//! role (not an assumed-role session); each of `ActionNames` is evaluated on each of
//! `ResourceArns` under one set of `ContextEntries`, each typed by `ContextKeyType`
//! (`string`, `stringList`, `boolean`, …); results come in pages (`IsTruncated`,
//! `Marker`), each with `EvalActionName`, `EvalResourceName` and `EvalDecision`
//! (`allowed`, `explicitDeny`, `implicitDeny`), per resource in `ResourceSpecificResults`
//! (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html,
//! API_ContextEntry.html, API_EvaluationResult.html, API_ResourceSpecificResult.html).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, EvaluationResult};
use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;

use super::AwsCloud;
use super::authorization::{self as auth, Authorization, Context, Existing, RdsCreate, Scope};
use super::backup::restore_role_arn;
use super::errors::classify;
use super::iam::{PATH, runner_boundary_arn, runner_role_name};
use super::preflight::PreflightReport;
use super::rds::{cluster_instance_identifier, db_identifier};
use crate::cloud::{CloudError, RecoveryPoint, TAG_CREATED_BY, TAG_LEASE_UNTIL, TAG_RUN_ID, TAG_SCENARIO, Tags};
use crate::scenario::{AwsBackupSource, RecoveryPointSelector, ResourceKind, Restore, RestoreSource, Runner, Scenario};

/// The tags a run of `scenario` starting `now` gives what it creates (as the runner does),
/// with a run id that no run has: what the simulated requests carry.
pub fn preflight_tags(scenario: &Scenario, now: Timestamp) -> Tags {
    let mut tags = scenario.tags.clone();
    let lease = now.saturating_add(scenario.max_duration.as_duration()).unwrap_or(now);
    tags.insert(TAG_LEASE_UNTIL.to_owned(), lease.to_string());
    tags.insert(
        TAG_RUN_ID.to_owned(),
        format!("fd-{}-{}-preflight", scenario.name, now.strftime("%Y%m%dT%H%M%SZ")),
    );
    tags.insert(TAG_SCENARIO.to_owned(), scenario.name.clone());
    tags.insert(
        TAG_CREATED_BY.to_owned(),
        format!("firedrill/{}", env!("CARGO_PKG_VERSION")),
    );
    tags
}

/// The authorizations of the drill's requests (sorted, without repeats): the isolated
/// network, the runner's identity, each restore, the runner, the checks, teardown, and
/// what it reads along the way.
pub fn planned(scenario: &Scenario, scope: &Scope, run_tags: &Tags) -> Vec<Authorization> {
    let plan = Plan::new(scenario, scope, run_tags);
    let mut planned = plan.network();
    planned.extend(plan.runner_identity());
    for restore in &scenario.restores {
        planned.extend(plan.restore(restore));
    }
    planned.extend(plan.runner());
    planned.extend(plan.checks());
    planned.extend(plan.teardown());
    planned.extend(plan.reads());
    planned.sort();
    planned.dedup();
    planned
}

/// What RunInstances tags at launch (ec2.rs `launch`).
const TAGGED_AT_LAUNCH: [&str; 3] = ["instance", "volume", "network-interface"];

/// The security group's rules, replaced right after it is made (network.rs `restrict_group`).
const GROUP_RULES: [&str; 3] = [
    "ec2:RevokeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
];

/// What every drill reads: zones, the verification of isolation, observation, teardown's
/// look at tags, the runner's identity and whether its agent is online.
const READS: [&str; 24] = [
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribePrefixLists",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeTransitGatewayVpcAttachments",
    "ec2:DescribeVpcEndpointServices",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpnGateways",
    "iam:GetInstanceProfile",
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "rds:DescribeDBInstances",
    "rds:DescribeDBSubnetGroups",
    "rds:ListTagsForResource",
    "ssm:DescribeInstanceInformation",
];

/// What a drill with AWS Backup restores also reads (backup.rs).
const BACKUP_READS: [&str; 3] = [
    "backup:DescribeRestoreJob",
    "backup:GetRecoveryPointRestoreMetadata",
    "backup:ListRestoreJobs",
];

/// One drill's requests, resource by resource: what it creates is named `*` (its id is
/// not known yet) and, where a later request names it, carries the run's tags.
struct Plan<'a> {
    scenario: &'a Scenario,
    scope: &'a Scope,
    tags: &'a Tags,
    run_id: &'a str,
}

impl<'a> Plan<'a> {
    fn new(scenario: &'a Scenario, scope: &'a Scope, tags: &'a Tags) -> Self {
        let run_id = tags.get(TAG_RUN_ID).map(String::as_str).unwrap_or("fd-preflight");
        Self {
            scenario,
            scope,
            tags,
            run_id,
        }
    }

    /// An EC2 resource of the run's, once it exists.
    fn ours(&self, kind: &str) -> Existing {
        Existing::new(self.scope.ec2(kind, "*"), self.tags.clone())
    }

    /// An RDS resource of the run's, once it exists.
    fn rds_ours(&self, kind: &str, name: &str) -> Existing {
        Existing::new(self.scope.rds(kind, name), self.tags.clone())
    }

    /// The DB subnet group (network.rs names it after the run id, in lower case).
    fn subnet_group(&self) -> Existing {
        self.rds_ours("subgrp", &format!("{}-subnets", self.run_id.to_lowercase()))
    }

    fn role(&self) -> Existing {
        let arn = self.scope.iam("role", PATH, &runner_role_name(self.run_id));
        Existing::new(arn, self.tags.clone())
    }

    fn profile(&self) -> Existing {
        let arn = self.scope.iam("instance-profile", PATH, &runner_role_name(self.run_id));
        Existing::new(arn, self.tags.clone())
    }

    fn boundary(&self) -> String {
        runner_boundary_arn(&self.scope.partition, &self.scope.account)
    }

    fn ssm_core(&self) -> String {
        format!(
            "arn:{}:iam::aws:policy/AmazonSSMManagedInstanceCore",
            self.scope.partition
        )
    }

    /// The name of a restore's database copy (from its token, as rds.rs and backup.rs name it).
    fn target(&self, restore: &Restore) -> String {
        db_identifier(&format!("{}-{}", self.run_id, restore.id))
    }

    fn kinds(&self) -> Vec<ResourceKind> {
        self.scenario.restores.iter().filter_map(|r| r.source.kind()).collect()
    }

    fn network(&self) -> Vec<Authorization> {
        let (scope, tags) = (self.scope, self.tags);
        let (vpc, subnet, group) = (self.ours("vpc"), self.ours("subnet"), self.ours("security-group"));
        let mut out = auth::create_vpc(scope, tags);
        out.extend(auth::on_existing(scope, "ec2:ModifyVpcAttribute", &vpc));
        out.extend(auth::create_in_vpc(scope, "ec2:CreateSubnet", "subnet", &vpc, tags));
        out.extend(auth::create_in_vpc(
            scope,
            "ec2:CreateSecurityGroup",
            "security-group",
            &vpc,
            tags,
        ));
        for action in GROUP_RULES {
            out.extend(auth::on_existing(scope, action, &group));
        }
        let (subnets, groups) = ([subnet], [group]);
        for endpoint in &self.scenario.isolation.endpoints {
            out.extend(self.endpoint(endpoint.service_name(), &subnets, &groups, &[], true));
        }
        // The gateway endpoint goes into the VPC's main route table, made by AWS untagged.
        let main_table = [Existing::new(scope.ec2("route-table", "*"), Tags::new())];
        out.extend(self.endpoint("s3", &[], &[], &main_table, false));
        // network.rs makes the subnet group only for a drill that restores a database.
        if self.scenario.restores_databases() {
            let group_name = self
                .subnet_group()
                .arn
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_owned();
            out.extend(auth::create_db_subnet_group(scope, &group_name, tags));
        }
        out
    }

    fn endpoint(
        &self,
        service: &str,
        subnets: &[Existing],
        groups: &[Existing],
        tables: &[Existing],
        private_dns: bool,
    ) -> Vec<Authorization> {
        let vpc = self.ours("vpc");
        let service_name = format!("com.amazonaws.{}.{service}", self.scope.region);
        let endpoint = auth::Endpoint {
            vpc: &vpc,
            service_name: &service_name,
            subnets,
            security_groups: groups,
            route_tables: tables,
            private_dns,
        };
        auth::create_vpc_endpoint(self.scope, &endpoint, self.tags)
    }

    /// iam.rs `create_runner_identity`: the profile, the bounded role, its policies, the
    /// role in the profile.
    fn runner_identity(&self) -> Vec<Authorization> {
        let (scope, tags) = (self.scope, self.tags);
        let (role, profile, boundary) = (self.role(), self.profile(), self.boundary());
        let core = self.ssm_core();
        let mut out = auth::iam_create(scope, "iam:CreateInstanceProfile", &profile.arn, tags, None);
        out.extend(auth::iam_create(
            scope,
            "iam:CreateRole",
            &role.arn,
            tags,
            Some(&boundary),
        ));
        let policy = [("iam:PolicyARN", core.as_str())];
        out.extend(auth::iam_role_change(
            scope,
            "iam:AttachRolePolicy",
            &role,
            Some(&boundary),
            &policy,
        ));
        if self.scenario.check_output.is_some() {
            out.extend(auth::iam_role_change(
                scope,
                "iam:PutRolePolicy",
                &role,
                Some(&boundary),
                &[],
            ));
        }
        out.extend(auth::add_role_to_instance_profile(scope, &profile, &role.arn));
        out
    }

    fn restore(&self, restore: &Restore) -> Vec<Authorization> {
        let target = self.target(restore);
        let key = restore.overrides.kms_key.as_deref();
        match &restore.source {
            RestoreSource::RdsSnapshot(source) => {
                let snapshot = self.rds_source("snapshot", &source.snapshot);
                self.instance_restore("rds:RestoreDBInstanceFromDBSnapshot", &target, Some(&snapshot))
            }
            RestoreSource::RdsPointInTime(_) => {
                self.instance_restore("rds:RestoreDBInstanceToPointInTime", &target, None)
            }
            RestoreSource::AuroraClusterSnapshot(source) => {
                let snapshot = self.rds_source("cluster-snapshot", &source.snapshot);
                self.cluster_restore("rds:RestoreDBClusterFromSnapshot", &target, Some(&snapshot), key)
            }
            RestoreSource::AuroraPointInTime(_) => {
                self.cluster_restore("rds:RestoreDBClusterToPointInTime", &target, None, key)
            }
            RestoreSource::EbsSnapshot(source) => self.volume_restore(&source.snapshot, key),
            RestoreSource::Ami(source) => {
                let image = self.scope.ec2_unowned("image", &source.image);
                self.launch(image, Some(&self.role().arn))
            }
            RestoreSource::AwsBackup(source) => self.backup_restore(restore, source, &target),
        }
    }

    /// A source snapshot named in the scenario (by name or ARN), `*` for `latest`.
    fn rds_source(&self, kind: &str, name: &str) -> Existing {
        let arn = match name {
            "latest" => self.scope.rds(kind, "*"),
            arn if arn.starts_with("arn:") => arn.to_owned(),
            name => self.scope.rds(kind, name),
        };
        Existing::new(arn, Tags::new())
    }

    /// rds.rs `isolated_instance`: private, into the drill's subnet group.
    fn instance_restore(&self, action: &str, target: &str, snapshot: Option<&Existing>) -> Vec<Authorization> {
        let group = self.subnet_group();
        let create = RdsCreate {
            action,
            target,
            snapshot,
            cluster: None,
            subnet_group: Some(&group),
            publicly_accessible: Some(false),
            kms_key: None,
        };
        auth::rds_create(self.scope, &create, self.tags)
    }

    /// rds.rs `isolated_cluster`, then the cluster's one instance.
    fn cluster_restore(
        &self,
        action: &str,
        target: &str,
        snapshot: Option<&Existing>,
        kms_key: Option<&str>,
    ) -> Vec<Authorization> {
        let group = self.subnet_group();
        let create = RdsCreate {
            action,
            target,
            snapshot,
            cluster: None,
            subnet_group: Some(&group),
            publicly_accessible: None,
            kms_key,
        };
        let mut out = auth::rds_create(self.scope, &create, self.tags);
        out.extend(self.cluster_instance(target));
        out
    }

    /// rds.rs `add_cluster_instance`: CreateDBInstance into the run's new cluster.
    fn cluster_instance(&self, cluster: &str) -> Vec<Authorization> {
        let member = cluster_instance_identifier(cluster);
        let cluster = self.rds_ours("cluster", cluster);
        let create = RdsCreate {
            action: "rds:CreateDBInstance",
            target: &member,
            snapshot: None,
            cluster: Some(&cluster),
            subnet_group: None,
            publicly_accessible: Some(false),
            kms_key: None,
        };
        auth::rds_create(self.scope, &create, self.tags)
    }

    /// ec2.rs `restore_ebs_snapshot`, then the volume attached to the runner.
    fn volume_restore(&self, snapshot: &str, kms_key: Option<&str>) -> Vec<Authorization> {
        let id = if snapshot == "latest" { "*" } else { snapshot };
        let snapshot = Existing::new(self.scope.ec2_unowned("snapshot", id), Tags::new());
        let mut out = auth::create_volume(self.scope, &snapshot, kms_key, self.tags);
        out.extend(self.attach());
        out
    }

    fn attach(&self) -> Vec<Authorization> {
        auth::attach_volume(self.scope, &self.ours("instance"), &self.ours("volume"))
    }

    /// ec2.rs `launch`: into the first private subnet, in the drill's security group.
    fn launch(&self, image: String, role: Option<&str>) -> Vec<Authorization> {
        let (image, subnet) = (Existing::new(image, Tags::new()), self.ours("subnet"));
        let groups = [self.ours("security-group")];
        let launch = auth::Launch {
            image: &image,
            subnet: &subnet,
            security_groups: &groups,
            role,
            tagged: &TAGGED_AT_LAUNCH,
            kms_key: None,
        };
        auth::run_instances(self.scope, &launch, self.tags)
    }

    /// backup.rs: StartRestoreJob with the restore role; the copy tagged as the run's when
    /// the job completes (it is made untagged), an Aurora copy given its instance, a
    /// volume attached to the runner.
    fn backup_restore(&self, restore: &Restore, source: &AwsBackupSource, target: &str) -> Vec<Authorization> {
        let scope = self.scope;
        let role = restore_role_arn(source, &scope.partition, &scope.account);
        let point = match &source.recovery_point {
            RecoveryPointSelector::Arn(arn) => arn.as_str(),
            _ => "*",
        };
        let mut out = auth::start_restore_job(scope, point, &role);
        let untagged = |arn: String| Existing::new(arn, Tags::new());
        match restore.source.kind() {
            Some(ResourceKind::RdsInstance) => {
                out.extend(auth::rds_add_tags(scope, &untagged(scope.rds("db", target)), self.tags));
            }
            Some(ResourceKind::AuroraCluster) => {
                out.extend(auth::rds_add_tags(
                    scope,
                    &untagged(scope.rds("cluster", target)),
                    self.tags,
                ));
                out.extend(self.cluster_instance(target));
            }
            Some(ResourceKind::EbsVolume) => {
                out.extend(auth::ec2_create_tags(
                    scope,
                    &[untagged(scope.ec2("volume", "*"))],
                    self.tags,
                ));
                out.extend(self.attach());
            }
            Some(ResourceKind::Ec2Instance) => {
                out.extend(auth::ec2_create_tags(
                    scope,
                    &[untagged(scope.ec2("instance", "*"))],
                    self.tags,
                ));
            }
            None => {}
        }
        out
    }

    /// ec2.rs `launch_runner`: the image from an SSM public parameter, or as named; the
    /// run's profile unless the scenario names one (whose role preflight does not know,
    /// so its PassRole is not planned).
    fn runner(&self) -> Vec<Authorization> {
        let Runner::Launch(launched) = &self.scenario.runner else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let image = match launched.ami.strip_prefix("resolve:ssm:") {
            Some(parameter) => {
                out.extend(auth::get_parameter(self.scope, parameter));
                self.scope.ec2_unowned("image", "*")
            }
            None => self.scope.ec2_unowned("image", &launched.ami),
        };
        let role = launched.instance_profile.is_none().then(|| self.role().arn);
        out.extend(self.launch(image, role.as_deref()));
        out
    }

    /// ssm.rs `ssm_run`: AWS-RunShellScript on the runner, output to the scenario's bucket.
    fn checks(&self) -> Vec<Authorization> {
        if self.scenario.checks.is_empty() {
            return Vec::new();
        }
        let bucket = self.scenario.check_output.as_ref().map(|o| o.s3_bucket.as_str());
        auth::send_command(self.scope, "AWS-RunShellScript", &[self.ours("instance")], bucket)
    }

    /// Teardown (guard.rs, iam.rs): each of the run's resources deleted, tagged as the run's.
    fn teardown(&self) -> Vec<Authorization> {
        let mut deletes: Vec<(&str, Existing)> = Vec::new();
        let kinds = self.kinds();
        if matches!(self.scenario.runner, Runner::Launch(_)) || kinds.contains(&ResourceKind::Ec2Instance) {
            deletes.push(("ec2:TerminateInstances", self.ours("instance")));
        }
        if kinds.contains(&ResourceKind::EbsVolume) {
            deletes.push(("ec2:DeleteVolume", self.ours("volume")));
        }
        deletes.extend(self.database_deletes());
        for (action, kind) in [
            ("ec2:DeleteVpcEndpoints", "vpc-endpoint"),
            ("ec2:DeleteSecurityGroup", "security-group"),
            ("ec2:DeleteSubnet", "subnet"),
            ("ec2:DeleteVpc", "vpc"),
        ] {
            deletes.push((action, self.ours(kind)));
        }
        if self.scenario.restores_databases() {
            deletes.push(("rds:DeleteDBSubnetGroup", self.subnet_group()));
        }
        let mut out: Vec<Authorization> = deletes
            .iter()
            .flat_map(|(action, resource)| auth::on_existing(self.scope, action, resource))
            .collect();
        out.extend(self.identity_teardown());
        out
    }

    /// The restored databases (an Aurora copy's instance before its cluster).
    fn database_deletes(&self) -> Vec<(&'static str, Existing)> {
        let mut deletes = Vec::new();
        for restore in &self.scenario.restores {
            let target = self.target(restore);
            match restore.source.kind() {
                Some(ResourceKind::RdsInstance) => deletes.push(("rds:DeleteDBInstance", self.rds_ours("db", &target))),
                Some(ResourceKind::AuroraCluster) => {
                    let member = cluster_instance_identifier(&target);
                    deletes.push(("rds:DeleteDBInstance", self.rds_ours("db", &member)));
                    deletes.push(("rds:DeleteDBCluster", self.rds_ours("cluster", &target)));
                }
                _ => {}
            }
        }
        deletes
    }

    /// iam.rs `delete_runner_identity`.
    fn identity_teardown(&self) -> Vec<Authorization> {
        let scope = self.scope;
        let (role, profile, boundary) = (self.role(), self.profile(), self.boundary());
        let core = self.ssm_core();
        let mut out = auth::on_existing(scope, "iam:RemoveRoleFromInstanceProfile", &profile);
        out.extend(auth::on_existing(scope, "iam:DeleteInstanceProfile", &profile));
        let policy = [("iam:PolicyARN", core.as_str())];
        let mut role_changes = vec![("iam:DetachRolePolicy", &policy[..]), ("iam:DeleteRole", &[][..])];
        if self.scenario.check_output.is_some() {
            role_changes.push(("iam:DeleteRolePolicy", &[][..]));
        }
        for (action, extra) in role_changes {
            out.extend(auth::iam_role_change(scope, action, &role, Some(&boundary), extra));
        }
        out
    }

    fn reads(&self) -> Vec<Authorization> {
        let kinds = self.kinds();
        let mut actions = READS.to_vec();
        if kinds.contains(&ResourceKind::EbsVolume) {
            actions.push("ec2:DescribeVolumes");
        }
        if kinds.iter().any(|k| k.is_database()) {
            actions.push("rds:DescribeEvents");
        }
        if kinds.contains(&ResourceKind::AuroraCluster) {
            actions.push("rds:DescribeDBClusters");
        }
        if (self.scenario.restores.iter()).any(|r| matches!(r.source, RestoreSource::AwsBackup(_))) {
            actions.extend(BACKUP_READS);
        }
        if !self.scenario.checks.is_empty() {
            actions.push("ssm:GetCommandInvocation");
        }
        actions
            .iter()
            .flat_map(|action| auth::unscoped(self.scope, action))
            .collect()
    }
}

/// The authorizations of one SimulatePrincipalPolicy call: one context for them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub context: Context,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// The (action, resource) pairs planned. The call evaluates every action on every
    /// resource; only these pairs' results are read.
    pub pairs: BTreeSet<(String, String)>,
}

/// The authorizations grouped by context, one group per distinct context.
pub fn groups(authorizations: &[Authorization]) -> Vec<Group> {
    let mut by_context: BTreeMap<&Context, BTreeSet<(String, String)>> = BTreeMap::new();
    for authorization in authorizations {
        by_context
            .entry(&authorization.context)
            .or_default()
            .insert((authorization.action.clone(), authorization.resource.clone()));
    }
    by_context
        .into_iter()
        .map(|(context, pairs)| {
            let actions: BTreeSet<&String> = pairs.iter().map(|(action, _)| action).collect();
            let resources: BTreeSet<&String> = pairs.iter().map(|(_, resource)| resource).collect();
            Group {
                context: context.clone(),
                actions: actions.into_iter().cloned().collect(),
                resources: resources.into_iter().cloned().collect(),
                pairs,
            }
        })
        .collect()
}

/// Keys whose values are booleans (the reference's `Bool` type).
const BOOLEAN_KEYS: [&str; 5] = [
    "aws:MultiFactorAuthPresent",
    "aws:SecureTransport",
    "aws:ViaAWSService",
    "ec2:Encrypted",
    "rds:PubliclyAccessible",
];

/// Keys that hold several values (`ArrayOfString`), even when a request has one.
const LIST_KEYS: [&str; 4] = [
    "aws:CalledVia",
    "aws:TagKeys",
    "kms:EncryptionContextKeys",
    "kms:GrantOperations",
];

/// The `ContextKeyType` of a key: `boolean`, `stringList` for a multi-valued key, else
/// `string` (ARNs are compared as strings).
pub fn key_type(key: &str, values: &[String]) -> ContextKeyTypeEnum {
    if BOOLEAN_KEYS.contains(&key) {
        if values.len() == 1 {
            ContextKeyTypeEnum::Boolean
        } else {
            ContextKeyTypeEnum::BooleanList
        }
    } else if LIST_KEYS.contains(&key) || values.len() != 1 {
        ContextKeyTypeEnum::StringList
    } else {
        ContextKeyTypeEnum::String
    }
}

/// A context as the simulation's `ContextEntries`.
pub fn context_entries(context: &Context) -> Vec<ContextEntry> {
    context
        .iter()
        .map(|(key, values)| {
            ContextEntry::builder()
                .context_key_name(key)
                .context_key_type(key_type(key, values))
                .set_context_key_values(Some(values.clone()))
                .build()
        })
        .collect()
}

/// Whose policies a simulation evaluates, from the caller's ARN (sts:GetCallerIdentity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A user or a role, by its IAM ARN.
    Arn(String),
    /// A session of this role (by name): its ARN, with its path, is IAM's to tell.
    AssumedRole(String),
    /// The root user or a federated user: IAM simulates users, groups and roles only.
    Unsupported(String),
}

pub fn principal_of(caller: &str) -> Principal {
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    let [_, partition, _, _, account, resource] = parts[..] else {
        return Principal::Unsupported(caller.to_owned());
    };
    match resource.split_once('/') {
        Some(("assumed-role", session)) => {
            Principal::AssumedRole(session.split('/').next().unwrap_or(session).to_owned())
        }
        Some(("user" | "role", _)) => Principal::Arn(format!("arn:{partition}:iam::{account}:{resource}")),
        _ => Principal::Unsupported(caller.to_owned()),
    }
}

/// One planned authorization the simulation does not allow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Denial {
    pub action: String,
    pub resource: String,
    /// `implicitDeny` or `explicitDeny`.
    pub decision: String,
}

/// (action, resource, decision) of each result, per resource where IAM gives them so.
fn decisions(results: &[EvaluationResult]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for result in results {
        let action = result.eval_action_name().to_owned();
        let specific = result.resource_specific_results();
        if specific.is_empty() {
            let resource = result.eval_resource_name().unwrap_or("*").to_owned();
            out.push((action.clone(), resource, result.eval_decision().as_str().to_owned()));
        }
        for each in specific {
            let decision = each.eval_resource_decision().as_str().to_owned();
            out.push((action.clone(), each.eval_resource_name().to_owned(), decision));
        }
    }
    out
}

/// The denials among a group's results: planned pairs only (IAM may spell the action in
/// another case).
fn denials(group: &Group, results: Vec<(String, String, String)>) -> Vec<Denial> {
    let planned: BTreeMap<(String, &str), &str> = (group.pairs.iter())
        .map(|(action, resource)| ((action.to_lowercase(), resource.as_str()), action.as_str()))
        .collect();
    results
        .into_iter()
        .filter(|(_, _, decision)| decision != "allowed")
        .filter_map(|(action, resource, decision)| {
            let action = planned.get(&(action.to_lowercase(), resource.as_str()))?;
            Some(Denial {
                action: (*action).to_owned(),
                resource,
                decision,
            })
        })
        .collect()
}

/// What a source's customer managed key is, and who must be able to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceKey {
    /// What it encrypts, e.g. "restore `orders-db`'s EBS snapshot snap-0abc".
    pub source: String,
    pub arn: String,
    /// The service that uses it for the drill (`kms:ViaService`): `ec2` or `rds`.
    pub service: &'static str,
    /// AWS Backup's restore role, which restores the source with it.
    pub restore_role: Option<String>,
}

/// AWS Backup's restore role of a restore from a recovery point.
fn restore_role_of(scope: &Scope, restore: &Restore) -> Option<String> {
    match &restore.source {
        RestoreSource::AwsBackup(source) => Some(restore_role_arn(source, &scope.partition, &scope.account)),
        _ => None,
    }
}

/// The KMS actions a principal needs on a key (authorization.rs `kms_through`).
fn kms_actions(scope: &Scope, key: &SourceKey) -> Vec<Authorization> {
    auth::kms_through(scope, key.service, Some(&key.arn))
}

/// Each denial as a problem for `who`: the KMS actions on a source's key said plainly,
/// the rest by action and resource.
pub fn problems(who: &str, denied: &[Denial], keys: &[SourceKey]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut told = BTreeSet::new();
    for key in keys {
        let actions: BTreeSet<&str> = (denied.iter())
            .filter(|d| d.resource == key.arn && d.action.starts_with("kms:"))
            .map(|d| d.action.as_str())
            .collect();
        if actions.is_empty() || !told.insert((&key.arn, &key.source)) {
            continue;
        }
        problems.push(format!(
            "{who} cannot use the KMS key {} that encrypts {}: grant {} in the key policy or docs/iam-policy.json",
            key.arn,
            key.source,
            actions.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let on_keys: BTreeSet<&str> = keys.iter().map(|k| k.arn.as_str()).collect();
    let mut rest: Vec<&Denial> = denied
        .iter()
        .filter(|d| !(d.action.starts_with("kms:") && on_keys.contains(d.resource.as_str())))
        .collect();
    rest.sort();
    rest.dedup();
    for denial in rest {
        problems.push(format!(
            "{who} may not {} on {} ({}): see docs/iam.md",
            denial.action, denial.resource, denial.decision
        ));
    }
    problems
}

/// Simulations in flight at once (a drill needs a few dozen, one per context).
const SIMULTANEOUS: usize = 4;

/// The warning when IAM will not simulate for `whom`.
fn cannot_simulate(whom: &str, error: &CloudError) -> String {
    format!("cannot simulate {whom} permissions ({error}): going on; AWS will refuse at creation what is not allowed")
}

/// A failed SDK call as a `CloudError`: by its AWS error code where it has one, else by
/// its HTTP status (an emulator's error page is no AWS error), never the whole response.
fn failed<E>(what: &str, error: &SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if error.code().is_some() {
        return classify(what, error);
    }
    match error.raw_response() {
        Some(raw) => CloudError::Failed(format!("{what}: HTTP {}, not an AWS answer", raw.status().as_u16())),
        None => CloudError::Failed(format!("{what}: {}", DisplayErrorContext(error))),
    }
}

impl AwsCloud {
    /// Preflight's permission checks for the drill acting as `caller` in `account`, with
    /// the recovery points found: problems and warnings added to `report`.
    pub(super) async fn check_permissions(
        &self,
        scenario: &Scenario,
        caller: &str,
        account: &str,
        points: &[(&Restore, RecoveryPoint)],
        report: &mut PreflightReport,
    ) {
        let scope = Scope::new(&self.region, account);
        let keys = self.source_keys(&scope, points, &mut report.warnings).await;
        let mut drill = planned(scenario, &scope, &preflight_tags(scenario, Timestamp::now()));
        drill.extend(keys.iter().flat_map(|key| kms_actions(&scope, key)));
        let simulated = match self.principal(caller).await {
            Ok(principal) => self.simulate(&principal, &drill).await,
            Err(error) => Err(error),
        };
        match simulated {
            Ok(denied) => report.problems.extend(problems("the drill identity", &denied, &keys)),
            Err(error) => report.warnings.push(cannot_simulate("the drill identity's", &error)),
        }
        self.check_restore_roles(&scope, &keys, report).await;
    }

    /// AWS Backup's restore roles, each simulated for the keys of the recovery points it restores.
    async fn check_restore_roles(&self, scope: &Scope, keys: &[SourceKey], report: &mut PreflightReport) {
        let mut roles: BTreeMap<&str, Vec<SourceKey>> = BTreeMap::new();
        for key in keys {
            if let Some(role) = &key.restore_role {
                roles.entry(role).or_default().push(key.clone());
            }
        }
        for (role, keys) in roles {
            let needed: Vec<Authorization> = keys.iter().flat_map(|key| kms_actions(scope, key)).collect();
            let who = format!("AWS Backup's restore role {role}");
            match self.simulate(role, &needed).await {
                Ok(denied) => report.problems.extend(problems(&who, &denied, &keys)),
                Err(error) => report.warnings.push(cannot_simulate(&format!("{who}'s"), &error)),
            }
        }
    }

    /// The ARN whose policies stand for the caller: an assumed role's session is its role.
    async fn principal(&self, caller: &str) -> Result<String, CloudError> {
        match principal_of(caller) {
            Principal::Arn(arn) => Ok(arn),
            Principal::AssumedRole(name) => {
                let found = self.clients.iam.get_role().role_name(&name).send().await;
                let found = found.map_err(|e| failed("iam:GetRole", &e))?;
                (found.role().map(|r| r.arn().to_owned()))
                    .ok_or_else(|| CloudError::NotFound(format!("iam:GetRole: no role {name}")))
            }
            Principal::Unsupported(arn) => Err(CloudError::Failed(format!(
                "{arn} is not a user or a role, which is all IAM simulates"
            ))),
        }
    }

    /// The planned authorizations that `principal`'s policies do not allow, one
    /// simulation per context.
    pub(super) async fn simulate(&self, principal: &str, planned: &[Authorization]) -> Result<Vec<Denial>, CloudError> {
        let simulations = futures::stream::iter(groups(planned))
            .map(|group| async move { self.simulate_group(principal, &group).await })
            .buffer_unordered(SIMULTANEOUS);
        let denied: Vec<Vec<Denial>> = simulations.try_collect().await?;
        let mut denied: Vec<Denial> = denied.into_iter().flatten().collect();
        denied.sort();
        denied.dedup();
        Ok(denied)
    }

    /// One SimulatePrincipalPolicy, every page of it.
    async fn simulate_group(&self, principal: &str, group: &Group) -> Result<Vec<Denial>, CloudError> {
        let mut results = Vec::new();
        let mut marker = None;
        loop {
            let page = (self.clients.iam.simulate_principal_policy())
                .policy_source_arn(principal)
                .set_action_names(Some(group.actions.clone()))
                .set_resource_arns(Some(group.resources.clone()))
                .set_context_entries(Some(context_entries(&group.context)))
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| failed("iam:SimulatePrincipalPolicy", &e))?;
            results.extend(decisions(page.evaluation_results()));
            marker = (page.is_truncated())
                .then(|| page.marker().map(str::to_owned))
                .flatten();
            if marker.is_none() {
                return Ok(denials(group, results));
            }
        }
    }

    /// The customer managed keys that encrypt the sources; what cannot be read is a warning.
    async fn source_keys(
        &self,
        scope: &Scope,
        points: &[(&Restore, RecoveryPoint)],
        warnings: &mut Vec<String>,
    ) -> Vec<SourceKey> {
        let mut keys = Vec::new();
        for (restore, point) in points {
            let found = match self.keys_of(restore, point).await {
                Ok(found) => found,
                Err(error) => {
                    warnings.push(format!(
                        "restore `{}`: cannot read what encrypts its source ({error}): the use of its key is not simulated",
                        restore.id
                    ));
                    continue;
                }
            };
            for (source, key) in found {
                let source = format!("restore `{}`'s {source}", restore.id);
                match self.customer_key(&key).await {
                    Ok(Some(arn)) => keys.push(SourceKey {
                        source,
                        arn,
                        service: if point.kind.is_database() { "rds" } else { "ec2" },
                        restore_role: restore_role_of(scope, restore),
                    }),
                    Ok(None) => {}
                    Err(error) => warnings.push(format!(
                        "cannot describe the KMS key {key} that encrypts {source} ({error}): its use is not simulated"
                    )),
                }
            }
        }
        keys
    }

    /// The key's ARN when it is customer managed (kms:DescribeKey `KeyManager`), else none.
    async fn customer_key(&self, key: &str) -> Result<Option<String>, CloudError> {
        let described = self.clients.kms.describe_key().key_id(key).send().await;
        let described = described.map_err(|e| classify("kms:DescribeKey", &e))?;
        let Some(metadata) = described.key_metadata() else {
            return Err(CloudError::Failed(format!(
                "kms:DescribeKey returned nothing about {key}"
            )));
        };
        let customer = metadata.key_manager() == Some(&aws_sdk_kms::types::KeyManagerType::Customer);
        Ok(customer.then(|| metadata.arn().unwrap_or(key).to_owned()))
    }

    /// The keys that encrypt a restore's source, each with what it encrypts.
    async fn keys_of(&self, restore: &Restore, point: &RecoveryPoint) -> Result<Vec<(String, String)>, CloudError> {
        match &restore.source {
            RestoreSource::EbsSnapshot(_) => self.snapshot_keys(std::slice::from_ref(&point.id)).await,
            RestoreSource::Ami(source) => self.image_keys(&source.image).await,
            RestoreSource::AwsBackup(source) => {
                let found = (self.clients.backup.describe_recovery_point())
                    .backup_vault_name(&source.vault)
                    .recovery_point_arn(&point.id)
                    .send()
                    .await
                    .map_err(|e| classify("backup:DescribeRecoveryPoint", &e))?;
                let key = found.encryption_key_arn().map(str::to_owned);
                Ok(key
                    .map(|k| vec![(format!("recovery point {}", point.id), k)])
                    .unwrap_or_default())
            }
            database => self.database_key(database, &point.id).await,
        }
    }

    /// The key of a DB snapshot, cluster snapshot, or the instance or cluster restored to a
    /// point in time.
    async fn database_key(&self, source: &RestoreSource, point: &str) -> Result<Vec<(String, String)>, CloudError> {
        let rds = &self.clients.rds;
        let (what, key) = match source {
            RestoreSource::RdsSnapshot(_) => {
                let found = rds.describe_db_snapshots().db_snapshot_identifier(point).send().await;
                let found = found.map_err(|e| classify("rds:DescribeDBSnapshots", &e))?;
                let key = found
                    .db_snapshots()
                    .first()
                    .and_then(|s| s.kms_key_id().map(str::to_owned));
                (format!("RDS snapshot {point}"), key)
            }
            RestoreSource::RdsPointInTime(source) => {
                let request = rds.describe_db_instances().db_instance_identifier(&source.instance);
                let found = request
                    .send()
                    .await
                    .map_err(|e| classify("rds:DescribeDBInstances", &e))?;
                let key = found
                    .db_instances()
                    .first()
                    .and_then(|i| i.kms_key_id().map(str::to_owned));
                (format!("DB instance {}", source.instance), key)
            }
            RestoreSource::AuroraClusterSnapshot(_) => {
                let request = rds
                    .describe_db_cluster_snapshots()
                    .db_cluster_snapshot_identifier(point);
                let found = request
                    .send()
                    .await
                    .map_err(|e| classify("rds:DescribeDBClusterSnapshots", &e))?;
                let key = found
                    .db_cluster_snapshots()
                    .first()
                    .and_then(|s| s.kms_key_id().map(str::to_owned));
                (format!("Aurora cluster snapshot {point}"), key)
            }
            RestoreSource::AuroraPointInTime(source) => {
                let request = rds.describe_db_clusters().db_cluster_identifier(&source.cluster);
                let found = request
                    .send()
                    .await
                    .map_err(|e| classify("rds:DescribeDBClusters", &e))?;
                let key = found
                    .db_clusters()
                    .first()
                    .and_then(|c| c.kms_key_id().map(str::to_owned));
                (format!("DB cluster {}", source.cluster), key)
            }
            _ => return Ok(Vec::new()),
        };
        Ok(key.map(|k| vec![(what, k)]).unwrap_or_default())
    }

    /// The keys of EBS snapshots, each with its snapshot.
    async fn snapshot_keys(&self, snapshots: &[String]) -> Result<Vec<(String, String)>, CloudError> {
        if snapshots.is_empty() {
            return Ok(Vec::new());
        }
        let request = self
            .clients
            .ec2
            .describe_snapshots()
            .set_snapshot_ids(Some(snapshots.to_vec()));
        let found = request
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeSnapshots", &e))?;
        Ok((found.snapshots().iter())
            .filter_map(|s| {
                let key = s.kms_key_id()?;
                Some((format!("EBS snapshot {}", s.snapshot_id()?), key.to_owned()))
            })
            .collect())
    }

    /// The keys of an AMI's EBS snapshots.
    async fn image_keys(&self, image: &str) -> Result<Vec<(String, String)>, CloudError> {
        let found = self.clients.ec2.describe_images().image_ids(image).send().await;
        let found = found.map_err(|e| classify("ec2:DescribeImages", &e))?;
        let snapshots: Vec<String> = (found.images().iter())
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_owned))
            .collect();
        let keys = self.snapshot_keys(&snapshots).await?;
        Ok(keys
            .into_iter()
            .map(|(what, key)| (format!("AMI {image}'s {what}"), key))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("us-east-1", "123456789012")
    }

    fn scenario(restores: &str) -> Scenario {
        let text = format!(
            "name: orders\nowner: t@example.com\ncloud: aws\nmax_duration: 1h\ntargets: {{ rto: 30m, rpo: 24h }}\n\
             region: us-east-1\nrestores:\n{restores}\nchecks:\n  - id: rows\n    script: rows.sh\n"
        );
        serde_saphyr::from_str(&text).unwrap()
    }

    fn tags() -> Tags {
        preflight_tags(&scenario(EBS), "2026-11-25T12:00:00Z".parse().unwrap())
    }

    const RDS: &str = "  - id: orders-db\n    source: { rds_snapshot: { instance: orders-prod, snapshot: nightly } }";
    const EBS: &str = "  - id: files\n    source: { ebs_snapshot: { snapshot: snap-0123456789abcdef0 } }";

    fn find<'a>(auths: &'a [Authorization], action: &str, resource: &str) -> Option<&'a Authorization> {
        auths.iter().find(|a| a.action == action && a.resource == resource)
    }

    #[test]
    fn an_rds_snapshot_restore_is_planned_on_its_target_and_the_subnet_group() {
        let tags = tags();
        let auths = planned(&scenario(RDS), &scope(), &tags);
        let run_id = tags[TAG_RUN_ID].to_lowercase();
        let target = format!("arn:aws:rds:us-east-1:123456789012:db:{run_id}-orders-db");
        let restore = "rds:RestoreDBInstanceFromDBSnapshot";
        let on_target = find(&auths, restore, &target).expect("the restore on its target");
        assert_eq!(on_target.context["rds:PubliclyAccessible"], ["false"]);
        assert_eq!(
            on_target.context["aws:RequestTag/firedrill:run-id"],
            [tags[TAG_RUN_ID].clone()]
        );
        let group = format!("arn:aws:rds:us-east-1:123456789012:subgrp:{run_id}-subnets");
        let on_group = find(&auths, restore, &group).expect("the restore on the subnet group");
        assert_eq!(
            on_group.context["rds:subgrp-tag/firedrill:run-id"],
            [tags[TAG_RUN_ID].clone()]
        );
        assert!(find(&auths, restore, "arn:aws:rds:us-east-1:123456789012:snapshot:nightly").is_some());
        assert!(find(&auths, "rds:CreateDBSubnetGroup", &group).is_some());
        assert!(find(&auths, "rds:DeleteDBInstance", &target).is_some());
        assert!(!auths.iter().any(|a| a.action == "ec2:CreateVolume"));
    }

    #[test]
    fn an_ebs_only_drill_plans_no_database() {
        let auths = planned(&scenario(EBS), &scope(), &tags());
        let rds: BTreeSet<&str> = (auths.iter())
            .filter(|a| a.action.starts_with("rds:") && a.resource != "*")
            .map(|a| a.action.as_str())
            .collect();
        // Not even a DB subnet group: network.rs makes one only for databases.
        assert!(rds.is_empty(), "{rds:?}");
        assert!(
            !auths
                .iter()
                .any(|a| a.action.starts_with("rds:Restore") || a.action == "rds:DescribeEvents")
        );
        let snapshot = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";
        let volume = find(
            &auths,
            "ec2:CreateVolume",
            "arn:aws:ec2:us-east-1:123456789012:volume/*",
        )
        .unwrap();
        assert_eq!(volume.context["ec2:ParentSnapshot"], [snapshot]);
        assert!(find(&auths, "ec2:CreateVolume", snapshot).is_some());
        assert!(
            find(
                &auths,
                "ec2:AttachVolume",
                "arn:aws:ec2:us-east-1:123456789012:volume/*"
            )
            .is_some()
        );
    }

    #[test]
    fn the_network_runner_and_its_identity_are_planned() {
        let tags = tags();
        let auths = planned(&scenario(EBS), &scope(), &tags);
        let ec2 = |kind: &str| scope().ec2(kind, "*");
        let vpc = find(&auths, "ec2:CreateVpc", &ec2("vpc")).unwrap();
        assert_eq!(vpc.context["aws:TagKeys"].len(), tags.len());
        for service in ["ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms", "s3"] {
            let name = format!("com.amazonaws.us-east-1.{service}");
            assert!(
                auths
                    .iter()
                    .any(|a| a.context.get("ec2:VpceServiceName") == Some(&vec![name.clone()])),
                "{service}"
            );
        }
        assert!(find(&auths, "route53:AssociateVPCWithHostedZone", "*").is_some());
        let subnet = find(&auths, "ec2:RunInstances", &ec2("subnet")).unwrap();
        assert_eq!(
            subnet.context["ec2:ResourceTag/firedrill:run-id"],
            [tags[TAG_RUN_ID].clone()]
        );
        for kind in TAGGED_AT_LAUNCH {
            let created = find(&auths, "ec2:RunInstances", &ec2(kind)).unwrap();
            assert!(
                created.context.contains_key("aws:RequestTag/firedrill:run-id"),
                "{kind}"
            );
        }
        let role = scope().iam("role", PATH, &runner_role_name(&tags[TAG_RUN_ID]));
        let create = find(&auths, "iam:CreateRole", &role).unwrap();
        let boundary = "arn:aws:iam::123456789012:policy/firedrill/firedrill-runner-boundary";
        assert_eq!(create.context["iam:PermissionsBoundary"], [boundary]);
        let attach = find(&auths, "iam:AttachRolePolicy", &role).unwrap();
        let core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
        assert_eq!(attach.context["iam:PolicyARN"], [core]);
        assert!(find(&auths, "iam:PassRole", &role).is_some());
        assert!(
            !auths.iter().any(|a| a.action == "iam:PutRolePolicy"),
            "no check output to S3"
        );
        let sent = find(&auths, "ssm:SendCommand", &ec2("instance")).unwrap();
        assert_eq!(
            sent.context["ssm:resourceTag/firedrill:run-id"],
            [tags[TAG_RUN_ID].clone()]
        );
        let document = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript";
        assert!(find(&auths, "ssm:SendCommand", document).is_some());
        assert!(find(&auths, "ec2:DeleteVpc", &ec2("vpc")).is_some());
    }

    #[test]
    fn aurora_and_backup_restores_add_the_clusters_instance_and_the_restore_role() {
        let restores = "  - id: aurora\n    source: { aurora_point_in_time: { cluster: orders-aurora } }\n\
            \x20 - id: vault\n    source:\n      aws_backup:\n        vault: nightly\n        \
            resource_arn: arn:aws:rds:us-east-1:123456789012:db:orders-prod";
        let tags = tags();
        let auths = planned(&scenario(restores), &scope(), &tags);
        let run_id = tags[TAG_RUN_ID].to_lowercase();
        let cluster = format!("arn:aws:rds:us-east-1:123456789012:cluster:{run_id}-aurora");
        let create = find(&auths, "rds:CreateDBInstance", &cluster).expect("the instance joins the new cluster");
        assert_eq!(
            create.context["rds:cluster-tag/firedrill:run-id"],
            [tags[TAG_RUN_ID].clone()]
        );
        assert!(find(&auths, "rds:RestoreDBClusterToPointInTime", &cluster).is_some());
        let role = "arn:aws:iam::123456789012:role/firedrill-restore/firedrill-restore";
        let pass = find(&auths, "iam:PassRole", role).unwrap();
        assert_eq!(pass.context["iam:PassedToService"], ["backup.amazonaws.com"]);
        assert!(find(&auths, "backup:StartRestoreJob", "*").is_some());
        let copy = format!("arn:aws:rds:us-east-1:123456789012:db:{run_id}-vault");
        let tagging = find(&auths, "rds:AddTagsToResource", &copy).expect("the copy is tagged when done");
        assert!(!tagging.context.contains_key("aws:ResourceTag/firedrill:run-id"));
    }

    fn auth(action: &str, resource: &str, context: &[(&str, &[&str])]) -> Authorization {
        Authorization {
            action: action.into(),
            resource: resource.into(),
            context: (context.iter())
                .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
        }
    }

    #[test]
    fn groups_share_one_context_and_keep_the_planned_pairs() {
        let tagged: &[(&str, &[&str])] = &[("aws:RequestTag/k", &["v"])];
        let auths = [
            auth("ec2:CreateVpc", "vpc/*", tagged),
            auth("ec2:CreateSubnet", "subnet/*", tagged),
            auth("ec2:CreateSubnet", "vpc/*", &[("aws:ResourceTag/k", &["v"])]),
            auth("ec2:CreateVpc", "vpc/*", tagged),
        ];
        let groups = groups(&auths);
        assert_eq!(groups.len(), 2);
        let created = groups
            .iter()
            .find(|g| g.context.contains_key("aws:RequestTag/k"))
            .unwrap();
        assert_eq!(created.actions, ["ec2:CreateSubnet", "ec2:CreateVpc"]);
        assert_eq!(created.resources, ["subnet/*", "vpc/*"]);
        assert_eq!(created.pairs.len(), 2, "{:?}", created.pairs);
        // The call also evaluates CreateVpc on subnet/*: that result is not the drill's.
        let results = vec![
            ("ec2:CreateVpc".into(), "subnet/*".into(), "implicitDeny".into()),
            ("EC2:CreateSubnet".into(), "subnet/*".into(), "explicitDeny".into()),
            ("ec2:CreateVpc".into(), "vpc/*".into(), "allowed".into()),
        ];
        let denied = denials(created, results);
        assert_eq!(
            denied,
            [Denial {
                action: "ec2:CreateSubnet".into(),
                resource: "subnet/*".into(),
                decision: "explicitDeny".into()
            }]
        );
    }

    #[test]
    fn context_keys_are_typed() {
        let one = |v: &str| vec![v.to_owned()];
        assert_eq!(
            key_type("rds:PubliclyAccessible", &one("false")),
            ContextKeyTypeEnum::Boolean
        );
        assert_eq!(
            key_type("aws:TagKeys", &one("firedrill:run-id")),
            ContextKeyTypeEnum::StringList
        );
        assert_eq!(key_type("aws:RequestTag/k", &one("v")), ContextKeyTypeEnum::String);
        assert_eq!(
            key_type("kms:ViaService", &one("ec2.us-east-1.amazonaws.com")),
            ContextKeyTypeEnum::String
        );
        let two = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(key_type("ec2:ResourceTag/k", &two), ContextKeyTypeEnum::StringList);
        let context = Context::from([
            ("aws:TagKeys".to_owned(), two.clone()),
            ("rds:PubliclyAccessible".to_owned(), one("false")),
        ]);
        let entries = context_entries(&context);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].context_key_name(), Some("aws:TagKeys"));
        assert_eq!(entries[0].context_key_values(), two);
        assert_eq!(entries[1].context_key_type(), Some(&ContextKeyTypeEnum::Boolean));
    }

    #[test]
    fn principals_come_from_the_callers_arn() {
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:assumed-role/firedrill-drill/session-1"),
            Principal::AssumedRole("firedrill-drill".into())
        );
        assert_eq!(
            principal_of("arn:aws:iam::123456789012:user/ops/alice"),
            Principal::Arn("arn:aws:iam::123456789012:user/ops/alice".into())
        );
        // moto names its user under sts.
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:user/moto"),
            Principal::Arn("arn:aws:iam::123456789012:user/moto".into())
        );
        assert!(matches!(
            principal_of("arn:aws:iam::123456789012:root"),
            Principal::Unsupported(_)
        ));
        assert!(matches!(principal_of("nonsense"), Principal::Unsupported(_)));
    }

    #[test]
    fn kms_denials_on_a_source_key_are_said_plainly() {
        let key = SourceKey {
            source: "restore `files`'s EBS snapshot snap-1".into(),
            arn: "arn:aws:kms:us-east-1:123456789012:key/k".into(),
            service: "ec2",
            restore_role: None,
        };
        let denial = |action: &str, resource: &str| Denial {
            action: action.into(),
            resource: resource.into(),
            decision: "implicitDeny".into(),
        };
        let denied = [
            denial("kms:CreateGrant", &key.arn),
            denial("kms:Decrypt", &key.arn),
            denial("ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:subnet/*"),
        ];
        let said = problems("the drill identity", &denied, std::slice::from_ref(&key));
        assert_eq!(
            said,
            [
                "the drill identity cannot use the KMS key arn:aws:kms:us-east-1:123456789012:key/k that encrypts \
                 restore `files`'s EBS snapshot snap-1: grant kms:CreateGrant, kms:Decrypt in the key policy or \
                 docs/iam-policy.json",
                "the drill identity may not ec2:RunInstances on arn:aws:ec2:us-east-1:123456789012:subnet/* \
                 (implicitDeny): see docs/iam.md",
            ]
        );
    }
}

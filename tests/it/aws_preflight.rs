//! Preflight against moto: every problem found before anything is created, each saying
//! what to fix (a missing snapshot, a disabled or unknown KMS key, a missing AWS Backup
//! restore role), and nothing created by it.

use firedrill::cloud::{Cloud, TAG_RUN_ID};

use crate::aws_drill::{load, seed_production};
use crate::moto;

fn scenario(kms_key: &str) -> String {
    format!(
        r#"
name: aws-preflight
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: {{ rto: 30m, rpo: 24h }}
region: us-east-1
restores:
  - id: orders-db
    source: {{ rds_snapshot: {{ instance: orders-prod, snapshot: latest }} }}
  - id: missing
    source: {{ rds_snapshot: {{ instance: no-such-db, snapshot: latest }} }}
  - id: encrypted
    source: {{ aurora_cluster_snapshot: {{ cluster: orders-aurora, snapshot: latest }} }}
    overrides: {{ kms_key: "{kms_key}" }}
  - id: from-backup
    source:
      aws_backup:
        vault: nightly
        resource_arn: arn:aws:rds:us-east-1:123456789012:db:orders-prod
        recovery_point: {{ arn: "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-1" }}
        restore_role: arn:aws:iam::123456789012:role/no-such-role
checks:
  - id: rows
    script: postgres-row-counts.sh
    needs: [orders-db]
    env: {{ TABLES: orders }}
"#
    )
}

#[tokio::test]
async fn preflight_reports_every_problem_at_once_and_creates_nothing() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    seed_production(&setup).await;
    let key = setup.kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();
    setup.kms.disable_key().key_id(&key).send().await.unwrap();
    let cloud = moto::cloud(&url);

    let report = cloud.preflight(&load(&scenario(&key)).scenario).await;
    let problems = report.problems.join("\n");
    assert!(report.identity.is_some_and(|i| i.contains("123456789012")));
    assert!(
        problems.contains("restore `missing`") && problems.contains("no-such-db"),
        "{problems}"
    );
    assert!(
        problems.contains(&format!("the KMS key {key} is Disabled")),
        "{problems}"
    );
    assert!(problems.contains("restore `from-backup`"), "{problems}");
    assert!(
        problems.contains("no-such-role") || problems.contains("recovery point"),
        "{problems}"
    );
    assert!(
        !problems.contains("restore `orders-db`"),
        "the good restore passes: {problems}"
    );

    let unknown = cloud
        .preflight(&load(&scenario("1234abcd-12ab-34cd-56ef-1234567890ab")).scenario)
        .await;
    assert!(
        unknown.problems.iter().any(|p| p.contains("does not exist")),
        "{:?}",
        unknown.problems
    );
    let created = cloud.list_by_tag(TAG_RUN_ID, None).await.unwrap();
    assert!(created.is_empty(), "preflight creates nothing: {created:?}");
}

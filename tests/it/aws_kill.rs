//! The real binary on the AWS cloud (moto through `AWS_ENDPOINT_URL`), SIGKILLed in the
//! middle of a drill once its restore has started; then `firedrill cleanup` finds what
//! the run left from its journal and tags, leaves it alone while the run's lease lasts
//! (without `--force`), and removes all of it with `--force`; production is unchanged.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use firedrill::cloud::{Cloud, TAG_RUN_ID};

use crate::aws_drill::{production, seed_production};
use crate::moto;
use crate::support::root;

pub fn aws_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", url.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_REGION", moto::REGION.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/nonexistent".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".to_owned()),
        ("NO_COLOR", "1".to_owned()),
    ]
}

pub fn firedrill(args: &[&str], url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .current_dir(root())
        .envs(aws_env(url))
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn a_killed_aws_drill_is_cleaned_up_from_its_journal_and_tags() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (_, image) = seed_production(&setup).await;
    let before = production(&setup).await;
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("killed.yaml");
    std::fs::write(
        &scenario,
        format!(
            r#"name: aws-killed
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: {{ rto: 30m, rpo: 24h }}
region: us-east-1
restores:
  - id: orders-db
    source: {{ rds_snapshot: {{ instance: orders-prod, snapshot: latest }} }}
runner:
  launch: {{ instance_type: t3.micro, ami: {image} }}
checks:
  - id: row-counts
    script: postgres-row-counts.sh
    needs: [orders-db]
    env: {{ PGHOST: "{{{{ restores.orders-db.endpoint }}}}", TABLES: orders }}
"#
        ),
    )
    .unwrap();
    let history = dir.path().join("history");
    let checks = root().join("checks");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
        ])
        .args(["--checks-dir", checks.to_str().unwrap()])
        .current_dir(root())
        .envs(aws_env(&url))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed as soon as the journal says the restore has started.
    let deadline = Instant::now() + Duration::from_secs(180);
    let journal = loop {
        let found = std::fs::read_dir(history.join("aws-killed")).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
        });
        if let Some(path) = found {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.contains("\"restore_started\"") {
                break path;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut said = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut said).unwrap();
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut said).unwrap();
            panic!("the drill ended before it was killed ({status}): {said}");
        }
        assert!(Instant::now() < deadline, "the restore never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL: no teardown runs
    child.wait().unwrap();
    let run_id = journal
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".journal.jsonl")
        .to_owned();
    let cloud = moto::cloud(&url);
    let left = cloud.list_by_tag(TAG_RUN_ID, Some(&run_id)).await.unwrap();
    assert!(left.len() >= 5, "the killed run left its VPC and restore: {left:#?}");

    // Inside its lease the run may still be running: cleanup leaves it alone.
    let history = history.to_str().unwrap();
    let region = ["--region", moto::REGION];
    let polite = firedrill(
        &[&["cleanup", "--run-id", &run_id, "--history", history][..], &region].concat(),
        &url,
    );
    let said = String::from_utf8_lossy(&polite.stdout);
    assert_eq!(
        polite.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&polite.stderr)
    );
    assert!(said.contains("left alone inside their lease"), "{said}");
    let still = cloud.list_by_tag(TAG_RUN_ID, Some(&run_id)).await.unwrap();
    assert_eq!(still.len(), left.len(), "nothing touched without --force");

    let forced = firedrill(
        &[
            &["cleanup", "--run-id", &run_id, "--force", "--history", history][..],
            &region,
        ]
        .concat(),
        &url,
    );
    let said = String::from_utf8_lossy(&forced.stdout);
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let remaining = cloud.list_by_tag(TAG_RUN_ID, Some(&run_id)).await.unwrap();
    assert!(remaining.is_empty(), "{remaining:#?}");
    assert_eq!(production(&setup).await, before, "production is unchanged");
}

/// An EC2 client in the account of `role` (moto's AssumeRole answers with credentials
/// that act in the role's account).
async fn ec2_as(url: &str, role: &str) -> aws_sdk_ec2::Client {
    let sts = moto::setup_clients(url).sts;
    let assumed = sts
        .assume_role()
        .role_arn(role)
        .role_session_name("setup")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let credentials = aws_sdk_ec2::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "assumed",
    );
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new(moto::REGION))
        .endpoint_url(url)
        .credentials_provider(credentials)
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

#[tokio::test]
async fn cleanup_of_a_cross_account_drill_looks_in_the_account_of_its_assumed_role() {
    let (_server, url) = moto::moto().await;
    let role = "arn:aws:iam::222222222222:role/firedrill-drills";
    let drills = ec2_as(&url, role).await;
    // What a killed cross-account drill left in the drill account, its lease over.
    let run_id = "fd-cross-20261101T120000Z-abcdef";
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    let left = drills
        .create_vpc()
        .cidr_block("10.250.0.0/16")
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                .tags(tag(TAG_RUN_ID, run_id))
                .tags(tag("firedrill:lease-until", "2026-11-01T13:00:00Z"))
                .tags(tag("firedrill:created-by", "firedrill/0.1.0"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let vpc = left.vpc().unwrap().vpc_id().unwrap().to_owned();
    let vpcs = |client: aws_sdk_ec2::Client| async move {
        let found = client.describe_vpcs().send().await.unwrap();
        found
            .vpcs()
            .iter()
            .filter_map(|v| v.vpc_id().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert!(
        !vpcs(moto::setup_clients(&url).ec2).await.contains(&vpc),
        "the drill account is not the credentials'"
    );
    let history = tempfile::tempdir().unwrap();
    let history = history.path().to_str().unwrap();
    let cleanup = |extra: &[&str]| {
        let args = [
            &["cleanup", "--all", "--history", history, "--region", moto::REGION][..],
            extra,
        ]
        .concat();
        firedrill(&args, &url)
    };

    let in_own_account = cleanup(&[]);
    assert_eq!(in_own_account.status.code(), Some(0), "{:?}", in_own_account);
    assert!(
        vpcs(drills.clone()).await.contains(&vpc),
        "the credentials' account holds nothing of it"
    );

    let assumed = cleanup(&["--assume-role", role]);
    let said = String::from_utf8_lossy(&assumed.stdout);
    assert_eq!(
        assumed.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&assumed.stderr)
    );
    assert!(
        !vpcs(drills).await.contains(&vpc),
        "cleaned up in the role's account: {said}"
    );
}

//! AWS Backup restores on mocked AWS Backup (moto has no recovery points or restore
//! jobs): rules shaped after the API reference answer ListRecoveryPointsByResource,
//! GetRecoveryPointRestoreMetadata, StartRestoreJob, DescribeRestoreJob and
//! ListRestoreJobs, and an emulator beside the drill does what AWS Backup does: it
//! creates the copy in moto, untagged, from the metadata it was given, and completes the
//! job with its CreatedResourceArn (or fails it). firedrill must tag the copy when the job
//! completes, check it, and delete it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput;
use aws_sdk_backup::operation::get_recovery_point_restore_metadata::GetRecoveryPointRestoreMetadataOutput;
use aws_sdk_backup::operation::list_recovery_points_by_resource::ListRecoveryPointsByResourceOutput;
use aws_sdk_backup::operation::list_restore_jobs::ListRestoreJobsOutput;
use aws_sdk_backup::operation::start_restore_job::StartRestoreJobOutput;
use aws_sdk_backup::primitives::DateTime;
use aws_sdk_backup::types::{RecoveryPointByResource, RecoveryPointStatus, RestoreJobStatus, RestoreJobsListMember};
use aws_smithy_mocks::{Rule, mock};
use firedrill::cloud::ResourceType;
use firedrill::cloud::aws::AwsCloud;
use firedrill::measure::Outcome;
use firedrill::result::DrillResult;

use crate::aws_drill::{self, Canned};
use crate::moto;

#[derive(Debug, Clone)]
struct Job {
    id: String,
    metadata: HashMap<String, String>,
    role: String,
    token: String,
    status: RestoreJobStatus,
    created: Option<String>,
    created_at: DateTime,
    completed_at: Option<DateTime>,
}

#[derive(Default)]
struct FakeBackup {
    jobs: Vec<Job>,
}

fn now() -> DateTime {
    let now = jiff::Timestamp::now();
    DateTime::from_secs_and_nanos(now.as_second(), now.subsec_nanosecond() as u32)
}

fn backup_rules(snapshot_arn: String, backup_age: jiff::SignedDuration) -> (Vec<Rule>, Arc<Mutex<FakeBackup>>) {
    let state = Arc::new(Mutex::new(FakeBackup::default()));
    let point = snapshot_arn.clone();
    let created = jiff::Timestamp::now().saturating_sub(backup_age).unwrap();
    let list_points = mock!(aws_sdk_backup::Client::list_recovery_points_by_resource).then_compute_output(move |_| {
        let completed = RecoveryPointByResource::builder()
            .recovery_point_arn(&point)
            .backup_vault_name("nightly")
            .status(RecoveryPointStatus::Completed)
            .creation_date(DateTime::from_secs(created.as_second()))
            .build();
        let partial = RecoveryPointByResource::builder()
            .recovery_point_arn(format!("{point}-partial"))
            .backup_vault_name("nightly")
            .status(RecoveryPointStatus::Partial)
            .creation_date(DateTime::from_secs(created.as_second() + 60))
            .build();
        ListRecoveryPointsByResourceOutput::builder()
            .recovery_points(completed)
            .recovery_points(partial)
            .build()
    });
    let metadata = mock!(aws_sdk_backup::Client::get_recovery_point_restore_metadata).then_compute_output(|input| {
        GetRecoveryPointRestoreMetadataOutput::builder()
            .recovery_point_arn(input.recovery_point_arn().unwrap_or_default())
            .restore_metadata("availabilityZone", "us-east-1c")
            .restore_metadata("volumeId", "vol-0prod")
            .restore_metadata("volumeType", "gp3")
            .restore_metadata("volumeSize", "8")
            .restore_metadata("encrypted", "false")
            .build()
    });
    let starting = state.clone();
    let start = mock!(aws_sdk_backup::Client::start_restore_job).then_compute_output(move |input| {
        let mut state = starting.lock().unwrap();
        let token = input.idempotency_token().unwrap_or_default().to_owned();
        // A repeated token is the same job (the API's idempotency).
        if let Some(job) = state.jobs.iter().find(|j| j.token == token) {
            return StartRestoreJobOutput::builder().restore_job_id(&job.id).build();
        }
        let id = format!("job-{}", state.jobs.len() + 1);
        state.jobs.push(Job {
            id: id.clone(),
            metadata: input.metadata().cloned().unwrap_or_default(),
            role: input.iam_role_arn().unwrap_or_default().to_owned(),
            token,
            status: RestoreJobStatus::Pending,
            created: None,
            created_at: now(),
            completed_at: None,
        });
        StartRestoreJobOutput::builder().restore_job_id(id).build()
    });
    let describing = state.clone();
    let describe = mock!(aws_sdk_backup::Client::describe_restore_job).then_compute_output(move |input| {
        let state = describing.lock().unwrap();
        let job = state
            .jobs
            .iter()
            .find(|j| Some(j.id.as_str()) == input.restore_job_id());
        DescribeRestoreJobOutput::builder()
            .set_restore_job_id(job.map(|j| j.id.clone()))
            .set_creation_date(job.map(|j| j.created_at))
            .build()
    });
    let listing = state.clone();
    let list = mock!(aws_sdk_backup::Client::list_restore_jobs).then_compute_output(move |_| {
        let state = listing.lock().unwrap();
        let jobs = state
            .jobs
            .iter()
            .map(|job| {
                RestoreJobsListMember::builder()
                    .restore_job_id(&job.id)
                    .status(job.status.clone())
                    .set_status_message(
                        (job.status == RestoreJobStatus::Failed).then(|| "Insufficient capacity".to_owned()),
                    )
                    .creation_date(job.created_at)
                    .set_completion_date(job.completed_at)
                    .set_created_resource_arn(job.created.clone())
                    // No ExpectedCompletionTimeMinutes (optional in the answer): AWS's
                    // whole minutes would plan the first look minutes after a job this
                    // emulator ends in half a second. Its reading is unit-tested in
                    // src/cloud/aws/backup.rs.
                    .resource_type("EBS")
                    .build()
            })
            .collect();
        ListRestoreJobsOutput::builder().set_restore_jobs(Some(jobs)).build()
    });
    (vec![list_points, metadata, start, describe, list], state)
}

/// Does AWS Backup's part: each pending job becomes a volume in moto (untagged, in the
/// zone the metadata names), then the job completes with its ARN, or fails.
async fn emulate(state: Arc<Mutex<FakeBackup>>, setup: aws_sdk_ec2::Client, snapshot: String, fail: bool) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pending: Vec<Job> = {
            let mut state = state.lock().unwrap();
            state
                .jobs
                .iter_mut()
                .filter(|j| j.status == RestoreJobStatus::Pending)
                .map(|j| {
                    j.status = RestoreJobStatus::Running;
                    j.clone()
                })
                .collect()
        };
        for job in pending {
            let outcome = if fail {
                None
            } else {
                let volume = setup
                    .create_volume()
                    .snapshot_id(&snapshot)
                    .availability_zone(job.metadata.get("availabilityZone").cloned().unwrap_or_default())
                    .send()
                    .await
                    .unwrap();
                Some(format!(
                    "arn:aws:ec2:us-east-1:123456789012:volume/{}",
                    volume.volume_id().unwrap()
                ))
            };
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut state = state.lock().unwrap();
            let entry = state.jobs.iter_mut().find(|j| j.id == job.id).unwrap();
            entry.status = if outcome.is_some() {
                RestoreJobStatus::Completed
            } else {
                RestoreJobStatus::Failed
            };
            entry.created = outcome;
            entry.completed_at = Some(now());
        }
    }
}

const SCENARIO: &str = r#"
name: aws-backup-drill
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: { rto: 30m, rpo: 24h }
region: us-east-1
restores:
  - id: files
    source:
      aws_backup:
        vault: nightly
        resource_arn: arn:aws:ec2:us-east-1:123456789012:volume/VOLUME
runner:
  launch: { instance_type: t3.micro, ami: IMAGE }
checks:
  - id: files-fresh
    script: file-mtime-watermark.sh
    needs: [files]
    env: { DATA_DIR: "{{ restores.files.mount_path }}" }
    watermark: true
    gates_rto: true
"#;

struct Ran {
    result: DrillResult,
    jobs: Vec<Job>,
    cloud: AwsCloud,
}

/// A rule answering the first call of `operation` with ServiceUnavailableException;
/// placed before the others, it is used up by that one call.
fn fault_rule(operation: &str) -> Rule {
    use aws_sdk_backup::error::ErrorMetadata;
    let meta = || {
        ErrorMetadata::builder()
            .code("ServiceUnavailableException")
            .message("injected failure")
            .build()
    };
    use aws_sdk_backup::operation as op;
    match operation {
        "backup:ListRecoveryPointsByResource" => mock!(aws_sdk_backup::Client::list_recovery_points_by_resource)
            .sequence()
            .error(move || op::list_recovery_points_by_resource::ListRecoveryPointsByResourceError::generic(meta()))
            .build(),
        "backup:GetRecoveryPointRestoreMetadata" => mock!(aws_sdk_backup::Client::get_recovery_point_restore_metadata)
            .sequence()
            .error(move || {
                op::get_recovery_point_restore_metadata::GetRecoveryPointRestoreMetadataError::generic(meta())
            })
            .build(),
        "backup:StartRestoreJob" => mock!(aws_sdk_backup::Client::start_restore_job)
            .sequence()
            .error(move || op::start_restore_job::StartRestoreJobError::generic(meta()))
            .build(),
        "backup:DescribeRestoreJob" => mock!(aws_sdk_backup::Client::describe_restore_job)
            .sequence()
            .error(move || op::describe_restore_job::DescribeRestoreJobError::generic(meta()))
            .build(),
        "backup:ListRestoreJobs" => mock!(aws_sdk_backup::Client::list_restore_jobs)
            .sequence()
            .error(move || op::list_restore_jobs::ListRestoreJobsError::generic(meta()))
            .build(),
        other => panic!("no fault rule for {other}"),
    }
}

async fn backup_drill(url: &str, fail: bool) -> Ran {
    backup_drill_with(url, fail, None).await
}

async fn backup_drill_with(url: &str, fail: bool, fault: Option<&str>) -> Ran {
    let setup = moto::setup_clients(url);
    let (volume, image) = aws_drill::seed_production(&setup).await;
    let snapshots = setup.ec2.describe_snapshots().owner_ids("self").send().await.unwrap();
    let snapshot = snapshots.snapshots()[0].snapshot_id().unwrap().to_owned();
    let (rules, state) = backup_rules(
        format!("arn:aws:ec2:us-east-1::snapshot/{snapshot}"),
        jiff::SignedDuration::from_hours(6),
    );
    let fault = fault.map(fault_rule);
    let rules: Vec<&Rule> = fault.iter().chain(rules.iter()).collect();
    let watermark = jiff::Timestamp::now()
        .saturating_sub(jiff::SignedDuration::from_hours(6))
        .unwrap();
    let canned = [("files-fresh".to_owned(), Canned::ok(&format!("{watermark}\n")))].into();
    let (ssm_rules, _) = aws_drill::ssm_rules(canned);
    let ssm_rules: Vec<&Rule> = ssm_rules.iter().collect();
    let cloud = aws_drill::cloud_with(
        url,
        moto::ssm_with_mocks(url, &ssm_rules),
        Some(moto::backup_with_mocks(Some(url), &rules)),
    );
    let loaded = aws_drill::load(&SCENARIO.replace("VOLUME", &volume).replace("IMAGE", &image));
    let result = tokio::select! {
        result = aws_drill::drill(&cloud, &loaded) => result,
        () = emulate(state.clone(), setup.ec2.clone(), snapshot, fail) => unreachable!("the emulator never ends"),
    };
    let jobs = state.lock().unwrap().jobs.clone();
    Ran { result, jobs, cloud }
}

#[tokio::test]
async fn an_aws_backup_restore_lands_in_the_isolated_zone_is_tagged_on_completion_and_removed() {
    let (server, url) = moto::moto().await;
    let Ran { result, jobs, cloud } = backup_drill(&url, false).await;
    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.reasons);
    assert_eq!(jobs.len(), 1, "one job: {jobs:#?}");
    let job = &jobs[0];
    assert!(
        job.token.starts_with(&result.run_id),
        "the token is the run's: {}",
        job.token
    );
    assert!(
        job.role.ends_with(":role/firedrill-restore/firedrill-restore"),
        "{}",
        job.role
    );
    let zone = job.metadata.get("availabilityZone").map(String::as_str);
    assert_ne!(zone, Some("us-east-1c"), "never production's zone");
    assert!(!job.metadata.contains_key("volumeId"), "{:?}", job.metadata);
    let record = &result.restores[0];
    let point = record.recovery_point.as_ref().unwrap();
    assert!(point.id.contains(":snapshot/snap-"), "{point:?}");
    assert!(
        !point.id.ends_with("-partial"),
        "only a COMPLETED recovery point is restored"
    );
    let copy = record.resource.clone().expect("the job's copy");
    assert_eq!(copy.kind, ResourceType::Volume);
    assert!(
        result.teardown.deleted.contains(&copy),
        "the copy is deleted: {:#?}",
        result.teardown
    );
    aws_drill::assert_nothing_left(&cloud, &url, &result.run_id).await;
    let volumes = moto::setup_clients(&url)
        .ec2
        .describe_volumes()
        .volume_ids(&copy.id)
        .send()
        .await;
    let live = volumes.map(|v| {
        v.volumes()
            .iter()
            .any(|v| v.state().map(|s| s.as_str()) != Some("deleted"))
    });
    assert!(!live.unwrap_or(false), "the copy is gone");
    server.assert_authorized(&["iam-aws-backup-ec2-copies.json"]);
}

#[tokio::test]
async fn a_failed_restore_job_is_an_error_and_leaves_nothing() {
    let (_server, url) = moto::moto().await;
    let Ran { result, cloud, .. } = backup_drill(&url, true).await;
    assert_eq!(result.outcome, Outcome::Error, "{:#?}", result.reasons);
    let reasons = result.reasons.join("\n");
    assert!(
        reasons.contains("FAILED") && reasons.contains("Insufficient capacity"),
        "{reasons}"
    );
    aws_drill::assert_nothing_left(&cloud, &url, &result.run_id).await;
}

/// A failure at each AWS Backup call of the drill: the calls before the job starts end the
/// drill in error with nothing started; a failed look at the job's start time loses
/// nothing; a failed ListRestoreJobs ends observation in error, and the job, which
/// cannot be cancelled, is waited for, its copy tagged and deleted. Nothing is left.
#[tokio::test]
async fn a_failure_at_each_aws_backup_call_ends_right_and_leaves_nothing() {
    let cases = [
        ("backup:ListRecoveryPointsByResource", Outcome::Error),
        ("backup:GetRecoveryPointRestoreMetadata", Outcome::Error),
        ("backup:StartRestoreJob", Outcome::Error),
        ("backup:DescribeRestoreJob", Outcome::Passed),
        ("backup:ListRestoreJobs", Outcome::Error),
    ];
    // The cases share nothing (each leases its own moto server): run them side by side.
    // Boxed: five drill futures side by side would not fit the test thread's stack.
    futures::future::join_all(cases.map(|(operation, outcome)| {
        Box::pin(async move {
            let (_server, url) = moto::moto().await;
            let Ran { result, jobs, cloud } = backup_drill_with(&url, false, Some(operation)).await;
            assert_eq!(result.outcome, outcome, "{operation}: {:#?}", result.reasons);
            assert!(jobs.len() <= 1, "{operation}: never a second job: {jobs:#?}");
            aws_drill::assert_nothing_left(&cloud, &url, &result.run_id).await;
            // What a started job made is gone too (it was never tagged if firedrill lost it).
            let setup = moto::setup_clients(&url);
            let volumes = setup.ec2.describe_volumes().send().await.unwrap();
            let strays: Vec<&str> = volumes
                .volumes()
                .iter()
                .filter(|v| v.snapshot_id().is_some_and(|s| !s.is_empty()))
                .filter(|v| v.state().map(|s| s.as_str()) != Some("deleted"))
                .filter_map(|v| v.volume_id())
                .collect();
            assert!(strays.is_empty(), "{operation}: restored copies remain: {strays:?}");
        })
    }))
    .await;
    println!("{} AWS Backup fault cases run", cases.len());
}

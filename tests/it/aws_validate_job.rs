//! `validate-restore-job` on moto (the copy) and mocked AWS Backup (moto has no restore
//! jobs, nor PutRestoreValidationResult): a restore testing job is judged, its verdict
//! kept in the history and posted, VALIDATING first; an on-demand job is refused; the
//! copy is never touched.

use std::sync::{Arc, Mutex};

use aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput;
use aws_sdk_backup::operation::put_restore_validation_result::PutRestoreValidationResultOutput;
use aws_sdk_backup::primitives::DateTime;
use aws_sdk_backup::types::{RestoreJobCreator, RestoreJobStatus};
use aws_smithy_mocks::{Rule, mock};
use firedrill::cli::validate_job::{ValidateJobArgs, validate_on};
use firedrill::cloud::aws::AwsCloud;
use firedrill::history::LocalStore;
use firedrill::scenario::HumanDuration;

use crate::moto;

const PLAN: &str = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:nightly_orders-9f1c";
const COPY: &str = "awsbackup-restore-test-1";

type Posted = Arc<Mutex<Vec<(String, String)>>>;

fn backup_rules(plan: Option<&'static str>, minutes: i64) -> (Vec<Rule>, Posted) {
    let posted: Posted = Arc::default();
    let created = jiff::Timestamp::now().as_second() - 3 * 3600;
    let describe = mock!(aws_sdk_backup::Client::describe_restore_job).then_output(move || {
        DescribeRestoreJobOutput::builder()
            .restore_job_id("job-7")
            .status(RestoreJobStatus::Completed)
            .resource_type("RDS")
            .created_resource_arn(format!("arn:aws:rds:us-east-1:123456789012:db:{COPY}"))
            .recovery_point_arn("arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-x")
            .creation_date(DateTime::from_secs(created))
            .completion_date(DateTime::from_secs(created + minutes * 60))
            .recovery_point_creation_date(DateTime::from_secs(created - 5 * 3600))
            .set_created_by(plan.map(|p| RestoreJobCreator::builder().restore_testing_plan_arn(p).build()))
            .build()
    });
    let record = posted.clone();
    let put = mock!(aws_sdk_backup::Client::put_restore_validation_result).then_compute_output(move |input| {
        record.lock().unwrap().push((
            input
                .validation_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            input.validation_status_message().unwrap_or_default().to_owned(),
        ));
        PutRestoreValidationResultOutput::builder().build()
    });
    (vec![describe, put], posted)
}

async fn seed_copy(url: &str) {
    let rds = moto::setup_clients(url).rds;
    moto::postgres(&rds, COPY).send().await.unwrap();
}

fn args(history: &std::path::Path, rto: &str) -> ValidateJobArgs {
    ValidateJobArgs {
        job: "job-7".into(),
        rto: HumanDuration::parse(rto).unwrap(),
        rpo: HumanDuration::parse("1d").unwrap(),
        history: firedrill::history::Location::Local(history.to_path_buf()),
        no_post: false,
        profile: None,
        region: None,
    }
}

fn cloud(url: &str, rules: &[Rule]) -> AwsCloud {
    let rules: Vec<&Rule> = rules.iter().collect();
    let mut clients = moto::clients(url);
    clients.backup = moto::backup_with_mocks(Some(url), &rules);
    AwsCloud::from_clients(clients, moto::REGION)
}

fn no_mutation_but_the_verdict(server: &moto::Moto) {
    let mutations: Vec<String> = server
        .mutations()
        .into_iter()
        .map(|(call, _)| call)
        .filter(|call| call != "backup:PutRestoreValidationResult")
        .collect();
    assert!(mutations.is_empty(), "the validator changed something: {mutations:?}");
}

#[tokio::test]
async fn a_restore_testing_job_is_judged_kept_and_posted() {
    let (server, url) = moto::moto().await;
    seed_copy(&url).await;
    let (rules, posted) = backup_rules(Some(PLAN), 40);
    let history = tempfile::tempdir().unwrap();
    let code = validate_on(&cloud(&url, &rules), &args(history.path(), "1h"))
        .await
        .unwrap();
    assert_eq!(code, 0);
    let posted = posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert_eq!(posted[0].0, "VALIDATING");
    assert_eq!(posted[1].0, "SUCCESSFUL");
    assert!(
        posted[1].1.contains(": passed; RTO 40m 0s (target 1h)"),
        "{}",
        posted[1].1
    );
    let kept = LocalStore::new(history.path().to_path_buf()).load().unwrap();
    let [stored] = kept.results.as_slice() else {
        panic!("one verdict kept: {:?}", kept.results.len())
    };
    assert_eq!(stored.result.scenario, "restore-testing-nightly-orders-9f1c");
    assert!(stored.result.checks.iter().all(|c| c.passed));
    no_mutation_but_the_verdict(&server);
    server.assert_authorized(&["iam-validate-restore-job.json"]);
}

#[tokio::test]
async fn a_restore_over_its_target_or_a_missing_copy_is_posted_as_failed() {
    let (server, url) = moto::moto().await;
    seed_copy(&url).await;
    let (rules, posted) = backup_rules(Some(PLAN), 90);
    let history = tempfile::tempdir().unwrap();
    let code = validate_on(&cloud(&url, &rules), &args(history.path(), "1h"))
        .await
        .unwrap();
    assert_eq!(code, 1);
    let last = posted.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.0, "FAILED");
    assert!(
        last.1.contains("RTO 1h 30m 0s exceeds the target 1h 0m 0s"),
        "{}",
        last.1
    );
    no_mutation_but_the_verdict(&server);

    let rds = moto::setup_clients(&url).rds;
    rds.delete_db_instance()
        .db_instance_identifier(COPY)
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    let (rules, posted) = backup_rules(Some(PLAN), 10);
    let code = validate_on(&cloud(&url, &rules), &args(history.path(), "1h"))
        .await
        .unwrap();
    assert_eq!(code, 1);
    let last = posted.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.0, "FAILED");
    assert!(last.1.contains("check `copy-usable` failed"), "{}", last.1);
}

#[tokio::test]
async fn an_on_demand_job_is_refused_and_nothing_is_posted_or_kept() {
    let (_lock, url) = moto::moto().await;
    let (rules, posted) = backup_rules(None, 10);
    let history = tempfile::tempdir().unwrap();
    let code = validate_on(&cloud(&url, &rules), &args(history.path(), "1h"))
        .await
        .unwrap();
    assert_eq!(code, 2);
    assert!(posted.lock().unwrap().is_empty());
    assert!(
        std::fs::read_dir(history.path()).unwrap().next().is_none(),
        "nothing kept"
    );
}

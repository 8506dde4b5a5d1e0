//! `firedrill validate-restore-job JOB`: the validator of an AWS Backup restore testing
//! plan (`crate::validator`). Reads the job and its copy, judges them, keeps the verdict
//! in the history (result and run page), and posts it to AWS Backup with
//! PutRestoreValidationResult: VALIDATING first, then SUCCESSFUL or FAILED. Creates,
//! changes and deletes nothing in the account.

use clap::Args;
use jiff::Timestamp;

use crate::cloud::aws::AwsCloud;
use crate::exit_code;
use crate::history::{Location, RunFiles, Store};
use crate::scenario::HumanDuration;
use crate::validator::{self, CopyState, Targets};

#[derive(Debug, Args)]
pub struct ValidateJobArgs {
    /// The restore job's id (the EventBridge event's `detail.restoreJobId`).
    #[arg(value_name = "RESTORE-JOB-ID")]
    pub job: String,
    /// The RTO target: the job's creation to its completion.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub rto: HumanDuration,
    /// The RPO target: the recovery point's creation to the job's creation.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub rpo: HumanDuration,
    /// Where the verdict is kept: a folder, or `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|S3-URL", default_value = ".firedrill/history")]
    pub history: Location,
    /// Judge and record, but post nothing to AWS Backup.
    #[arg(long)]
    pub no_post: bool,
    /// AWS profile [default: the standard chain's].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region of the job [default: the standard chain's].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

fn parse_duration(text: &str) -> Result<HumanDuration, String> {
    HumanDuration::parse(text).map_err(|e| format!("{e}; expected {}", HumanDuration::EXAMPLES))
}

/// Exit 0 when the job passed (and the verdict was posted), 1 when it failed, 2 when the
/// job is not one to validate (on demand, or not finished), 3 when AWS or the history
/// failed.
pub fn run(args: &ValidateJobArgs) -> i32 {
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    match runtime.block_on(validate(args)) {
        Ok(code) => code,
        Err(error) => {
            say_err!("error: {error}");
            exit_code::ERROR
        }
    }
}

async fn validate(args: &ValidateJobArgs) -> Result<i32, String> {
    let cloud = AwsCloud::from_env(args.region.as_deref(), args.profile.as_deref(), None).await?;
    validate_on(&cloud, args).await
}

/// The validation on a given account (tests pass mocked clients).
pub async fn validate_on(cloud: &AwsCloud, args: &ValidateJobArgs) -> Result<i32, String> {
    let job = cloud.restore_job(&args.job).await.map_err(|e| e.to_string())?;
    if let Some(reason) = validator::refusal(&job) {
        say_err!("error: {reason}");
        return Ok(exit_code::INVALID_INPUT);
    }
    if !args.no_post {
        cloud
            .post_validation(&job.id, None, "firedrill is validating the copy")
            .await
            .map_err(|e| e.to_string())?;
    }
    match judge_and_keep(cloud, args, &job).await {
        Ok(code) => Ok(code),
        Err(error) if !args.no_post => {
            // Never leave the job VALIDATING: say it failed, and why (best effort).
            let message = format!("firedrill could not validate the job: {error}");
            let _ = cloud.post_validation(&job.id, Some(false), &message).await;
            Err(error)
        }
        Err(error) => Err(error),
    }
}

/// Describes the copy, judges, keeps the verdict and posts it.
async fn judge_and_keep(cloud: &AwsCloud, args: &ValidateJobArgs, job: &validator::Job) -> Result<i32, String> {
    let copy = match (&job.created_resource_arn, job.status.as_str()) {
        (Some(arn), "COMPLETED") => cloud.copy_state(arn).await.map_err(|e| e.to_string())?,
        (None, "COMPLETED") => CopyState::Missing,
        // A failed or aborted job is judged by its status alone.
        _ => CopyState::Unsupported,
    };
    let targets = Targets {
        rto: args.rto,
        rpo: args.rpo,
    };
    let now = Timestamp::now();
    let scenario = job.plan_arn.as_deref().map(validator::plan_name).unwrap_or_default();
    let run_id = crate::runner::new_run_id(&scenario, now);
    let result = validator::judge(job, &copy, targets, &run_id, now);
    let report = crate::report::render_run(&result).map_err(|e| format!("rendering the run page: {e:?}"))?;
    let store = Store::open(&args.history, args.profile.as_deref(), args.region.as_deref()).await;
    let files = RunFiles {
        journal: None,
        report: Some(report),
    };
    let stored = store
        .put(&result, &files)
        .await
        .map_err(|e| format!("keeping the verdict in {}: {e}", args.history))?;
    let (passed, message) = validator::verdict_message(&result);
    if !args.no_post {
        cloud
            .post_validation(&job.id, Some(passed), &message)
            .await
            .map_err(|e| format!("the verdict is kept in {stored} but could not be posted: {e}"))?;
    }
    say!(
        "{} restore job {} ({}): {message}; kept in {stored}{}",
        if passed { "PASSED" } else { "FAILED" },
        job.id,
        result.scenario,
        if args.no_post {
            "; not posted (--no-post)"
        } else {
            "; posted to AWS Backup"
        }
    );
    Ok(result.exit_code(None))
}

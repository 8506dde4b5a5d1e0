//! `firedrill cleanup`: the command line of `teardown::cleanup`, and its report.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use crate::cloud::aws::AwsCloud;
use crate::cloud::sim::{Executor, SimCloud};
use crate::exit_code;
use crate::scenario::{HumanDuration, SimSettings};
use crate::teardown::cleanup::{self, CleanupReport, CleanupRequest, Target};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["run_id", "scenario", "all"])))]
pub struct CleanupArgs {
    /// Clean up one run.
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Clean up every run of one scenario (by name).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Clean up every run found.
    #[arg(long)]
    pub all: bool,
    /// Only runs that started longer ago than this (e.g. `2h`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<HumanDuration>,
    /// Show what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Clean up the run named by --run-id even though its lease has not ended (it may
    /// still be running: be sure it is not).
    #[arg(long, requires = "run_id", conflicts_with_all = ["scenario", "all"])]
    pub force: bool,
    /// Where the runs' journals are.
    #[arg(long, value_name = "DIR", default_value = ".firedrill/history")]
    pub history: PathBuf,
    /// Clean up the simulated account kept in this file (see `run --sim-state`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["region", "profile"])]
    pub sim_state: Option<PathBuf>,
    /// AWS regions to clean up (repeat for several) [default: the standard chain's region].
    #[arg(long, value_name = "REGION")]
    pub region: Vec<String>,
    /// AWS profile [default: the standard chain's: AWS_PROFILE, …].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The IAM role to assume first, as the drills did: a cross-account scenario's
    /// `assume_role` (its resources are in that account, not the credentials').
    #[arg(long, value_name = "ARN", value_parser = parse_role_arn, conflicts_with = "sim_state")]
    pub assume_role: Option<String>,
}

/// An IAM role ARN, or why not.
fn parse_role_arn(value: &str) -> Result<String, String> {
    crate::scenario::formats::check("iam-role-arn", value)
        .map(|()| value.to_owned())
        .map_err(|e| format!("{}; expected {}", e.reason, e.expected))
}

fn parse_duration(text: &str) -> Result<HumanDuration, String> {
    HumanDuration::parse(text).map_err(|e| format!("{e}; expected {}", HumanDuration::EXAMPLES))
}

/// Runs the cleanup and returns its exit code.
pub fn run(args: &CleanupArgs) -> i32 {
    let request = CleanupRequest {
        target: if let Some(id) = &args.run_id {
            Target::Run(id.clone())
        } else if let Some(name) = &args.scenario {
            Target::Scenario(name.clone())
        } else {
            Target::All
        },
        older_than: args.older_than.map(HumanDuration::as_duration),
        force: args.force,
        dry_run: args.dry_run,
        history: args.history.clone(),
    };
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    let say = |line: String| say!("{line}");
    match &args.sim_state {
        Some(state) => {
            let mut settings = SimSettings::default();
            // The account's answers are quick; cleanup's own work is what is simulated here.
            settings.latencies.call = HumanDuration::from_millis(20);
            let cloud =
                match SimCloud::new(settings, std::path::Path::new("."), Executor::Subprocess).persisted_in(state) {
                    Ok(cloud) => cloud,
                    Err(error) => {
                        say_err!("error: {error}");
                        return exit_code::INVALID_INPUT;
                    }
                };
            let now = cloud.clock().now();
            let report = runtime.block_on(cleanup::cleanup(&cloud, &request, now, &say));
            if let Some(error) = cloud.save_error() {
                say_err!("warning: {error}");
            }
            print_summary(&report, args.dry_run);
            report.exit_code()
        }
        None => {
            let regions: Vec<Option<&str>> = if args.region.is_empty() {
                vec![None]
            } else {
                args.region.iter().map(|r| Some(r.as_str())).collect()
            };
            let codes = regions.into_iter().map(|region| {
                runtime.block_on(async {
                    let cloud =
                        match AwsCloud::from_env(region, args.profile.as_deref(), args.assume_role.as_deref()).await {
                            Ok(cloud) => cloud,
                            Err(error) => {
                                say_err!("error: {error}");
                                return exit_code::INVALID_INPUT;
                            }
                        };
                    say!("cleaning up in {}", cloud.region());
                    let report = cleanup::cleanup(&cloud, &request, jiff::Timestamp::now(), &say).await;
                    print_summary(&report, args.dry_run);
                    report.exit_code()
                })
            });
            exit_code::most_severe(codes.collect::<Vec<_>>())
        }
    }
}

fn print_summary(report: &CleanupReport, dry_run: bool) {
    for problem in &report.problems {
        say_err!("warning: {problem}");
    }
    if let Some(error) = &report.listing_failed {
        say_err!("error: {error}; nothing was deleted");
        return;
    }
    if dry_run {
        say!(
            "dry run: {} resource(s) of {} run(s) would be deleted; nothing was",
            report.would_delete.len(),
            report.cleaned_runs.len()
        );
        return;
    }
    say!(
        "deleted {} resource(s) of {} run(s); {} kept (keep-until), {} run(s) left alone inside their lease",
        report.deleted.len(),
        report.cleaned_runs.len(),
        report.kept.len(),
        report.leased_runs.len()
    );
    for (resource, reason) in &report.refused {
        say!("refused by the tag guard: {resource}: {reason}");
    }
    for job in &report.pending_jobs {
        say!(
            "pending: AWS Backup restore job {} is still running; run cleanup again once it completes",
            job.id
        );
    }
    if !report.remaining.is_empty() {
        say!("still remaining ({}):", report.remaining.len());
        for resource in &report.remaining {
            say!("  {resource}");
        }
    } else if !report.failed.is_empty() || !report.pending_jobs.is_empty() {
    } else if report.problems.is_empty() {
        say!("nothing remains of the runs cleaned up");
    } else {
        say!("nothing found remains, but not everything could be checked (see the warnings above)");
    }
}

//! `firedrill coverage`: the resources AWS Backup protects, per region, and for each
//! whether a scenario drills it and when it last passed (`crate::coverage`). `--out`
//! keeps the answer as JSON for `firedrill report --coverage`.

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use super::Format;
use crate::coverage::{self, Coverage, Status};
use crate::exit_code;
use crate::history::Location;

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Scenario files (YAML), or folders of them: what is drilled.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Regions to list (repeatable) [default: every region the scenarios name].
    #[arg(long, value_name = "REGION")]
    pub region: Vec<String>,
    /// The history to read, for when each resource last passed a drill.
    #[arg(long, value_name = "DIR|S3-URL", default_value = ".firedrill/history")]
    pub history: Location,
    /// Also write the coverage as JSON here, for `firedrill report --coverage FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Folder holding the check scripts, as for `validate`.
    #[arg(long, value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// AWS profile [default: the standard chain's].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Exit 0 when listed (whatever is covered), 2 on bad input, 3 when AWS Backup or the
/// history cannot be read or the file not written.
pub fn run(args: &CoverageArgs) -> i32 {
    let Some(loaded) = super::due::load_all(&args.paths, args.checks_dir.as_deref()) else {
        return exit_code::INVALID_INPUT;
    };
    let scenarios: Vec<_> = loaded.into_iter().map(|l| l.scenario).collect();
    let mut regions = if args.region.is_empty() {
        scenarios.iter().map(|s| s.region.clone()).collect()
    } else {
        args.region.clone()
    };
    regions.sort();
    regions.dedup();
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    let listed = runtime.block_on(async {
        let results = super::due::history_results(&args.history, args.profile.as_deref(), None).await?;
        let account = caller_account(regions.first().map(String::as_str), args.profile.as_deref()).await?;
        let mut resources = Vec::new();
        for region in &regions {
            let client = backup_client(region, args.profile.as_deref()).await;
            let found = coverage::aws::protected_resources(&client, region)
                .await
                .map_err(|e| format!("listing what AWS Backup protects in {region}: {e}"))?;
            resources.extend(found);
        }
        Ok::<_, String>((resources, results, account))
    });
    let (resources, results, account) = match listed {
        Ok(listed) => listed,
        Err(error) => {
            say_err!("error: {error}");
            return exit_code::ERROR;
        }
    };
    let coverage = coverage::assess(
        resources,
        regions,
        &scenarios,
        &results,
        Timestamp::now(),
        Some(&account),
    );
    let json = serde_json::to_string_pretty(&coverage).expect("coverage is JSON");
    if let Some(out) = &args.out
        && let Err(error) = std::fs::write(out, format!("{json}\n"))
    {
        say_err!("error: cannot write {}: {error}", out.display());
        return exit_code::ERROR;
    }
    match args.format {
        Format::Json => say!("{json}"),
        Format::Text => print_text(&coverage),
    }
    exit_code::SUCCESS
}

/// The account the credentials act in: a scenario without `assume_role` drills there.
async fn caller_account(region: Option<&str>, profile: Option<&str>) -> Result<String, String> {
    let config = crate::cloud::aws::config_loader(region, profile).load().await;
    let sts = aws_sdk_sts::Client::new(&config);
    let identity = sts.get_caller_identity().send().await.map_err(|e| {
        format!(
            "who the credentials are: {}",
            crate::cloud::aws::classify("sts:GetCallerIdentity", &e)
        )
    })?;
    identity
        .account()
        .map(str::to_owned)
        .ok_or_else(|| "sts:GetCallerIdentity named no account".to_owned())
}

async fn backup_client(region: &str, profile: Option<&str>) -> aws_sdk_backup::Client {
    let config = crate::cloud::aws::config_loader(Some(region), profile)
        .retry_config(aws_config::retry::RetryConfig::adaptive())
        .load()
        .await;
    aws_sdk_backup::Client::new(&config)
}

fn print_text(coverage: &Coverage) {
    use crate::report::text::utc_text;
    for c in &coverage.resources {
        let r = &c.resource;
        let by = if c.drilled_by.is_empty() {
            String::new()
        } else {
            format!("; drilled by {}", c.drilled_by.join(", "))
        };
        let passed = c
            .last_passed
            .map(|t| format!("; last passed {}", utc_text(t)))
            .unwrap_or_default();
        say!(
            "{:<27} {:<8} {}{}{by}{passed}; vaults: {}",
            c.status.text(),
            r.resource_type,
            r.arn,
            r.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
            if r.vaults.is_empty() {
                "—".to_owned()
            } else {
                r.vaults.join(", ")
            }
        );
    }
    let drillable = coverage.resources.len() - coverage.count(Status::NotDrillable);
    say!(
        "{} of {drillable} drillable protected resources restore-tested in {}; {} never restore-tested, {} drilled but never passed; {} of kinds firedrill cannot restore",
        coverage.count(Status::Passed),
        coverage.regions.join(", "),
        coverage.count(Status::NeverDrilled),
        coverage.count(Status::NeverPassed),
        coverage.count(Status::NotDrillable),
    );
}

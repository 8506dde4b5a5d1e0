//! `firedrill history list|show|prune`: the results of past drills, read and pruned.
//! Results are never edited; pruning deletes whole runs (result, journal and report).

use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::Format;
use crate::exit_code;
use crate::history::{self, Filter, Loaded, Location, Store};
use crate::measure::Outcome;
use crate::report::text::{compact, outcome_text, utc_text};

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// List results, oldest first.
    List {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one run's result.
    Show {
        /// The run id (as `history list` prints it).
        run_id: String,
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Delete whole runs (result, journal, report) matching a filter; at least one
    /// filter is required.
    Prune {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        filter: FilterArgs,
        /// Runs started before this time (RFC 3339, a date, or an age like 400d).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    /// The history: a folder, or `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|S3-URL", default_value = ".firedrill/history")]
    pub history: Location,
    /// AWS profile for S3.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region for S3.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this scenario (repeatable).
    #[arg(long, value_name = "NAME")]
    pub scenario: Vec<String>,
    /// Only this outcome (repeatable).
    #[arg(long, value_name = "OUTCOME", value_parser = parse_outcome)]
    pub outcome: Vec<Outcome>,
    /// Only runs started at or after this time (RFC 3339, a date, or an age like 90d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}

fn parse_outcome(text: &str) -> Result<Outcome, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}` is not an outcome: passed, failed, error or aborted"))
}

impl FilterArgs {
    fn filter(&self, until: Option<&str>, now: Timestamp) -> Result<Filter, String> {
        let time = |flag: &str, text: Option<&str>| {
            text.map(|t| history::parse_time(t, now).map_err(|e| format!("--{flag} {e}")))
                .transpose()
        };
        Ok(Filter {
            scenarios: self.scenario.clone(),
            outcomes: self.outcome.clone(),
            since: time("since", self.since.as_deref())?,
            until: time("until", until)?,
        })
    }
}

pub fn run(command: &HistoryCommand) -> i32 {
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    runtime.block_on(async {
        match command {
            HistoryCommand::List { common, filter, format } => match filter.filter(None, Timestamp::now()) {
                Ok(filter) => list(common, &filter, *format).await,
                Err(error) => usage(&error),
            },
            HistoryCommand::Show { run_id, common, format } => show(common, run_id, *format).await,
            HistoryCommand::Prune {
                common,
                filter,
                until,
                dry_run,
            } => match filter.filter(until.as_deref(), Timestamp::now()) {
                Ok(filter) if filter.is_empty() => usage(
                    "prune needs a filter (--scenario, --outcome, --since or --until); it never deletes the whole history at once",
                ),
                Ok(filter) => prune(common, &filter, *dry_run).await,
                Err(error) => usage(&error),
            },
        }
    })
}

fn usage(error: &str) -> i32 {
    say_err!("error: {error}");
    exit_code::INVALID_INPUT
}

/// Opens and reads the history; the files that cannot be read are named on stderr.
async fn open(common: &Common) -> Result<(Store, Loaded), i32> {
    let store = Store::open(&common.history, common.profile.as_deref(), common.region.as_deref()).await;
    let loaded = store.load().await.map_err(|error| {
        say_err!("error: cannot read the history: {error}");
        exit_code::ERROR
    })?;
    for bad in &loaded.unreadable {
        say_err!("warning: {}: {} (skipped)", bad.name, bad.problem);
    }
    Ok((store, loaded))
}

async fn list(common: &Common, filter: &Filter, format: Format) -> i32 {
    let (_, loaded) = match open(common).await {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let results: Vec<_> = loaded.results.iter().filter(|s| filter.matches(&s.result)).collect();
    match format {
        Format::Json => {
            let rows: Vec<_> = results
                .iter()
                .map(|s| {
                    let r = &s.result;
                    serde_json::json!({
                        "run_id": r.run_id, "scenario": r.scenario, "outcome": r.outcome,
                        "started_at": r.started_at, "simulated": r.simulated,
                        "rto_seconds": r.rto.as_ref().map(|v| v.seconds),
                        "rpo_seconds": r.rpo.as_ref().map(|v| v.seconds),
                        "key": s.key,
                    })
                })
                .collect();
            say!("{}", serde_json::to_string_pretty(&rows).expect("JSON prints"));
        }
        Format::Text => {
            for s in &results {
                let r = &s.result;
                say!(
                    "{}  {:<8} {:<24} RTO {:>8} / {:<7} RPO {:>8} / {:<7} {}{}",
                    utc_text(r.started_at),
                    outcome_text(r.outcome),
                    r.scenario,
                    r.rto.as_ref().map_or_else(|| "—".to_owned(), |v| compact(v.seconds)),
                    compact(r.rto_target.as_duration().as_secs_f64()),
                    r.rpo.as_ref().map_or_else(|| "—".to_owned(), |v| compact(v.seconds)),
                    compact(r.rpo_target.as_duration().as_secs_f64()),
                    r.run_id,
                    if r.simulated { "  (simulated)" } else { "" }
                );
            }
            say!(
                "{} run{}{}",
                results.len(),
                if results.len() == 1 { "" } else { "s" },
                if loaded.unreadable.is_empty() {
                    String::new()
                } else {
                    format!("; {} unreadable file(s) skipped", loaded.unreadable.len())
                }
            );
        }
    }
    exit_code::SUCCESS
}

async fn show(common: &Common, run_id: &str, format: Format) -> i32 {
    let (store, loaded) = match open(common).await {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let Some(stored) = loaded.results.iter().find(|s| s.result.run_id == run_id) else {
        say_err!("error: no result of run `{run_id}` in {}", common.history);
        return exit_code::INVALID_INPUT;
    };
    let r = &stored.result;
    match format {
        Format::Json => say!("{}", serde_json::to_string_pretty(r).expect("JSON prints")),
        Format::Text => {
            say!("run       {}", r.run_id);
            say!(
                "scenario  {}{}",
                r.scenario,
                if r.simulated { " (simulated)" } else { "" }
            );
            say!("outcome   {}", outcome_text(r.outcome));
            for reason in &r.reasons {
                say!("          {reason}");
            }
            say!("started   {}", utc_text(r.started_at));
            say!("t0        {}", r.t0);
            let figure = |v: Option<f64>, target: f64| {
                format!(
                    "{} (target {})",
                    v.map_or_else(|| "not measured".to_owned(), compact),
                    compact(target)
                )
            };
            say!(
                "RTO       {}",
                figure(
                    r.rto.as_ref().map(|v| v.seconds),
                    r.rto_target.as_duration().as_secs_f64()
                )
            );
            say!(
                "RPO       {}",
                figure(
                    r.rpo.as_ref().map(|v| v.seconds),
                    r.rpo_target.as_duration().as_secs_f64()
                )
            );
            for check in &r.checks {
                say!(
                    "check     {} {}",
                    check.id,
                    if check.passed { "passed" } else { "failed" }
                );
            }
            say!("stored    {}", store.name_of(&stored.key));
        }
    }
    exit_code::SUCCESS
}

async fn prune(common: &Common, filter: &Filter, dry_run: bool) -> i32 {
    let (store, loaded) = match open(common).await {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let doomed: Vec<_> = loaded.results.iter().filter(|s| filter.matches(&s.result)).collect();
    let mut deleted = 0;
    for stored in &doomed {
        if dry_run {
            say!("would delete {} ({})", stored.result.run_id, store.name_of(&stored.key));
            continue;
        }
        match store.delete_run(&stored.key).await {
            Ok(names) => {
                deleted += 1;
                for name in names {
                    say!("deleted {name}");
                }
            }
            Err(error) => {
                say_err!("error: {error}; {deleted} of {} runs deleted", doomed.len());
                return exit_code::ERROR;
            }
        }
    }
    if dry_run {
        say!(
            "{} run(s) would be deleted; nothing was deleted (--dry-run)",
            doomed.len()
        );
    } else {
        say!("{deleted} run(s) deleted");
    }
    exit_code::SUCCESS
}

//! `firedrill run`: load every scenario first (nothing runs if one is invalid), then run
//! the drills, write their results, journals and reports, and exit with the most severe
//! code.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use futures::FutureExt;
use futures::stream::{self, StreamExt};
use jiff::Timestamp;

use super::{Format, print_load_error};
use crate::cloud::sim::{Executor, SimCloud};
use crate::exit_code;
use crate::journal::Journal;
use crate::measure::Outcome;
use crate::plan;
use crate::result::DrillResult;
use crate::runner::{self, Console, Reporter, RunOptions};
use crate::scenario::{self, CloudKind, HumanDuration, LoadedScenario};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (YAML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// How many drills run at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Keep what the drill created instead of deleting it, tagged `firedrill:keep-until`
    /// (default: the scenario's max_duration); `firedrill cleanup` removes it after.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "", value_parser = parse_keep)]
    pub keep: Option<Option<HumanDuration>>,
    /// When the disaster happened (RFC 3339), for game days; default: now. RTO and RPO
    /// are measured from it.
    #[arg(long, value_name = "TIME")]
    pub disaster_at: Option<Timestamp>,
    /// Where results, journals and reports go.
    #[arg(long, value_name = "DIR", default_value = ".firedrill/history")]
    pub history: PathBuf,
    /// Folder holding the check scripts [default: `checks/` beside the scenario's folder].
    #[arg(long, value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// Output format of the summary on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_keep(text: &str) -> Result<Option<HumanDuration>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    HumanDuration::parse(text)
        .map(Some)
        .map_err(|e| format!("{e}; expected {}", HumanDuration::EXAMPLES))
}

/// Runs the drills and returns the exit code.
pub fn run(args: &RunArgs) -> i32 {
    let mut loaded = Vec::new();
    let mut invalid = false;
    for file in &args.files {
        match scenario::load(file, args.checks_dir.as_deref()) {
            Ok(scenario) => loaded.push(scenario),
            Err(error) => {
                print_load_error(&error);
                invalid = true;
            }
        }
    }
    if invalid {
        eprintln!("nothing was run: fix the scenarios above first");
        return exit_code::INVALID_INPUT;
    }
    if let Some(aws) = loaded.iter().find(|l| l.scenario.cloud == CloudKind::Aws) {
        eprintln!(
            "{}: the AWS cloud is not built yet (tracked in issue #5); only `cloud: sim` scenarios run today. Nothing was run.",
            aws.file.display()
        );
        return exit_code::INVALID_INPUT;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return exit_code::ERROR;
        }
    };
    let signal = Cell::new(None);
    let results = runtime.block_on(run_all(&loaded, args, &signal));
    report(&results, args.format);
    let codes = results.iter().map(|(_, outcome)| match outcome {
        Ok(result) => code_of(result, signal.get()),
        Err(_) => exit_code::ERROR,
    });
    exit_code::most_severe(codes)
}

type Ran = (PathBuf, Result<(DrillResult, Written), String>);

async fn run_all(
    loaded: &[LoadedScenario],
    args: &RunArgs,
    signal: &Cell<Option<i32>>,
) -> Vec<(PathBuf, Result<DrillResult, String>)> {
    let interrupted = interruption(signal);
    let interrupted = interrupted.shared();
    let ran: Vec<Ran> = stream::iter(loaded)
        .map(|l| {
            let interrupted = interrupted.clone();
            async move { (l.file.clone(), run_one(l, args, interrupted).await) }
        })
        .buffer_unordered(usize::from(args.parallel))
        .collect()
        .await;
    ran.into_iter()
        .map(|(file, outcome)| {
            if let Ok((result, written)) = &outcome {
                eprintln!("\n{} {}: {}", outcome_word(result), result.scenario, written.describe());
            }
            (file, outcome.map(|(r, _)| r))
        })
        .collect()
}

/// Resolves on the first SIGINT or SIGTERM, remembering which.
async fn interruption(signal: &Cell<Option<i32>>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal as unix_signal};
        let (Ok(mut int), Ok(mut term)) = (
            unix_signal(SignalKind::interrupt()),
            unix_signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => signal.set(Some(exit_code::INTERRUPTED)),
            _ = term.recv() => signal.set(Some(exit_code::TERMINATED)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        signal.set(Some(exit_code::INTERRUPTED));
    }
}

/// Where a run's files went.
struct Written {
    result: PathBuf,
    journal: PathBuf,
    report: Option<PathBuf>,
}

impl Written {
    fn describe(&self) -> String {
        let report = self
            .report
            .as_ref()
            .map_or_else(String::new, |r| format!("\n  report:  {}", r.display()));
        format!(
            "\n  result:  {}\n  journal: {}{report}",
            self.result.display(),
            self.journal.display()
        )
    }
}

async fn run_one(
    loaded: &LoadedScenario,
    args: &RunArgs,
    interrupted: impl std::future::Future<Output = ()>,
) -> Result<(DrillResult, Written), String> {
    let scenario = &loaded.scenario;
    let settings = scenario.sim.clone().unwrap_or_default();
    let data_root = loaded
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let cloud = SimCloud::new(settings, &data_root, Executor::Subprocess);
    let clock = cloud.clock();
    let now = move || clock.now();
    let run_id = runner::new_run_id(&scenario.name, now());
    let folder = args.history.join(&scenario.name);
    let journal_path = folder.join(format!("{run_id}.journal.jsonl"));
    let journal = Journal::create(&journal_path)
        .map_err(|e| format!("cannot create the journal {}: {e}", journal_path.display()))?;
    let keep_until = args.keep.map(|keep| {
        let hold = keep.unwrap_or(scenario.max_duration).as_duration();
        now().saturating_add(hold).unwrap_or_else(|_| now())
    });
    let options = RunOptions {
        run_id: run_id.clone(),
        disaster_at: args.disaster_at,
        keep_until,
        poll_interval: Duration::from_millis(250),
    };
    let plan = plan::plan(scenario);
    let mut reporter = Reporter::new(Some(journal), Some(Console::new()));
    let result = runner::run_drill(&cloud, &now, loaded, &plan, &options, &mut reporter, interrupted).await;
    if let Some(error) = &reporter.journal_error {
        eprintln!("warning: {error}");
    }
    let result_path = folder.join(format!("{run_id}.json"));
    result
        .write(&result_path)
        .map_err(|e| format!("cannot write the result {}: {e}", result_path.display()))?;
    let report_path = folder.join(format!("{run_id}.html"));
    let report = match crate::report::render_run(&result) {
        Ok(html) => std::fs::write(&report_path, html).ok().map(|()| report_path),
        Err(error) => {
            eprintln!("warning: the HTML report could not be rendered: {error}");
            None
        }
    };
    Ok((
        result,
        Written {
            result: result_path,
            journal: journal_path,
            report,
        },
    ))
}

fn outcome_word(result: &DrillResult) -> String {
    let word = match result.outcome {
        Outcome::Passed => "PASSED",
        Outcome::Failed => "FAILED",
        Outcome::Error => "ERROR",
        Outcome::Aborted => "ABORTED",
    };
    if result.simulated {
        format!("{word} (simulated)")
    } else {
        word.to_owned()
    }
}

fn code_of(result: &DrillResult, signal: Option<i32>) -> i32 {
    if result.outcome == Outcome::Aborted {
        return signal.unwrap_or(exit_code::INTERRUPTED);
    }
    if result.teardown_incomplete() {
        return exit_code::TEARDOWN_INCOMPLETE;
    }
    match result.outcome {
        Outcome::Passed => exit_code::SUCCESS,
        Outcome::Failed => exit_code::DRILL_FAILED,
        Outcome::Error | Outcome::Aborted => exit_code::ERROR,
    }
}

fn report(results: &[(PathBuf, Result<DrillResult, String>)], format: Format) {
    match format {
        Format::Json => {
            let values: Vec<serde_json::Value> = results
                .iter()
                .map(|(file, r)| match r {
                    Ok(result) => serde_json::to_value(result).unwrap_or_default(),
                    Err(error) => serde_json::json!({ "file": file, "error": error }),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&values).unwrap_or_default());
        }
        Format::Text => {
            for (file, r) in results {
                match r {
                    Ok(result) => {
                        println!("{} {}: {}", outcome_word(result), result.scenario, summary(result));
                        for reason in &result.reasons {
                            println!("  - {reason}");
                        }
                        if result.teardown_incomplete() {
                            println!("  resources remain: run `firedrill cleanup --run-id {}`", result.run_id);
                        }
                    }
                    Err(error) => println!("ERROR {}: {error}", file.display()),
                }
            }
        }
    }
}

fn summary(result: &DrillResult) -> String {
    let text = |secs: f64| crate::measure::friendly(jiff::SignedDuration::from_secs_f64(secs));
    let rto = result
        .rto
        .as_ref()
        .map_or_else(|| "not reached".to_owned(), |r| text(r.seconds));
    let rpo = result
        .rpo
        .as_ref()
        .map_or_else(|| "not measured".to_owned(), |r| text(r.seconds));
    format!(
        "RTO {rto} (target {}), RPO {rpo} (target {}), run {}",
        result.rto_target, result.rpo_target, result.run_id
    )
}

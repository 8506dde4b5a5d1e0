//! `firedrill run`: load every scenario first (nothing runs if one is invalid), then run
//! the drills, write their results, journals and reports, and exit with the most severe
//! code.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use futures::stream::{self, StreamExt};
use jiff::Timestamp;

use super::Format;
use crate::cloud::aws::AwsCloud;
use crate::cloud::sim::{Executor, SimCloud};
use crate::cloud::{Cloud, TAG_RUN_ID, TAG_SCENARIO};
use crate::exit_code;
use crate::history::{self, Location};
use crate::interrupts::{InterruptSender, Interrupts};
use crate::journal::Journal;
use crate::measure::Outcome;
use crate::plan;
use crate::result::DrillResult;
use crate::runner::crash_point::CrashPoint;
use crate::runner::{self, Console, Reporter, RunOptions};
use crate::scenario::{CloudKind, HumanDuration, LoadedScenario};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (YAML), or folders of them (`*.yaml`, `*.yml`).
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// Run only the scenarios that are due or overdue (as `firedrill due` lists them):
    /// what a scheduler calls.
    #[arg(long)]
    pub due: bool,
    /// Run only the scenarios of worker I of N (`--shard 2/3`), split by a stable hash of
    /// their names, so that several workers share a large set without talking (give them
    /// one S3 history).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::due::Shard>,
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
    /// Where results, journals and reports go: a folder, or `s3://bucket/prefix`. With
    /// S3 they are also kept in .firedrill/history (where `firedrill cleanup` reads the
    /// journals) and uploaded when the drill ends; a result is never replaced.
    #[arg(long, value_name = "DIR|S3-URL", default_value = ".firedrill/history")]
    pub history: Location,
    /// Folder holding the check scripts [default: `checks/` beside the scenario's folder].
    #[arg(long, value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// Output format of the summary on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Keep the simulated account in this file, written after every change, so that a
    /// later `firedrill cleanup --sim-state FILE` sees what a killed run left (one
    /// scenario at a time).
    #[arg(long, value_name = "FILE")]
    pub sim_state: Option<PathBuf>,
    /// Tell how the drills ended: an SNS topic ARN (published in its region) or a webhook
    /// URL (https://; POSTed JSON with the Markdown summary as `text`). Repeatable.
    #[arg(long, value_name = "SNS-ARN|URL")]
    pub notify: Vec<crate::notify::Target>,
    /// When to notify.
    #[arg(long, value_enum, default_value_t = crate::notify::When::Always, value_name = "WHEN")]
    pub notify_on: crate::notify::When,
    /// Game day: stop at each `manual:` step, show its instructions and ask the operator
    /// whether it is done, skipped or failed, with a note; all of it goes into the
    /// result and the report. Without it, manual steps are skipped.
    #[arg(long)]
    pub game_day: bool,
    /// With `--game-day`, confirm every manual step without asking (unattended runs,
    /// rehearsals); recorded as confirmed unattended.
    #[arg(long, requires = "game_day")]
    pub yes: bool,
    /// Who answers at manual steps, as recorded [default: $FIREDRILL_OPERATOR, else $USER].
    #[arg(long, value_name = "NAME", requires = "game_day")]
    pub operator: Option<String>,
    /// AWS profile for `cloud: aws` scenarios [default: the standard chain's: AWS_PROFILE, …].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region for `cloud: aws` scenarios, instead of each scenario's `region`.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

impl RunArgs {
    /// The local folder of results and journals (with an S3 history, the local copy).
    fn local_history(&self) -> &Path {
        match &self.history {
            Location::Local(path) => path,
            Location::S3 { .. } => Path::new(LOCAL_HISTORY),
        }
    }
}

const LOCAL_HISTORY: &str = ".firedrill/history";

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
    let Some(loaded) = super::due::load_all(&args.files, args.checks_dir.as_deref()) else {
        say_err!("nothing was run: fix the scenarios above first");
        notify_not_run(
            args,
            "nothing was run: scenario files are invalid (the run's log names each problem)",
        );
        return exit_code::INVALID_INPUT;
    };
    let loaded = super::due::in_shard(loaded, args.shard);
    if let Some(problem) = game_day_problem(args) {
        say_err!("error: {problem}");
        return exit_code::INVALID_INPUT;
    }
    if args.sim_state.is_some() && loaded.len() > 1 {
        say_err!("error: --sim-state takes one scenario at a time (each drill has its own simulated account)");
        return exit_code::INVALID_INPUT;
    }
    let crash_point = match CrashPoint::from_env() {
        Ok(point) => point,
        Err(error) => {
            say_err!("error: {error}");
            return exit_code::INVALID_INPUT;
        }
    };
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    let loaded = if args.due {
        match runtime.block_on(only_due(loaded, args)) {
            Ok(loaded) => loaded,
            Err((code, error)) => {
                say_err!("error: {error}; nothing was run");
                runtime.block_on(deliver(
                    &[crate::notify::Ended::NotRun {
                        file: "firedrill run --due".to_owned(),
                        error: &format!("nothing was run: {error}"),
                    }],
                    args,
                ));
                return code;
            }
        }
    } else {
        loaded
    };
    if loaded.is_empty() {
        say_err!(
            "nothing to run: no scenario is {}",
            if args.due { "due" } else { "in this shard" }
        );
        return exit_code::SUCCESS;
    }
    let signal = Cell::new(None);
    let active = RefCell::new(Vec::new());
    let (sender, interrupts) = Interrupts::channel();
    let results = runtime.block_on(async {
        tokio::select! {
            results = run_all(&loaded, args, &interrupts, &active, crash_point) => results,
            () = count_signals(sender, &signal, &active, args) => unreachable!("signals are counted until the drills end"),
        }
    });
    report(&results, args);
    runtime.block_on(notify(&results, args));
    let codes = results.iter().map(|(_, outcome)| match outcome {
        Ok(result) => result.exit_code(signal.get()),
        Err(_) => exit_code::ERROR,
    });
    let code = exit_code::most_severe(codes);
    // A game-day prompt interrupted by Ctrl-C still waits on stdin in its thread: do not
    // wait for it.
    runtime.shutdown_background();
    code
}

/// Sends the run's summary where `--notify` says; a failure is said, not fatal.
async fn notify(results: &[(PathBuf, Result<DrillResult, String>)], args: &RunArgs) {
    use crate::notify::Ended;
    if args.notify.is_empty() {
        return;
    }
    let drills: Vec<Ended<'_>> = results
        .iter()
        .map(|(file, outcome)| match outcome {
            Ok(result) => Ended::Result(result),
            Err(error) => Ended::NotRun {
                file: file.display().to_string(),
                error,
            },
        })
        .collect();
    deliver(&drills, args).await;
}

/// Tells `--notify` that nothing ran, and why: a scheduled run that cannot start must
/// not go unheard.
fn notify_not_run(args: &RunArgs, why: &str) {
    use crate::notify::Ended;
    if args.notify.is_empty() {
        return;
    }
    let Some(runtime) = super::runtime() else { return };
    let drills = [Ended::NotRun {
        file: "firedrill run".to_owned(),
        error: why,
    }];
    runtime.block_on(deliver(&drills, args));
}

async fn deliver(drills: &[crate::notify::Ended<'_>], args: &RunArgs) {
    use crate::notify;
    if !notify::wanted(args.notify_on, drills) {
        return;
    }
    let message = notify::message(drills);
    let sent = notify::send(&args.notify, &message, args.profile.as_deref()).await;
    for (target, outcome) in args.notify.iter().zip(sent) {
        match outcome {
            Ok(()) => say_err!("notified {target}"),
            Err(error) => say_err!("warning: the notification to {target} failed: {error}"),
        }
    }
}

/// The scenarios due or overdue now, by the history; says which.
async fn only_due(loaded: Vec<LoadedScenario>, args: &RunArgs) -> Result<Vec<LoadedScenario>, (i32, String)> {
    let results = super::due::history_results(&args.history, args.profile.as_deref(), args.region.as_deref())
        .await
        .map_err(|e| (exit_code::ERROR, e))?;
    let assessed =
        super::due::assess_all(&loaded, &results, Timestamp::now()).map_err(|e| (exit_code::INVALID_INPUT, e))?;
    let due: Vec<String> = assessed
        .iter()
        .filter(|(_, a)| a.state.runs())
        .map(|(l, a)| format!("{} ({})", l.scenario.name, a.state.text()))
        .collect();
    say_err!(
        "{} of {} scenarios due{}{}",
        due.len(),
        loaded.len(),
        if due.is_empty() { "" } else { ": " },
        due.join(", ")
    );
    let keep: Vec<bool> = assessed.iter().map(|(_, a)| a.state.runs()).collect();
    Ok(loaded
        .into_iter()
        .zip(keep)
        .filter_map(|(l, keep)| keep.then_some(l))
        .collect())
}

type Ran = (PathBuf, Result<(DrillResult, Written), String>);

async fn run_all(
    loaded: &[LoadedScenario],
    args: &RunArgs,
    interrupts: &Interrupts,
    active: &RefCell<Vec<String>>,
    crash_point: Option<CrashPoint>,
) -> Vec<(PathBuf, Result<DrillResult, String>)> {
    let ran: Vec<Ran> = stream::iter(loaded)
        .map(|l| {
            let crash_point = crash_point.clone();
            async move {
                // After an interrupt, drills not yet started never start.
                if interrupts.count() > 0 {
                    return (l.file.clone(), Err("not started: the run was interrupted".to_owned()));
                }
                (l.file.clone(), run_one(l, args, interrupts, active, crash_point).await)
            }
        })
        .buffer_unordered(usize::from(args.parallel))
        .collect()
        .await;
    ran.into_iter()
        .map(|(file, outcome)| {
            if let Ok((result, written)) = &outcome {
                say_err!("\n{} {}: {}", outcome_word(result), result.scenario, written.describe());
            }
            (file, outcome.map(|(r, _)| r))
        })
        .collect()
}

/// Counts SIGINT and SIGTERM (remembering the first): the first tears down, the second
/// stops waiting, the third exits at once and says how to clean up.
async fn count_signals(
    sender: InterruptSender,
    signal: &Cell<Option<i32>>,
    active: &RefCell<Vec<String>>,
    args: &RunArgs,
) {
    loop {
        let received = next_signal().await;
        if signal.get().is_none() {
            signal.set(Some(received));
        }
        match sender.send() {
            1 => say_err!(
                "\ninterrupted: starting nothing new and tearing down (interrupt again to stop waiting, a third time to exit at once)"
            ),
            2 => say_err!(
                "\nsecond interrupt: not waiting any more; every delete is still issued once (interrupt again to exit at once)"
            ),
            _ => {
                say_err!("\nthird interrupt: exiting now; what the drill created may remain. Remove it with:");
                for run_id in active.borrow().iter() {
                    say_err!("  {}", cleanup_command(run_id, args));
                }
                std::process::exit(signal.get().unwrap_or(exit_code::INTERRUPTED));
            }
        }
    }
}

/// The next SIGINT or SIGTERM, as the exit code it leads to.
async fn next_signal() -> i32 {
    #[cfg(unix)]
    {
        use std::sync::OnceLock;
        use tokio::signal::unix::{Signal, SignalKind, signal as unix_signal};
        use tokio::sync::Mutex;
        // Registered once and kept: a signal between two waits is not lost.
        static STREAMS: OnceLock<Option<Mutex<(Signal, Signal)>>> = OnceLock::new();
        let streams = STREAMS.get_or_init(|| {
            let int = unix_signal(SignalKind::interrupt()).ok()?;
            let term = unix_signal(SignalKind::terminate()).ok()?;
            Some(Mutex::new((int, term)))
        });
        let Some(streams) = streams else {
            return std::future::pending().await;
        };
        let mut streams = streams.lock().await;
        let (int, term) = &mut *streams;
        tokio::select! {
            _ = int.recv() => exit_code::INTERRUPTED,
            _ = term.recv() => exit_code::TERMINATED,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        exit_code::INTERRUPTED
    }
}

/// The command that removes what a run left.
fn cleanup_command(run_id: &str, args: &RunArgs) -> String {
    let mut command = format!("firedrill cleanup --run-id {run_id} --force");
    if args.local_history() != Path::new(LOCAL_HISTORY) {
        command.push_str(&format!(" --history {}", args.local_history().display()));
    }
    if let Some(state) = &args.sim_state {
        command.push_str(&format!(" --sim-state {}", state.display()));
    }
    if let Some(region) = &args.region {
        command.push_str(&format!(" --region {region}"));
    }
    if let Some(profile) = &args.profile {
        command.push_str(&format!(" --profile {profile}"));
    }
    command
}

/// Where a run's files went.
struct Written {
    result: PathBuf,
    journal: PathBuf,
    report: Option<PathBuf>,
    /// Where the run was uploaded (an S3 history), or why it could not be.
    uploaded: Option<Result<String, String>>,
}

impl Written {
    fn describe(&self) -> String {
        let report = self
            .report
            .as_ref()
            .map_or_else(String::new, |r| format!("\n  report:  {}", r.display()));
        let uploaded = match &self.uploaded {
            None => String::new(),
            Some(Ok(url)) => format!("\n  stored:  {url}"),
            Some(Err(why)) => format!("\n  NOT STORED in the S3 history: {why}"),
        };
        format!(
            "\n  result:  {}\n  journal: {}{report}{uploaded}",
            self.result.display(),
            self.journal.display()
        )
    }
}

async fn run_one(
    loaded: &LoadedScenario,
    args: &RunArgs,
    interrupts: &Interrupts,
    active: &RefCell<Vec<String>>,
    crash_point: Option<CrashPoint>,
) -> Result<(DrillResult, Written), String> {
    match loaded.scenario.cloud {
        CloudKind::Sim => run_simulated(loaded, args, interrupts, active, crash_point).await,
        CloudKind::Aws => run_on_aws(loaded, args, interrupts, active).await,
    }
}

async fn run_simulated(
    loaded: &LoadedScenario,
    args: &RunArgs,
    interrupts: &Interrupts,
    active: &RefCell<Vec<String>>,
    crash_point: Option<CrashPoint>,
) -> Result<(DrillResult, Written), String> {
    let settings = loaded.scenario.sim.clone().unwrap_or_default();
    let data_root = loaded
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut cloud = SimCloud::new(settings, &data_root, Executor::Subprocess);
    if let Some(path) = &args.sim_state {
        cloud = cloud.persisted_in(path)?;
    }
    let clock = cloud.clock();
    let now = move || clock.now();
    let drill = Drilled {
        poll_interval: Duration::from_millis(250),
        crash_point,
    };
    let outcome = drill.run(&cloud, &now, loaded, args, interrupts, active).await;
    if let Some(error) = cloud.save_error() {
        say_err!("warning: {error}");
    }
    outcome
}

/// A drill on a real account: clients from the standard chain (the scenario's region
/// and role unless the flags say otherwise), then preflight, before anything is created.
async fn run_on_aws(
    loaded: &LoadedScenario,
    args: &RunArgs,
    interrupts: &Interrupts,
    active: &RefCell<Vec<String>>,
) -> Result<(DrillResult, Written), String> {
    let scenario = &loaded.scenario;
    let region = args.region.as_deref().unwrap_or(&scenario.region);
    let cloud = AwsCloud::from_env(Some(region), args.profile.as_deref(), scenario.assume_role.as_deref())
        .await?
        .with_check_output(scenario.check_output.clone());
    let preflight = cloud.preflight(scenario).await;
    if let Some(identity) = &preflight.identity {
        say_err!("{}: acting as {identity} in {region}", scenario.name);
    }
    for warning in &preflight.warnings {
        say_err!("warning: {warning}");
    }
    if !preflight.problems.is_empty() {
        let problems: Vec<String> = preflight.problems.iter().map(|p| format!("  - {p}")).collect();
        return Err(format!(
            "preflight failed; nothing was created. Fix these first:\n{}",
            problems.join("\n")
        ));
    }
    let drill = Drilled {
        poll_interval: Duration::from_secs(1),
        crash_point: None,
    };
    drill
        .run(&cloud, &Timestamp::now, loaded, args, interrupts, active)
        .await
}

/// Who is asked at manual steps: nobody unless it is a game day. One operator for the
/// whole run (the terminal's one stdin reader serves every drill's questions).
fn operator(args: &RunArgs) -> Option<std::sync::Arc<dyn runner::game_day::Operator>> {
    use runner::game_day::{Operator, Terminal, Unattended, default_operator};
    static OPERATOR: std::sync::OnceLock<std::sync::Arc<dyn Operator>> = std::sync::OnceLock::new();
    if !args.game_day {
        return None;
    }
    let made = OPERATOR.get_or_init(|| {
        let operator = args.operator.clone().unwrap_or_else(default_operator);
        if args.yes {
            std::sync::Arc::new(Unattended { operator })
        } else {
            std::sync::Arc::new(Terminal::new(operator))
        }
    });
    Some(std::sync::Arc::clone(made))
}

/// Why the flags of a game day cannot work, if they cannot.
fn game_day_problem(args: &RunArgs) -> Option<&'static str> {
    use std::io::IsTerminal;
    if !args.game_day {
        return None;
    }
    if args.parallel > 1 {
        return Some(
            "--game-day runs one drill at a time (the operator answers one prompt at a time): drop --parallel",
        );
    }
    if !args.yes && !std::io::stdin().is_terminal() {
        return Some(
            "--game-day asks the operator on the terminal, and standard input is not one: run it in a terminal, or add --yes to confirm every manual step unattended",
        );
    }
    None
}

/// How one drill is run, whatever its cloud.
struct Drilled {
    poll_interval: Duration,
    crash_point: Option<CrashPoint>,
}

impl Drilled {
    async fn run<C: Cloud>(
        self,
        cloud: &C,
        now: &dyn Fn() -> Timestamp,
        loaded: &LoadedScenario,
        args: &RunArgs,
        interrupts: &Interrupts,
        active: &RefCell<Vec<String>>,
    ) -> Result<(DrillResult, Written), String> {
        let scenario = &loaded.scenario;
        let run_id = runner::new_run_id(&scenario.name, now());
        warn_of_leftovers(cloud, &scenario.name, args).await;
        active.borrow_mut().push(run_id.clone());
        let folder = args.local_history().join(&scenario.name);
        let journal_path = folder.join(format!("{run_id}.journal.jsonl"));
        let journal = Journal::create(&journal_path)
            .map_err(|e| format!("cannot create the journal {}: {e}", journal_path.display()))?;
        let keep_until = args.keep.map(|keep| {
            let hold = keep.unwrap_or(scenario.max_duration).as_duration();
            now().saturating_add(hold).unwrap_or_else(|_| now())
        });
        // Earlier durations of this scenario's restores tell the polling when to look.
        let earlier = history::LocalStore::new(args.local_history().to_path_buf())
            .load_scenario(&scenario.name)
            .map(|loaded| loaded.results.into_iter().map(|s| s.result).collect::<Vec<_>>())
            .unwrap_or_default();
        let options = RunOptions {
            restore_history: crate::result::restore_history(&earlier),
            polling: None,
            run_id: run_id.clone(),
            disaster_at: args.disaster_at,
            keep_until,
            poll_interval: self.poll_interval,
            operator: operator(args),
        };
        let plan = plan::plan(scenario);
        let console = Console::new();
        let mut reporter = Reporter::new(Some(journal), Some(console)).with_crash_point(self.crash_point);
        let result = runner::run_drill(cloud, now, loaded, &plan, &options, &mut reporter, interrupts).await;
        active.borrow_mut().retain(|id| id != &run_id);
        if let Some(error) = &reporter.journal_error {
            say_err!("warning: {error}");
        }
        let result_path = folder.join(format!("{run_id}.json"));
        result
            .write(&result_path)
            .map_err(|e| format!("cannot write the result {}: {e}", result_path.display()))?;
        let report_path = folder.join(format!("{run_id}.html"));
        let html = crate::report::render_run(&result)
            .map_err(|error| say_err!("warning: the HTML report could not be rendered: {error}"))
            .ok();
        let report = html
            .as_ref()
            .and_then(|html| std::fs::write(&report_path, html).ok().map(|()| report_path));
        let uploaded = upload(&result, &journal_path, html, args).await;
        if let Some(Err(why)) = &uploaded {
            say_err!("error: the result was not stored in {}: {why}", args.history);
        }
        Ok((
            result,
            Written {
                result: result_path,
                journal: journal_path,
                report,
                uploaded,
            },
        ))
    }
}

/// Uploads a run to an S3 history (nothing to do for a local one).
async fn upload(
    result: &DrillResult,
    journal: &Path,
    report: Option<String>,
    args: &RunArgs,
) -> Option<Result<String, String>> {
    let Location::S3 { bucket, prefix } = &args.history else {
        return None;
    };
    let client = history::s3_client(args.profile.as_deref(), args.region.as_deref()).await;
    let store = history::Store::S3(history::S3Store::new(client, bucket, prefix));
    let files = history::RunFiles {
        journal: std::fs::read_to_string(journal).ok(),
        report,
    };
    Some(
        store
            .put(result, &files)
            .await
            .map(|key| store.name_of(&key))
            .map_err(|e| e.to_string()),
    )
}

/// Warns when earlier runs of the scenario left resources in the account.
async fn warn_of_leftovers<C: Cloud>(cloud: &C, scenario: &str, args: &RunArgs) {
    let Ok(found) = cloud.list_by_tag(TAG_SCENARIO, Some(scenario)).await else {
        return;
    };
    let mut runs: Vec<&str> = found
        .iter()
        .filter_map(|(_, tags)| tags.get(TAG_RUN_ID).map(String::as_str))
        .collect();
    runs.sort_unstable();
    runs.dedup();
    for run_id in runs {
        let count = found
            .iter()
            .filter(|(_, t)| t.get(TAG_RUN_ID).map(String::as_str) == Some(run_id))
            .count();
        say_err!(
            "warning: run {run_id} of `{scenario}` has {count} resource(s) in the account (still running, kept, or left behind); `{}` removes them once its lease has ended",
            cleanup_command(run_id, args).replace(" --force", "")
        );
    }
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

fn report(results: &[(PathBuf, Result<DrillResult, String>)], args: &RunArgs) {
    match args.format {
        Format::Json => {
            let values: Vec<serde_json::Value> = results
                .iter()
                .map(|(file, r)| match r {
                    Ok(result) => serde_json::to_value(result).unwrap_or_default(),
                    Err(error) => serde_json::json!({ "file": file, "error": error }),
                })
                .collect();
            say!("{}", serde_json::to_string_pretty(&values).unwrap_or_default());
        }
        Format::Text => {
            for (file, r) in results {
                match r {
                    Ok(result) => {
                        say!("{} {}: {}", outcome_word(result), result.scenario, summary(result));
                        for reason in &result.reasons {
                            say!("  - {reason}");
                        }
                        if let Some(error) = &result.teardown.unverified {
                            say!("  teardown not verified: the last look by tag failed ({error})");
                        }
                        if result.teardown_incomplete() {
                            // The run has ended: its lease no longer protects it, no --force needed.
                            let command = cleanup_command(&result.run_id, args).replace(" --force", "");
                            say!("  resources remain: run `{command}`");
                        }
                    }
                    Err(error) => say!("ERROR {}: {error}", file.display()),
                }
            }
        }
    }
}

fn summary(result: &DrillResult) -> String {
    let text = |secs: f64| {
        jiff::SignedDuration::try_from_secs_f64(secs).map_or_else(|_| format!("{secs:.0}s"), crate::measure::friendly)
    };
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

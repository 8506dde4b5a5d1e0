//! The command line: clap definitions and the dispatch to the library. Each command
//! returns its exit code (see `exit_code`); nothing here decides what a drill does.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `println!` that never panics: a closed pipe (`firedrill history list | head`) must not
/// stop a drill before its teardown, so what cannot be written is dropped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that never panics (see `say!`).
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that never panics (see `say!`).
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod cleanup;
mod coverage;
mod due;
mod history;
mod report;
mod run;
pub mod validate_job;

use crate::exit_code;
use crate::plan;
use crate::scenario::{self, LoadError};

/// firedrill proves that backups can be restored: it restores them into an isolated VPC,
/// checks the restored copies through SSM, measures RTO and RPO against the scenario's
/// targets, and tears everything down.
#[derive(Debug, Parser)]
#[command(name = "firedrill", version, about, long_about = None)]
#[command(
    after_help = "Start with `firedrill validate scenarios/*.yaml` and `firedrill plan scenarios/demo.yaml`.\n\
Exit codes: 0 passed · 1 drill failed · 2 invalid input · 3 error · 4 teardown incomplete · 130/143 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files and report every problem, with file, line and column.
    ///
    /// Makes no AWS call. Exit 0 when all files are valid, 2 otherwise.
    Validate {
        /// Scenario files (YAML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: ScenarioArgs,
    },
    /// Show the steps a drill of a scenario would take, and what each waits for.
    ///
    /// Makes no AWS call.
    Plan {
        /// Scenario file (YAML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        common: ScenarioArgs,
    },
    /// Print the JSON Schema of scenario files (for editors and CI linting).
    Schema,
    /// Run drills of scenarios: isolate, restore, check, measure, tear down.
    ///
    /// Writes each run's result (JSON), journal and HTML report to the history folder and
    /// prints where they are. Scenarios with `cloud: sim` run on the built-in simulated
    /// account; `cloud: aws` needs the AWS cloud (not built yet).
    Run(run::RunArgs),
    /// Find and delete what earlier runs left behind, by tag and journal.
    ///
    /// Runs still inside their lease (max_duration from their start) are left alone
    /// unless `--force` names them; `firedrill:keep-until` is respected. Exit 0 when
    /// nothing of the cleaned runs remains, 4 when something does.
    Cleanup(cleanup::CleanupArgs),
    /// Render the HTML trend report of the history: an overview, a page per scenario and
    /// per run; optionally JUnit, Markdown and JSON, and publish it to S3.
    ///
    /// The site is self-contained (no external URL) and works offline and from S3.
    /// Exit 0 when written (unreadable history files are named and left out), 2 on bad
    /// input, 3 when the history cannot be read or the site not written or published.
    Report(report::ReportArgs),
    /// List, show and prune the results of past drills.
    #[command(subcommand)]
    History(history::HistoryCommand),
    /// Which scenarios are due or overdue, from their `schedule` and the history.
    ///
    /// A scenario is due at the first time its schedule names after its last passed
    /// drill, and overdue once its max_duration has passed since (or when it never
    /// passed). `firedrill run --due` runs the due and overdue ones. Exit 0 when read,
    /// 2 on bad input, 3 when the history cannot be read.
    Due(due::DueArgs),
    /// Which resources AWS Backup protects and whether a drill restore-tests them.
    ///
    /// Lists every protected resource per region (and the vaults holding its backups),
    /// with the scenarios that restore it and when one last passed; `--out FILE` keeps
    /// it for `firedrill report --coverage FILE`. Read-only. Exit 0 when listed, 2 on
    /// bad input, 3 when AWS Backup or the history cannot be read.
    Coverage(coverage::CoverageArgs),
    /// Validate a restore job that an AWS Backup restore testing plan started: judge the
    /// job and its copy against RTO and RPO targets, keep the verdict in the history, and
    /// post it to AWS Backup (PutRestoreValidationResult).
    ///
    /// What an EventBridge rule runs when a restore testing job completes (docs/deploy.md).
    /// Creates, changes and deletes nothing: AWS Backup deletes its copies itself. Exit 0
    /// passed, 1 failed, 2 not a completed restore testing job, 3 AWS or history error.
    ValidateRestoreJob(validate_job::ValidateJobArgs),
}

/// Options shared by commands that read scenarios.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Folder holding the check scripts [default: `checks/` beside the scenario's folder,
    /// else `./checks`].
    #[arg(long, value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> i32 {
    install_error_style();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                exit_code::INVALID_INPUT
            } else {
                exit_code::SUCCESS
            };
        }
    };
    run(cli)
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Validate { files, common } => validate(&files, &common),
        Command::Plan { file, common } => plan_command(&file, &common),
        Command::Schema => {
            say_raw!("{}", scenario::schema::scenario_schema_text());
            exit_code::SUCCESS
        }
        Command::Run(args) => run::run(&args),
        Command::Cleanup(args) => cleanup::run(&args),
        Command::Report(args) => report::run(&args),
        Command::History(command) => history::run(&command),
        Command::Due(args) => due::run(&args),
        Command::Coverage(args) => coverage::run(&args),
        Command::ValidateRestoreJob(args) => validate_job::run(&args),
    }
}

/// The async runtime the commands run on (one thread: drills are I/O-bound), or `None`
/// after saying why it cannot start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            say_err!("error: cannot start the async runtime: {error}");
            None
        }
    }
}

/// Errors wrap to the terminal's width for people, and stay one line each in logs and
/// pipes, so that `file:line:column: message` can be searched for.
fn install_error_style() {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .wrap_lines(terminal)
                .terminal_links(false)
                .build(),
        )
    }));
}

fn validate(files: &[PathBuf], args: &ScenarioArgs) -> i32 {
    let mut reports = Vec::new();
    let mut invalid = 0;
    for file in files {
        let result = scenario::load(file, args.checks_dir.as_deref());
        if result.is_err() {
            invalid += 1;
        }
        match args.format {
            Format::Text => print_validation_text(file, &result),
            Format::Json => reports.push(validation_json(file, &result)),
        }
    }
    if args.format == Format::Json {
        say!("{}", serde_json::to_string_pretty(&reports).expect("JSON prints"));
    } else if files.len() > 1 {
        say!("{} of {} scenarios valid", files.len() - invalid, files.len());
    }
    if invalid == 0 {
        exit_code::SUCCESS
    } else {
        exit_code::INVALID_INPUT
    }
}

fn print_validation_text(file: &std::path::Path, result: &Result<scenario::LoadedScenario, LoadError>) {
    match result {
        Ok(loaded) => {
            let s = &loaded.scenario;
            say!(
                "ok {}: scenario `{}` ({} restore{}, {} check{})",
                file.display(),
                s.name,
                s.restores.len(),
                plural(s.restores.len()),
                s.checks.len(),
                plural(s.checks.len())
            );
        }
        Err(error) => print_load_error(error),
    }
}

/// How many problems of one file are printed as text.
const MAX_SHOWN_PROBLEMS: usize = 50;

/// Prints every problem of a file on stderr, each with its snippet and hint.
pub fn print_load_error(error: &LoadError) {
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    match error {
        LoadError::Unreadable { .. } => {
            let _ = writeln!(out, "error: {error}");
        }
        LoadError::Invalid(invalid) => {
            let _ = writeln!(out, "error: {invalid}");
            // A hostile file can hold thousands of mistakes: show the first ones only.
            for diagnostic in invalid.diagnostics().take(MAX_SHOWN_PROBLEMS) {
                let _ = writeln!(out, "{:?}", miette::Report::new(diagnostic));
            }
            if invalid.problems.len() > MAX_SHOWN_PROBLEMS {
                let more = invalid.problems.len() - MAX_SHOWN_PROBLEMS;
                let _ = writeln!(out, "… and {more} more problems (`--format json` lists them all)");
            }
        }
    }
}

fn validation_json(file: &std::path::Path, result: &Result<scenario::LoadedScenario, LoadError>) -> serde_json::Value {
    match result {
        Ok(loaded) => serde_json::json!({ "file": file, "valid": true, "scenario": loaded.scenario.name }),
        Err(LoadError::Invalid(invalid)) => {
            serde_json::json!({ "file": file, "valid": false, "problems": invalid.problems })
        }
        Err(error @ LoadError::Unreadable { .. }) => serde_json::json!({
            "file": file, "valid": false, "problems": [{ "field": "", "message": error.to_string() }]
        }),
    }
}

fn plan_command(file: &std::path::Path, args: &ScenarioArgs) -> i32 {
    let loaded = match scenario::load(file, args.checks_dir.as_deref()) {
        Ok(loaded) => loaded,
        Err(error) => {
            print_load_error(&error);
            return exit_code::INVALID_INPUT;
        }
    };
    let plan = plan::plan(&loaded.scenario);
    match args.format {
        Format::Text => say_raw!("{}", plan::render_text(&plan)),
        Format::Json => say!("{}", serde_json::to_string_pretty(&plan).expect("JSON prints")),
    }
    exit_code::SUCCESS
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

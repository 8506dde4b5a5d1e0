//! `firedrill due`: which scenarios are due or overdue, from their schedules and the
//! history; and the selection `firedrill run --due` and `--shard` make with the same
//! rules (`crate::due`).

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use super::{Format, print_load_error};
use crate::due::{self, Assessment, Shard};
use crate::exit_code;
use crate::history::{Location, Store};
use crate::result::DrillResult;
use crate::scenario::{self, LoadedScenario};

#[derive(Debug, Args)]
pub struct DueArgs {
    /// Scenario files (YAML), or folders of them (`*.yaml`, `*.yml`).
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// The history to read: a folder, or `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|S3-URL", default_value = ".firedrill/history")]
    pub history: Location,
    /// Only the scenarios of worker I of N (`--shard 2/3`), split by a stable hash of
    /// their names.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The time to judge at [default: now].
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<Timestamp>,
    /// Folder holding the check scripts, as for `validate`.
    #[arg(long, value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// AWS profile for an S3 history [default: the standard chain's].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region for an S3 history [default: the standard chain's].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

/// Lists every scenario's standing. Exit 0 when read (whatever is due), 2 on bad input,
/// 3 when the history cannot be read.
pub fn run(args: &DueArgs) -> i32 {
    let Some(loaded) = load_all(&args.paths, args.checks_dir.as_deref()) else {
        return exit_code::INVALID_INPUT;
    };
    let loaded = in_shard(loaded, args.shard);
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    let results = match runtime.block_on(history_results(
        &args.history,
        args.profile.as_deref(),
        args.region.as_deref(),
    )) {
        Ok(results) => results,
        Err(error) => {
            say_err!("error: {error}");
            return exit_code::ERROR;
        }
    };
    let now = args.as_of.unwrap_or_else(Timestamp::now);
    let assessments: Vec<(&LoadedScenario, Assessment)> = match assess_all(&loaded, &results, now) {
        Ok(list) => list,
        Err(error) => {
            say_err!("error: {error}");
            return exit_code::INVALID_INPUT;
        }
    };
    match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = assessments
                .iter()
                .map(|(l, a)| {
                    let mut value = serde_json::to_value(a).expect("an assessment is JSON");
                    value["file"] = serde_json::Value::String(l.file.display().to_string());
                    value
                })
                .collect();
            say!("{}", serde_json::to_string_pretty(&list).expect("JSON prints"));
        }
        Format::Text => print_text(&assessments, now),
    }
    exit_code::SUCCESS
}

fn print_text(assessments: &[(&LoadedScenario, Assessment)], now: Timestamp) {
    use crate::report::text::{span_text, zoned_text};
    for (loaded, a) in assessments {
        let zone = loaded.scenario.schedule.as_ref().map_or("UTC", |s| s.timezone.as_str());
        let when = match (a.state, a.next_due) {
            (due::State::Unscheduled, _) => "no schedule".to_owned(),
            (_, None) => "never passed, so due now".to_owned(),
            (due::State::Overdue, Some(at)) => format!(
                "was due {}, {} late",
                zoned_text(at, zone),
                span_text(now.duration_since(at).as_secs_f64())
            ),
            (due::State::Due, Some(at)) => format!("due since {}", zoned_text(at, zone)),
            (due::State::NotDue, Some(at)) => format!(
                "next due {}, in {}",
                zoned_text(at, zone),
                span_text(at.duration_since(now).as_secs_f64())
            ),
        };
        let last = a
            .last_passed
            .map(|t| format!("; last passed {}", zoned_text(t, zone)))
            .unwrap_or_default();
        say!(
            "{:<11} {:<28} {when}{last}  [{}]",
            a.state.text(),
            a.scenario,
            loaded.file.display()
        );
    }
    let runs = assessments.iter().filter(|(_, a)| a.state.runs()).count();
    say!("{runs} of {} scenarios due or overdue", assessments.len());
}

/// Every scenario file of `paths` (folders read for `*.yaml` and `*.yml`, in name order),
/// loaded; every problem printed, and `None` if any file is invalid (nothing is run or
/// judged on half the scenarios).
pub fn load_all(paths: &[PathBuf], checks_dir: Option<&std::path::Path>) -> Option<Vec<LoadedScenario>> {
    let files = match scenario_files(paths) {
        Ok(files) => files,
        Err(error) => {
            say_err!("error: {error}");
            return None;
        }
    };
    let mut loaded = Vec::new();
    let mut invalid = false;
    for file in &files {
        match scenario::load(file, checks_dir) {
            Ok(scenario) => loaded.push(scenario),
            Err(error) => {
                print_load_error(&error);
                invalid = true;
            }
        }
    }
    for (name, first, second) in duplicate_names(&loaded) {
        say_err!(
            "error: {} and {} both define the scenario `{name}`: names must be unique (runs, tags and history are keyed by it)",
            first.display(),
            second.display()
        );
        invalid = true;
    }
    (!invalid).then_some(loaded)
}

/// Each name defined by two files, with the first two files.
fn duplicate_names(loaded: &[LoadedScenario]) -> Vec<(&str, &std::path::Path, &std::path::Path)> {
    let mut seen: std::collections::BTreeMap<&str, &std::path::Path> = std::collections::BTreeMap::new();
    let mut twice = Vec::new();
    for l in loaded {
        match seen.get(l.scenario.name.as_str()) {
            Some(first) if !twice.iter().any(|(n, _, _)| *n == l.scenario.name) => {
                twice.push((l.scenario.name.as_str(), *first, l.file.as_path()));
            }
            Some(_) => {}
            None => {
                seen.insert(&l.scenario.name, &l.file);
            }
        }
    }
    twice
}

/// The files named, with folders expanded.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let found = yaml_files(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if found.is_empty() {
            return Err(format!("{}: no scenario files (*.yaml) in this folder", path.display()));
        }
        files.extend(found);
    }
    Ok(files)
}

/// The `*.yaml` and `*.yml` files of a folder, in name order.
pub fn yaml_files(folder: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    found.sort();
    Ok(found)
}

/// The scenarios of one worker, or all.
pub fn in_shard(loaded: Vec<LoadedScenario>, shard: Option<Shard>) -> Vec<LoadedScenario> {
    match shard {
        Some(shard) => loaded
            .into_iter()
            .filter(|l| due::in_shard(&l.scenario.name, shard))
            .collect(),
        None => loaded,
    }
}

/// Every readable result of the history; unreadable files are named and left out.
pub async fn history_results(
    location: &Location,
    profile: Option<&str>,
    region: Option<&str>,
) -> Result<Vec<DrillResult>, String> {
    let store = Store::open(location, profile, region).await;
    let loaded = store
        .load()
        .await
        .map_err(|e| format!("cannot read the history {location}: {e}"))?;
    for bad in &loaded.unreadable {
        say_err!("warning: {}: {} (left out)", bad.name, bad.problem);
    }
    Ok(loaded.results.into_iter().map(|s| s.result).collect())
}

/// Each scenario's standing, in the order given.
pub fn assess_all<'a>(
    loaded: &'a [LoadedScenario],
    results: &[DrillResult],
    now: Timestamp,
) -> Result<Vec<(&'a LoadedScenario, Assessment)>, String> {
    loaded
        .iter()
        .map(|l| {
            due::assess(&l.scenario, results, now)
                .map(|a| (l, a))
                .map_err(|e| format!("{}: {e}", l.file.display()))
        })
        .collect()
}

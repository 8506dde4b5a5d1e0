//! Scenarios: the YAML model, loading with places, and validation that reports every
//! problem of a file at once.
//!
//! Loading goes: size and encoding → YAML (with limits) → JSON Schema (structure, formats)
//! → typed `Scenario` → semantic rules. Nothing here talks to AWS: an invalid scenario
//! never reaches a cloud.

pub mod duration;
pub mod formats;
pub mod model;
pub mod problem;
pub mod schema;
mod structure;
pub mod template;
pub mod validate;
mod yaml_tree;

use std::path::{Path, PathBuf};

pub use duration::HumanDuration;
pub use model::*;
pub use problem::{InvalidScenario, Place, Problem};

/// The largest scenario file read; anything larger is refused before parsing.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A scenario that passed every check, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub file: PathBuf,
    pub checks_dir: PathBuf,
    pub scenario: Scenario,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {source}", file.display())]
    Unreadable { file: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] InvalidScenario),
}

/// Loads and validates the scenario at `file`. `checks_dir` overrides where check scripts
/// are looked for (default: [`default_checks_dir`]).
pub fn load(file: &Path, checks_dir: Option<&Path>) -> Result<LoadedScenario, LoadError> {
    let bytes = read_limited(file)?;
    let checks_dir = checks_dir.map_or_else(|| default_checks_dir(file), Path::to_path_buf);
    let scenario = parse(file, bytes, &checks_dir)?;
    Ok(LoadedScenario {
        file: file.to_owned(),
        checks_dir,
        scenario,
    })
}

/// Where a scenario's check scripts live when not told: `checks/` beside the folder the
/// scenario is in (`scenarios/x.yaml` → `checks/`), else `checks/` in the current folder.
pub fn default_checks_dir(file: &Path) -> PathBuf {
    // `demo.yaml` has the empty path as its parent: that is the current folder.
    let folder = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let beside = match folder.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(grandparent) => grandparent.join("checks"),
        None => folder.join("..").join("checks"),
    };
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from("checks")
    }
}

fn read_limited(file: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let unreadable = |source| LoadError::Unreadable {
        file: file.to_owned(),
        source,
    };
    let handle = std::fs::File::open(file).map_err(unreadable)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit, so an oversized file is known without reading it all.
    handle
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let problem = Problem::new("", format!("the file is larger than {} KiB", MAX_FILE_BYTES / 1024))
            .hint("a scenario is a few kilobytes; is this the right file?");
        return Err(InvalidScenario::new(file, "", vec![problem]).into());
    }
    Ok(bytes)
}

/// Parses and validates scenario text (`file` names it in messages).
pub fn parse(file: &Path, bytes: Vec<u8>, checks_dir: &Path) -> Result<Scenario, InvalidScenario> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let place = Place::of_offset(e.as_bytes(), offset);
        let problem = Problem::new("", "the file is not UTF-8 text (is it a binary file?)")
            .at(Some(Place { len: 0, ..place }))
            .hint("a scenario is a YAML text file in UTF-8");
        InvalidScenario::new(file, "", vec![problem])
    })?;
    let invalid = |problems| InvalidScenario::new(file, text.as_str(), problems);
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        let problem = Problem::new("", "the file is empty")
            .hint("start from an example in scenarios/, or see the README's scenario format");
        return Err(invalid(vec![problem]));
    }
    let document = yaml_tree::parse(&text).map_err(|p| invalid(vec![p]))?;
    let mut problems = structure::check(&document.value, &document.places);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let scenario: Scenario = serde_json::from_value(document.value).map_err(|e| {
        // The schema is generated from these types, so this is a firedrill bug; say so.
        invalid(vec![
            Problem::new("", format!("firedrill could not read this valid-looking scenario: {e}"))
                .hint("please report this as a bug with the file"),
        ])
    })?;
    let scenario_dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    problems = validate::validate(
        &scenario,
        &validate::Context {
            checks_dir,
            scenario_dir,
        },
    );
    if problems.is_empty() {
        return Ok(scenario);
    }
    for problem in &mut problems {
        problem.place = document.places.value(&problem.field);
    }
    problems.sort_by_key(|p| p.place.map(|p| (p.line, p.column)));
    Err(invalid(problems))
}

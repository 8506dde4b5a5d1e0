//! The simulated account's state: its resources with their tags and timings, kept in
//! memory and, with `--sim-state FILE`, written to a file after every change, so that a
//! run killed at any instant leaves a state a later `firedrill cleanup` can read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::cloud::{ResourceRef, Tags};
use crate::scenario::ResourceKind;

/// Everything the simulated account holds.
#[derive(Default)]
pub(super) struct State {
    pub next_id: u64,
    pub resources: BTreeMap<ResourceRef, SimResource>,
}

/// One resource of the simulated account.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SimResource {
    pub tags: Tags,
    /// When it becomes ready (restores, runners), on the sim clock.
    pub ready_at: Timestamp,
    /// For restores: the scenario's restore id and what it restores.
    #[serde(default)]
    pub restore: Option<(String, ResourceKind)>,
    /// For an AWS Backup restore job: the idempotency token it was started with.
    #[serde(default)]
    pub token: Option<String>,
    /// For an AWS Backup restore job: the resource it created, once it completed.
    #[serde(default)]
    pub created: Option<ResourceRef>,
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// A volume's data folder, removed with the volume.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// For an AWS Backup restore job: it failed, and created nothing.
    #[serde(default)]
    pub failed: bool,
    /// For an AWS Backup restore job: its ExpectedCompletionTimeMinutes, drawn with an
    /// error when it starts (AWS's estimate is never the exact answer).
    #[serde(default)]
    pub expected_minutes: Option<u32>,
}

impl SimResource {
    pub fn new(tags: Tags, ready_at: Timestamp) -> Self {
        Self {
            tags,
            ready_at,
            restore: None,
            token: None,
            created: None,
            outputs: BTreeMap::new(),
            data_dir: None,
            failed: false,
            expected_minutes: None,
        }
    }

    /// Releases what the resource holds on this machine (its data folder).
    pub fn release(self) {
        if let Some(dir) = self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// An exclusive lock on `<state file>.lock`, held while one process reads, changes and
/// writes the state; released when dropped. Without it (the lock file cannot be made),
/// processes sharing a state file could lose each other's changes, so that is reported.
pub(super) struct FileLock {
    _file: Option<std::fs::File>,
}

impl FileLock {
    pub fn acquire(state: &Path) -> Self {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PathBuf::from(name))
            .ok()
            .filter(|file| file.lock().is_ok());
        Self { _file: file }
    }
}

/// The file format: resources as a list, since their keys are not strings.
#[derive(Serialize, Deserialize)]
struct Persisted {
    format: String,
    next_id: u64,
    resources: Vec<(ResourceRef, SimResource)>,
}

const FORMAT: &str = "firedrill-sim-state/1";

impl State {
    /// Reads a state file; a missing file is an empty account.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(error) => return Err(format!("cannot read the sim state {}: {error}", path.display())),
        };
        let persisted: Persisted = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: not a firedrill sim state: {e}", path.display()))?;
        if persisted.format != FORMAT {
            return Err(format!(
                "{}: sim state format `{}`, expected `{FORMAT}`",
                path.display(),
                persisted.format
            ));
        }
        Ok(Self {
            next_id: persisted.next_id,
            resources: persisted.resources.into_iter().collect(),
        })
    }

    /// Writes the state atomically (a temporary file renamed over the old one), so a
    /// process killed mid-write leaves the previous state, never a torn one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct View<'a> {
            format: &'a str,
            next_id: u64,
            resources: Vec<(&'a ResourceRef, &'a SimResource)>,
        }
        let view = View {
            format: FORMAT,
            next_id: self.next_id,
            resources: self.resources.iter().collect(),
        };
        let bytes = serde_json::to_vec_pretty(&view).map_err(std::io::Error::other)?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)?;
        let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
        std::io::Write::write_all(&mut temporary, &bytes)?;
        temporary.as_file().sync_data()?;
        temporary.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

//! The history in a local folder: `<root>/<scenario>/<run-id>.json` and its siblings.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{HistoryError, Loaded, MAX_RESULT_BYTES, RunFiles, Stored, Unreadable, parse, result_key, run_keys};
use crate::result::DrillResult;

pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn path_of(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn io_error(&self, path: &Path, error: &std::io::Error) -> HistoryError {
        HistoryError::Io {
            location: path.display().to_string(),
            message: error.to_string(),
        }
    }

    /// Reads every `*.json` one folder down; a missing root is an empty history.
    pub fn load(&self) -> Result<Loaded, HistoryError> {
        let folders = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(e) => return Err(self.io_error(&self.root, &e)),
        };
        let mut files = Vec::new();
        for folder in folders {
            let folder = folder.map_err(|e| self.io_error(&self.root, &e))?.path();
            if folder.is_dir() {
                files.extend(self.results_in(&folder)?);
            }
        }
        Ok(self.read_all(&files))
    }

    /// Reads one scenario's results only (what a run needs of the history).
    pub fn load_scenario(&self, scenario: &str) -> Result<Loaded, HistoryError> {
        let folder = self.root.join(scenario);
        if !folder.is_dir() {
            return Ok(Loaded::default());
        }
        let files = self.results_in(&folder)?;
        Ok(self.read_all(&files))
    }

    fn results_in(&self, folder: &Path) -> Result<Vec<PathBuf>, HistoryError> {
        let mut files = Vec::new();
        for file in std::fs::read_dir(folder).map_err(|e| self.io_error(folder, &e))? {
            let path = file.map_err(|e| self.io_error(folder, &e))?.path();
            if path.extension().is_some_and(|x| x == "json") {
                files.push(path);
            }
        }
        Ok(files)
    }

    /// Reads and parses the files on every core (a history of thousands of results is
    /// mostly JSON parsing).
    fn read_all(&self, files: &[PathBuf]) -> Loaded {
        let mut loaded = Loaded::default();
        for (path, read) in crate::parallel::map(files, |path| read_capped(path).and_then(|bytes| parse(&bytes))) {
            let key = path
                .strip_prefix(&self.root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            match read {
                Ok(result) => loaded.results.push(Stored { key, result }),
                Err(problem) => loaded.unreadable.push(Unreadable {
                    name: path.display().to_string(),
                    problem,
                }),
            }
        }
        loaded
    }

    /// Writes the result (and journal and report) under a fresh name, so that a result
    /// is never half written and never replaced.
    pub fn put(&self, result: &DrillResult, files: &RunFiles) -> Result<String, HistoryError> {
        let key = result_key(result);
        let [result_path, journal_path, report_path] = run_keys(&key).map(|k| self.root.join(k));
        let text = serde_json::to_string_pretty(result).expect("a result serialises") + "\n";
        write_new(&result_path, &text).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => HistoryError::Exists {
                location: result_path.display().to_string(),
                run_id: result.run_id.clone(),
            },
            _ => self.io_error(&result_path, &e),
        })?;
        for (path, text) in [(journal_path, &files.journal), (report_path, &files.report)] {
            if let Some(text) = text {
                write_new(&path, text).map_err(|e| self.io_error(&path, &e))?;
            }
        }
        Ok(key)
    }

    /// Deletes a run's files; those already gone are not an error.
    pub fn delete_run(&self, key: &str) -> Result<Vec<String>, HistoryError> {
        let mut deleted = Vec::new();
        for path in run_keys(key).map(|k| self.root.join(k)) {
            match std::fs::remove_file(&path) {
                Ok(()) => deleted.push(path.display().to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.io_error(&path, &e)),
            }
        }
        Ok(deleted)
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_RESULT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_RESULT_BYTES {
        return Err(format!(
            "larger than {} MiB: not a result",
            MAX_RESULT_BYTES / 1024 / 1024
        ));
    }
    Ok(bytes)
}

/// Writes `text` to a temporary file beside `path`, then moves it to `path` only if that
/// name is free: atomic, and never a replacement.
pub fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    temporary.persist_noclobber(path).map(drop).map_err(|e| e.error)
}

//! The run's journal: append-only JSON lines, one `DrillEvent` each, flushed as written,
//! so that what a killed run did can be read back (and replayed into its result).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::runner::events::DrillEvent;

/// Appends events to a journal file.
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Creates the journal (and its folder); fails if it exists: a run id is never reused.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = File::options().create_new(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one event and flushes it to the OS (and the disk), before the run goes on.
    pub fn append(&mut self, event: &DrillEvent) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

/// Reads a journal file back (see `parse`).
pub fn read(path: &Path) -> Result<Vec<DrillEvent>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&bytes).map_err(|e| format!("{}:{e}", path.display()))
}

/// Parses a journal's bytes. A torn last line (the process died mid-write) is ignored;
/// any other bad line is an error naming its line number (`<line>: <why>`).
pub fn parse(bytes: &[u8]) -> Result<Vec<DrillEvent>, String> {
    let (events, bad_lines) = parse_lenient(bytes);
    match bad_lines.first() {
        None => Ok(events),
        Some(line) => Err(format!("{line}: not a journal event")),
    }
}

/// Parses what can be parsed of a damaged journal (for cleanup, which must not lose a
/// whole run's trail to one bad line): the events, and the numbers of the lines that are
/// not events (a torn last line is not counted: a crash leaves one).
pub fn parse_lenient(bytes: &[u8]) -> (Vec<DrillEvent>, Vec<usize>) {
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let count = if lines.last().is_some_and(|l| l.is_empty()) {
        lines.len() - 1
    } else {
        lines.len()
    };
    let mut events = Vec::with_capacity(count);
    let mut bad = Vec::new();
    for (i, line) in lines[..count].iter().enumerate() {
        match serde_json::from_slice(line) {
            Ok(event) => events.push(event),
            Err(_) if i + 1 == count => {}
            Err(_) => bad.push(i + 1),
        }
    }
    (events, bad)
}

//! The history store: every run's result, kept as written. A local folder by default,
//! an S3 prefix for teams (`--history s3://bucket/prefix`); the same layout in both,
//! `<scenario>/<run-id>.json` beside the run's journal (`.journal.jsonl`) and report
//! (`.html`).
//!
//! Results are immutable: a write never replaces one (local files are linked into place
//! only if the name is free; S3 writes are conditional), and pruning deletes whole runs,
//! never edits one. Reading is tolerant of fields a newer firedrill added, and loud about
//! files that cannot be read: each is named with why, skipped, and the rest is read.

mod filter;
mod local;
mod s3;

use std::fmt;
use std::path::PathBuf;

use crate::result::DrillResult;

pub use filter::{Filter, parse_time};
pub use local::{LocalStore, write_new};
pub use s3::{S3Store, client as s3_client};

/// The largest result file read; a result is a few kilobytes (check output is capped).
pub const MAX_RESULT_BYTES: u64 = 16 * 1024 * 1024;

/// Where the history is, as `--history` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl std::str::FromStr for Location {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.is_empty() {
                return Err("the history location is empty".to_owned());
            }
            return Ok(Location::Local(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_bucket(bucket) {
            return Err(format!(
                "`{text}`: `{bucket}` is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
            ));
        }
        Ok(Location::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// One result read back, with the key it is stored under (`<scenario>/<run-id>.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub key: String,
    pub result: DrillResult,
}

/// A file of the history that is not a readable result: named, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    /// Where it is: a path, or an `s3://` URL.
    pub name: String,
    pub problem: String,
}

/// Everything read from a history: the results, oldest first, and the files skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub results: Vec<Stored>,
    pub unreadable: Vec<Unreadable>,
}

impl Loaded {
    fn sorted(mut self) -> Self {
        self.results
            .sort_by(|a, b| (a.result.started_at, &a.result.run_id).cmp(&(b.result.started_at, &b.result.run_id)));
        self.unreadable.sort_by(|a, b| a.name.cmp(&b.name));
        self
    }
}

/// Why the history as a whole could not be read or written (one bad file is not this).
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{location}: {message}")]
    Io { location: String, message: String },
    #[error("{location} already holds a result for run `{run_id}`; results are never replaced")]
    Exists { location: String, run_id: String },
}

/// Reads one result file's bytes; the error says where in the file it went wrong.
pub fn parse(bytes: &[u8]) -> Result<DrillResult, String> {
    if bytes.is_empty() {
        return Err("the file is empty (a run killed while writing it?)".to_owned());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| json_problem(&e))?;
    let version = value.get("schema_version").and_then(serde_json::Value::as_u64);
    if version.is_none() {
        return Err("not a firedrill result: it has no `schema_version`".to_owned());
    }
    // Unknown fields (a newer firedrill's additions) are ignored by serde; a newer major
    // shape shows up as a missing or mistyped field, said as such.
    serde_json::from_value(value).map_err(|e| {
        let newer = version.is_some_and(|v| v > u64::from(crate::result::SCHEMA_VERSION));
        let hint = if newer { " (written by a newer firedrill?)" } else { "" };
        format!("not a valid result: {e}{hint}")
    })
}

fn json_problem(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Eof => "the file ends early (truncated?)",
        serde_json::error::Category::Syntax => "not valid JSON",
        _ => "not a valid result",
    };
    format!("line {} column {}: {what}: {error}", error.line(), error.column())
}

/// The keys a run's files are stored under, result first.
pub fn run_keys(key: &str) -> [String; 3] {
    let stem = key.strip_suffix(".json").unwrap_or(key);
    [
        format!("{stem}.json"),
        format!("{stem}.journal.jsonl"),
        format!("{stem}.html"),
    ]
}

/// The key a result is stored under.
pub fn result_key(result: &DrillResult) -> String {
    format!("{}/{}.json", result.scenario, result.run_id)
}

/// The files of a run stored beside its result.
#[derive(Debug, Clone, Default)]
pub struct RunFiles {
    pub journal: Option<String>,
    pub report: Option<String>,
}

/// A history, wherever it is.
pub enum Store {
    Local(LocalStore),
    S3(S3Store),
}

impl Store {
    /// The store at `location`; S3 uses the standard AWS configuration chain.
    pub async fn open(location: &Location, profile: Option<&str>, region: Option<&str>) -> Store {
        match location {
            Location::Local(path) => Store::Local(LocalStore::new(path.clone())),
            Location::S3 { bucket, prefix } => {
                let client = s3::client(profile, region).await;
                Store::S3(S3Store::new(client, bucket, prefix))
            }
        }
    }

    /// Every result, oldest first, and every file that could not be read.
    pub async fn load(&self) -> Result<Loaded, HistoryError> {
        let loaded = match self {
            Store::Local(store) => store.load()?,
            Store::S3(store) => store.load().await?,
        };
        Ok(loaded.sorted())
    }

    /// Stores a run's result, journal and report; refuses to replace an existing result.
    pub async fn put(&self, result: &DrillResult, files: &RunFiles) -> Result<String, HistoryError> {
        match self {
            Store::Local(store) => store.put(result, files),
            Store::S3(store) => store.put(result, files).await,
        }
    }

    /// Deletes a run's files (result, journal, report); returns the names deleted.
    pub async fn delete_run(&self, key: &str) -> Result<Vec<String>, HistoryError> {
        match self {
            Store::Local(store) => store.delete_run(key),
            Store::S3(store) => store.delete_run(key).await,
        }
    }

    /// How a stored key is shown to people.
    pub fn name_of(&self, key: &str) -> String {
        match self {
            Store::Local(store) => store.path_of(key).display().to_string(),
            Store::S3(store) => store.url_of(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_folders_or_s3_prefixes() {
        assert_eq!(
            "s3://drills-bucket/team/history/".parse::<Location>(),
            Ok(Location::S3 {
                bucket: "drills-bucket".into(),
                prefix: "team/history".into()
            })
        );
        assert_eq!(
            "s3://drills-bucket".parse::<Location>().unwrap().to_string(),
            "s3://drills-bucket"
        );
        assert_eq!(
            ".firedrill/history".parse::<Location>(),
            Ok(Location::Local(".firedrill/history".into()))
        );
        let error = "s3://Bad_Bucket/x".parse::<Location>().unwrap_err();
        assert!(error.contains("`Bad_Bucket` is not an S3 bucket name"), "{error}");
        assert!("s3://".parse::<Location>().is_err());
    }

    #[test]
    fn corrupt_files_say_where_and_why() {
        let truncated = parse(br#"{"schema_version": 1, "run_id": "x""#).unwrap_err();
        assert!(
            truncated.starts_with("line 1 column 35: the file ends early"),
            "{truncated}"
        );
        let garbage = parse(b"\x00\x01 not json").unwrap_err();
        assert!(garbage.contains("not valid JSON"), "{garbage}");
        assert!(parse(b"").unwrap_err().contains("empty"));
        assert!(parse(b"{}").unwrap_err().contains("no `schema_version`"));
        let wrong = parse(br#"{"schema_version": 1, "run_id": 3}"#).unwrap_err();
        assert!(wrong.starts_with("not a valid result"), "{wrong}");
    }

    #[test]
    fn a_run_is_its_result_journal_and_report() {
        assert_eq!(
            run_keys("demo/demo-20261201-abc.json"),
            [
                "demo/demo-20261201-abc.json".to_owned(),
                "demo/demo-20261201-abc.journal.jsonl".to_owned(),
                "demo/demo-20261201-abc.html".to_owned()
            ]
        );
    }
}

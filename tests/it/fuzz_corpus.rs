//! The fuzz corpora (tests/fuzz/corpus/<target>/) replayed as ordinary tests: every file
//! goes through the same library function as its fuzz target (`firedrill::fuzzing`), and
//! none may panic. Fuzzing needs nightly and sanitizer flags; this needs neither, so CI
//! runs it with the other tests (see docs/fuzzing.md).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use crate::support::root;

/// The `scenario_load` fuzz target's body.
fn scenario_load(data: &[u8]) {
    firedrill::fuzzing::scenario_load(data, &root().join("checks"));
}

/// The `history_read` fuzz target's body.
fn history_read(data: &[u8]) {
    firedrill::fuzzing::history_read(data);
}

/// The corpus files of a fuzz target, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Feeds every file to `harness`, each under `catch_unwind`; returns the panics, as
/// `<file relative to the repository>: <message>`.
fn replay(files: &[PathBuf], harness: fn(&[u8])) -> Vec<String> {
    let mut panics = Vec::new();
    for file in files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| harness(&data))) {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(a panic without a message)".to_owned());
            let name = file.strip_prefix(root()).unwrap_or(file).display();
            panics.push(format!("{name}: {message}"));
        }
    }
    panics
}

/// The stack of a Linux main thread, where the fuzz targets and `firedrill` parse.
const MAIN_THREAD_STACK: usize = 8 * 1024 * 1024;

fn replay_target(target: &str, harness: fn(&[u8])) {
    let files = corpus(target);
    // An empty or misplaced corpus would make this test pass without testing anything.
    assert!(
        files.len() >= 10,
        "tests/fuzz/corpus/{target} holds {} files; the corpus is missing",
        files.len()
    );
    // The fuzz targets and the CLI parse on the main thread (8 MiB of stack); test threads
    // have 2 MiB, on which deeply nested YAML overflows in debug builds (docs/fuzzing.md).
    let panics = std::thread::Builder::new()
        .stack_size(MAIN_THREAD_STACK)
        .spawn({
            let files = files.clone();
            move || replay(&files, harness)
        })
        .expect("a replay thread")
        .join()
        .expect("replay catches panics");
    println!(
        "replayed {} {target} corpus files, {} panicked",
        files.len(),
        panics.len()
    );
    assert!(
        panics.is_empty(),
        "{} of {} {target} corpus files panicked (reproduce one with `cargo +nightly fuzz run --fuzz-dir tests/fuzz {target} <file>`; see docs/fuzzing.md):\n{}",
        panics.len(),
        files.len(),
        panics.join("\n")
    );
}

#[test]
fn scenario_load_corpus_replays_without_panics() {
    replay_target("scenario_load", scenario_load);
}

#[test]
fn history_read_corpus_replays_without_panics() {
    replay_target("history_read", history_read);
}

/// The replay catches a panicking target and names the file, so the tests above can fail.
#[test]
fn replay_reports_every_panicking_file() {
    let files = corpus("history_read");
    let panics = replay(&files[..3], |_| panic!("boom"));
    assert_eq!(panics.len(), 3, "{panics:?}");
    let first = files[0].strip_prefix(root()).expect("inside the repository").display();
    assert_eq!(panics[0], format!("{first}: boom"));
}

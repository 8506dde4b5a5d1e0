//! `run --game-day` through the binary on the simulated cloud: `--yes` confirms every
//! manual step unattended and says so in the result and the report; without a
//! terminal and without `--yes` nothing runs.

use std::path::Path;

use crate::support::*;

const MANUAL: &str = "manual:\n  - id: flip-dns\n    instructions: Point the orders DNS name at the restored copy.\n    after: [exports]\n    before: [manifest]\n";

fn run(args: &[&str], file: &Path, history: &Path) -> std::process::Output {
    let mut all: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), file.as_os_str()];
    all.extend(args.iter().map(|a| a.as_ref() as &std::ffi::OsStr));
    let checks = root().join("checks");
    all.extend([
        "--history".as_ref(),
        history.as_os_str(),
        "--checks-dir".as_ref(),
        checks.as_os_str(),
    ]);
    firedrill(all)
}

fn only_file(dir: &Path, extension: &str) -> std::path::PathBuf {
    let folder = dir.join("quick");
    let found: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(extension) && !p.to_string_lossy().ends_with(".journal.jsonl"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn yes_confirms_manual_steps_unattended_and_the_report_shows_who_and_what() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", MANUAL);
    let history = dir.path().join("history");
    let output = run(&["--game-day", "--yes", "--operator", "ana.lima"], &file, &history);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("manual step `flip-dns`: done by ana.lima (confirmed unattended (--yes))"),
        "{}",
        stderr(&output)
    );
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(only_file(&history, ".json")).unwrap()).unwrap();
    let manual = &result["manual_steps"][0];
    assert_eq!(manual["id"], "flip-dns");
    assert_eq!(manual["operator"], "ana.lima");
    assert_eq!(manual["answer"], "done");
    let page = std::fs::read_to_string(only_file(&history, ".html")).unwrap();
    assert!(
        page.contains("Manual steps (game day)") && page.contains("ana.lima"),
        "the run page shows it"
    );
}

#[test]
fn without_a_game_day_manual_steps_are_skipped_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", MANUAL);
    let history = dir.path().join("history");
    let output = run(&[], &file, &history);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("manual step `flip-dns` skipped (not a game day)"));
}

#[test]
fn a_game_day_without_a_terminal_or_yes_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", MANUAL);
    let history = dir.path().join("history");
    for (args, says) in [
        (&["--game-day"][..], "standard input is not one"),
        (&["--game-day", "--yes", "--parallel", "2"][..], "one drill at a time"),
        (&["--yes"][..], "--game-day"),
        (&["--operator", "ana"][..], "--game-day"),
    ] {
        let output = run(args, &file, &history);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(says), "{args:?}: {}", stderr(&output));
        assert!(!history.exists(), "{args:?}: nothing ran");
    }
}

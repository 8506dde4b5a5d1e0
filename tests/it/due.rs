//! `firedrill due`, `run --due` and `--shard` on the simulated cloud: what is due is
//! run, what passed is not run again, and workers split scenarios without overlap.

use std::path::Path;

use crate::support::*;

const MONTHLY: &str = "schedule: { cron: '0 3 1 * *', timezone: Europe/Berlin }";

fn due_json(paths: &[&Path], history: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<&std::ffi::OsStr> = vec!["due".as_ref()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    args.extend([
        "--history".as_ref(),
        history.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    args.extend(extra.iter().map(|e| e.as_ref() as &std::ffi::OsStr));
    let output = firedrill(args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn run_due(file: &Path, history: &Path) -> std::process::Output {
    firedrill([
        "run".as_ref(),
        "--due".as_ref(),
        file.as_os_str(),
        "--history".as_ref(),
        history.as_os_str(),
        "--checks-dir".as_ref(),
        root().join("checks").as_os_str(),
    ])
}

fn results_in(history: &Path) -> usize {
    walk(history).iter().filter(|p| is_result(p)).count()
}

fn is_result(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "json")
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .flat_map(|p| if p.is_dir() { walk(&p) } else { vec![p] })
        .collect()
}

#[test]
fn a_due_scenario_is_run_once_and_then_is_not_due() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", MONTHLY);
    let history = dir.path().join("history");
    let before = due_json(&[&file], &history, &[]);
    assert_eq!(before[0]["scenario"], "quick");
    assert_eq!(before[0]["state"], "overdue", "never passed: {before:#}");

    let first = run_due(&file, &history);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("1 of 1 scenarios due: quick (overdue)"),
        "{}",
        stderr(&first)
    );
    assert_eq!(results_in(&history), 1);

    let after = due_json(&[&file], &history, &[]);
    assert_eq!(after[0]["state"], "not_due", "{after:#}");
    assert!(after[0]["next_due"].is_string() && after[0]["last_passed"].is_string());

    let second = run_due(&file, &history);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("nothing to run: no scenario is due"),
        "{}",
        stderr(&second)
    );
    assert_eq!(results_in(&history), 1, "nothing ran the second time");

    // A month on, it is due again (judged as of then).
    let later = due_json(&[&file], &history, &["--as-of", "2099-01-01T00:00:00Z"]);
    assert_eq!(later[0]["state"], "overdue");
}

#[test]
fn a_failed_drill_leaves_the_scenario_due() {
    let dir = tempfile::tempdir().unwrap();
    // A 1-second RTO target the drill cannot meet.
    let file = crate::run::scenario(dir.path(), "1s", MONTHLY);
    let history = dir.path().join("history");
    let output = run_due(&file, &history);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let after = due_json(&[&file], &history, &[]);
    assert_eq!(after[0]["state"], "overdue", "a failed drill proved nothing: {after:#}");
}

#[test]
fn unscheduled_scenarios_are_listed_and_never_run_by_due() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", "");
    let history = dir.path().join("history");
    assert_eq!(due_json(&[&file], &history, &[])[0]["state"], "unscheduled");
    let output = run_due(&file, &history);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(results_in(&history), 0);
}

#[test]
fn each_scenario_belongs_to_exactly_one_shard() {
    let scenarios = root().join("tests/fixtures/report/scenarios");
    let history = root().join("tests/fixtures/report/history");
    let all = due_json(&[&scenarios], &history, &[]);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["scenario"].as_str().unwrap().to_owned())
            .collect()
    };
    for of in [1, 2, 3, 5] {
        let mut seen: Vec<String> = (1..=of)
            .flat_map(|i| names(&due_json(&[&scenarios], &history, &["--shard", &format!("{i}/{of}")])))
            .collect();
        seen.sort();
        assert_eq!(seen, names(&all), "{of} shards cover every scenario once");
    }
}

#[test]
fn bad_shards_and_duplicate_names_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", MONTHLY);
    for bad in ["0/3", "4/3", "two", "1/0"] {
        let output = firedrill(["run".as_ref(), "--shard".as_ref(), bad.as_ref(), file.as_os_str()]);
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", stderr(&output));
        assert!(stderr(&output).contains("expected I/N"), "{bad}: {}", stderr(&output));
    }
    let copy = dir.path().join("copy.yaml");
    std::fs::copy(&file, &copy).unwrap();
    let history = dir.path().join("history");
    let output = firedrill([
        "run".as_ref(),
        dir.path().as_os_str(),
        "--history".as_ref(),
        history.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("both define the scenario `quick`"),
        "{}",
        stderr(&output)
    );
    assert_eq!(results_in(&history), 0);
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_a_crash() {
    let history = root().join("tests/fixtures/report/history");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["history", "list", "--history"])
        .arg(&history)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

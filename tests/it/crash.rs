//! Crash safety of the real binary: a drill killed at named events (persisted sim state,
//! `FIREDRILL_SIM_CRASH_AT`), then `firedrill cleanup`; leases, `--force` and the tag
//! guard of `cleanup --all`.

use std::path::{Path, PathBuf};
use std::process::Output;

use firedrill::cloud::{TAG_RUN_ID, TAG_SCENARIO};

use crate::support::{firedrill, firedrill_with_env, stderr, stdout};

const SCENARIO: &str = "tests/fixtures/crash/drill.yaml";

/// Twenty moments of a drill, from before anything exists to the middle of teardown.
const CRASH_POINTS: [&str; 20] = [
    "run_started:1",
    "step_started:1",
    "create_intended:1",
    "resource_created:1",
    "resource_created:6",
    "isolation_verified:1",
    "recovery_point_chosen:1",
    "create_intended:2",
    "create_intended:3",
    "restore_started:1",
    "restore_started:2",
    "resource_created:13",
    "restore_ready:1",
    "restore_ready:2",
    "runner_online:1",
    "check_finished:1",
    "teardown_started:1",
    "resource_deleted:1",
    "resource_deleted:8",
    "teardown_finished:1",
];

/// One kill test's folder: history and sim state.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn history(&self) -> PathBuf {
        self.dir.path().join("history")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("sim.json")
    }

    fn run(&self, scenario: &str, crash_at: Option<&str>) -> Output {
        let history = self.history();
        let state = self.state();
        let args = [
            "run",
            scenario,
            "--checks-dir",
            "tests/fixtures/checks",
            "--history",
            history.to_str().unwrap(),
            "--sim-state",
            state.to_str().unwrap(),
        ];
        firedrill_with_env(args, &[("FIREDRILL_SIM_CRASH_AT", crash_at.unwrap_or(""))])
    }

    fn cleanup(&self, which: &[&str]) -> Output {
        let history = self.history();
        let state = self.state();
        let mut args = vec!["cleanup"];
        args.extend_from_slice(which);
        args.extend([
            "--history",
            history.to_str().unwrap(),
            "--sim-state",
            state.to_str().unwrap(),
        ]);
        firedrill(args)
    }

    /// The run id, from the journal's file name (created before anything else).
    fn run_id(&self, scenario: &str) -> String {
        let folder = self.history().join(scenario);
        let journal = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|name| name.ends_with(".journal.jsonl"))
            .expect("a journal");
        journal.trim_end_matches(".journal.jsonl").to_owned()
    }

    /// Every resource in the simulated account: (type, id, tags).
    fn resources(&self) -> Vec<(String, String, serde_json::Map<String, serde_json::Value>)> {
        sim_resources(&self.state())
    }

    /// Resources carrying `run_id`.
    fn tagged(&self, run_id: &str) -> Vec<String> {
        self.resources()
            .into_iter()
            .filter(|(_, _, tags)| tags.get(TAG_RUN_ID).and_then(|v| v.as_str()) == Some(run_id))
            .map(|(kind, id, _)| format!("{kind} {id}"))
            .collect()
    }

    /// What firedrill created and is still there (source backups and jobs aside), once
    /// every restore job has had time to complete and create its resource (the sim
    /// completes jobs whenever any process looks at the account, as a dry run does).
    fn created_and_left(&self) -> Vec<String> {
        self.wait_for_restore_jobs();
        let look = self.cleanup(&["--all", "--dry-run"]);
        assert!(look.status.code().is_some(), "{}", stderr(&look));
        self.resources()
            .into_iter()
            .filter(|(kind, _, _)| kind != "recovery_point" && kind != "restore_job")
            .map(|(kind, id, _)| format!("{kind} {id}"))
            .collect()
    }
}

fn sim_resources(state: &Path) -> Vec<(String, String, serde_json::Map<String, serde_json::Value>)> {
    let Ok(text) = std::fs::read_to_string(state) else {
        return Vec::new();
    };
    let value: serde_json::Value = serde_json::from_str(&text).expect("the sim state is JSON");
    value["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|pair| {
            let resource = &pair[0];
            let tags = pair[1]["tags"].as_object().cloned().unwrap_or_default();
            (
                resource["type"].as_str().unwrap().to_owned(),
                resource["id"].as_str().unwrap().to_owned(),
                tags,
            )
        })
        .collect()
}

impl Workspace {
    /// Until every restore job still running in the account is due to have completed
    /// (its `ready_at`, on the wall clock the sim keeps), at most five seconds.
    fn wait_for_restore_jobs(&self) {
        let Ok(text) = std::fs::read_to_string(self.state()) else {
            return;
        };
        let state: serde_json::Value = serde_json::from_str(&text).expect("the sim state is JSON");
        let due = state["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|pair| pair[0]["type"] == "restore_job")
            .filter(|pair| pair[1]["created"].is_null() && pair[1]["failed"] != true)
            .filter_map(|pair| pair[1]["ready_at"].as_str()?.parse::<jiff::Timestamp>().ok())
            .max();
        let Some(due) = due else { return };
        let wait = due.duration_since(jiff::Timestamp::now());
        let wait = std::time::Duration::try_from(wait).unwrap_or_default();
        assert!(
            wait <= std::time::Duration::from_secs(5),
            "a restore job due in {wait:?}"
        );
        // The sim's clock and this one are the same clock: a few ms past `ready_at`.
        std::thread::sleep(wait + std::time::Duration::from_millis(20));
    }
}

/// Cleans up a run by name, forced; once more after a second if a restore job it
/// found was still running (its resource appears only when it completes).
fn forced_cleanup(space: &Workspace, run_id: &str) -> Output {
    let output = space.cleanup(&["--run-id", run_id, "--force"]);
    if output.status.code() == Some(4) && stdout(&output).contains("pending: AWS Backup restore job") {
        std::thread::sleep(std::time::Duration::from_secs(1));
        return space.cleanup(&["--run-id", run_id, "--force"]);
    }
    output
}

#[test]
fn a_drill_killed_at_any_of_20_events_is_cleaned_up_completely() {
    // Each point has a workspace (history and sim state) of its own: run them side by
    // side, a few at a time.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let crashed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..CRASH_POINTS_AT_ONCE {
            scope.spawn(|| {
                while let Some(point) = CRASH_POINTS.get(next.fetch_add(1, std::sync::atomic::Ordering::SeqCst)) {
                    killed_and_cleaned_up(point);
                    crashed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let crashed = crashed.into_inner();
    assert_eq!(crashed, CRASH_POINTS.len());
    println!("{crashed} crash points: killed, cleaned up, nothing left");
}

/// How many crash points run at once (each spawns one firedrill process at a time).
const CRASH_POINTS_AT_ONCE: usize = 4;

/// A drill killed at `point`; inside its lease cleanup leaves it alone, forced it
/// removes everything the run created.
fn killed_and_cleaned_up(point: &str) {
    let space = Workspace::new();
    let run = space.run(SCENARIO, Some(point));
    assert_eq!(run.status.code(), None, "{point}: killed by SIGABRT, {}", stderr(&run));
    assert!(
        stderr(&run).contains("crash point reached"),
        "{point}: {}",
        stderr(&run)
    );
    let run_id = space.run_id("crash");
    let before = space.tagged(&run_id);

    // Inside its lease (max_duration 1h), the run is never touched without --force.
    let sweep = space.cleanup(&["--all"]);
    assert_eq!(sweep.status.code(), Some(0), "{point}: {}", stderr(&sweep));
    assert_eq!(
        space.tagged(&run_id),
        before,
        "{point}: cleanup --all left the leased run alone"
    );
    let scenario = space.cleanup(&["--scenario", "crash"]);
    assert_eq!(space.tagged(&run_id), before, "{point}: so did --scenario");
    if !before.is_empty() {
        assert!(
            stdout(&sweep).contains("inside its lease"),
            "{point}: {}",
            stdout(&sweep)
        );
        assert!(stdout(&scenario).contains("inside its lease"), "{point}");
    }

    let cleaned = forced_cleanup(&space, &run_id);
    assert_eq!(
        cleaned.status.code(),
        Some(0),
        "{point}: {}\n{}",
        stdout(&cleaned),
        stderr(&cleaned)
    );
    assert!(space.tagged(&run_id).is_empty(), "{point}: {:?}", space.tagged(&run_id));
    assert!(
        space.created_and_left().is_empty(),
        "{point}: left {:?}",
        space.created_and_left()
    );
}

#[test]
fn a_run_past_its_lease_is_cleaned_without_force_even_without_its_journal() {
    let space = Workspace::new();
    let run = space.run(SCENARIO, Some("runner_online:1"));
    assert_eq!(run.status.code(), None, "{}", stderr(&run));
    let run_id = space.run_id("crash");
    assert!(!space.tagged(&run_id).is_empty());
    let leased = space.cleanup(&["--all"]);
    assert!(stdout(&leased).contains("inside its lease"), "{}", stdout(&leased));
    // Without its journal the run is known by its tags only, lease tag included. Time
    // passes (the lease is max_duration plus an hour for teardown): the tags say so.
    std::fs::remove_dir_all(space.history()).unwrap();
    let text = std::fs::read_to_string(space.state()).unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
    for pair in state["resources"].as_array_mut().unwrap() {
        if let Some(lease) = pair[1]["tags"].get_mut("firedrill:lease-until") {
            *lease = serde_json::json!("2020-01-01T00:00:00Z");
        }
    }
    std::fs::write(space.state(), serde_json::to_vec(&state).unwrap()).unwrap();
    let cleaned = space.cleanup(&["--all"]);
    assert_eq!(
        cleaned.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&cleaned),
        stderr(&cleaned)
    );
    assert!(space.tagged(&run_id).is_empty(), "{:?}", space.tagged(&run_id));
}

#[test]
fn cleanup_all_never_deletes_what_lacks_a_run_id_or_is_kept() {
    let space = Workspace::new();
    let run = space.run(SCENARIO, Some("check_finished:1"));
    assert_eq!(run.status.code(), None);
    let run_id = space.run_id("crash");
    // Production resources, one tagged like firedrill but without a run id, one of a run
    // whose id is empty, and one of the run kept until next year.
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(space.state()).unwrap()).unwrap();
    let resources = state["resources"].as_array_mut().unwrap();
    let foreign = |kind: &str, id: &str, tags: serde_json::Value| serde_json::json!([{ "type": kind, "id": id }, { "tags": tags, "ready_at": "2026-01-01T00:00:00Z" }]);
    resources.push(foreign(
        "db_instance",
        "orders-prod",
        serde_json::json!({ "team": "payments" }),
    ));
    resources.push(foreign("vpc", "vpc-prod", serde_json::json!({ TAG_SCENARIO: "crash" })));
    resources.push(foreign(
        "volume",
        "vol-empty-run",
        serde_json::json!({ TAG_RUN_ID: "" }),
    ));
    resources.push(foreign(
        "volume",
        "vol-kept",
        serde_json::json!({ TAG_RUN_ID: run_id, "firedrill:keep-until": "2099-01-01T00:00:00Z" }),
    ));
    std::fs::write(space.state(), serde_json::to_vec(&state).unwrap()).unwrap();

    let cleaned = space.cleanup(&["--run-id", &run_id, "--force"]);
    assert_eq!(cleaned.status.code(), Some(0), "{}", stdout(&cleaned));
    assert!(
        stdout(&cleaned).contains("kept Volume vol-kept"),
        "{}",
        stdout(&cleaned)
    );
    let all = space.cleanup(&["--all", "--older-than", "0s"]);
    assert_eq!(all.status.code(), Some(0), "{}", stdout(&all));
    let mut left = space.created_and_left();
    left.sort();
    assert_eq!(
        left,
        [
            "db_instance orders-prod",
            "volume vol-empty-run",
            "volume vol-kept",
            "vpc vpc-prod"
        ],
        "only what firedrill may not touch is left"
    );
}

#[test]
fn dry_run_deletes_nothing_and_says_what_it_would() {
    let space = Workspace::new();
    let run = space.run(SCENARIO, Some("runner_online:1"));
    assert_eq!(run.status.code(), None);
    let run_id = space.run_id("crash");
    let before = space.tagged(&run_id);
    let dry = space.cleanup(&["--run-id", &run_id, "--force", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    assert!(
        stdout(&dry).contains("would be deleted; nothing was"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(space.tagged(&run_id), before);
}

#[test]
fn a_later_run_warns_of_what_an_earlier_one_left() {
    let space = Workspace::new();
    let first = space.run(SCENARIO, Some("runner_online:1"));
    assert_eq!(first.status.code(), None);
    let earlier = space.run_id("crash");
    let second = space.run(SCENARIO, None);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let warning = stderr(&second);
    assert!(warning.contains(&format!("run {earlier} of `crash` has ")), "{warning}");
    assert!(warning.contains("firedrill cleanup --run-id"), "{warning}");
}

#[test]
fn cleanup_refuses_bad_usage_with_exit_2() {
    let none = firedrill(["cleanup", "--sim-state", "/nonexistent/sim.json"]);
    assert_eq!(none.status.code(), Some(2), "a target is required");
    let force_all = firedrill(["cleanup", "--all", "--force", "--sim-state", "x.json"]);
    assert_eq!(force_all.status.code(), Some(2), "--force needs --run-id");
    let bad_crash = firedrill_with_env(
        ["run", SCENARIO, "--checks-dir", "tests/fixtures/checks"],
        &[("FIREDRILL_SIM_CRASH_AT", "nonsense")],
    );
    assert_eq!(bad_crash.status.code(), Some(2));
    assert!(
        stderr(&bad_crash).contains("expected `<event>:<n>`"),
        "{}",
        stderr(&bad_crash)
    );
}

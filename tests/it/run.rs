//! `firedrill run` in real time on the simulated cloud: the real check scripts run as
//! subprocesses, and the exit codes follow DESIGN.md's table.

use std::path::Path;

use crate::support::*;

/// A fast simulated drill of the demo data; `extra` is appended to the YAML.
pub fn scenario(dir: &Path, rto: &str, extra: &str) -> std::path::PathBuf {
    let data = root().join("checks/fixtures/demo-orders");
    let text = format!(
        r#"name: quick
owner: tests@example.com
cloud: sim
max_duration: 1h
targets: {{ rto: {rto}, rpo: 36h }}
region: eu-west-1
restores:
  - id: exports
    source: {{ ebs_snapshot: {{ volume: vol-0a1b2c3d4e5f60718, snapshot: latest }} }}
checks:
  - id: manifest
    script: file-manifest.sh
    needs: [exports]
    env: {{ DATA_DIR: "{{{{ restores.exports.mount_path }}}}" }}
    expect: {{ manifest: manifests/demo-orders.sha256 }}
  - id: fresh
    script: file-mtime-watermark.sh
    needs: [exports]
    watermark: true
    env: {{ DATA_DIR: "{{{{ restores.exports.mount_path }}}}" }}
sim:
  latencies: {{ isolation: 200ms, database_restore: 1s, volume_restore: 1s, runner: 300ms, call: 20ms }}
  data: {{ exports: "{}" }}
{extra}"#,
        data.display()
    );
    let file = dir.join("quick.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

fn run(file: &Path, history: &Path) -> std::process::Output {
    firedrill([
        "run".as_ref(),
        file.as_os_str(),
        "--history".as_ref(),
        history.as_os_str(),
        "--checks-dir".as_ref(),
        root().join("checks").as_os_str(),
    ])
}

#[test]
fn a_passing_drill_writes_result_journal_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&scenario(dir.path(), "30m", ""), &dir.path().join("history"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("PASSED (simulated) quick"),
        "{}",
        stdout(&output)
    );
    let folder = dir.path().join("history/quick");
    let files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let result_file = files.iter().find(|f| f.ends_with(".json")).expect("a result");
    assert!(files.iter().any(|f| f.ends_with(".journal.jsonl")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with(".html")), "{files:?}");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join(result_file)).unwrap()).unwrap();
    assert_eq!(result["schema_version"], 1);
    assert_eq!(result["simulated"], true);
    assert_eq!(result["outcome"], "passed");
    assert_eq!(result["rpo"]["basis"], "watermark");
    assert!(result["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true));
    assert!(
        stderr(&output).contains("[SIMULATED]"),
        "every line of a sim run says so"
    );
}

#[test]
fn a_missed_target_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&scenario(dir.path(), "1s", ""), &dir.path().join("history"));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("RTO"), "{}", stdout(&output));
}

#[test]
fn an_rpo_miss_exits_1() {
    // The simulated backups are five hours old; a one-hour RPO cannot be met.
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "30m", "");
    let text = std::fs::read_to_string(&file).unwrap().replace("rpo: 36h", "rpo: 1h");
    std::fs::write(&file, text).unwrap();
    let output = run(&file, &dir.path().join("history"));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("exceeds the target 1h 0m 0s"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_failing_check_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "  faults:\n    - { call: run_command, fault: error, target: manifest }\n";
    let output = run(&scenario(dir.path(), "30m", extra), &dir.path().join("history"));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("check `manifest` failed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn access_denied_exits_3_and_says_what_was_denied() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "  faults:\n    - { call: start_restore, fault: access_denied }\n";
    let output = run(&scenario(dir.path(), "30m", extra), &dir.path().join("history"));
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(stdout(&output).contains("access denied"), "{}", stdout(&output));
}

#[test]
fn an_invalid_scenario_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(
        &root().join("tests/fixtures/invalid/zero-rto.yaml"),
        &dir.path().join("history"),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.path().join("history").exists(), "nothing was written");
}

/// Runs the binary with an AWS environment of the test's own (no profile files, no
/// instance metadata), so nothing on this machine can reach a real account.
fn firedrill_aws(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(args)
        .current_dir(root())
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

#[test]
fn an_aws_drill_whose_preflight_fails_exits_3_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    // Nothing listens on port 9: every call fails before anything can be created.
    let output = firedrill_aws(
        &[
            "run",
            "scenarios/rds-snapshot.yaml",
            "--history",
            history.to_str().unwrap(),
        ],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(3), "{said}");
    assert!(said.contains("preflight failed; nothing was created"), "{said}");
    assert!(said.contains("sts:GetCallerIdentity"), "says which call failed: {said}");
    assert!(!history.exists(), "no journal, no result: nothing was started");
}

#[test]
fn aws_cleanup_without_a_region_says_so_and_does_nothing() {
    let output = firedrill_aws(&["cleanup", "--all"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("no AWS region"), "{}", stderr(&output));
}

//! Interrupts sent to the real binary: the first tears down, the second stops waiting
//! but still deletes, the third exits at once and prints the cleanup command.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::root;

/// The crash fixture with slow restores: time to interrupt, and an AWS Backup job that
/// teardown would wait for.
fn slow_scenario(dir: &std::path::Path, call: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("tests/fixtures/crash/drill.yaml"))
        .unwrap()
        .replace("call: 10ms", &format!("call: {call}"))
        .replace("database_restore: 600ms", "database_restore: 60s")
        .replace("volume_restore: 300ms", "volume_restore: 10s");
    let file = dir.join("slow.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

/// A running drill whose stderr lines arrive on a channel.
struct Drill {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    dir: tempfile::TempDir,
}

impl Drill {
    /// Starts a drill whose cloud answers each call in `call` (e.g. `10ms`).
    fn start(call: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let scenario = slow_scenario(dir.path(), call);
        let mut child = Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args([
                "run",
                scenario.to_str().unwrap(),
                "--checks-dir",
                "tests/fixtures/checks",
            ])
            .arg("--history")
            .arg(dir.path().join("history"))
            .arg("--sim-state")
            .arg(dir.path().join("sim.json"))
            .current_dir(root())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
            dir,
        }
    }

    /// Waits (up to 30 s) for a stderr line containing `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let found = line.contains(text);
                self.seen.push(line);
                if found {
                    return;
                }
            }
        }
        panic!("no line with {text:?}; saw:\n{}", self.seen.join("\n"));
    }

    fn interrupt(&self) {
        self.signal("-INT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit; returns the code, all of stderr and stdout.
    fn finish(mut self) -> (Option<i32>, String, String, tempfile::TempDir) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the drill did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        let mut stdout = String::new();
        std::io::Read::read_to_string(&mut self.child.stdout.take().unwrap(), &mut stdout).unwrap();
        (status.code(), self.seen.join("\n"), stdout, self.dir)
    }
}

/// Resources in the sim state that firedrill created (source backups and jobs aside).
fn created_and_left(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("sim.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            format!(
                "{} {}",
                pair[0]["type"].as_str().unwrap(),
                pair[0]["id"].as_str().unwrap()
            )
        })
        .filter(|r| !r.starts_with("recovery_point") && !r.starts_with("restore_job"))
        .collect()
}

#[test]
fn one_interrupt_tears_down_and_exits_130() {
    let mut drill = Drill::start("10ms");
    drill.wait_for("restore `files` started");
    drill.interrupt();
    let (code, stderr, stdout, dir) = drill.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: starting nothing new and tearing down"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tearing down") && stderr.contains("deleted Vpc"),
        "{stderr}"
    );
    assert!(stdout.contains("ABORTED"), "{stdout}");
    // The restore job could not be cancelled: teardown waited for it, then deleted its
    // volume.
    assert!(stderr.contains("deleted Volume"), "{stderr}");
    assert!(
        created_and_left(dir.path()).is_empty(),
        "{:?}",
        created_and_left(dir.path())
    );
}

#[test]
fn a_second_interrupt_stops_waiting_but_still_deletes() {
    let mut drill = Drill::start("10ms");
    drill.wait_for("restore `files` started");
    drill.interrupt();
    drill.wait_for("]  tearing down");
    let started = Instant::now();
    drill.interrupt();
    let (code, stderr, stdout, dir) = drill.finish();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not wait for the 10 s job"
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("second interrupt: not waiting any more"), "{stderr}");
    assert!(
        stderr.contains("deleted Vpc"),
        "every delete was still issued: {stderr}"
    );
    assert!(
        stdout.contains("firedrill cleanup --run-id"),
        "the job is pending: {stdout}"
    );
    assert!(
        created_and_left(dir.path()).is_empty(),
        "{:?}",
        created_and_left(dir.path())
    );
}

#[test]
fn a_third_interrupt_exits_at_once_with_the_cleanup_command() {
    let mut drill = Drill::start("300ms");
    drill.wait_for("restore `files` started");
    drill.interrupt();
    drill.wait_for("]  tearing down");
    drill.interrupt();
    drill.wait_for("second interrupt");
    drill.interrupt();
    let (code, stderr, _, dir) = drill.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("third interrupt: exiting now"), "{stderr}");
    let command = stderr
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("firedrill cleanup --run-id fd-crash-"))
        .unwrap_or_else(|| panic!("no cleanup command: {stderr}"));
    assert!(command.contains("--sim-state"), "{command}");
    // The printed command works as printed: what the run left goes (its restore job,
    // still running, is reported pending with exit 4).
    let cleaned = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(command.split_whitespace().skip(1))
        .current_dir(root())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&cleaned.stdout);
    assert!(matches!(cleaned.status.code(), Some(0 | 4)), "{out}");
    assert!(
        created_and_left(dir.path()).is_empty(),
        "{:?}",
        created_and_left(dir.path())
    );
}

#[test]
fn sigterm_tears_down_and_exits_143() {
    let mut drill = Drill::start("10ms");
    drill.wait_for("restore `db` started");
    drill.signal("-TERM");
    let (code, stderr, _, dir) = drill.finish();
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("deleted Vpc"), "{stderr}");
    assert!(
        created_and_left(dir.path()).is_empty(),
        "{:?}",
        created_and_left(dir.path())
    );
}

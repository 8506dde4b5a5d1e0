//! Drills on the simulated cloud with tokio's paused clock: hours of simulated restores
//! take milliseconds. Checks run in process (a paused clock and child processes do not
//! mix); the real-time demo (tests/it/run.rs) runs the real scripts.

use std::time::Duration;

use firedrill::cloud::sim::{Executor, SimCloud};
use firedrill::cloud::{Cloud, ResourceRef, ResourceType, TAG_RUN_ID, Tags};
use firedrill::journal::{self, Journal};
use firedrill::measure::Outcome;
use firedrill::plan;
use firedrill::result::{self, DrillResult};
use firedrill::runner::{self, Deleted, Reporter, RunOptions};
use firedrill::scenario::{self, LoadedScenario, SimCall, SimFault, SimFaultKind};

use crate::support::root;

/// A scenario on the simulated cloud: a database (RDS snapshot), an AWS Backup EBS
/// volume, a launched runner, a gating row-count check and a watermark check.
const SCENARIO: &str = r#"
name: paused
owner: tests@example.com
cloud: sim
max_duration: 6h
targets: { rto: 2h, rpo: 24h }
region: eu-west-1
restores:
  - id: db
    source: { rds_snapshot: { instance: orders-prod, snapshot: latest } }
  - id: files
    source:
      aws_backup:
        vault: nightly
        resource_arn: arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0
checks:
  - id: rows
    script: csv-row-counts.sh
    needs: [db]
    expect: { row_counts: { orders: { at_least: 10 } } }
  - id: fresh
    script: file-mtime-watermark.sh
    needs: [files]
    watermark: true
sim:
  backup_age: 6h
  latencies: { isolation: 1m, database_restore: 40m, volume_restore: 10m, runner: 3m, call: 100ms }
"#;

fn load(text: &str) -> LoadedScenario {
    let file = root().join("scenarios/paused-test.yaml");
    let checks_dir = root().join("checks");
    let scenario =
        scenario::parse(&file, text.as_bytes().to_vec(), &checks_dir).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    LoadedScenario {
        file,
        checks_dir,
        scenario,
    }
}

/// Check scripts, in process: the row count and a watermark five hours before t0+6h.
fn checks(fail: &'static [&'static str]) -> Executor {
    Executor::InProcess(Box::new(move |request| {
        if fail.contains(&request.check.as_str()) {
            return (1, String::new(), "simulated script failure".to_owned());
        }
        match request.check.as_str() {
            "rows" => (0, "rows.orders=42\n".to_owned(), String::new()),
            "fresh" => {
                let watermark = jiff::Timestamp::now()
                    .saturating_sub(jiff::SignedDuration::from_hours(6))
                    .unwrap();
                (0, format!("{watermark}\n"), String::new())
            }
            _ => (0, String::new(), String::new()),
        }
    }))
}

struct Ran {
    result: DrillResult,
    cloud: SimCloud,
    run_id: String,
}

/// Runs a drill on a sim with `faults`, journaling to a temporary file, and checks that
/// the journal replays to the same result.
async fn drill(text: &str, faults: Vec<SimFault>, executor: Executor) -> Ran {
    drill_with(text, faults, executor, None).await
}

async fn drill_with(text: &str, faults: Vec<SimFault>, executor: Executor, keep: Option<Duration>) -> Ran {
    let mut loaded = load(text);
    let mut settings = loaded.scenario.sim.clone().unwrap_or_default();
    settings.faults = faults;
    loaded.scenario.sim = Some(settings.clone());
    let cloud = SimCloud::new(settings, &root().join("scenarios"), executor);
    let clock = cloud.clock();
    let now = move || clock.now();
    let run_id = runner::new_run_id("paused", now());
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("run.journal.jsonl");
    let mut reporter = Reporter::new(Some(Journal::create(&journal_path).unwrap()), None);
    let options = RunOptions {
        run_id: run_id.clone(),
        disaster_at: None,
        keep_until: keep.map(|k| now().saturating_add(k).unwrap()),
        poll_interval: Duration::from_secs(1),
    };
    let plan = plan::plan(&loaded.scenario);
    let result = runner::run_drill(
        &cloud,
        &now,
        &loaded,
        &plan,
        &options,
        &mut reporter,
        std::future::pending(),
    )
    .await;
    let replayed = result::from_events(&journal::read(&journal_path).unwrap()).unwrap();
    assert_eq!(replayed, result, "the journal replays to the same result");
    Ran { result, cloud, run_id }
}

fn tagged_with_run(cloud: &SimCloud, run_id: &str) -> Vec<ResourceRef> {
    cloud
        .resources()
        .into_iter()
        .filter(|(_, tags)| tags.get(TAG_RUN_ID).map(String::as_str) == Some(run_id))
        .map(|(r, _)| r)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_40_minute_restore_measures_40_minutes_within_a_second_of_lag() {
    let ran = drill(SCENARIO, vec![], checks(&[])).await;
    let r = &ran.result;
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.reasons);
    let db = r.restores.iter().find(|x| x.id == "db").unwrap();
    let duration = db.duration_seconds.unwrap();
    assert!((duration - 2400.0).abs() < 1.0, "restore measured {duration}s");
    let lag = db.detection_lag_seconds.unwrap();
    assert!((0.0..=1.0).contains(&lag), "detection lag {lag}s");
    let rto = r.rto.as_ref().unwrap();
    assert!(rto.detection_lag_seconds <= 1.0, "lag reported beside RTO");
    // RTO: isolation (under a minute) + the 40-minute restore + lag + the check, from t0.
    assert!(
        rto.seconds > 2400.0 && rto.seconds < 2400.0 + 60.0 + 10.0,
        "RTO {}",
        rto.seconds
    );
    assert!(r.simulated);
    let rpo = r.rpo.as_ref().unwrap();
    assert_eq!(format!("{:?}", rpo.basis), "Watermark");
    assert!(
        tagged_with_run(&ran.cloud, &ran.run_id).is_empty(),
        "teardown removed everything"
    );
    assert!(r.teardown.left_behind.is_empty() && r.teardown.pending.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_rto_miss_fails_the_drill() {
    let text = SCENARIO.replace("rto: 2h", "rto: 30m");
    let ran = drill(&text, vec![], checks(&[])).await;
    assert_eq!(ran.result.outcome, Outcome::Failed);
    assert!(
        ran.result.reasons.iter().any(|r| r.starts_with("RTO")),
        "{:?}",
        ran.result.reasons
    );
}

#[tokio::test(start_paused = true)]
async fn an_rpo_miss_fails_the_drill() {
    let text = SCENARIO.replace("rpo: 24h", "rpo: 4h");
    let ran = drill(&text, vec![], checks(&[])).await;
    assert_eq!(ran.result.outcome, Outcome::Failed);
    assert!(
        ran.result.reasons.iter().any(|r| r.starts_with("RPO")),
        "{:?}",
        ran.result.reasons
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_check_fails_the_drill() {
    let ran = drill(SCENARIO, vec![], checks(&["rows"])).await;
    assert_eq!(ran.result.outcome, Outcome::Failed);
    assert!(
        ran.result.reasons.contains(&"check `rows` failed".to_owned()),
        "{:?}",
        ran.result.reasons
    );
    assert!(tagged_with_run(&ran.cloud, &ran.run_id).is_empty());
}

#[tokio::test(start_paused = true)]
async fn access_denied_is_an_error_with_a_clear_message() {
    let fault = SimFault {
        call: SimCall::StartRestore,
        fault: SimFaultKind::AccessDenied,
        target: Some("db".into()),
        times: None,
    };
    let ran = drill(SCENARIO, vec![fault], checks(&[])).await;
    assert_eq!(ran.result.outcome, Outcome::Error);
    let reason = &ran.result.reasons[0];
    assert!(
        reason.contains("starting restore `db`") && reason.contains("access denied"),
        "{reason}"
    );
    assert!(tagged_with_run(&ran.cloud, &ran.run_id).is_empty());
}

/// Every fault kind of the issue, at each call site that can take it: afterwards no
/// resource carries the run's tag, and the outcome is what the fault implies.
#[tokio::test(start_paused = true)]
async fn every_fault_leaves_nothing_tagged_behind() {
    use SimFaultKind::*;
    let forward = [
        SimCall::FindRecoveryPoint,
        SimCall::CreateEnvironment,
        SimCall::VerifyIsolation,
        SimCall::StartRestore,
        SimCall::ObserveRestores,
        SimCall::StartRunner,
        SimCall::RunnerOnline,
        SimCall::RunCommand,
    ];
    let mut cases: Vec<(SimFault, Option<Outcome>)> = Vec::new();
    let fault = |call, fault, target: Option<&str>, times| SimFault {
        call,
        fault,
        target: target.map(str::to_owned),
        times,
    };
    for call in forward {
        cases.push((fault(call, Throttle, None, Some(3)), Some(Outcome::Passed)));
        cases.push((fault(call, AccessDenied, None, None), None));
    }
    for call in [SimCall::ReadTags, SimCall::Delete, SimCall::Tag] {
        cases.push((fault(call, Throttle, None, Some(3)), Some(Outcome::Passed)));
    }
    cases.push((
        fault(SimCall::ObserveRestores, Error, Some("db"), None),
        Some(Outcome::Error),
    )); // restore failed
    cases.push((
        fault(SimCall::ObserveRestores, Hang, Some("db"), None),
        Some(Outcome::Error),
    )); // restore hangs
    cases.push((
        fault(SimCall::ObserveRestores, Hang, Some("files"), None),
        Some(Outcome::Error),
    )); // backup job hangs
    cases.push((fault(SimCall::RunnerOnline, Error, None, None), Some(Outcome::Error))); // never online
    cases.push((fault(SimCall::Delete, Error, None, Some(2)), Some(Outcome::Passed))); // delete fails twice
    cases.push((
        fault(SimCall::RunCommand, Error, Some("rows"), None),
        Some(Outcome::Failed),
    )); // check fails
    let count = cases.len();
    for (fault, expected) in cases {
        let label = format!("{:?} {:?} {:?}", fault.call, fault.fault, fault.target);
        let ran = drill(SCENARIO, vec![fault], checks(&[])).await;
        let left = tagged_with_run(&ran.cloud, &ran.run_id);
        assert!(left.is_empty(), "{label}: left {left:?}");
        assert!(
            ran.result.teardown.left_behind.is_empty(),
            "{label}: {:?}",
            ran.result.teardown
        );
        match expected {
            Some(outcome) => assert_eq!(ran.result.outcome, outcome, "{label}: {:?}", ran.result.reasons),
            None => assert_ne!(ran.result.outcome, Outcome::Passed, "{label}"),
        }
    }
    println!("{count} fault cases run");
}

#[tokio::test(start_paused = true)]
async fn a_hanging_backup_job_is_named_pending_not_deleted() {
    let fault = SimFault {
        call: SimCall::ObserveRestores,
        fault: SimFaultKind::Hang,
        target: Some("files".into()),
        times: None,
    };
    let ran = drill(SCENARIO, vec![fault], checks(&[])).await;
    assert_eq!(ran.result.teardown.pending.len(), 1, "{:?}", ran.result.teardown);
    assert_eq!(ran.result.teardown.pending[0].kind, ResourceType::RestoreJob);
    assert!(
        ran.result.teardown_incomplete(),
        "exit code 4: something is still running"
    );
}

#[tokio::test(start_paused = true)]
async fn the_tag_guard_refuses_what_the_run_did_not_create() {
    let ran = drill(SCENARIO, vec![], checks(&[])).await;
    let production = ResourceRef::new(ResourceType::DbInstance, "orders-prod");
    ran.cloud.insert_foreign(
        production.clone(),
        Tags::from([("team".to_owned(), "payments".to_owned())]),
    );
    let other_run = ResourceRef::new(ResourceType::Volume, "vol-other-run");
    ran.cloud.insert_foreign(
        other_run.clone(),
        Tags::from([(TAG_RUN_ID.to_owned(), "fd-other-run".to_owned())]),
    );
    for resource in [&production, &other_run] {
        let outcome = runner::guard_and_delete(&ran.cloud, &ran.run_id, resource)
            .await
            .unwrap();
        assert!(matches!(outcome, Deleted::Refused(_)), "{resource}: {outcome:?}");
        assert!(
            ran.cloud.read_tags(resource).await.unwrap().is_some(),
            "{resource} still exists"
        );
    }
    let sources: Vec<ResourceRef> = ran
        .cloud
        .resources()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.kind == ResourceType::RecoveryPoint)
        .collect();
    assert_eq!(sources.len(), 2, "the drill's two source backups are in the account");
    for source in &sources {
        let outcome = runner::guard_and_delete(&ran.cloud, &ran.run_id, source).await.unwrap();
        assert!(matches!(outcome, Deleted::Refused(_)), "{source}");
    }
    assert_eq!(
        ran.cloud
            .resources()
            .iter()
            .filter(|(r, _)| r.kind == ResourceType::RecoveryPoint)
            .count(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn keep_tags_what_it_keeps_and_deletes_nothing() {
    let ran = drill_with(SCENARIO, vec![], checks(&[]), Some(Duration::from_secs(3600))).await;
    assert!(ran.result.teardown.deleted.is_empty());
    let kept = tagged_with_run(&ran.cloud, &ran.run_id);
    assert_eq!(
        kept.len(),
        ran.result.teardown.kept.len(),
        "everything the run created is kept"
    );
    for (resource, tags) in ran.cloud.resources() {
        if kept.contains(&resource) {
            assert!(
                tags.contains_key(firedrill::cloud::TAG_KEEP_UNTIL),
                "{resource} carries keep-until"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn on_success_keeps_a_failed_drill_for_investigation() {
    let text = SCENARIO.replace("region: eu-west-1", "region: eu-west-1\nteardown: on-success");
    let failed = drill(&text, vec![], checks(&["rows"])).await;
    assert_eq!(failed.result.outcome, Outcome::Failed);
    assert!(!failed.result.teardown.kept.is_empty() && failed.result.teardown.deleted.is_empty());
    let passed = drill(&text, vec![], checks(&[])).await;
    assert_eq!(passed.result.outcome, Outcome::Passed);
    assert!(passed.result.teardown.kept.is_empty() && tagged_with_run(&passed.cloud, &passed.run_id).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_backup_job_that_outlives_its_step_is_deleted_when_it_completes() {
    // The volume's restore job takes 2h, its step gives up after 30m: the drill errs,
    // and teardown waits (within the 6h lease) for the job, then deletes what it made.
    let text = SCENARIO.replace("volume_restore: 10m", "volume_restore: 2h").replace(
        "        resource_arn: arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0\n",
        "        resource_arn: arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0\n    timeout: 30m\n",
    );
    let ran = drill(&text, vec![], checks(&[])).await;
    assert_eq!(ran.result.outcome, Outcome::Error, "{:?}", ran.result.reasons);
    assert!(ran.result.teardown.pending.is_empty(), "{:?}", ran.result.teardown);
    let volumes: Vec<_> = ran
        .cloud
        .resources()
        .into_iter()
        .filter(|(r, _)| r.kind == ResourceType::Volume)
        .collect();
    assert!(
        volumes.is_empty(),
        "the job's volume was deleted once it appeared: {volumes:?}"
    );
    assert!(
        ran.result
            .teardown
            .deleted
            .iter()
            .any(|r| r.kind == ResourceType::Volume)
    );
}

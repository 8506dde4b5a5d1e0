//! Drills on the simulated cloud with tokio's paused clock: hours of simulated restores
//! take milliseconds. Checks run in process (a paused clock and child processes do not
//! mix); the real-time demo (tests/it/run.rs) runs the real scripts.

use std::time::Duration;

use firedrill::cloud::sim::{Executor, SimCloud};
use firedrill::cloud::{Cloud, ResourceRef, ResourceType, TAG_RUN_ID, Tags};
use firedrill::interrupts::Interrupts;
use firedrill::journal::{self, Journal};
use firedrill::measure::Outcome;
use firedrill::plan;
use firedrill::result::{self, DrillResult};
use firedrill::runner::{self, Reporter, RunOptions, game_day};
use firedrill::scenario::{self, LoadedScenario, SimCall, SimFault, SimFaultKind};
use firedrill::teardown::cleanup::{self, CleanupRequest, Target};
use firedrill::teardown::{self as teardown, Deleted};

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
    /// The history folder holding the run's journal (`paused/<run id>.journal.jsonl`).
    history: tempfile::TempDir,
}

/// Runs a drill on a sim with `faults`, journaling to a temporary file, and checks that
/// the journal replays to the same result.
async fn drill(text: &str, faults: Vec<SimFault>, executor: Executor) -> Ran {
    drill_with(text, faults, executor, None).await
}

async fn drill_with(text: &str, faults: Vec<SimFault>, executor: Executor, keep: Option<Duration>) -> Ran {
    drill_asking(text, faults, executor, keep, None).await
}

async fn drill_asking(
    text: &str,
    faults: Vec<SimFault>,
    executor: Executor,
    keep: Option<Duration>,
    operator: Option<std::sync::Arc<dyn game_day::Operator>>,
) -> Ran {
    let mut loaded = load(text);
    let mut settings = loaded.scenario.sim.clone().unwrap_or_default();
    settings.faults = faults;
    loaded.scenario.sim = Some(settings.clone());
    let cloud = SimCloud::new(settings, &root().join("scenarios"), executor);
    let clock = cloud.clock();
    let now = move || clock.now();
    let run_id = runner::new_run_id("paused", now());
    let history = tempfile::tempdir().unwrap();
    let journal_path = history.path().join("paused").join(format!("{run_id}.journal.jsonl"));
    let mut reporter = Reporter::new(Some(Journal::create(&journal_path).unwrap()), None);
    let options = RunOptions {
        run_id: run_id.clone(),
        disaster_at: None,
        keep_until: keep.map(|k| now().saturating_add(k).unwrap()),
        poll_interval: Duration::from_secs(1),
        restore_history: Default::default(),
        polling: None,
        operator,
    };
    let plan = plan::plan(&loaded.scenario);
    let result = runner::run_drill(
        &cloud,
        &now,
        &loaded,
        &plan,
        &options,
        &mut reporter,
        &Interrupts::never(),
    )
    .await;
    let replayed = result::from_events(&journal::read(&journal_path).unwrap()).unwrap();
    assert_eq!(replayed, result, "the journal replays to the same result");
    Ran {
        result,
        cloud,
        run_id,
        history,
    }
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
async fn a_40_minute_restore_measures_40_minutes_within_one_round_of_lag() {
    let ran = drill(SCENARIO, vec![], checks(&[])).await;
    let r = &ran.result;
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.reasons);
    let db = r.restores.iter().find(|x| x.id == "db").unwrap();
    let duration = db.duration_seconds.unwrap();
    assert!((duration - 2400.0).abs() < 1.0, "restore measured {duration}s");
    let lag = db.detection_lag_seconds.unwrap();
    // At most one polling floor (1 s) after completion a round starts, and its answer
    // comes one simulated call (100 ms) later.
    assert!((0.0..=1.1 + 1e-9).contains(&lag), "detection lag {lag}s");
    let rto = r.rto.as_ref().unwrap();
    // Beside the RTO: the largest lag of any restore. The jitter of the polling is not
    // seeded, and a completion outside the estimate's central band is seen within 3 to
    // 5 floors (the p99 target), so only that bound holds for every restore.
    let largest = r
        .restores
        .iter()
        .filter_map(|x| x.detection_lag_seconds)
        .fold(0.0, f64::max);
    assert_eq!(rto.detection_lag_seconds, largest, "lag reported beside RTO");
    assert!(largest <= 5.0, "largest detection lag {largest}s");
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
async fn a_subnet_held_for_minutes_by_lingering_interfaces_is_deleted_once_they_go() {
    // DependencyViolation on each subnet's delete for ~5 minutes (20 answers, 15 s
    // apart, spread over the two subnets): more than the 6 attempts of other failures.
    let fault = SimFault {
        call: SimCall::Delete,
        fault: SimFaultKind::InUse,
        target: Some("subnet".into()),
        times: Some(20),
    };
    let ran = drill(SCENARIO, vec![fault], checks(&[])).await;
    let teardown = &ran.result.teardown;
    assert!(
        teardown.left_behind.is_empty(),
        "left behind: {:?}",
        teardown.left_behind
    );
    assert!(tagged_with_run(&ran.cloud, &ran.run_id).is_empty(), "everything went");
    let seconds = teardown.seconds.unwrap();
    assert!(seconds >= 9.0 * 15.0, "teardown waited for the interfaces: {seconds} s");
    assert_eq!(ran.result.outcome, Outcome::Passed, "{:?}", ran.result.reasons);
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

/// What a fault at one call site must lead to.
struct Case {
    fault: SimFault,
    outcome: Outcome,
    exit: i32,
}

/// Each fault kind (error, throttle, hang past its timeout, and an answer lost after
/// the call took effect) at every call site of a drill, with the outcome and exit code
/// it implies. Forward calls fail for good; teardown calls fail for good where that
/// leaves something behind (exit 4, for cleanup), and once where teardown must ride it
/// out.
fn fault_matrix() -> Vec<Case> {
    use SimCall::*;
    use SimFaultKind::{Error, Hang, LostAnswer, Throttle};
    let mut cases = Vec::new();
    for call in SimCall::ALL.into_iter().filter(|c| *c != FindRestoreJob) {
        for kind in [Error, Throttle, Hang, LostAnswer] {
            let (times, outcome, exit) = match (call, kind) {
                (_, Throttle) => (Some(3), Outcome::Passed, 0),
                (RunCommand, _) => (None, Outcome::Failed, 1),
                // An AWS Backup job that cannot be observed, or whose resource cannot be
                // tagged, stays pending through teardown: exit 4, cleanup resolves it.
                (ObserveRestores, _) | (Tag, Error) => (None, Outcome::Error, 4),
                (Tag, Hang | LostAnswer) => (Some(1), Outcome::Error, 3),
                // What remains cannot be confirmed: exit 4, for cleanup.
                (ListByTag, _) => (None, Outcome::Passed, 4),
                (ReadTags | Delete, Error) => (None, Outcome::Passed, 4),
                (ReadTags | Delete, _) => (Some(1), Outcome::Passed, 0),
                _ => (None, Outcome::Error, 3),
            };
            let fault = SimFault {
                call,
                fault: kind,
                target: None,
                times,
            };
            cases.push(Case { fault, outcome, exit });
        }
    }
    cases
}

/// Cleans up a run in process, as `firedrill cleanup --run-id <id> --force` would.
async fn cleanup_run(cloud: &SimCloud, run_id: &str, history: &std::path::Path) -> i32 {
    let request = CleanupRequest {
        target: Target::Run(run_id.to_owned()),
        older_than: None,
        force: true,
        dry_run: false,
        history: history.to_owned(),
    };
    let report = cleanup::cleanup(cloud, &request, cloud.clock().now(), &|_| {}).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.exit_code()
}

/// What firedrill created and is still in the account (sources and jobs aside).
fn created_and_left(cloud: &SimCloud) -> Vec<ResourceRef> {
    cloud
        .resources()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| !matches!(r.kind, ResourceType::RecoveryPoint | ResourceType::RestoreJob))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_fault_at_every_call_site_leaves_nothing_behind() {
    let cases = fault_matrix();
    let covered: std::collections::BTreeSet<(SimCall, String)> = cases
        .iter()
        .map(|c| (c.fault.call, format!("{:?}", c.fault.fault)))
        .collect();
    // find_restore_job is only called after a lost answer; cleanup's tests cover it.
    let drill_calls = SimCall::ALL.len() - 1;
    assert_eq!(
        covered.len(),
        drill_calls * 4,
        "every call site × error, throttle, hang, lost answer"
    );
    let count = cases.len();
    for case in cases {
        let label = format!("{:?} {:?} ×{:?}", case.fault.call, case.fault.fault, case.fault.times);
        let ran = drill(SCENARIO, vec![case.fault.clone()], checks(&[])).await;
        let result = &ran.result;
        assert_eq!(result.outcome, case.outcome, "{label}: {:?}", result.reasons);
        assert_eq!(result.exit_code(None), case.exit, "{label}: {:?}", result.teardown);
        if case.outcome != Outcome::Passed {
            assert!(!result.reasons.is_empty(), "{label}: the result says why");
        }
        let journal = std::fs::read_to_string(
            ran.history
                .path()
                .join("paused")
                .join(format!("{}.journal.jsonl", ran.run_id)),
        )
        .unwrap();
        assert!(
            journal.contains("\"event\":\"run_finished\""),
            "{label}: journal is complete"
        );
        if case.exit == 4 {
            assert!(
                ["delete_failed", "restore_pending", "teardown_unverified"]
                    .iter()
                    .any(|event| journal.contains(&format!("\"event\":\"{event}\""))),
                "{label}: the journal says what was left"
            );
            let cloud = ran.cloud.without_faults();
            assert_eq!(
                cleanup_run(&cloud, &ran.run_id, ran.history.path()).await,
                0,
                "{label}: cleanup"
            );
            assert!(
                created_and_left(&cloud).is_empty(),
                "{label}: left {:?}",
                created_and_left(&cloud)
            );
            assert!(tagged_with_run(&cloud, &ran.run_id).is_empty(), "{label}");
        } else {
            assert!(tagged_with_run(&ran.cloud, &ran.run_id).is_empty(), "{label}");
            assert!(
                created_and_left(&ran.cloud).is_empty(),
                "{label}: left {:?}",
                created_and_left(&ran.cloud)
            );
        }
        if case.fault.call == SimCall::ListByTag && case.exit == 4 {
            assert!(
                result.teardown.unverified.is_some(),
                "{label}: the result says teardown was not verified"
            );
        }
    }
    println!("{count} fault cases run, covering {drill_calls} call sites × 4 fault kinds");
}

/// Faults the matrix does not reach by call alone: access denied on every forward call,
/// one restore failing or hanging, a delete failing a few times, one check failing.
#[tokio::test(start_paused = true)]
async fn targeted_faults_end_as_they_should() {
    use SimFaultKind::*;
    let fault = |call, fault, target: Option<&str>, times| SimFault {
        call,
        fault,
        target: target.map(str::to_owned),
        times,
    };
    let mut cases: Vec<(SimFault, Outcome, i32)> = SimCall::ALL[..8]
        .iter()
        .map(|call| {
            // A job that cannot be observed stays pending through teardown: exit 4.
            let exit = if *call == SimCall::ObserveRestores { 4 } else { 3 };
            (fault(*call, AccessDenied, None, None), Outcome::Error, exit)
        })
        .collect();
    cases.push((
        fault(SimCall::ObserveRestores, Error, Some("db"), None),
        Outcome::Error,
        3,
    ));
    cases.push((
        fault(SimCall::ObserveRestores, Hang, Some("db"), None),
        Outcome::Error,
        3,
    ));
    cases.push((
        fault(SimCall::ObserveRestores, Hang, Some("files"), None),
        Outcome::Error,
        4,
    ));
    cases.push((fault(SimCall::Delete, Error, None, Some(2)), Outcome::Passed, 0));
    cases.push((
        fault(SimCall::RunCommand, Error, Some("rows"), None),
        Outcome::Failed,
        1,
    ));
    let count = cases.len();
    for (fault, outcome, exit) in cases {
        let label = format!("{:?} {:?} {:?}", fault.call, fault.fault, fault.target);
        let ran = drill(SCENARIO, vec![fault], checks(&[])).await;
        assert_eq!(ran.result.outcome, outcome, "{label}: {:?}", ran.result.reasons);
        assert_eq!(ran.result.exit_code(None), exit, "{label}");
        assert!(tagged_with_run(&ran.cloud, &ran.run_id).is_empty(), "{label}");
        if exit == 4 {
            let cloud = ran.cloud.without_faults();
            assert_eq!(cleanup_run(&cloud, &ran.run_id, ran.history.path()).await, 0, "{label}");
            assert!(created_and_left(&cloud).is_empty(), "{label}");
        } else {
            assert!(
                created_and_left(&ran.cloud).is_empty(),
                "{label}: {:?}",
                created_and_left(&ran.cloud)
            );
        }
    }
    println!("{count} targeted fault cases run");
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
        let outcome = teardown::guard_and_delete(
            &ran.cloud,
            &ran.run_id,
            resource,
            ran.cloud.clock().now(),
            &Interrupts::never(),
        )
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
        let outcome = teardown::guard_and_delete(
            &ran.cloud,
            &ran.run_id,
            source,
            ran.cloud.clock().now(),
            &Interrupts::never(),
        )
        .await
        .unwrap();
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

/// The tag guard's lowest layer: `Cloud::delete` itself refuses every kind of resource
/// that does not carry the run's id, whatever the caller (teardown, cleanup, `--all`).
#[tokio::test(start_paused = true)]
async fn the_delete_call_itself_refuses_anything_without_the_run_id() {
    let cloud = SimCloud::new(Default::default(), root(), checks(&[]));
    let kinds = [
        ResourceType::Vpc,
        ResourceType::Subnet,
        ResourceType::SecurityGroup,
        ResourceType::VpcEndpoint,
        ResourceType::DbSubnetGroup,
        ResourceType::InstanceProfile,
        ResourceType::DbInstance,
        ResourceType::DbCluster,
        ResourceType::Volume,
        ResourceType::Instance,
        ResourceType::RestoreJob,
        ResourceType::RecoveryPoint,
    ];
    let run_id = "fd-guard-20261101T000000Z-abcdef";
    let owners = [
        Tags::new(),
        Tags::from([(TAG_RUN_ID.to_owned(), "fd-another-run".to_owned())]),
        Tags::from([(TAG_RUN_ID.to_owned(), String::new())]),
        Tags::from([("firedrill:scenario".to_owned(), "guard".to_owned())]),
    ];
    let mut refused = 0;
    for kind in kinds {
        for (i, tags) in owners.iter().enumerate() {
            let resource = ResourceRef::new(kind, format!("foreign-{i}"));
            cloud.insert_foreign(resource.clone(), tags.clone());
            for caller_id in [run_id, "", "fd-another-run-but-not-quite"] {
                let outcome = cloud.delete(&resource, caller_id).await;
                assert!(
                    matches!(outcome, Err(firedrill::cloud::CloudError::Refused(_))),
                    "{resource} {tags:?} by {caller_id:?}: {outcome:?}"
                );
                refused += 1;
            }
            assert!(
                cloud.read_tags(&resource).await.unwrap().is_some(),
                "{resource} still exists"
            );
        }
        // Even tagged with the run's id, sources and restore jobs are never deleted.
        if matches!(kind, ResourceType::RecoveryPoint | ResourceType::RestoreJob) {
            let own = ResourceRef::new(kind, "own");
            cloud.insert_foreign(own.clone(), Tags::from([(TAG_RUN_ID.to_owned(), run_id.to_owned())]));
            assert!(cloud.delete(&own, run_id).await.is_err(), "{own}");
            assert!(cloud.read_tags(&own).await.unwrap().is_some());
        }
    }
    // Nor can a run take another's resource by tagging it (how cleanup takes over what an
    // AWS Backup job created): a run id, once set, never changes.
    let others = ResourceRef::new(ResourceType::Volume, "foreign-1");
    let claim = Tags::from([(TAG_RUN_ID.to_owned(), run_id.to_owned())]);
    assert!(matches!(
        cloud.tag(&others, &claim).await,
        Err(firedrill::cloud::CloudError::Refused(_))
    ));
    assert!(cloud.delete(&others, run_id).await.is_err());
    // A resource kept until later is refused even by its own run.
    let kept = ResourceRef::new(ResourceType::Volume, "kept");
    let mut tags = claim.clone();
    tags.insert(
        firedrill::cloud::TAG_KEEP_UNTIL.to_owned(),
        "2999-01-01T00:00:00Z".to_owned(),
    );
    cloud.insert_foreign(kept.clone(), tags);
    assert!(cloud.delete(&kept, run_id).await.is_err());
    // And what does carry the run's id is deleted: the guard is not just a wall.
    let own = ResourceRef::new(ResourceType::Volume, "own");
    cloud.insert_foreign(own.clone(), Tags::from([(TAG_RUN_ID.to_owned(), run_id.to_owned())]));
    assert_eq!(cloud.delete(&own, run_id).await, Ok(()));
    assert_eq!(cloud.read_tags(&own).await.unwrap(), None);
    println!("{refused} deletes refused across {} resource kinds", kinds.len());
}

/// RTO is reached when every gating check passed: one that never ran (its restore
/// failed) leaves it unreached, even though the checks that ran all passed.
#[tokio::test(start_paused = true)]
async fn a_gating_check_that_never_ran_leaves_rto_unreached() {
    let fault = SimFault {
        call: SimCall::ObserveRestores,
        fault: SimFaultKind::Error,
        target: Some("db".into()),
        times: None,
    };
    let ran = drill(SCENARIO, vec![fault], checks(&[])).await;
    assert!(ran.result.checks.iter().all(|c| c.id != "rows"), "rows never ran");
    assert_eq!(ran.result.rto, None, "{:?}", ran.result.rto);
}

#[tokio::test(start_paused = true)]
async fn restores_are_watched_sparsely_early_and_seen_within_a_second() {
    // A 40-minute database and an AWS Backup volume of 10 minutes (AWS gives an estimate).
    let ran = drill(SCENARIO, vec![], checks(&[])).await;
    assert_eq!(ran.result.outcome, Outcome::Passed, "{:?}", ran.result.reasons);
    for restore in &ran.result.restores {
        let lag = restore.detection_lag_seconds.unwrap();
        assert!(lag <= 5.2, "{}: seen {lag} s after it was ready", restore.id);
    }
    // Polling every second for 40 minutes would be 2,400 rounds; the plan is sparser
    // (about 1,400 here: sparse until the 0.5 % quantile, each second from the 10 %).
    let rounds = ran.cloud.calls()[&SimCall::ObserveRestores];
    assert!(rounds < 2_000, "{rounds} observation rounds");
    let calls = &ran.result.api_calls;
    // One describe per service per round, whatever the number of restores.
    assert!(calls["rds:Describe"] <= u64::from(rounds), "{calls:?}");
    assert!(calls["backup:Describe"] <= u64::from(rounds), "{calls:?}");
    assert_eq!(calls["sim:StartRestore"], 2, "{calls:?}");
}

/// An operator who gives the answers a test scripted, and remembers what was asked.
#[derive(Debug)]
struct Scripted {
    replies: std::sync::Mutex<Vec<game_day::Reply>>,
    asked: std::sync::Mutex<Vec<game_day::Prompt>>,
}

impl Scripted {
    fn new(replies: Vec<(game_day::Answer, Option<&str>)>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            replies: std::sync::Mutex::new(
                replies
                    .into_iter()
                    .rev()
                    .map(|(answer, note)| game_day::Reply {
                        answer,
                        note: note.map(str::to_owned),
                    })
                    .collect(),
            ),
            asked: std::sync::Mutex::new(Vec::new()),
        })
    }
}

impl game_day::Operator for Scripted {
    fn name(&self) -> &str {
        "ana"
    }

    fn ask(&self, prompt: &game_day::Prompt) -> game_day::Reply {
        self.asked.lock().unwrap().push(prompt.clone());
        self.replies.lock().unwrap().pop().expect("a scripted reply")
    }
}

/// SCENARIO with a manual step between the database's restore and the row count.
fn game_day_scenario() -> String {
    SCENARIO.replace(
        "sim:\n",
        "manual:\n  - id: repoint-app\n    instructions: Point the app at the restored database.\n    after: [db]\n    before: [rows]\nsim:\n",
    )
}

#[tokio::test(start_paused = true)]
async fn on_a_game_day_the_operator_is_asked_and_their_answer_and_note_are_kept() {
    let operator = Scripted::new(vec![(game_day::Answer::Done, Some("app restarted at 10:42"))]);
    let ran = drill_asking(&game_day_scenario(), vec![], checks(&[]), None, Some(operator.clone())).await;
    assert_eq!(ran.result.outcome, Outcome::Passed, "{:#?}", ran.result.reasons);
    let asked = operator.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].step, "repoint-app");
    assert_eq!(asked[0].instructions, "Point the app at the restored database.");
    let [manual] = ran.result.manual_steps.as_slice() else {
        panic!("one manual step recorded: {:#?}", ran.result.manual_steps)
    };
    assert_eq!(
        (
            manual.id.as_str(),
            manual.operator.as_str(),
            manual.answer,
            manual.note.as_deref()
        ),
        (
            "repoint-app",
            "ana",
            game_day::Answer::Done,
            Some("app restarted at 10:42")
        )
    );
    assert!(manual.started_at <= manual.ended_at);
    // The manual step came before the check it gates.
    let rows = ran.result.checks.iter().find(|c| c.id == "rows").unwrap();
    assert!(manual.ended_at <= rows.started_at);
}

#[tokio::test(start_paused = true)]
async fn a_manual_step_the_operator_failed_fails_the_drill_and_teardown_still_runs() {
    let operator = Scripted::new(vec![(game_day::Answer::Failed, Some("the app would not start"))]);
    let ran = drill_asking(&game_day_scenario(), vec![], checks(&[]), None, Some(operator)).await;
    assert_eq!(ran.result.outcome, Outcome::Failed, "{:#?}", ran.result.reasons);
    assert!(
        ran.result
            .reasons
            .contains(&"manual step `repoint-app` failed (ana: the app would not start)".to_owned()),
        "{:#?}",
        ran.result.reasons
    );
    assert!(
        !ran.result.checks.iter().any(|c| c.id == "rows"),
        "the check waiting for the failed step did not run"
    );
    assert!(tagged_with_run(&ran.cloud, &ran.run_id).is_empty(), "teardown ran");
}

#[tokio::test(start_paused = true)]
async fn without_a_game_day_manual_steps_are_skipped_and_not_recorded() {
    let ran = drill(&game_day_scenario(), vec![], checks(&[])).await;
    assert_eq!(ran.result.outcome, Outcome::Passed, "{:#?}", ran.result.reasons);
    assert!(ran.result.manual_steps.is_empty());
}

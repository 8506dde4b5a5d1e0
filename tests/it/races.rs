//! Timing the sim alone cannot produce: a restore that starts while an observation is
//! out, an answer lost after the call took effect, a lookup failing during cleanup. A
//! thin wrapper around the sim adds the delays and failures (paused clock).

use std::time::Duration;

use firedrill::cloud::sim::{Executor, SimCloud};
use firedrill::cloud::*;
use firedrill::interrupts::Interrupts;
use firedrill::journal::Journal;
use firedrill::measure::Outcome;
use firedrill::plan;
use firedrill::result::DrillResult;
use firedrill::runner::{self, Reporter, RunOptions};
use firedrill::scenario::{self, Isolation, LoadedScenario, RestoreSource};
use firedrill::teardown::cleanup::{self, CleanupRequest, Target};

use crate::support::root;

const SCENARIO: &str = r#"
name: races
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
  - id: listing
    script: file-manifest.sh
    needs: [files]
sim:
  latencies: { isolation: 1m, database_restore: 40m, volume_restore: 10m, runner: 3m, call: 100ms }
"#;

/// The sim, with knobs.
#[derive(Default)]
struct Knobs {
    observe_delay: Duration,
    files_start_delay: Duration,
    /// The AWS Backup start takes effect, then its answer never comes.
    files_answer_lost: bool,
    find_job_fails: bool,
}

struct Wrapped<'a> {
    sim: &'a SimCloud,
    knobs: Knobs,
}

impl Cloud for Wrapped<'_> {
    fn is_simulated(&self) -> bool {
        true
    }
    async fn find_recovery_point(&self, source: &RestoreSource) -> Result<RecoveryPoint, CloudError> {
        self.sim.find_recovery_point(source).await
    }
    async fn create_environment(
        &self,
        isolation: &Isolation,
        databases: bool,
        tags: &Tags,
        on_created: &dyn Fn(&ResourceRef),
    ) -> Result<Environment, CloudError> {
        self.sim
            .create_environment(isolation, databases, tags, on_created)
            .await
    }
    async fn verify_isolation(&self, environment: &Environment) -> Result<IsolationReport, CloudError> {
        self.sim.verify_isolation(environment).await
    }
    async fn start_restore(
        &self,
        environment: &Environment,
        request: &RestoreRequest,
    ) -> Result<RestoreHandle, CloudError> {
        if request.restore == "files" {
            tokio::time::sleep(self.knobs.files_start_delay).await;
            if self.knobs.files_answer_lost {
                let _ = self.sim.start_restore(environment, request).await;
                return std::future::pending().await;
            }
        }
        self.sim.start_restore(environment, request).await
    }
    async fn observe_restores(&self, handles: &[RestoreHandle]) -> Result<Vec<RestoreStatus>, CloudError> {
        tokio::time::sleep(self.knobs.observe_delay).await;
        self.sim.observe_restores(handles).await
    }
    async fn start_runner(
        &self,
        environment: &Environment,
        spec: &RunnerSpec,
        tags: &Tags,
    ) -> Result<RunnerHandle, CloudError> {
        self.sim.start_runner(environment, spec, tags).await
    }
    async fn runner_online(&self, runner: &RunnerHandle) -> Result<bool, CloudError> {
        self.sim.runner_online(runner).await
    }
    async fn run_command(&self, runner: &RunnerHandle, request: &CommandRequest) -> Result<CommandOutput, CloudError> {
        self.sim.run_command(runner, request).await
    }
    async fn list_by_tag(&self, key: &str, value: Option<&str>) -> Result<Vec<(ResourceRef, Tags)>, CloudError> {
        self.sim.list_by_tag(key, value).await
    }
    async fn find_restore_job(&self, token: &str) -> Result<Option<ResourceRef>, CloudError> {
        if self.knobs.find_job_fails {
            return Err(CloudError::Failed("simulated: ListRestoreJobs failed".into()));
        }
        self.sim.find_restore_job(token).await
    }
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Option<Tags>, CloudError> {
        self.sim.read_tags(resource).await
    }
    async fn tag(&self, resource: &ResourceRef, tags: &Tags) -> Result<(), CloudError> {
        self.sim.tag(resource, tags).await
    }
    async fn delete(&self, resource: &ResourceRef, run_id: &str) -> Result<(), CloudError> {
        self.sim.delete(resource, run_id).await
    }
}

fn sim() -> (SimCloud, LoadedScenario) {
    let file = root().join("scenarios/races-test.yaml");
    let checks_dir = root().join("checks");
    let scenario = scenario::parse(&file, SCENARIO.as_bytes().to_vec(), &checks_dir).unwrap();
    let executor = Executor::InProcess(Box::new(|request| match request.check.as_str() {
        "rows" => (0, "rows.orders=42\n".to_owned(), String::new()),
        _ => (0, String::new(), String::new()),
    }));
    let sim = SimCloud::new(scenario.sim.clone().unwrap(), &root().join("scenarios"), executor);
    (
        sim,
        LoadedScenario {
            file,
            checks_dir,
            scenario,
        },
    )
}

async fn drill(cloud: &Wrapped<'_>, loaded: &LoadedScenario, history: &std::path::Path) -> (DrillResult, String) {
    let clock = cloud.sim.clock();
    let now = move || clock.now();
    let run_id = runner::new_run_id("races", now());
    let path = history.join("races").join(format!("{run_id}.journal.jsonl"));
    let mut reporter = Reporter::new(Some(Journal::create(&path).unwrap()), None);
    let options = RunOptions {
        run_id: run_id.clone(),
        disaster_at: None,
        keep_until: None,
        poll_interval: Duration::from_secs(1),
        restore_history: Default::default(),
        polling: None,
        operator: None,
    };
    let plan = plan::plan(&loaded.scenario);
    let result = runner::run_drill(
        cloud,
        &now,
        loaded,
        &plan,
        &options,
        &mut reporter,
        &Interrupts::never(),
    )
    .await;
    (result, run_id)
}

fn created_and_left(sim: &SimCloud) -> Vec<ResourceRef> {
    sim.resources()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| !matches!(r.kind, ResourceType::RecoveryPoint | ResourceType::RestoreJob))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_restore_that_starts_while_an_observation_is_out_is_still_observed() {
    let (sim, loaded) = sim();
    let knobs = Knobs {
        observe_delay: Duration::from_secs(5),
        files_start_delay: Duration::from_secs(2),
        ..Knobs::default()
    };
    let cloud = Wrapped { sim: &sim, knobs };
    let history = tempfile::tempdir().unwrap();
    let (result, _) = drill(&cloud, &loaded, history.path()).await;
    assert_eq!(result.outcome, Outcome::Passed, "{:?}", result.reasons);
    let files = result.restores.iter().find(|r| r.id == "files").unwrap();
    assert!(files.completed_at.is_some(), "{files:?}");
    assert!(result.checks.iter().all(|c| c.passed), "{:?}", result.checks);
}

#[tokio::test(start_paused = true)]
async fn a_restore_job_whose_start_answer_was_lost_is_found_and_removed_by_the_run() {
    let (sim, loaded) = sim();
    let knobs = Knobs {
        files_answer_lost: true,
        ..Knobs::default()
    };
    let cloud = Wrapped { sim: &sim, knobs };
    let history = tempfile::tempdir().unwrap();
    let (result, _) = drill(&cloud, &loaded, history.path()).await;
    assert_eq!(result.outcome, Outcome::Error);
    assert_eq!(result.exit_code(None), 3, "{:?}", result.teardown);
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert!(created_and_left(&sim).is_empty(), "{:?}", created_and_left(&sim));
}

#[tokio::test(start_paused = true)]
async fn cleanup_that_cannot_look_up_a_restore_job_does_not_say_all_is_well() {
    let (sim, loaded) = sim();
    // The run is killed, in effect, before its teardown: its journal ends mid-drill.
    let knobs = Knobs {
        files_answer_lost: true,
        ..Knobs::default()
    };
    let cloud = Wrapped { sim: &sim, knobs };
    let history = tempfile::tempdir().unwrap();
    let run = drill(&cloud, &loaded, history.path());
    let run_id = tokio::select! {
        (_, run_id) = run => run_id,
        () = tokio::time::sleep(Duration::from_secs(120)) => {
            let folder = history.path().join("races");
            let name = std::fs::read_dir(folder).unwrap().next().unwrap().unwrap().file_name();
            name.to_string_lossy().trim_end_matches(".journal.jsonl").to_owned()
        }
    };
    let failing = Wrapped {
        sim: &sim,
        knobs: Knobs {
            find_job_fails: true,
            ..Knobs::default()
        },
    };
    let request = CleanupRequest {
        target: Target::Run(run_id),
        older_than: None,
        force: true,
        dry_run: false,
        history: history.path().to_owned(),
    };
    let report = cleanup::cleanup(&failing, &request, sim.clock().now(), &|_| {}).await;
    assert!(!report.problems.is_empty());
    assert_ne!(report.exit_code(), 0, "a restore job may exist that was not resolved");
}

//! Runs a drill: the plan's forward steps concurrently where independent (each under
//! its timeout, the whole under the scenario's deadline), restores observed in batches,
//! then measure, then teardown, which always runs. Everything that happens is a
//! `DrillEvent`, sent to the reporter's consumers.

pub mod crash_point;
mod dispatcher;
pub mod events;
pub mod game_day;
pub mod polling;
mod reporter;
mod teardown;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use jiff::Timestamp;
use tokio::sync::oneshot;

pub use dispatcher::{Dispatcher, StepState};
pub use reporter::{Console, Reporter};

use crate::cloud::*;
use crate::expect;
use crate::interrupts::Interrupts;
use crate::plan::{Action, DrillPlan, Step};
use crate::result::{self, DrillResult};
use crate::scenario::template::{self, Reference, Segment};
use crate::scenario::{EnvValue, LoadedScenario, RestoreSource, Runner, Scenario};
use events::EventKind;

/// How a run is asked to behave.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub run_id: String,
    /// The moment of the disaster (game days); default: the run's start.
    pub disaster_at: Option<Timestamp>,
    /// `--keep`: keep resources, tagged `firedrill:keep-until`, until then.
    pub keep_until: Option<Timestamp>,
    /// The shortest time between two observations of restores (the polling floor), and
    /// how often the runner is looked at while it comes online.
    pub poll_interval: Duration,
    /// Earlier durations of this scenario's restores (p50 and p90, seconds), by restore
    /// id, from the history: what the polling expects when AWS gives no estimate.
    pub restore_history: BTreeMap<String, (f64, f64)>,
    /// Another polling policy than the adaptive one with `poll_interval` as its floor
    /// (the benchmark's fixed-interval baseline).
    pub polling: Option<polling::Policy>,
    /// Game day: who is asked at manual steps. `None`: manual steps are skipped (a
    /// scheduled drill has no one to ask).
    pub operator: Option<std::sync::Arc<dyn game_day::Operator>>,
}

/// How long after `max_duration` a run's lease lasts: the time its teardown may take
/// (waiting for AWS Backup jobs included). Cleanup leaves a run alone until then.
pub const TEARDOWN_ALLOWANCE: Duration = Duration::from_secs(60 * 60);

/// How much of the allowance is kept for deleting, after waiting for restore jobs.
pub const DELETE_RESERVE: Duration = Duration::from_secs(15 * 60);

/// A new run id: `fd-<scenario>-<utc time>-<random>`.
pub fn new_run_id(scenario: &str, now: Timestamp) -> String {
    let random: String = (0..6).map(|_| fastrand::alphanumeric().to_ascii_lowercase()).collect();
    format!("fd-{scenario}-{}-{random}", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// Runs one drill to its end (teardown included) and returns its result.
pub async fn run_drill<C: Cloud>(
    cloud: &C,
    now: &dyn Fn() -> Timestamp,
    loaded: &LoadedScenario,
    plan: &DrillPlan,
    options: &RunOptions,
    reporter: &mut Reporter,
    interrupts: &Interrupts,
) -> DrillResult {
    let scenario = &loaded.scenario;
    let started = now();
    let t0 = options.disaster_at.unwrap_or(started);
    // The lease covers the drill and its teardown: cleanup never races a live teardown.
    let lease = scenario.max_duration.as_duration() + TEARDOWN_ALLOWANCE;
    let lease_until = started.saturating_add(lease).unwrap_or(started);
    let drill = Drill {
        cloud,
        now,
        scenario,
        checks_dir: loaded.checks_dir.clone(),
        run_id: options.run_id.clone(),
        t0,
        tags: run_tags(scenario, &options.run_id, lease_until),
        poll: options.poll_interval,
        policy: options
            .polling
            .unwrap_or_else(|| polling::Policy::with_floor(options.poll_interval)),
        restore_history: &options.restore_history,
        operator: options.operator.clone(),
        estimates: RefCell::new(BTreeMap::new()),
        restore_started: tokio::sync::Notify::new(),
        reporter: RefCell::new(reporter),
        environment: RefCell::new(None),
        outputs: RefCell::new(BTreeMap::new()),
        runner: RefCell::new(None),
        in_flight: RefCell::new(Vec::new()),
        unfinished_jobs: RefCell::new(BTreeMap::new()),
        lease_deadline: tokio::time::Instant::now() + lease,
        interrupts: interrupts.clone(),
    };
    drill.emit(EventKind::RunStarted {
        run_id: options.run_id.clone(),
        scenario: scenario.name.clone(),
        t0,
        simulated: cloud.is_simulated(),
        lease_until,
        rto_target: scenario.targets.rto,
        rpo_target: scenario.targets.rpo,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        gating_checks: Some(
            scenario
                .checks
                .iter()
                .filter(|c| c.gates_rto)
                .map(|c| c.id.clone())
                .collect(),
        ),
    });
    let deadline = scenario.max_duration.as_duration();
    tokio::select! {
        // An interrupt that is already there wins over a step that is also ready.
        biased;
        () = interrupts.reached(1) => drill.emit(EventKind::Interrupted),
        finished = tokio::time::timeout(deadline, drill.forward(plan)) => {
            if finished.is_err() {
                drill.emit(EventKind::HarnessError { message: format!("the drill's deadline (max_duration {}) passed", scenario.max_duration) });
            }
        }
    }
    drill.step_event("measure", true, None);
    let provisional = result::from_events(&drill.reporter.borrow().events);
    let passed = provisional.is_some_and(|r| r.outcome == crate::measure::Outcome::Passed);
    teardown::run(&drill, passed, options.keep_until).await;
    drill.emit(EventKind::ApiCalls {
        calls: cloud.api_calls(),
    });
    drill.emit(EventKind::RunFinished);
    let reporter = drill.reporter.into_inner();
    result::from_events(&reporter.events).expect("the run started with RunStarted")
}

fn run_tags(scenario: &Scenario, run_id: &str, lease_until: Timestamp) -> Tags {
    let mut tags = scenario.tags.clone();
    tags.insert(TAG_LEASE_UNTIL.to_owned(), lease_until.to_string());
    tags.insert(TAG_RUN_ID.to_owned(), run_id.to_owned());
    tags.insert(TAG_SCENARIO.to_owned(), scenario.name.clone());
    tags.insert(
        TAG_CREATED_BY.to_owned(),
        format!("firedrill/{}", env!("CARGO_PKG_VERSION")),
    );
    tags
}

/// A drill in progress: one task drives it, so its state lives in `RefCell`s that are
/// never borrowed across an await.
struct Drill<'a, C> {
    cloud: &'a C,
    now: &'a dyn Fn() -> Timestamp,
    scenario: &'a Scenario,
    checks_dir: PathBuf,
    run_id: String,
    t0: Timestamp,
    tags: Tags,
    poll: Duration,
    /// When restores in flight are looked at (sparse early, dense near completion).
    policy: polling::Policy,
    restore_history: &'a BTreeMap<String, (f64, f64)>,
    operator: Option<std::sync::Arc<dyn game_day::Operator>>,
    /// How long each restore in flight is expected to take, by restore id.
    estimates: RefCell<BTreeMap<String, polling::Estimate>>,
    /// Wakes the observer when a restore starts, so its first look is planned at once.
    restore_started: tokio::sync::Notify,
    reporter: RefCell<&'a mut Reporter>,
    environment: RefCell<Option<Environment>>,
    outputs: RefCell<BTreeMap<String, BTreeMap<String, String>>>,
    runner: RefCell<Option<RunnerHandle>>,
    in_flight: RefCell<Vec<(RestoreHandle, oneshot::Sender<RestoreStatus>)>>,
    /// AWS Backup jobs started and not yet completed (they cannot be cancelled).
    unfinished_jobs: RefCell<BTreeMap<String, RestoreHandle>>,
    /// The end of the run's lease (max_duration from its start): teardown waits for
    /// uncancellable restore jobs until then, never longer.
    lease_deadline: tokio::time::Instant,
    interrupts: Interrupts,
}

type StepResult = Result<(), String>;

impl<C: Cloud> Drill<'_, C> {
    fn emit(&self, kind: EventKind) {
        let at = (self.now)();
        self.reporter.borrow_mut().emit(at, kind);
    }

    fn step_event(&self, step: &str, ok: bool, message: Option<String>) {
        self.emit(EventKind::StepFinished {
            step: step.to_owned(),
            ok,
            message,
        });
    }

    /// The forward steps, with restore observation running beside them.
    async fn forward(&self, plan: &DrillPlan) {
        let steps: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| !s.is_teardown() && !matches!(s.action, Action::Measure))
            .collect();
        let mut dispatcher = Dispatcher::new(steps.iter().copied());
        let run_steps = async {
            let mut running = FuturesUnordered::new();
            loop {
                for id in dispatcher.start_ready() {
                    let step = steps.iter().find(|s| s.id == id).copied().expect("a planned step");
                    self.emit(EventKind::StepStarted { step: id.clone() });
                    running.push(async move { (id, self.timed_step(step).await) });
                }
                let Some((id, outcome)) = running.next().await else {
                    break;
                };
                let ok = outcome.is_ok();
                self.step_event(&id, ok, outcome.err());
                for skipped in dispatcher.finish(&id, ok) {
                    self.step_event(&skipped, false, Some("skipped: a step it waits for failed".to_owned()));
                }
            }
        };
        tokio::select! {
            () = run_steps => {}
            () = self.observe_restores() => unreachable!("observation loops until the steps end"),
        }
    }

    async fn timed_step(&self, step: &Step) -> StepResult {
        let Some(limit) = step.timeout else {
            return self.step(step).await;
        };
        match tokio::time::timeout(limit.as_duration(), self.step(step)).await {
            Ok(result) => result,
            Err(_) => {
                let message = format!("`{}` did not finish within its timeout of {limit}", step.id);
                if !matches!(step.action, Action::Check { .. }) {
                    self.emit(EventKind::HarnessError {
                        message: message.clone(),
                    });
                }
                Err(message)
            }
        }
    }

    async fn step(&self, step: &Step) -> StepResult {
        match &step.action {
            Action::Isolate { .. } => self.isolate(&step.id).await,
            Action::Restore { restore, source, .. } => self.restore(&step.id, restore, source).await,
            Action::LaunchRunner(launch) => self.start_runner(&step.id, RunnerSpec::Launch(launch.clone())).await,
            Action::AdoptRunner { restore } => {
                let instance = self
                    .restored_resource(restore)
                    .ok_or("the runner's restore has no instance")?;
                self.start_runner(&step.id, RunnerSpec::Adopt(instance)).await
            }
            Action::Check { check, .. } => self.check(check).await,
            Action::Manual { step: id, instructions } => self.manual(id, instructions).await,
            Action::Measure | Action::Teardown { .. } => Ok(()),
        }
    }

    /// Calls the cloud, retrying throttling with backoff (the step's timeout bounds it);
    /// any other failure is the harness's error.
    async fn call<T, F: Future<Output = Result<T, CloudError>>>(
        &self,
        what: &str,
        mut attempt: impl FnMut() -> F,
    ) -> Result<T, String> {
        let mut backoff = Duration::from_millis(200);
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(error) if error.is_retryable() => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(error) => {
                    let message = format!("{what}: {error}");
                    self.emit(EventKind::HarnessError {
                        message: message.clone(),
                    });
                    return Err(message);
                }
            }
        }
    }

    async fn isolate(&self, step: &str) -> StepResult {
        self.emit(EventKind::CreateIntended {
            step: step.to_owned(),
            token: format!("{}-vpc", self.run_id),
        });
        // Each resource is journaled as it is created, so a failure half-way loses none.
        let on_created = |resource: &ResourceRef| {
            self.emit(EventKind::ResourceCreated {
                step: step.to_owned(),
                resource: resource.clone(),
            });
        };
        let environment = self
            .call("creating the isolated VPC", || {
                self.cloud.create_environment(
                    &self.scenario.isolation,
                    self.scenario.restores_databases(),
                    &self.tags,
                    &on_created,
                )
            })
            .await?;
        let report = self
            .call("verifying isolation", || self.cloud.verify_isolation(&environment))
            .await?;
        self.emit(EventKind::IsolationVerified {
            violations: report.violations.clone(),
        });
        if !report.violations.is_empty() {
            let message = format!(
                "the drill's VPC is not isolated ({}); no restore was started",
                report.violations.join("; ")
            );
            self.emit(EventKind::HarnessError {
                message: message.clone(),
            });
            return Err(message);
        }
        *self.environment.borrow_mut() = Some(environment);
        Ok(())
    }

    async fn restore(&self, step: &str, restore: &str, source: &RestoreSource) -> StepResult {
        let point = self
            .call(&format!("finding the recovery point of `{restore}`"), || {
                self.cloud.find_recovery_point(source)
            })
            .await?;
        self.emit(EventKind::RecoveryPointChosen {
            restore: restore.to_owned(),
            recovery_point: point.clone(),
        });
        let environment = self.environment.borrow().clone().ok_or("no isolated environment")?;
        let request = RestoreRequest {
            restore: restore.to_owned(),
            source: source.clone(),
            recovery_point: point,
            idempotency_token: format!("{}-{restore}", self.run_id),
            tags: self.tags.clone(),
            overrides: self
                .scenario
                .restores
                .iter()
                .find(|r| r.id == restore)
                .map(|r| r.overrides.clone())
                .unwrap_or_default(),
        };
        self.emit(EventKind::CreateIntended {
            step: step.to_owned(),
            token: request.idempotency_token.clone(),
        });
        let handle = self
            .call(&format!("starting restore `{restore}`"), || {
                self.cloud.start_restore(&environment, &request)
            })
            .await?;
        self.emit(EventKind::RestoreStarted {
            restore: restore.to_owned(),
            tracked: handle.tracked.clone(),
            started_at: handle.started_at,
        });
        if handle.tracked.kind == ResourceType::RestoreJob {
            self.unfinished_jobs
                .borrow_mut()
                .insert(restore.to_owned(), handle.clone());
        } else {
            self.emit(EventKind::ResourceCreated {
                step: step.to_owned(),
                resource: handle.tracked.clone(),
            });
        }
        for resource in &handle.also_created {
            self.emit(EventKind::ResourceCreated {
                step: step.to_owned(),
                resource: resource.clone(),
            });
        }
        let estimate = self.expected(restore, request.recovery_point.kind, handle.started_at);
        self.estimates.borrow_mut().insert(restore.to_owned(), estimate);
        let (sender, receiver) = oneshot::channel();
        self.in_flight.borrow_mut().push((handle.clone(), sender));
        self.restore_started.notify_one();
        match receiver.await {
            Ok(RestoreStatus::Ready {
                resource,
                completed_at,
                outputs,
                also_created,
            }) => {
                for made in &also_created {
                    self.emit(EventKind::ResourceCreated {
                        step: step.to_owned(),
                        resource: made.clone(),
                    });
                }
                if handle.tracked.kind == ResourceType::RestoreJob {
                    // AWS Backup could not tag it: tag the created resource now, then own it.
                    self.call("tagging the restored resource", || {
                        self.cloud.tag(&resource, &self.tags)
                    })
                    .await?;
                    self.unfinished_jobs.borrow_mut().remove(restore);
                    self.emit(EventKind::ResourceCreated {
                        step: step.to_owned(),
                        resource: resource.clone(),
                    });
                }
                self.outputs.borrow_mut().insert(restore.to_owned(), outputs.clone());
                self.emit(EventKind::RestoreReady {
                    restore: restore.to_owned(),
                    resource,
                    completed_at,
                    outputs,
                });
                Ok(())
            }
            Ok(RestoreStatus::Failed { message }) => {
                self.emit(EventKind::RestoreFailed {
                    restore: restore.to_owned(),
                    message: message.clone(),
                });
                Err(message)
            }
            Ok(RestoreStatus::Running { .. }) | Err(_) => Err("restore observation stopped".to_owned()),
        }
    }

    /// What a restore is expected to take before AWS says: its earlier durations in the
    /// history, else what the cloud can tell, else a wide prior for its kind.
    fn expected(&self, restore: &str, kind: crate::scenario::ResourceKind, started_at: Timestamp) -> polling::Estimate {
        self.restore_history
            .get(restore)
            .and_then(|(p50, p90)| polling::Estimate::from_history(started_at, *p50, *p90))
            .or_else(|| {
                self.cloud
                    .restore_estimate(restore, kind)
                    .map(|(median, sigma)| polling::Estimate {
                        started_at,
                        median,
                        sigma,
                    })
            })
            .unwrap_or_else(|| polling::Estimate::prior(started_at, kind))
    }

    /// When to look next at the restores in flight.
    fn next_observation(&self) -> Duration {
        let estimates = self.estimates.borrow();
        let in_flight: Vec<polling::Estimate> = self
            .in_flight
            .borrow()
            .iter()
            .filter_map(|(h, _)| estimates.get(&h.restore).copied())
            .collect();
        polling::next_interval(&self.policy, (self.now)(), &in_flight, fastrand::f64())
    }

    /// One batched observation per round for every restore in flight (one describe per
    /// service), at the intervals `polling` plans.
    async fn observe_restores(&self) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.next_observation()) => {}
                // A new restore: plan again with it.
                () = self.restore_started.notified() => continue,
            }
            self.in_flight.borrow_mut().retain(|(_, sender)| !sender.is_closed());
            let handles: Vec<RestoreHandle> = self.in_flight.borrow().iter().map(|(h, _)| h.clone()).collect();
            if handles.is_empty() {
                continue;
            }
            let statuses = match self.cloud.observe_restores(&handles).await {
                Ok(statuses) => statuses,
                Err(error) if error.is_retryable() => continue,
                Err(error) => {
                    let message = format!("observing restores: {error}");
                    let failed = RestoreStatus::Failed { message };
                    for (_, sender) in self.in_flight.borrow_mut().drain(..) {
                        let _ = sender.send(failed.clone());
                    }
                    continue;
                }
            };
            // AWS's own estimate, where it gives one, replaces what was expected.
            for (handle, status) in handles.iter().zip(&statuses) {
                if let RestoreStatus::Running {
                    expected_minutes: Some(minutes),
                } = status
                {
                    let estimate = polling::Estimate::from_aws(handle.started_at, *minutes);
                    self.estimates.borrow_mut().insert(handle.restore.clone(), estimate);
                }
            }
            // Restores may have started while the call was out: match answers to the
            // handles asked about, and keep every other one in flight.
            let mut in_flight = self.in_flight.borrow_mut();
            let mut still = Vec::new();
            for (handle, sender) in in_flight.drain(..) {
                let status = handles.iter().position(|h| h == &handle).and_then(|i| statuses.get(i));
                match status {
                    None | Some(RestoreStatus::Running { .. }) => still.push((handle, sender)),
                    Some(done) => {
                        let _ = sender.send(done.clone());
                    }
                }
            }
            *in_flight = still;
        }
    }

    /// A manual step: skipped unless it is a game day; then the operator is asked (off
    /// this thread, so that restores are still observed) and their answer recorded.
    async fn manual(&self, id: &str, instructions: &str) -> StepResult {
        let Some(operator) = self.operator.clone() else {
            self.emit(EventKind::ManualStepSkipped { step: id.to_owned() });
            return Ok(());
        };
        let started_at = (self.now)();
        self.emit(EventKind::ManualStepStarted {
            step: id.to_owned(),
            operator: operator.name().to_owned(),
            instructions: instructions.to_owned(),
        });
        let prompt = game_day::Prompt {
            scenario: self.scenario.name.clone(),
            step: id.to_owned(),
            instructions: instructions.to_owned(),
        };
        let asked = std::sync::Arc::clone(&operator);
        let reply = tokio::task::spawn_blocking(move || asked.ask(&prompt))
            .await
            .map_err(|e| format!("asking about manual step `{id}`: {e}"))?;
        self.emit(EventKind::ManualStepAnswered {
            step: id.to_owned(),
            operator: operator.name().to_owned(),
            answer: reply.answer,
            note: reply.note.clone(),
            started_at,
        });
        match reply.answer {
            game_day::Answer::Failed => Err(format!("manual step `{id}` failed")),
            game_day::Answer::Done | game_day::Answer::Skipped => Ok(()),
        }
    }

    fn restored_resource(&self, restore: &str) -> Option<ResourceRef> {
        let outputs = self.outputs.borrow();
        let id = outputs.get(restore)?.get("instance_id")?;
        Some(ResourceRef::new(ResourceType::Instance, id.clone()))
    }

    async fn start_runner(&self, step: &str, spec: RunnerSpec) -> StepResult {
        let environment = self.environment.borrow().clone().ok_or("no isolated environment")?;
        self.emit(EventKind::CreateIntended {
            step: step.to_owned(),
            token: format!("{}-runner", self.run_id),
        });
        let runner = self
            .call("starting the runner", || {
                self.cloud.start_runner(&environment, &spec, &self.tags)
            })
            .await?;
        for resource in &runner.created {
            self.emit(EventKind::ResourceCreated {
                step: step.to_owned(),
                resource: resource.clone(),
            });
        }
        while !self
            .call("waiting for the runner to come online in SSM", || {
                self.cloud.runner_online(&runner)
            })
            .await?
        {
            tokio::time::sleep(self.poll).await;
        }
        self.emit(EventKind::RunnerOnline {
            instance: runner.instance.clone(),
        });
        *self.runner.borrow_mut() = Some(runner);
        Ok(())
    }

    async fn check(&self, id: &str) -> StepResult {
        let check = self
            .scenario
            .checks
            .iter()
            .find(|c| c.id == id)
            .ok_or("unknown check")?;
        let runner = self.runner.borrow().clone().ok_or("no runner")?;
        let request = CommandRequest {
            check: id.to_owned(),
            script: self.checks_dir.join(&check.script),
            env: self.check_env(check)?,
            timeout: check.timeout.as_duration(),
            packages: check.packages.clone(),
        };
        let output = self
            .call(&format!("running check `{id}`"), || {
                self.cloud.run_command(&runner, &request)
            })
            .await?;
        let verdict = expect::judge(check, output.exit_code, &output.stdout);
        let passed = verdict.reasons.is_empty();
        self.emit(EventKind::CheckFinished {
            check: id.to_owned(),
            passed,
            gates_rto: check.gates_rto,
            exit_code: output.exit_code,
            stdout: output.stdout,
            stderr: output.stderr,
            started_at: output.started_at,
            ended_at: output.ended_at,
            reasons: verdict.reasons.clone(),
            watermark: verdict.watermark,
        });
        if passed {
            Ok(())
        } else {
            Err(verdict.reasons.join("; "))
        }
    }

    /// The check's environment with templates filled from restore outputs. Secrets are
    /// named, not fetched: the runner reads them (`FIREDRILL_SECRET_<NAME>` names the
    /// reference), so their values never pass through firedrill.
    fn check_env(&self, check: &crate::scenario::Check) -> Result<BTreeMap<String, String>, String> {
        let outputs = self.outputs.borrow();
        let mut env = BTreeMap::new();
        for (name, value) in &check.env {
            let text = match value {
                EnvValue::Template(text) => render(text, &outputs, &self.run_id, self.t0)?,
                EnvValue::Secret(reference) => {
                    env.insert(
                        format!("FIREDRILL_SECRET_{name}"),
                        serde_json::to_string(reference).unwrap_or_default(),
                    );
                    String::new()
                }
            };
            env.insert(name.clone(), text);
        }
        if let Some(manifest) = &check.expect.manifest {
            let path = self.checks_dir.join(manifest);
            let absolute = std::path::absolute(&path).unwrap_or(path);
            env.insert("FIREDRILL_MANIFEST".to_owned(), absolute.display().to_string());
        }
        env.insert("FIREDRILL_RUN_ID".to_owned(), self.run_id.clone());
        Ok(env)
    }
}

/// Fills a template; a restore output that does not exist is an error.
fn render(
    text: &str,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
    run_id: &str,
    t0: Timestamp,
) -> Result<String, String> {
    let mut rendered = String::new();
    for segment in template::parse(text)? {
        match segment {
            Segment::Text(t) => rendered.push_str(&t),
            Segment::Ref(Reference::RunId) => rendered.push_str(run_id),
            Segment::Ref(Reference::RunT0) => rendered.push_str(&t0.to_string()),
            Segment::Ref(Reference::Restore { id, output }) => {
                let value = outputs
                    .get(&id)
                    .and_then(|o| o.get(&output))
                    .ok_or_else(|| format!("restore `{id}` has no output `{output}`"))?;
                rendered.push_str(value);
            }
        }
    }
    Ok(rendered)
}

/// Whether the scenario's runner is launched (and so torn down separately).
pub fn launches_runner(scenario: &Scenario) -> bool {
    matches!(scenario.runner, Runner::Launch(_))
}

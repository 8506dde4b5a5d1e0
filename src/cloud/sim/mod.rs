//! The simulated AWS account: resources, states and tags in memory, configurable
//! latencies, injected faults, and AWS's behaviour where it matters (an AWS Backup
//! restore job takes no tags, cannot be cancelled, and its resource appears only when it
//! completes). Every result of a sim run is labelled simulated.

mod clock;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

pub use clock::SimClock;
use state::{SimResource, State};

use super::*;
use crate::scenario::{
    RecoveryPointSelector, RestoreSource, SimCall, SimFault, SimFaultKind, SimLatencies, SimSettings,
};

/// A check run in process: the request in, (exit code, stdout, stderr) out.
pub type InProcessCheck = Box<dyn Fn(&CommandRequest) -> (i32, String, String)>;

/// How the simulator runs check scripts.
pub enum Executor {
    /// As local subprocesses (`bash <script>` with the templated environment): the demo
    /// and real-time tests, where scripts and expectations are exercised for real.
    Subprocess,
    /// In process: paused-clock tests (a paused clock and child processes do not mix).
    InProcess(InProcessCheck),
}

/// The simulated account.
pub struct SimCloud {
    settings: SimSettings,
    data_root: PathBuf,
    clock: SimClock,
    executor: Executor,
    state: Mutex<State>,
    /// Where the state lives (`--sim-state FILE`), shared with other processes.
    state_file: Option<PathBuf>,
    counters: Mutex<Counters>,
    /// Restored databases' open ports: this process's, never persisted.
    ports: Mutex<HashMap<ResourceRef, std::net::TcpListener>>,
}

/// Call counts and fault uses: per process, never persisted.
#[derive(Default)]
struct Counters {
    fault_uses: HashMap<usize, u32>,
    calls: BTreeMap<SimCall, u32>,
    /// The describe calls AWS would get: one per service per observation round.
    describes: BTreeMap<&'static str, u64>,
    save_error: Option<String>,
    /// Draws the estimates' errors (seeded by the settings).
    rng: Option<fastrand::Rng>,
}

impl SimCloud {
    /// A simulated account for a scenario's `sim` settings; `data_root` is the folder
    /// `sim.data` paths are relative to.
    pub fn new(settings: SimSettings, data_root: &Path, executor: Executor) -> Self {
        Self {
            settings,
            data_root: data_root.to_owned(),
            clock: SimClock::starting_at(Timestamp::now()),
            executor,
            state: Mutex::new(State::default()),
            state_file: None,
            counters: Mutex::new(Counters::default()),
            ports: Mutex::new(HashMap::new()),
        }
    }

    /// The same account, kept in the file at `path` (a missing file is an empty
    /// account): every call reads it and writes it back under a lock on `<path>.lock`, so
    /// that processes sharing it (a killed run, a later cleanup, a run beside a cleanup)
    /// see each other's changes and lose none.
    pub fn persisted_in(mut self, path: &Path) -> Result<Self, String> {
        State::load(path)?;
        self.state_file = Some(path.to_owned());
        Ok(self)
    }

    /// The same account with no faults any more (what a later, healthy process sees).
    pub fn without_faults(mut self) -> Self {
        self.settings.faults.clear();
        self
    }

    /// The simulated account's clock.
    pub fn clock(&self) -> SimClock {
        self.clock
    }

    /// How many times each call was made (for call-count tests and benchmarks).
    pub fn calls(&self) -> BTreeMap<SimCall, u32> {
        self.counters().calls.clone()
    }

    /// The first failure to write the state file, if any (the run reports it).
    pub fn save_error(&self) -> Option<String> {
        self.counters().save_error.clone()
    }

    /// Every resource that exists, with its tags (for tests: "nothing is left").
    pub fn resources(&self) -> Vec<(ResourceRef, Tags)> {
        self.with_state(|state| {
            state
                .resources
                .iter()
                .map(|(r, s)| (r.clone(), s.tags.clone()))
                .collect()
        })
    }

    /// Puts a resource in the account that firedrill did not create (production, or
    /// another run's), for tests of the tag guard.
    pub fn insert_foreign(&self, resource: ResourceRef, tags: Tags) {
        self.insert(resource, &tags, Duration::ZERO);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock is a bug elsewhere; the state is still usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `change` on the account as it is now. Time moves first: restore jobs that
    /// have completed create their resources, whether or not anyone looks. Persisted, the
    /// state is read, changed and written back under an exclusive file lock.
    fn with_state<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.lock();
        let Some(path) = &self.state_file else {
            self.advance(&mut state);
            return change(&mut state);
        };
        let lock = state::FileLock::acquire(path);
        match State::load(path) {
            Ok(current) => *state = current,
            Err(error) => self.note_save_error(error),
        }
        self.advance(&mut state);
        let result = change(&mut state);
        if let Err(error) = state.save(path) {
            self.note_save_error(format!("writing the sim state {}: {error}", path.display()));
        }
        drop(lock);
        result
    }

    fn note_save_error(&self, error: String) {
        self.counters().save_error.get_or_insert(error);
    }

    /// Completes every restore job whose time has come.
    fn advance(&self, state: &mut State) {
        let now = self.clock.now();
        let due: Vec<(ResourceRef, ResourceKind, Timestamp)> = state
            .resources
            .iter()
            .filter(|(id, r)| {
                id.kind == ResourceType::RestoreJob && !r.failed && r.created.is_none() && r.ready_at <= now
            })
            .filter_map(|(id, r)| {
                let kind = r.restore.as_ref()?.1;
                let data_time = r
                    .outputs
                    .get("data_time")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(r.ready_at);
                Some((id.clone(), kind, data_time))
            })
            .collect();
        for (job, kind, data_time) in due {
            self.complete_backup_job(state, &job, kind, data_time);
        }
    }

    fn latencies(&self) -> &SimLatencies {
        &self.settings.latencies
    }

    /// The sim clock's time `after` from now.
    fn in_(&self, after: Duration) -> Timestamp {
        let now = self.clock.now();
        SignedDuration::try_from(after)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(now)
    }

    /// Counts the call, waits its latency, and applies a matching fault. `Ok(true)`: the
    /// call is to take effect and then never answer (`lost_answer`; see `answer`).
    async fn call(&self, call: SimCall, target: Option<&str>, latency: Duration) -> Result<bool, CloudError> {
        let fault = {
            let mut counters = self.counters();
            *counters.calls.entry(call).or_default() += 1;
            self.matching_fault(&mut counters, call, target)
        };
        tokio::time::sleep(latency).await;
        match fault {
            None => Ok(false),
            Some(SimFaultKind::LostAnswer) => Ok(true),
            Some(SimFaultKind::Throttle) => Err(CloudError::Throttled(format!("simulated: Rate exceeded on {call:?}"))),
            Some(SimFaultKind::AccessDenied) => Err(CloudError::AccessDenied(format!(
                "simulated: the role is not authorized to perform {call:?}"
            ))),
            Some(SimFaultKind::Error) => Err(CloudError::Failed(format!("simulated failure of {call:?}"))),
            Some(SimFaultKind::Hang) => std::future::pending().await,
            Some(SimFaultKind::InUse) => Err(CloudError::InUse(format!("simulated: DependencyViolation on {call:?}"))),
        }
    }

    fn matching_fault(&self, counters: &mut Counters, call: SimCall, target: Option<&str>) -> Option<SimFaultKind> {
        let (index, fault) = self.settings.faults.iter().enumerate().find(|(i, f)| {
            fault_applies(f, call, target)
                && f.times
                    .is_none_or(|n| counters.fault_uses.get(i).copied().unwrap_or(0) < n)
        })?;
        *counters.fault_uses.entry(index).or_default() += 1;
        Some(fault.fault)
    }

    /// A fresh id, never one in use (whatever the state file's counter says).
    fn new_id(state: &mut State, prefix: &str) -> String {
        loop {
            state.next_id = state.next_id.wrapping_add(1);
            let id = format!("{prefix}-sim{:08x}", state.next_id);
            if !state.resources.keys().any(|r| r.id == id) {
                return id;
            }
        }
    }

    /// Creates a resource with a fresh id.
    fn create(&self, kind: ResourceType, prefix: &str, tags: &Tags, ready_in: Duration) -> ResourceRef {
        let ready_at = self.in_(ready_in);
        self.with_state(|state| {
            let resource = ResourceRef::new(kind, Self::new_id(state, prefix));
            state
                .resources
                .insert(resource.clone(), SimResource::new(tags.clone(), ready_at));
            resource
        })
    }

    fn insert(&self, resource: ResourceRef, tags: &Tags, ready_in: Duration) -> ResourceRef {
        let ready_at = self.in_(ready_in);
        self.with_state(|state| {
            state
                .resources
                .insert(resource.clone(), SimResource::new(tags.clone(), ready_at))
        });
        resource
    }

    /// A duration as an estimate sees it: off by a log-normal error (`estimate_error`).
    fn estimate(&self, actual: Duration) -> Duration {
        let sigma = self.settings.estimate_error.clamp(0.0, 2.0);
        let mut counters = self.counters();
        let seed = self.settings.seed;
        let rng = counters.rng.get_or_insert_with(|| fastrand::Rng::with_seed(seed));
        // Box–Muller: a standard normal from two uniforms.
        let (u, v) = (rng.f64().max(f64::MIN_POSITIVE), rng.f64());
        let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        actual.mul_f64((sigma * normal).exp())
    }

    /// One describe per service with something in flight, as the AWS cloud makes.
    fn count_describes(&self, handles: &[RestoreHandle]) {
        let mut services: Vec<&'static str> = handles
            .iter()
            .map(|h| match h.tracked.kind {
                ResourceType::DbInstance | ResourceType::DbCluster => "rds",
                ResourceType::RestoreJob => "backup",
                _ => "ec2",
            })
            .collect();
        services.sort_unstable();
        services.dedup();
        let mut counters = self.counters();
        for service in services {
            *counters.describes.entry(service).or_default() += 1;
        }
    }

    /// The describe calls made so far, per service.
    pub fn describes(&self) -> BTreeMap<&'static str, u64> {
        self.counters().describes.clone()
    }

    fn restore_latency(&self, restore: &str, kind: ResourceKind) -> Duration {
        if let Some(latency) = self.settings.restore_latencies.get(restore) {
            return latency.as_duration();
        }
        match kind {
            ResourceKind::RdsInstance | ResourceKind::AuroraCluster => self.latencies().database_restore.as_duration(),
            ResourceKind::EbsVolume | ResourceKind::Ec2Instance => self.latencies().volume_restore.as_duration(),
        }
    }

    /// What a restored resource offers checks; databases listen on a local port, volumes
    /// hold a copy of the scenario's data whose files carry the backup's time.
    fn materialize(
        &self,
        restore: &str,
        kind: ResourceKind,
        data_time: Timestamp,
        into: &mut SimResource,
    ) -> Option<std::net::TcpListener> {
        let outputs = &mut into.outputs;
        match kind {
            ResourceKind::RdsInstance | ResourceKind::AuroraCluster => {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").ok();
                let port = listener
                    .as_ref()
                    .and_then(|l| l.local_addr().ok())
                    .map_or(5432, |a| a.port());
                outputs.insert("endpoint".into(), "127.0.0.1".into());
                outputs.insert("port".into(), port.to_string());
                outputs.insert("database".into(), restore.replace('-', "_"));
                outputs.insert("engine".into(), "postgres".into());
                return listener;
            }
            ResourceKind::EbsVolume => {
                outputs.insert("device".into(), "/dev/xvdf".into());
                let dir = tempfile::Builder::new().prefix("firedrill-sim-volume-").tempdir();
                if let Ok(dir) = dir.map(tempfile::TempDir::keep) {
                    if let Some(source) = self.settings.data.get(restore) {
                        copy_with_time(&self.data_root.join(source), &dir, data_time);
                    }
                    outputs.insert("mount_path".into(), dir.display().to_string());
                    into.data_dir = Some(dir);
                }
            }
            ResourceKind::Ec2Instance => {
                outputs.insert("private_ip".into(), "10.250.1.10".into());
                outputs.insert("private_dns".into(), "ip-10-250-1-10.ec2.internal".into());
            }
        }
        None
    }

    /// Keeps a restored database's port open while it exists, in this process.
    fn hold_port(&self, resource: &ResourceRef, listener: Option<std::net::TcpListener>) {
        if let Some(listener) = listener {
            self.ports
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(resource.clone(), listener);
        }
    }

    /// An AWS Backup job that has completed creates its resource, untagged (as AWS does).
    fn complete_backup_job(
        &self,
        state: &mut State,
        job: &ResourceRef,
        kind: ResourceKind,
        data_time: Timestamp,
    ) -> ResourceRef {
        if let Some(created) = state.resources.get(job).and_then(|j| j.created.clone()) {
            return created;
        }
        let created = ResourceRef::new(resource_type(kind), Self::new_id(state, id_prefix(kind)));
        let restore = state
            .resources
            .get(job)
            .and_then(|j| j.restore.clone())
            .map(|r| r.0)
            .unwrap_or_default();
        let ready_at = state
            .resources
            .get(job)
            .map_or_else(|| self.clock.now(), |j| j.ready_at);
        let mut resource = SimResource::new(Tags::new(), ready_at);
        let port = self.materialize(&restore, kind, data_time, &mut resource);
        self.hold_port(&created, port);
        state.resources.insert(created.clone(), resource);
        if let Some(entry) = state.resources.get_mut(job) {
            entry.created = Some(created.clone());
        }
        created
    }
}

impl Drop for SimCloud {
    /// An account that lives only in memory takes its volumes' folders with it.
    fn drop(&mut self) {
        if self.state_file.is_none() {
            let state = std::mem::take(&mut *self.lock());
            state.resources.into_values().for_each(SimResource::release);
        }
    }
}

fn fault_applies(fault: &SimFault, call: SimCall, target: Option<&str>) -> bool {
    fault.call == call && fault.target.as_deref().is_none_or(|t| Some(t) == target)
}

/// A resource type as scenarios name it (`subnet`, `db_instance`): a delete fault's target.
fn type_name(kind: ResourceType) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn resource_type(kind: ResourceKind) -> ResourceType {
    match kind {
        ResourceKind::RdsInstance => ResourceType::DbInstance,
        ResourceKind::AuroraCluster => ResourceType::DbCluster,
        ResourceKind::EbsVolume => ResourceType::Volume,
        ResourceKind::Ec2Instance => ResourceType::Instance,
    }
}

fn id_prefix(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::RdsInstance => "fd-db",
        ResourceKind::AuroraCluster => "fd-cluster",
        ResourceKind::EbsVolume => "vol",
        ResourceKind::Ec2Instance => "i",
    }
}

/// The most a simulated volume copies: its data is a fixture, never a whole disk.
const MAX_VOLUME_BYTES: u64 = 256 * 1024 * 1024;

/// Copies a folder, giving each file a modification time at or just before `time`.
/// Symbolic links are skipped (no loops, nothing outside the folder), and copying stops
/// at `MAX_VOLUME_BYTES`.
fn copy_with_time(from: &Path, to: &Path, time: Timestamp) {
    let mut budget = MAX_VOLUME_BYTES;
    copy_tree(from, to, time, &mut budget);
}

fn copy_tree(from: &Path, to: &Path, time: Timestamp, budget: &mut u64) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for (i, entry) in entries.iter().enumerate() {
        let Ok(kind) = entry.file_type() else { continue };
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            let _ = std::fs::create_dir_all(&target);
            copy_tree(&entry.path(), &target, time, budget);
        } else if kind.is_file() {
            let size = entry.metadata().map_or(0, |m| m.len());
            if size > *budget {
                return;
            }
            *budget -= size;
            if std::fs::copy(entry.path(), &target).is_ok() {
                let age = SignedDuration::from_mins(i as i64);
                let modified = time.saturating_sub(age).unwrap_or(time);
                let system_time =
                    std::time::SystemTime::try_from(modified).unwrap_or(std::time::SystemTime::UNIX_EPOCH);
                let _ = std::fs::File::options()
                    .write(true)
                    .open(&target)
                    .and_then(|f| f.set_modified(system_time));
            }
        }
    }
}

fn source_target(source: &RestoreSource) -> String {
    match source {
        RestoreSource::AwsBackup(b) => b.resource_arn.clone().unwrap_or_else(|| b.vault.clone()),
        RestoreSource::RdsSnapshot(s) => s.instance.clone().unwrap_or_else(|| s.snapshot.clone()),
        RestoreSource::RdsPointInTime(p) => p.instance.clone(),
        RestoreSource::AuroraClusterSnapshot(s) => s.cluster.clone().unwrap_or_else(|| s.snapshot.clone()),
        RestoreSource::AuroraPointInTime(p) => p.cluster.clone(),
        RestoreSource::EbsSnapshot(s) => s.volume.clone().unwrap_or_else(|| s.snapshot.clone()),
        RestoreSource::Ami(a) => a.image.clone(),
    }
}

impl Cloud for SimCloud {
    fn restore_estimate(&self, restore: &str, kind: ResourceKind) -> Option<(f64, f64)> {
        let latency = self.restore_latency(restore, kind);
        Some((
            self.estimate(latency).as_secs_f64(),
            self.settings.estimate_error.max(0.05),
        ))
    }

    fn api_calls(&self) -> BTreeMap<String, u64> {
        let counters = self.counters();
        let calls = counters
            .calls
            .iter()
            .map(|(call, n)| (format!("sim:{call:?}"), u64::from(*n)));
        let describes = counters
            .describes
            .iter()
            .map(|(service, n)| (format!("{service}:Describe"), *n));
        calls.chain(describes).collect()
    }

    fn is_simulated(&self) -> bool {
        true
    }

    async fn find_recovery_point(&self, source: &RestoreSource) -> Result<RecoveryPoint, CloudError> {
        let lost = self
            .call(SimCall::FindRecoveryPoint, None, self.latencies().call.as_duration())
            .await?;
        let kind = source
            .kind()
            .ok_or_else(|| CloudError::NotFound("the recovery point's resource type".into()))?;
        let now = self.clock.now();
        let backup_time = now
            .saturating_sub(self.settings.backup_age.as_duration())
            .unwrap_or(now);
        let (data_time, point_in_time) = match source {
            RestoreSource::RdsPointInTime(p) => (pitr_time(&p.time, now), true),
            RestoreSource::AuroraPointInTime(p) => (pitr_time(&p.time, now), true),
            RestoreSource::AwsBackup(b) => match &b.recovery_point {
                RecoveryPointSelector::Window(w) => (w.to.parse().unwrap_or(backup_time).min(backup_time), false),
                _ => (backup_time, false),
            },
            _ => (backup_time, false),
        };
        let id = format!(
            "sim-recovery-point:{}:{}",
            source_target(source),
            data_time.strftime("%Y-%m-%d-%H-%M")
        );
        // Source backups exist in the account, untagged by firedrill: never to be deleted.
        self.with_state(|state| {
            state
                .resources
                .entry(ResourceRef::new(ResourceType::RecoveryPoint, &id))
                .or_insert_with(|| {
                    SimResource::new(Tags::from([("backup-plan".to_owned(), "nightly".to_owned())]), now)
                });
        });
        answer(
            lost,
            RecoveryPoint {
                id,
                data_time,
                kind,
                point_in_time,
            },
        )
        .await
    }

    async fn create_environment(
        &self,
        isolation: &Isolation,
        databases: bool,
        tags: &Tags,
        on_created: &dyn Fn(&ResourceRef),
    ) -> Result<Environment, CloudError> {
        let step = self.latencies().isolation.as_duration() / 4;
        let create = |kind: ResourceType, prefix: &str| {
            let resource = self.create(kind, prefix, tags, Duration::ZERO);
            on_created(&resource);
            resource
        };
        let lost = self.call(SimCall::CreateEnvironment, None, step).await?;
        let vpc = create(ResourceType::Vpc, "vpc");
        let subnets: Vec<ResourceRef> = (0..isolation.az_count)
            .map(|_| create(ResourceType::Subnet, "subnet"))
            .collect();
        let group = create(ResourceType::SecurityGroup, "sg");
        let mut resources = vec![vpc.clone()];
        resources.extend(subnets.iter().cloned());
        resources.push(group.clone());
        for _ in &isolation.endpoints {
            resources.push(create(ResourceType::VpcEndpoint, "vpce"));
        }
        resources.push(create(ResourceType::VpcEndpoint, "vpce"));
        tokio::time::sleep(step * 2).await;
        let subnet_group = databases.then(|| create(ResourceType::DbSubnetGroup, "fd-subnets"));
        resources.extend(subnet_group.clone());
        let environment = Environment {
            vpc_id: vpc.id,
            subnet_ids: subnets.into_iter().map(|s| s.id).collect(),
            security_group_id: group.id,
            db_subnet_group: subnet_group.map(|g| g.id),
            instance_profile: None,
            resources,
        };
        answer(lost, environment).await
    }

    async fn verify_isolation(&self, _environment: &Environment) -> Result<IsolationReport, CloudError> {
        let lost = self
            .call(SimCall::VerifyIsolation, None, self.latencies().call.as_duration())
            .await?;
        // The simulator never creates gateways, peerings or public addresses.
        answer(lost, IsolationReport::default()).await
    }

    async fn start_restore(
        &self,
        _environment: &Environment,
        request: &RestoreRequest,
    ) -> Result<RestoreHandle, CloudError> {
        let lost = self
            .call(
                SimCall::StartRestore,
                Some(&request.restore),
                self.latencies().call.as_duration(),
            )
            .await?;
        let kind = request.recovery_point.kind;
        let latency = self.restore_latency(&request.restore, kind);
        let estimate = self.estimate(latency);
        let started_at = self.clock.now();
        let data_time = request.recovery_point.data_time;
        let ready_at = self.in_(latency);
        let tracked = self.with_state(|state| {
            let (tracked, mut entry) = if matches!(request.source, RestoreSource::AwsBackup(_)) {
                // StartRestoreJob takes no tags: the job is untagged, its resource comes later.
                let job = ResourceRef::new(ResourceType::RestoreJob, Self::new_id(state, "restore-job"));
                let mut entry = SimResource::new(Tags::new(), ready_at);
                entry.token = Some(request.idempotency_token.clone());
                entry.expected_minutes = Some((estimate.as_secs_f64() / 60.0).ceil().max(1.0) as u32);
                (job, entry)
            } else {
                let resource = ResourceRef::new(resource_type(kind), Self::new_id(state, id_prefix(kind)));
                let mut entry = SimResource::new(request.tags.clone(), ready_at);
                let port = self.materialize(&request.restore, kind, data_time, &mut entry);
                self.hold_port(&resource, port);
                (resource, entry)
            };
            entry.restore = Some((request.restore.clone(), kind));
            entry.outputs.insert("data_time".into(), data_time.to_string());
            state.resources.insert(tracked.clone(), entry);
            tracked
        });
        let handle = RestoreHandle {
            restore: request.restore.clone(),
            tracked,
            started_at,
            also_created: Vec::new(),
        };
        answer(lost, handle).await
    }

    async fn observe_restores(&self, handles: &[RestoreHandle]) -> Result<Vec<RestoreStatus>, CloudError> {
        let lost = self
            .call(SimCall::ObserveRestores, None, self.latencies().call.as_duration())
            .await?;
        self.count_describes(handles);
        let mut statuses = Vec::with_capacity(handles.len());
        for handle in handles {
            let fault = self.matching_fault(&mut self.counters(), SimCall::ObserveRestores, Some(&handle.restore));
            statuses.push(match fault {
                Some(SimFaultKind::Error) => self.fail_restore(handle),
                Some(SimFaultKind::Hang) => RestoreStatus::Running { expected_minutes: None },
                Some(SimFaultKind::Throttle) => return Err(CloudError::Throttled("simulated: Rate exceeded".into())),
                Some(SimFaultKind::AccessDenied) => return Err(CloudError::AccessDenied("simulated: observe".into())),
                // In use is a delete's answer; anywhere else it is no fault.
                Some(SimFaultKind::LostAnswer | SimFaultKind::InUse) | None => self.status_of(handle),
            });
        }
        answer(lost, statuses).await
    }

    async fn start_runner(
        &self,
        _environment: &Environment,
        spec: &RunnerSpec,
        tags: &Tags,
    ) -> Result<RunnerHandle, CloudError> {
        let lost = self
            .call(SimCall::StartRunner, None, self.latencies().call.as_duration())
            .await?;
        let ready_in = self.latencies().runner.as_duration();
        let runner = match spec {
            RunnerSpec::Launch(_) => {
                let instance = self.create(ResourceType::Instance, "i", tags, ready_in);
                let profile = self.create(ResourceType::InstanceProfile, "fd-runner", tags, Duration::ZERO);
                RunnerHandle {
                    instance: instance.clone(),
                    created: vec![instance, profile],
                }
            }
            RunnerSpec::Adopt(instance) => {
                let ready_at = self.in_(ready_in);
                self.with_state(|state| {
                    if let Some(entry) = state.resources.get_mut(instance) {
                        entry.ready_at = entry.ready_at.max(ready_at);
                    }
                });
                RunnerHandle {
                    instance: instance.clone(),
                    created: Vec::new(),
                }
            }
        };
        answer(lost, runner).await
    }

    async fn runner_online(&self, runner: &RunnerHandle) -> Result<bool, CloudError> {
        let lost = match self
            .call(SimCall::RunnerOnline, None, self.latencies().call.as_duration())
            .await
        {
            Err(CloudError::Failed(_)) => return Ok(false), // the agent never registers
            other => other?,
        };
        let now = self.clock.now();
        let online = self.with_state(|state| state.resources.get(&runner.instance).is_some_and(|r| now >= r.ready_at));
        answer(lost, online).await
    }

    async fn run_command(&self, _runner: &RunnerHandle, request: &CommandRequest) -> Result<CommandOutput, CloudError> {
        let started_at = self.clock.now();
        let (failed, lost) = match self
            .call(
                SimCall::RunCommand,
                Some(&request.check),
                self.latencies().call.as_duration(),
            )
            .await
        {
            Err(CloudError::Failed(message)) => (Some(message), false),
            other => (None, other?),
        };
        let (exit_code, stdout, stderr) = match (failed, &self.executor) {
            (Some(message), _) => (1, String::new(), message),
            (None, Executor::InProcess(run)) => run(request),
            (None, Executor::Subprocess) => run_subprocess(request).await,
        };
        let output = CommandOutput {
            exit_code,
            stdout,
            stderr,
            started_at,
            ended_at: self.clock.now(),
        };
        answer(lost, output).await
    }

    async fn list_by_tag(&self, key: &str, value: Option<&str>) -> Result<Vec<(ResourceRef, Tags)>, CloudError> {
        let lost = self
            .call(SimCall::ListByTag, None, self.latencies().call.as_duration())
            .await?;
        let found = self.with_state(|state| {
            state
                .resources
                .iter()
                .filter(|(_, r)| r.tags.get(key).is_some_and(|v| value.is_none_or(|value| v == value)))
                .map(|(id, r)| (id.clone(), r.tags.clone()))
                .collect()
        });
        answer(lost, found).await
    }

    async fn find_restore_job(&self, token: &str) -> Result<Option<ResourceRef>, CloudError> {
        let lost = self
            .call(SimCall::FindRestoreJob, None, self.latencies().call.as_duration())
            .await?;
        let found = self.with_state(|state| {
            state
                .resources
                .iter()
                .find(|(id, r)| id.kind == ResourceType::RestoreJob && r.token.as_deref() == Some(token))
                .map(|(id, _)| id.clone())
        });
        answer(lost, found).await
    }

    async fn read_tags(&self, resource: &ResourceRef) -> Result<Option<Tags>, CloudError> {
        let lost = self
            .call(SimCall::ReadTags, None, self.latencies().call.as_duration())
            .await?;
        let tags = self.with_state(|state| state.resources.get(resource).map(|r| r.tags.clone()));
        answer(lost, tags).await
    }

    async fn tag(&self, resource: &ResourceRef, tags: &Tags) -> Result<(), CloudError> {
        let lost = self
            .call(SimCall::Tag, None, self.latencies().call.as_duration())
            .await?;
        self.with_state(|state| {
            let entry = state
                .resources
                .get_mut(resource)
                .ok_or_else(|| CloudError::NotFound(resource.to_string()))?;
            may_tag(&entry.tags, tags)?;
            entry.tags.extend(tags.clone());
            Ok(())
        })?;
        answer(lost, ()).await
    }

    async fn delete(&self, resource: &ResourceRef, run_id: &str) -> Result<(), CloudError> {
        let lost = self
            .call(
                SimCall::Delete,
                Some(&type_name(resource.kind)),
                self.latencies().call.as_duration(),
            )
            .await?;
        let now = self.clock.now();
        let removed = self.with_state(|state| {
            // The guard and the delete under one lock: nothing can retag in between.
            let entry = state
                .resources
                .get(resource)
                .ok_or_else(|| CloudError::NotFound(resource.to_string()))?;
            may_delete(resource, &entry.tags, run_id, now)?;
            Ok(state.resources.remove(resource))
        })?;
        self.ports.lock().unwrap_or_else(|p| p.into_inner()).remove(resource);
        removed.into_iter().for_each(SimResource::release);
        answer(lost, ()).await
    }
}

/// A call's answer, or none ever (`lost_answer`: it took effect, its answer is lost).
async fn answer<T>(lost: bool, value: T) -> Result<T, CloudError> {
    if lost {
        std::future::pending::<()>().await;
    }
    Ok(value)
}

impl SimCloud {
    fn status_of(&self, handle: &RestoreHandle) -> RestoreStatus {
        self.with_state(|state| self.status_in(state, handle))
    }

    /// A restore that fails: an AWS Backup job that fails creates nothing.
    fn fail_restore(&self, handle: &RestoreHandle) -> RestoreStatus {
        self.with_state(|state| {
            if let Some(job) = state.resources.get_mut(&handle.tracked)
                && handle.tracked.kind == ResourceType::RestoreJob
                && job.created.is_none()
            {
                job.failed = true;
            }
        });
        RestoreStatus::Failed {
            message: "simulated: the restore failed".into(),
        }
    }

    fn status_in(&self, state: &mut State, handle: &RestoreHandle) -> RestoreStatus {
        let Some(entry) = state.resources.get(&handle.tracked) else {
            return RestoreStatus::Failed {
                message: format!("{} no longer exists", handle.tracked),
            };
        };
        if entry.failed {
            return RestoreStatus::Failed {
                message: "simulated: the restore job failed".into(),
            };
        }
        let now = self.clock.now();
        if now < entry.ready_at {
            return RestoreStatus::Running {
                expected_minutes: entry.expected_minutes,
            };
        }
        // AWS reports when the job finished, not when we looked.
        let completed_at = entry.ready_at;
        let data_time = entry
            .outputs
            .get("data_time")
            .and_then(|t| t.parse().ok())
            .unwrap_or(completed_at);
        let kind = entry.restore.as_ref().map(|r| r.1);
        let (resource, mut outputs) = if handle.tracked.kind == ResourceType::RestoreJob {
            let kind = kind.unwrap_or(ResourceKind::EbsVolume);
            let created = self.complete_backup_job(state, &handle.tracked, kind, data_time);
            let outputs = state
                .resources
                .get(&created)
                .map(|r| r.outputs.clone())
                .unwrap_or_default();
            (created, outputs)
        } else {
            (handle.tracked.clone(), entry.outputs.clone())
        };
        outputs.remove("data_time");
        outputs.insert("id".into(), resource.id.clone());
        outputs.insert(
            "arn".into(),
            format!("arn:aws:sim:::{:?}/{}", resource.kind, resource.id).to_lowercase(),
        );
        match resource.kind {
            ResourceType::Volume => outputs.insert("volume_id".into(), resource.id.clone()),
            ResourceType::Instance => outputs.insert("instance_id".into(), resource.id.clone()),
            _ => None,
        };
        RestoreStatus::Ready {
            resource,
            completed_at,
            outputs,
            also_created: Vec::new(),
        }
    }
}

fn pitr_time(time: &str, now: Timestamp) -> Timestamp {
    // RDS's LatestRestorableTime trails by about five minutes.
    let latest = now.saturating_sub(SignedDuration::from_mins(5)).unwrap_or(now);
    if time == "latest" {
        latest
    } else {
        time.parse().unwrap_or(latest).min(latest)
    }
}

/// Runs a check script as `bash <script>` with exactly the templated environment (plus
/// PATH), the way SSM's AWS-RunShellScript would on the runner.
async fn run_subprocess(request: &CommandRequest) -> (i32, String, String) {
    let mut command = tokio::process::Command::new("bash");
    command
        .arg(&request.script)
        .env_clear()
        .envs(&request.env)
        .kill_on_drop(true);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    match command.output().await {
        Ok(output) => (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        Err(error) => (-1, String::new(), format!("could not start bash: {error}")),
    }
}

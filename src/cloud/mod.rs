//! The `Cloud` trait: everything a drill asks of AWS, shaped after the real calls, and the
//! types that cross it. `sim` implements it in process; the AWS implementation (issue 5)
//! maps each method to the SDK calls named in its documentation.
//!
//! Timestamps are the provider's own (restore job `CreationDate`/`CompletionDate`,
//! instance launch time), so that the measures do not depend on how often we poll.

pub mod aws;
pub mod sim;

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::scenario::{Isolation, LaunchedRunner, ResourceKind, RestoreSource};

/// Tags on every resource a run creates (DESIGN.md, invariant 1).
pub const TAG_RUN_ID: &str = "firedrill:run-id";
pub const TAG_SCENARIO: &str = "firedrill:scenario";
pub const TAG_CREATED_BY: &str = "firedrill:created-by";
pub const TAG_KEEP_UNTIL: &str = "firedrill:keep-until";
/// The end of the run's lease (start + max_duration, RFC 3339): after it, `cleanup`
/// treats what the run left as orphaned even when its journal is lost.
pub const TAG_LEASE_UNTIL: &str = "firedrill:lease-until";

/// Key/value tags.
pub type Tags = BTreeMap<String, String>;

/// What kind of thing a resource is, as far as teardown cares: the order of deletion
/// and the API that deletes it follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Vpc,
    Subnet,
    SecurityGroup,
    VpcEndpoint,
    DbSubnetGroup,
    InstanceProfile,
    DbInstance,
    DbCluster,
    Volume,
    Instance,
    /// An AWS Backup restore job: cannot be cancelled or deleted, only waited for.
    RestoreJob,
    /// Backups and snapshots: sources, never deleted by firedrill.
    RecoveryPoint,
}

impl ResourceType {
    /// Teardown order: higher goes first (instances before volumes and subnets, the VPC last).
    pub fn teardown_rank(self) -> u8 {
        match self {
            ResourceType::Instance => 9,
            ResourceType::DbInstance => 8,
            ResourceType::DbCluster => 7,
            ResourceType::Volume => 6,
            ResourceType::InstanceProfile => 5,
            ResourceType::VpcEndpoint => 4,
            ResourceType::DbSubnetGroup => 3,
            ResourceType::SecurityGroup => 2,
            ResourceType::Subnet => 1,
            ResourceType::Vpc | ResourceType::RestoreJob | ResourceType::RecoveryPoint => 0,
        }
    }
}

/// A resource in the account, by type and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceRef {
    #[serde(rename = "type")]
    pub kind: ResourceType,
    pub id: String,
}

impl ResourceRef {
    pub fn new(kind: ResourceType, id: impl Into<String>) -> Self {
        Self { kind, id: id.into() }
    }
}

impl std::fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}", self.kind, self.id)
    }
}

/// A backup a restore starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryPoint {
    /// ARN or id of the recovery point, snapshot or image.
    pub id: String,
    /// When the backup was taken (RecoveryPointCreationDate / SnapshotCreateTime), or for
    /// a point-in-time restore, the time restored to.
    pub data_time: Timestamp,
    pub kind: ResourceKind,
    /// Whether `data_time` is a point-in-time restore's target rather than a backup's age.
    pub point_in_time: bool,
}

impl Environment {
    /// The DB subnet group, or why there is none: a database is never restored without
    /// one (RDS would put it in the account's default VPC).
    pub fn database_subnets(&self) -> Result<&str, CloudError> {
        self.db_subnet_group.as_deref().ok_or_else(|| {
            CloudError::Failed("the isolated VPC has no DB subnet group: the drill restores no database".into())
        })
    }
}

/// The isolated environment of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_group_id: String,
    /// The DB subnet group RDS and Aurora copies go into, made only when the drill
    /// restores a database (it needs subnets in two Availability Zones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_subnet_group: Option<String>,
    /// The instance profile a launched or restored runner gets (SSM's managed policy
    /// only), where the cloud makes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile: Option<String>,
    /// Everything created for it, for teardown.
    pub resources: Vec<ResourceRef>,
}

/// What isolation verification found; any entry in `violations` fails the drill closed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IsolationReport {
    pub violations: Vec<String>,
}

/// One restore to start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreRequest {
    /// The scenario's restore id.
    pub restore: String,
    pub source: RestoreSource,
    pub recovery_point: RecoveryPoint,
    /// Journaled before the call, so that a crash between call and answer can be resolved
    /// (AWS Backup's IdempotencyToken, an RDS instance identifier).
    pub idempotency_token: String,
    pub tags: Tags,
    /// Settings of the copy that differ from its source (instance class, KMS key, …).
    #[serde(default)]
    pub overrides: crate::scenario::Overrides,
}

/// A restore in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreHandle {
    pub restore: String,
    /// What to observe and, for resources that exist from the start, what to delete.
    pub tracked: ResourceRef,
    /// The provider's start time (restore job CreationDate, instance create time).
    pub started_at: Timestamp,
    /// Other resources the start created (the instance of a restored Aurora cluster).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_created: Vec<ResourceRef>,
}

/// How a restore is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RestoreStatus {
    Running {
        /// AWS Backup's ExpectedCompletionTimeMinutes, where given.
        expected_minutes: Option<u32>,
    },
    Ready {
        /// The restored resource (for AWS Backup, CreatedResourceArn).
        resource: ResourceRef,
        /// The provider's completion time (CompletionDate, the RDS event time).
        completed_at: Timestamp,
        /// What checks can template: endpoint, port, mount_path, private_ip, …
        outputs: BTreeMap<String, String>,
        /// Other resources made on completion (the instance firedrill adds to an Aurora
        /// cluster that AWS Backup restored).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        also_created: Vec<ResourceRef>,
    },
    Failed {
        message: String,
    },
}

/// A runner instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerHandle {
    pub instance: ResourceRef,
    /// Resources created for it (the instance itself, an instance profile).
    pub created: Vec<ResourceRef>,
}

/// What launching a runner needs.
#[derive(Debug, Clone, PartialEq)]
pub enum RunnerSpec {
    Launch(LaunchedRunner),
    /// A restored instance, adopted.
    Adopt(ResourceRef),
}

/// A command run on the runner (SSM SendCommand with AWS-RunShellScript, then
/// GetCommandInvocation).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRequest {
    pub check: String,
    /// The script's path on this machine; its text is sent.
    pub script: std::path::PathBuf,
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
    /// Packages the script needs on the runner, installed first when missing.
    pub packages: Vec<String>,
}

/// What a command did (GetCommandInvocation's ResponseCode, StandardOutputContent,
/// StandardErrorContent, ExecutionStart/EndDateTime).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandOutput {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
}

/// Why a cloud call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CloudError {
    #[error("throttled by AWS ({0}); retried until the step's timeout")]
    Throttled(String),
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
    /// The tag guard refused a delete: the resource is not tagged as the run's.
    #[error("refused by the tag guard: {0}")]
    Refused(String),
    /// A delete refused while something that depends on the resource is still there
    /// (EC2's DependencyViolation: the network interfaces RDS and endpoints leave behind
    /// are released minutes after they go); it can succeed once that is gone.
    #[error("still in use: {0}")]
    InUse(String),
}

impl CloudError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CloudError::Throttled(_))
    }
}

/// Everything a drill asks of a cloud.
#[allow(async_fn_in_trait)] // one task drives a drill; nothing needs these futures to be Send
pub trait Cloud {
    /// Whether this is a real account or the simulator (results say so).
    fn is_simulated(&self) -> bool;

    /// The recovery point a source names (`latest` resolved to the newest completed one).
    async fn find_recovery_point(&self, source: &RestoreSource) -> Result<RecoveryPoint, CloudError>;

    /// Creates the isolated VPC, tagged at creation, with a DB subnet group when the drill
    /// restores `databases`. On failure the error carries no resources: what was created
    /// is already reported through `on_created`.
    async fn create_environment(
        &self,
        isolation: &Isolation,
        databases: bool,
        tags: &Tags,
        on_created: &dyn Fn(&ResourceRef),
    ) -> Result<Environment, CloudError>;

    /// Checks that nothing routes out of the environment (no IGW, NAT, peering, TGW,
    /// public IP, publicly accessible database).
    async fn verify_isolation(&self, environment: &Environment) -> Result<IsolationReport, CloudError>;

    /// Starts a restore into the environment.
    async fn start_restore(
        &self,
        environment: &Environment,
        request: &RestoreRequest,
    ) -> Result<RestoreHandle, CloudError>;

    /// Observes many restores with as few calls as possible (ListRestoreJobs, one
    /// DescribeDBInstances page, …); one status per handle, in order.
    async fn observe_restores(&self, handles: &[RestoreHandle]) -> Result<Vec<RestoreStatus>, CloudError>;

    /// Launches (or adopts) the runner and returns once it is registered.
    async fn start_runner(
        &self,
        environment: &Environment,
        spec: &RunnerSpec,
        tags: &Tags,
    ) -> Result<RunnerHandle, CloudError>;

    /// Whether the runner is online for SSM (DescribeInstanceInformation PingStatus).
    async fn runner_online(&self, runner: &RunnerHandle) -> Result<bool, CloudError>;

    /// Runs a check's script on the runner and waits for its result.
    async fn run_command(&self, runner: &RunnerHandle, request: &CommandRequest) -> Result<CommandOutput, CloudError>;

    /// Every resource carrying the tag `key` (with `value`, when given), with its tags
    /// (the tagging API's GetResources plus per-service describes).
    async fn list_by_tag(&self, key: &str, value: Option<&str>) -> Result<Vec<(ResourceRef, Tags)>, CloudError>;

    /// The AWS Backup restore job started with this idempotency token, if one was: how
    /// cleanup finds a job whose start was journaled as intended but whose id was not.
    async fn find_restore_job(&self, token: &str) -> Result<Option<ResourceRef>, CloudError>;

    /// A resource's tags, or `None` when it no longer exists.
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Option<Tags>, CloudError>;

    /// Adds tags (e.g. to an AWS Backup-restored resource, or `firedrill:keep-until`);
    /// refuses (`may_tag`) to change a resource's `firedrill:run-id`.
    async fn tag(&self, resource: &ResourceRef, tags: &Tags) -> Result<(), CloudError>;

    /// Waits (within the cloud's own budget) until resources just deleted are really gone,
    /// so that what depends on them can go next: DB instances hold their subnet group,
    /// instances and endpoints their network interfaces. The simulator deletes at once.
    async fn await_deleted(&self, _resources: &[ResourceRef]) -> Result<(), CloudError> {
        Ok(())
    }

    /// What the cloud can say before a restore is observed about how long it takes: the
    /// median in seconds and the sigma of a log-normal spread. `None` (AWS): nothing; the
    /// runner then uses AWS's running estimate, the history, or a prior per kind.
    fn restore_estimate(&self, _restore: &str, _kind: ResourceKind) -> Option<(f64, f64)> {
        None
    }

    /// The API calls this cloud made so far, by `service:Operation` (kept in results).
    fn api_calls(&self) -> BTreeMap<String, u64> {
        BTreeMap::new()
    }

    /// Deletes a resource if, and only if, `may_delete` allows it (it carries
    /// `firedrill:run-id=<run_id>` and is not kept): the implementation re-reads its tags
    /// right before the delete call and answers `Refused` otherwise. This is the tag
    /// guard's lowest layer; there is no unguarded delete. A resource already gone is
    /// `NotFound`.
    async fn delete(&self, resource: &ResourceRef, run_id: &str) -> Result<(), CloudError>;
}

/// The tag guard's whole rule, shared by every `Cloud`'s `delete`: the resource carries
/// `firedrill:run-id=<run_id>`, is not kept by a `firedrill:keep-until` still to come, and
/// is not a source backup or an AWS Backup restore job.
pub fn may_delete(resource: &ResourceRef, tags: &Tags, run_id: &str, now: jiff::Timestamp) -> Result<(), CloudError> {
    tagged_by_run(tags, run_id)?;
    if matches!(resource.kind, ResourceType::RestoreJob | ResourceType::RecoveryPoint) {
        return Err(CloudError::Refused(format!("{resource} is not firedrill's to delete")));
    }
    if let Some(until) = tags.get(TAG_KEEP_UNTIL) {
        match until.parse::<jiff::Timestamp>() {
            Ok(until) if until <= now => {}
            Ok(until) => return Err(CloudError::Refused(format!("it is kept until {until}"))),
            Err(_) => {
                return Err(CloudError::Refused(format!(
                    "its {TAG_KEEP_UNTIL} tag `{until}` cannot be read"
                )));
            }
        }
    }
    Ok(())
}

/// Whether `new` tags may be added to a resource tagged `existing`: a resource's
/// `firedrill:run-id`, once set, never changes (so no run can adopt another's resource).
pub fn may_tag(existing: &Tags, new: &Tags) -> Result<(), CloudError> {
    match (existing.get(TAG_RUN_ID), new.get(TAG_RUN_ID)) {
        (Some(old), Some(new)) if old != new => Err(CloudError::Refused(format!(
            "it already belongs to run {old}; it cannot be tagged for run {new}"
        ))),
        _ => Ok(()),
    }
}

/// The tag guard's rule, shared by every `Cloud`: whether `tags` say `run_id` created it.
pub fn tagged_by_run(tags: &Tags, run_id: &str) -> Result<(), CloudError> {
    match tags.get(TAG_RUN_ID) {
        Some(owner) if owner == run_id && !run_id.is_empty() => Ok(()),
        Some(owner) => Err(CloudError::Refused(format!("it belongs to run {owner}, not {run_id}"))),
        None => Err(CloudError::Refused(format!(
            "it has no {TAG_RUN_ID} tag: firedrill did not create it"
        ))),
    }
}

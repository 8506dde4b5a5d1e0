//! The scenario model: what a drill restores, where, which checks it runs and the targets.
//!
//! These types are the YAML format. They derive `JsonSchema`, and the generated schema
//! (`firedrill schema`) is what the loader validates a file against before these types
//! are built, so every structural mistake in a file is reported at once, with its place.
//! Value formats that a schema cannot express (durations, cron, time zones, ARNs) are
//! named with `format` and checked by the loader's format checks.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;

/// One drill scenario: one YAML file in `scenarios/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "firedrill scenario")]
pub struct Scenario {
    /// Unique name of the scenario: lower-case letters, digits and `-`. Part of every run id
    /// and of the `firedrill:scenario` tag.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$"))]
    pub name: String,
    /// What this drill proves, in a sentence or two, for the report's readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who answers for this drill (a team or an e-mail address).
    pub owner: String,
    /// Which cloud runs the drill: `aws` (the product) or `sim` (the in-process simulated
    /// account, for demos and tests; its results are labelled simulated).
    #[serde(default)]
    pub cloud: CloudKind,
    /// When the drill is due; used for due/overdue detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// The run's lease: after this long, `firedrill cleanup` treats what the run left as
    /// orphaned. Also the deadline of the whole drill.
    #[serde(default = "default_max_duration")]
    pub max_duration: HumanDuration,
    /// The recovery objectives the drill is measured against.
    pub targets: Targets,
    /// AWS region the drill runs in, e.g. `eu-west-1`.
    #[schemars(regex(pattern = r"^[a-z]{2}(-[a-z]+)+-\d$"))]
    pub region: String,
    /// IAM role to assume for this drill (cross-account drills).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "iam-role-arn"))]
    pub assume_role: Option<String>,
    /// The isolated VPC made for the drill.
    #[serde(default)]
    pub isolation: Isolation,
    /// When to delete what the drill created; `--keep` overrides it.
    #[serde(default)]
    pub teardown: TeardownPolicy,
    /// Extra tags put on every resource the drill creates (beside the `firedrill:` tags).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Where SSM writes each check's whole output (AWS): SSM returns at most 24,000
    /// characters of output and 8,000 of errors; with a bucket, firedrill reads the rest
    /// from S3. The runner's role may then put objects under the prefix, nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_output: Option<CheckOutput>,
    /// What to restore.
    #[schemars(length(min = 1))]
    pub restores: Vec<Restore>,
    /// The instance that checks run on through SSM. Default: a launched `t3.micro` with the
    /// latest Amazon Linux 2023 AMI.
    #[serde(default)]
    pub runner: Runner,
    /// The checks run on the restored copies.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Steps done by people on game days, placed in the drill's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual: Vec<ManualStep>,
    /// How the simulated cloud behaves (only with `cloud: sim`): latencies, the data its
    /// restores bring back, and faults to inject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim: Option<SimSettings>,
}

/// The simulated cloud's behaviour for one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// How long simulated operations take.
    #[serde(default)]
    pub latencies: SimLatencies,
    /// How old the newest backup of every source is at t0 (the simulated nightly backup).
    #[serde(default = "default_backup_age")]
    pub backup_age: HumanDuration,
    /// Folders (relative to the scenario file) whose copy a restore brings back, by
    /// restore id; its `mount_path` points at the copy, whose files carry the backup's time.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    /// Faults to inject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<SimFault>,
    /// How long a given restore takes, by restore id, instead of its kind's latency.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub restore_latencies: BTreeMap<String, HumanDuration>,
    /// How far off the simulated estimates of restore times are: the sigma of a
    /// log-normal error (0.3 is about ±30 %), as AWS's own estimates are never exact.
    #[serde(default = "default_estimate_error")]
    #[schemars(range(min = 0.0, max = 2.0))]
    pub estimate_error: f64,
    /// Seed of the estimates' errors, for repeatable runs.
    #[serde(default)]
    pub seed: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            latencies: SimLatencies::default(),
            backup_age: default_backup_age(),
            data: BTreeMap::new(),
            faults: Vec::new(),
            restore_latencies: BTreeMap::new(),
            estimate_error: default_estimate_error(),
            seed: 0,
        }
    }
}

fn default_estimate_error() -> f64 {
    0.3
}

fn default_backup_age() -> HumanDuration {
    HumanDuration::from_secs(5 * 3600)
}

/// Simulated latencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimLatencies {
    /// Creating the isolated environment.
    #[serde(default = "secs::<2>")]
    pub isolation: HumanDuration,
    /// A database restore (RDS, Aurora).
    #[serde(default = "secs::<8>")]
    pub database_restore: HumanDuration,
    /// A volume or instance restore.
    #[serde(default = "secs::<4>")]
    pub volume_restore: HumanDuration,
    /// A runner until it is online for SSM.
    #[serde(default = "secs::<3>")]
    pub runner: HumanDuration,
    /// Any other call (describe, delete, tag).
    #[serde(default = "millis::<200>")]
    pub call: HumanDuration,
}

impl Default for SimLatencies {
    fn default() -> Self {
        Self {
            isolation: secs::<2>(),
            database_restore: secs::<8>(),
            volume_restore: secs::<4>(),
            runner: secs::<3>(),
            call: millis::<200>(),
        }
    }
}

fn secs<const N: u64>() -> HumanDuration {
    HumanDuration::from_secs(N)
}

fn millis<const N: u64>() -> HumanDuration {
    HumanDuration::from_millis(N)
}

/// A fault the simulated cloud injects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimFault {
    /// The cloud call that fails: find_recovery_point, create_environment,
    /// verify_isolation, start_restore, observe_restores, start_runner, runner_online,
    /// run_command, list_by_tag, find_restore_job, read_tags, tag or delete.
    pub call: SimCall,
    /// How it fails.
    pub fault: SimFaultKind,
    /// Only for this restore or check id (calls about other ones succeed); for delete,
    /// this resource type (`subnet`, `security_group`, `vpc`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Only the first N times (default: every time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

/// The cloud calls a fault can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimCall {
    FindRecoveryPoint,
    CreateEnvironment,
    VerifyIsolation,
    StartRestore,
    ObserveRestores,
    StartRunner,
    RunnerOnline,
    RunCommand,
    ListByTag,
    FindRestoreJob,
    ReadTags,
    Tag,
    Delete,
}

impl SimCall {
    /// Every call, for fault matrices that must cover them all.
    pub const ALL: [SimCall; 13] = [
        SimCall::FindRecoveryPoint,
        SimCall::CreateEnvironment,
        SimCall::VerifyIsolation,
        SimCall::StartRestore,
        SimCall::ObserveRestores,
        SimCall::StartRunner,
        SimCall::RunnerOnline,
        SimCall::RunCommand,
        SimCall::ListByTag,
        SimCall::FindRestoreJob,
        SimCall::ReadTags,
        SimCall::Tag,
        SimCall::Delete,
    ];
}

/// How a simulated call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimFaultKind {
    /// ThrottlingException: retryable.
    Throttle,
    /// AccessDeniedException.
    AccessDenied,
    /// Any other failure (for observe_restores: the restore fails; for run_command: the
    /// check exits 1; for runner_online: the runner never comes online).
    Error,
    /// The call never answers (a restore that hangs).
    Hang,
    /// For delete: refused while something depending on the resource lingers (AWS's
    /// DependencyViolation); target it by the resource's type (`subnet`, `vpc`, ...).
    InUse,
    /// The call takes effect, then never answers: the answer is lost (a crash or a
    /// network failure between AWS acting and the harness hearing of it).
    LostAnswer,
}

fn default_max_duration() -> HumanDuration {
    HumanDuration::from_secs(4 * 3600)
}

/// Which cloud a scenario runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloudKind {
    /// A real AWS account, through the standard credential chain.
    #[default]
    Aws,
    /// The in-process simulated AWS account.
    Sim,
}

/// When the drill is due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// A 5-field cron expression (`minute hour day-of-month month day-of-week`) or one of
    /// `monthly`, `weekly`, `daily`.
    #[schemars(extend("format" = "schedule"))]
    pub cron: String,
    /// IANA time zone the cron expression is read in, e.g. `Europe/Berlin`.
    #[serde(default = "default_timezone")]
    #[schemars(extend("format" = "iana-timezone"))]
    pub timezone: String,
}

fn default_timezone() -> String {
    "UTC".to_owned()
}

/// The recovery objectives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Recovery time objective: the longest acceptable time from the disaster (t0) until
    /// every RTO-gating check has passed.
    pub rto: HumanDuration,
    /// Recovery point objective: the largest acceptable age of the restored data at t0.
    pub rpo: HumanDuration,
}

/// The isolated VPC made for the drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Isolation {
    /// IPv4 CIDR of the drill's VPC, /16 to /24. It must not overlap production if the
    /// restored copies use fixed addresses; the VPC is never peered or routed anywhere.
    #[serde(default = "default_vpc_cidr")]
    #[schemars(extend("format" = "ipv4-cidr"))]
    pub vpc_cidr: String,
    /// How many availability zones get a private subnet (RDS subnet groups need 2).
    #[serde(default = "default_az_count")]
    #[schemars(range(min = 1, max = 6))]
    pub az_count: u8,
    /// Interface VPC endpoints to create (an S3 gateway endpoint is always created).
    #[serde(default = "default_endpoints")]
    pub endpoints: Vec<Endpoint>,
}

impl Default for Isolation {
    fn default() -> Self {
        Self {
            vpc_cidr: default_vpc_cidr(),
            az_count: default_az_count(),
            endpoints: default_endpoints(),
        }
    }
}

fn default_vpc_cidr() -> String {
    "10.250.0.0/16".to_owned()
}

fn default_az_count() -> u8 {
    2
}

fn default_endpoints() -> Vec<Endpoint> {
    Endpoint::REQUIRED.to_vec()
}

/// An interface VPC endpoint of the isolated VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Ssm,
    Ssmmessages,
    Ec2messages,
    Secretsmanager,
    Kms,
    Logs,
}

impl Endpoint {
    /// The endpoints without which checks cannot run or read their credentials.
    pub const REQUIRED: [Endpoint; 5] = [
        Endpoint::Ssm,
        Endpoint::Ssmmessages,
        Endpoint::Ec2messages,
        Endpoint::Secretsmanager,
        Endpoint::Kms,
    ];

    /// The AWS service name (`com.amazonaws.<region>.<name>`).
    pub fn service_name(self) -> &'static str {
        match self {
            Endpoint::Ssm => "ssm",
            Endpoint::Ssmmessages => "ssmmessages",
            Endpoint::Ec2messages => "ec2messages",
            Endpoint::Secretsmanager => "secretsmanager",
            Endpoint::Kms => "kms",
            Endpoint::Logs => "logs",
        }
    }
}

/// When the drill deletes what it created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TeardownPolicy {
    /// Always, whatever the outcome (the default).
    #[default]
    Always,
    /// Only when the drill passed; a failed drill's resources are kept for investigation
    /// (tagged `firedrill:keep-until`, so cleanup removes them later).
    OnSuccess,
    /// Never; the resources are kept until `firedrill cleanup` removes them.
    Never,
}

/// One resource to restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    /// Id of this restore within the scenario, used by `depends_on`, checks and templates.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,39}$"))]
    pub id: String,
    /// The backup to restore from: exactly one kind.
    pub source: RestoreSource,
    /// Restores that must be ready before this one starts (e.g. the app after its database).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Settings of the restored copy that differ from the source's.
    #[serde(default, skip_serializing_if = "Overrides::is_empty")]
    pub overrides: Overrides,
    /// How long the restore may take before the drill gives up on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
}

/// Where a restore comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestoreSource {
    /// An AWS Backup recovery point of an RDS instance, Aurora cluster, EBS volume or EC2
    /// instance.
    AwsBackup(AwsBackupSource),
    /// An RDS DB snapshot.
    RdsSnapshot(RdsSnapshotSource),
    /// An RDS instance restored to a point in time.
    RdsPointInTime(RdsPointInTimeSource),
    /// An Aurora DB cluster snapshot (firedrill adds one instance to the restored cluster).
    AuroraClusterSnapshot(AuroraClusterSnapshotSource),
    /// An Aurora cluster restored to a point in time.
    AuroraPointInTime(AuroraPointInTimeSource),
    /// An EBS snapshot, made into a volume attached to the runner.
    EbsSnapshot(EbsSnapshotSource),
    /// An AMI, launched as an instance in the isolated VPC.
    Ami(AmiSource),
}

/// An AWS Backup recovery point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsBackupSource {
    /// The backup vault holding the recovery point.
    pub vault: String,
    /// ARN of the protected resource (RDS instance, Aurora cluster, EBS volume, EC2
    /// instance); its kind decides how it is restored. Not needed with an explicit
    /// recovery point ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "protected-resource-arn"))]
    pub resource_arn: Option<String>,
    /// Which recovery point: `latest` (default), the newest inside a window, or an ARN.
    #[serde(default)]
    pub recovery_point: RecoveryPointSelector,
    /// The IAM role AWS Backup restores with; default: the drill restore role the
    /// deployment recipes install, `role/firedrill-restore/firedrill-restore` (its policy,
    /// docs/iam-restore-role.json, confines where copies go). Preflight checks it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "iam-role-arn"))]
    pub restore_role: Option<String>,
}

/// Which AWS Backup recovery point to restore.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryPointSelector {
    /// The newest completed recovery point of the resource.
    #[default]
    Latest,
    /// The newest completed recovery point created inside this window.
    Window(TimeWindow),
    /// This recovery point.
    Arn(#[schemars(extend("format" = "recovery-point-arn"))] String),
}

/// A window of time, both ends included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// Start, RFC 3339 (e.g. `2026-11-01T00:00:00Z`).
    #[schemars(extend("format" = "date-time"))]
    pub from: String,
    /// End, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub to: String,
}

/// An RDS DB snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RdsSnapshotSource {
    /// The source DB instance identifier; needed for `snapshot: latest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// `latest` (the newest available snapshot of `instance`, manual or automated) or a
    /// snapshot identifier or ARN.
    #[serde(default = "latest")]
    pub snapshot: String,
}

/// An RDS instance restored to a point in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RdsPointInTimeSource {
    /// The source DB instance identifier.
    pub instance: String,
    /// `latest` (the latest restorable time) or an RFC 3339 timestamp.
    #[serde(default = "latest")]
    #[schemars(extend("format" = "latest-or-date-time"))]
    pub time: String,
}

/// An Aurora DB cluster snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuroraClusterSnapshotSource {
    /// The source DB cluster identifier; needed for `snapshot: latest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `latest` or a cluster snapshot identifier or ARN.
    #[serde(default = "latest")]
    pub snapshot: String,
}

/// An Aurora cluster restored to a point in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuroraPointInTimeSource {
    /// The source DB cluster identifier.
    pub cluster: String,
    /// `latest` (the latest restorable time) or an RFC 3339 timestamp.
    #[serde(default = "latest")]
    #[schemars(extend("format" = "latest-or-date-time"))]
    pub time: String,
}

/// An EBS snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EbsSnapshotSource {
    /// The source volume id; needed for `snapshot: latest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^vol-[0-9a-f]{8,17}$"))]
    pub volume: Option<String>,
    /// `latest` (the newest completed snapshot of `volume`) or a snapshot id.
    #[serde(default = "latest")]
    #[schemars(regex(pattern = r"^(latest|snap-[0-9a-f]{8,17})$"))]
    pub snapshot: String,
}

/// An AMI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmiSource {
    /// The image id (`ami-…`).
    #[schemars(regex(pattern = r"^ami-[0-9a-f]{8,17}$"))]
    pub image: String,
}

/// An S3 location for the checks' output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOutput {
    /// The bucket (in the drill's region).
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"))]
    pub s3_bucket: String,
    /// The key prefix; the run id and check id follow it.
    #[serde(default = "default_output_prefix")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9!_.*'()/-]*$"))]
    pub s3_prefix: String,
}

fn default_output_prefix() -> String {
    "firedrill/".to_owned()
}

fn latest() -> String {
    "latest".to_owned()
}

/// Settings of a restored copy that differ from its source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// RDS/Aurora instance class, e.g. `db.t3.medium`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^db\.[a-z0-9-]+\.[a-z0-9]+$"))]
    pub instance_class: Option<String>,
    /// EC2 instance type, e.g. `t3.small`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"))]
    pub instance_type: Option<String>,
    /// KMS key (id, alias or ARN) to encrypt the restored copy with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// DB subnet group to restore into, instead of the one firedrill makes in the
    /// isolated VPC. It must belong to an isolated VPC: preflight verifies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_group: Option<String>,
    /// DB (cluster) parameter group of the restored copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_group: Option<String>,
}

impl Overrides {
    fn is_empty(&self) -> bool {
        self == &Overrides::default()
    }
}

/// The instance checks run on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Runner {
    /// Run checks on a restored EC2 instance (the id of an `ami` or EC2 `aws_backup` restore).
    Restored(String),
    /// Launch a small instance into the isolated VPC for the run.
    Launch(LaunchedRunner),
}

impl Default for Runner {
    fn default() -> Self {
        Runner::Launch(LaunchedRunner::default())
    }
}

/// A runner instance launched for the drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchedRunner {
    /// EC2 instance type.
    #[serde(default = "default_runner_type")]
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"))]
    pub instance_type: String,
    /// An AMI id (`ami-…`) or an SSM public parameter path (`resolve:ssm:/aws/service/…`).
    /// The AMI must carry the SSM agent and the tools the checks use.
    #[serde(default = "default_runner_ami")]
    #[schemars(regex(pattern = r"^(ami-[0-9a-f]{8,17}|resolve:ssm:/aws/service/.+)$"))]
    pub ami: String,
    /// Instance profile name; default: one firedrill creates with
    /// `AmazonSSMManagedInstanceCore` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile: Option<String>,
}

impl Default for LaunchedRunner {
    fn default() -> Self {
        Self {
            instance_type: default_runner_type(),
            ami: default_runner_ami(),
            instance_profile: None,
        }
    }
}

fn default_runner_type() -> String {
    "t3.micro".to_owned()
}

fn default_runner_ami() -> String {
    "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64".to_owned()
}

/// A check run on the restored copies through SSM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Id of the check within the scenario.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,39}$"))]
    pub id: String,
    /// The script, as a path inside the `checks/` folder (e.g. `postgres-row-counts.sh`).
    pub script: String,
    /// Restores this check needs to be ready before it runs.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Environment of the script. Values are templates (`{{ restores.<id>.<output> }}`) or
    /// references to secrets; never inline secrets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, EnvValue>,
    /// How long the check may run.
    #[serde(default = "default_check_timeout")]
    pub timeout: HumanDuration,
    /// What the check's result must look like to pass.
    #[serde(default)]
    pub expect: Expectations,
    /// Distribution packages the script needs on the runner (e.g. `postgresql15`,
    /// `mariadb105`): installed with dnf before the script when missing, from the Amazon
    /// Linux repositories, which the isolated VPC reaches through its S3 gateway endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9+._-]*$")))]
    pub packages: Vec<String>,
    /// Whether recovery is reached only when this check has passed (counts toward RTO).
    #[serde(default = "yes")]
    pub gates_rto: bool,
    /// Whether this check's stdout is the restored data's newest timestamp (RFC 3339):
    /// the measured RPO. At most one per scenario.
    #[serde(default)]
    pub watermark: bool,
}

fn default_check_timeout() -> HumanDuration {
    HumanDuration::from_secs(600)
}

fn yes() -> bool {
    true
}

/// A value of a check's environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// Text, with `{{ restores.<id>.<output> }}` and `{{ run.id }}` templates.
    Template(String),
    /// A secret read on the runner at check time; its value never passes through firedrill.
    Secret(SecretRef),
}

/// Where a secret lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretRef {
    /// A Secrets Manager secret (name or ARN), optionally one JSON key of it.
    SecretsManager(SecretsManagerRef),
    /// An SSM parameter (SecureString) name.
    SsmParameter(#[schemars(regex(pattern = r"^/?[A-Za-z0-9_.\-/]+$"))] String),
}

/// A Secrets Manager secret reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretsManagerRef {
    /// Secret name or ARN.
    pub secret_id: String,
    /// JSON key inside the secret string (e.g. `password`); the whole string if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// What a check's result must look like to pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The exit code that means success.
    #[serde(default)]
    pub exit_code: i32,
    /// A regular expression stdout must match; `^` and `$` anchor at each line, as in grep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "regex"))]
    pub stdout_matches: Option<String>,
    /// Expected values: the script prints `key=value` lines, and each key named here must
    /// have exactly this value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    /// Row-count baselines: the script prints `rows.<table>=<count>` lines.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub row_counts: BTreeMap<String, RowCount>,
    /// A sha256sum-format manifest (inside `checks/`) the restored data is compared
    /// against; the script receives its path as `FIREDRILL_MANIFEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

/// A row-count threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowCount {
    /// At least this many rows.
    AtLeast(u64),
    /// Exactly this many rows.
    Equals(u64),
    /// Within `percent` % of `of` rows.
    Within(Tolerance),
}

/// A count with a tolerance in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// Allowed deviation, in percent of `of`.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub percent: f64,
    /// The baseline count.
    pub of: u64,
}

/// A step done by a person on a game day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualStep {
    /// Id of the step within the scenario.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,39}$"))]
    pub id: String,
    /// What the operator does, in words they can follow under stress.
    #[schemars(length(min = 1))]
    pub instructions: String,
    /// Restores, checks or manual steps that must be done before this step.
    #[serde(default)]
    pub after: Vec<String>,
    /// Checks that wait for this step.
    #[serde(default)]
    pub before: Vec<String>,
}

/// What a restore brings back, which decides how it is restored, observed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    RdsInstance,
    AuroraCluster,
    EbsVolume,
    Ec2Instance,
}

impl ResourceKind {
    /// The outputs a check's environment can name as `{{ restores.<id>.<output> }}`.
    pub fn outputs(self) -> &'static [&'static str] {
        match self {
            ResourceKind::RdsInstance | ResourceKind::AuroraCluster => {
                &["id", "arn", "endpoint", "port", "database", "engine"]
            }
            ResourceKind::EbsVolume => &["id", "arn", "volume_id", "device", "mount_path"],
            ResourceKind::Ec2Instance => &["id", "arn", "instance_id", "private_ip", "private_dns"],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ResourceKind::RdsInstance => "RDS instance",
            ResourceKind::AuroraCluster => "Aurora cluster",
            ResourceKind::EbsVolume => "EBS volume",
            ResourceKind::Ec2Instance => "EC2 instance",
        }
    }

    /// Whether RDS settings (instance class, subnet and parameter groups) apply.
    pub fn is_database(self) -> bool {
        matches!(self, ResourceKind::RdsInstance | ResourceKind::AuroraCluster)
    }
}

impl Scenario {
    /// Whether any restore makes an RDS or Aurora copy (an AWS Backup recovery point of
    /// a kind not known before AWS is asked counts as one: better a subnet group made for
    /// nothing than a database with nowhere to go).
    pub fn restores_databases(&self) -> bool {
        self.restores
            .iter()
            .any(|r| r.source.kind().is_none_or(ResourceKind::is_database))
    }
}

impl RestoreSource {
    /// The kind of resource this source restores to; `None` for an AWS Backup recovery
    /// point whose kind cannot be told without AWS (the validator asks for `resource_arn`).
    pub fn kind(&self) -> Option<ResourceKind> {
        use super::formats::{ProtectedKind, arn};
        match self {
            RestoreSource::AwsBackup(backup) => {
                let from_resource = backup
                    .resource_arn
                    .as_deref()
                    .and_then(arn)
                    .and_then(|a| ProtectedKind::of_arn(&a));
                let from_point = match &backup.recovery_point {
                    RecoveryPointSelector::Arn(point) => {
                        arn(point).and_then(|a| match (a.service, a.resource.split_once([':', '/'])) {
                            ("rds", Some(("snapshot", _))) => Some(ProtectedKind::RdsInstance),
                            ("rds", Some(("cluster-snapshot", _))) => Some(ProtectedKind::AuroraCluster),
                            ("ec2", Some(("snapshot", _))) => Some(ProtectedKind::EbsVolume),
                            ("ec2", Some(("image", _))) => Some(ProtectedKind::Ec2Instance),
                            _ => None,
                        })
                    }
                    _ => None,
                };
                from_resource.or(from_point).map(|k| match k {
                    ProtectedKind::RdsInstance => ResourceKind::RdsInstance,
                    ProtectedKind::AuroraCluster => ResourceKind::AuroraCluster,
                    ProtectedKind::EbsVolume => ResourceKind::EbsVolume,
                    ProtectedKind::Ec2Instance => ResourceKind::Ec2Instance,
                })
            }
            RestoreSource::RdsSnapshot(_) | RestoreSource::RdsPointInTime(_) => Some(ResourceKind::RdsInstance),
            RestoreSource::AuroraClusterSnapshot(_) | RestoreSource::AuroraPointInTime(_) => {
                Some(ResourceKind::AuroraCluster)
            }
            RestoreSource::EbsSnapshot(_) => Some(ResourceKind::EbsVolume),
            RestoreSource::Ami(_) => Some(ResourceKind::Ec2Instance),
        }
    }

    /// The YAML name of this source kind, e.g. `rds_snapshot`.
    pub fn name(&self) -> &'static str {
        match self {
            RestoreSource::AwsBackup(_) => "aws_backup",
            RestoreSource::RdsSnapshot(_) => "rds_snapshot",
            RestoreSource::RdsPointInTime(_) => "rds_point_in_time",
            RestoreSource::AuroraClusterSnapshot(_) => "aurora_cluster_snapshot",
            RestoreSource::AuroraPointInTime(_) => "aurora_point_in_time",
            RestoreSource::EbsSnapshot(_) => "ebs_snapshot",
            RestoreSource::Ami(_) => "ami",
        }
    }
}

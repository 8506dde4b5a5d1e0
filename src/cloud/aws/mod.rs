//! The AWS cloud: `Cloud` on the real SDK clients, one file per concern. Credentials,
//! region, profile and endpoint come from the standard chain (aws-config), so
//! `AWS_PROFILE`, `AWS_REGION`, SSO, instance roles, assume-role and `AWS_ENDPOINT_URL`
//! work as users expect; tests inject clients per service (moto's server, or
//! aws-smithy-mocks where moto lacks an API).

pub mod authorization;
mod backup;
mod calls;
mod cloud;
mod consistency;
mod ec2;
mod errors;
mod guard;
mod iam;
mod network;
mod pace;
mod preflight;
mod rds;
pub mod simulate;
mod ssm;
mod validation;
mod waiter_conformance;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::BehaviorVersion;

pub use backup::{created_resource, restore_metadata, restore_role_arn};
pub use errors::classify;
pub use network::subnet_cidrs;
pub use preflight::PreflightReport;
pub use rds::{cluster_instance_identifier, db_identifier};
pub use ssm::{command_script, output_truncated};

/// The service clients a drill uses, injectable one by one.
#[derive(Clone, Debug)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub backup: aws_sdk_backup::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub kms: aws_sdk_kms::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Clients {
    /// Every client from one configuration.
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            ec2: aws_sdk_ec2::Client::new(config),
            rds: aws_sdk_rds::Client::new(config),
            backup: aws_sdk_backup::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            s3: aws_sdk_s3::Client::new(config),
        }
    }
}

/// How long the AWS cloud waits, and how often it looks: owned by the caller, so that
/// tests against moto need not wait as long as real AWS takes.
#[derive(Clone, Debug)]
pub struct Waits {
    /// Between two looks at something that is changing (a command, a deletion).
    pub poll: Duration,
    /// How long a deletion may take to finish before teardown moves on (DB instances
    /// and clusters take minutes).
    pub deletion: Duration,
    /// The least time between two observation calls to one service (a round that needs
    /// two RDS calls takes its second turn this much later).
    pub per_service: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            deletion: Duration::from_secs(30 * 60),
            per_service: Duration::from_secs(1),
        }
    }
}

/// An AWS account in one region.
#[derive(Debug)]
pub struct AwsCloud {
    clients: Clients,
    /// Every call the clients make, counted for the result.
    calls: calls::CallCounter,
    region: String,
    waits: Waits,
    /// Observation calls, at most one a `waits.per_service` to each service.
    pace: pace::Pace,
    /// The AWS-managed network interfaces of endpoints being deleted, by endpoint id:
    /// awaited (never deleted) before the subnets and the security group go.
    managed_interfaces: Mutex<BTreeMap<String, Vec<String>>>,
    /// What the run asked of each AWS Backup job started here: what it creates is tagged
    /// with its tags when it completes, and an Aurora copy's instance made as asked.
    job_tags: Mutex<BTreeMap<String, backup::StartedJob>>,
    /// Restored Aurora clusters still to get their instance, once available (rds.rs).
    awaited_instances: Mutex<BTreeMap<String, AwaitedInstance>>,
    /// The account the clients act in, once asked.
    account: Mutex<Option<String>>,
    /// Restored volumes attached to the runner so far, by volume id, with their device.
    attached: Mutex<BTreeMap<String, String>>,
    /// Where SSM writes the checks' whole output, if the scenario says.
    check_output: Option<crate::scenario::CheckOutput>,
}

/// The standard configuration chain (environment, profiles, SSO, instance roles,
/// `AWS_ENDPOINT_URL`), with the region and profile the flags give, else the chain's.
/// Every client firedrill makes starts here; callers add their retry policy.
pub fn config_loader(region: Option<&str>, profile: Option<&str>) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader
}

/// The instance a restored Aurora cluster gets once it is available.
#[derive(Debug, Clone)]
struct AwaitedInstance {
    engine: String,
    overrides: crate::scenario::Overrides,
    tags: crate::cloud::Tags,
}

impl AwsCloud {
    /// Clients from the standard configuration chain, for `region` (else the chain's),
    /// with adaptive retries for throttling (never the SDK waiters), optionally through
    /// an assumed role (cross-account drills).
    pub async fn from_env(
        region: Option<&str>,
        profile: Option<&str>,
        assume_role: Option<&str>,
    ) -> Result<Self, String> {
        let loader = || config_loader(region, profile).retry_config(aws_config::retry::RetryConfig::adaptive());
        let mut config = loader().load().await;
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or("no AWS region: set it in the scenario, with --region, or AWS_REGION")?;
        if let Some(role) = assume_role {
            let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name("firedrill")
                .configure(&config)
                .build()
                .await;
            config = loader().credentials_provider(provider).load().await;
        }
        Ok(Self::from_clients(Clients::from_config(&config), &region))
    }

    /// An account on given clients (tests: moto, mocks).
    pub fn from_clients(clients: Clients, region: &str) -> Self {
        let calls = calls::CallCounter::default();
        Self {
            clients: calls.counting(clients),
            calls,
            region: region.to_owned(),
            pace: pace::Pace::new(Waits::default().per_service),
            waits: Waits::default(),
            managed_interfaces: Mutex::new(BTreeMap::new()),
            job_tags: Mutex::new(BTreeMap::new()),
            awaited_instances: Mutex::new(BTreeMap::new()),
            account: Mutex::new(None),
            attached: Mutex::new(BTreeMap::new()),
            check_output: None,
        }
    }

    /// The API calls made so far, by `service:Operation`.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        self.calls.counts()
    }

    /// The same account, waiting and looking as `waits` says.
    pub fn with_waits(mut self, waits: Waits) -> Self {
        self.pace = pace::Pace::new(waits.per_service);
        self.waits = waits;
        self
    }

    /// The same account, with SSM writing the checks' whole output to `output`.
    pub fn with_check_output(mut self, output: Option<crate::scenario::CheckOutput>) -> Self {
        self.check_output = output;
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }
}

/// `name` if it fits in `max` characters; else its start and a hash of the whole, so that
/// two long names that share a start still differ (a cut name could be another run's).
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let hash = crate::stable_hash::fnv1a(name);
    let suffix = format!("-{:012x}", hash & 0xffff_ffff_ffff);
    let mut start: String = name.chars().take(max - suffix.len()).collect();
    while start.ends_with('-') {
        start.pop();
    }
    format!("{start}{suffix}")
}

/// An SDK timestamp as a jiff one.
fn timestamp(value: Option<&aws_sdk_ec2::primitives::DateTime>) -> Option<jiff::Timestamp> {
    let value = value?;
    jiff::Timestamp::new(value.secs(), value.subsec_nanos() as i32).ok()
}

/// A jiff timestamp as an SDK one.
fn sdk_time(value: jiff::Timestamp) -> aws_sdk_ec2::primitives::DateTime {
    aws_sdk_ec2::primitives::DateTime::from_secs_and_nanos(value.as_second(), value.subsec_nanosecond().max(0) as u32)
}

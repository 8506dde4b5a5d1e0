//! The AWS cloud: `Cloud` on the real SDK clients, one file per concern. Credentials,
//! region, profile and endpoint come from the standard chain (aws-config), so
//! `AWS_PROFILE`, `AWS_REGION`, SSO, instance roles and `AWS_ENDPOINT_URL` work as users
//! expect; tests inject clients per service (moto's server, or aws-smithy-mocks).
//!
//! Built so far (issue 5, in progress): the isolated environment (creation tagged at
//! creation, verification, deletion) and the tag guard for EC2 and RDS subnet groups.
//! Restores, the runner and checks are not built yet, so `firedrill run` still refuses
//! `cloud: aws` scenarios.

mod ec2;
mod errors;
mod guard;
mod network;
mod rds;

use aws_config::BehaviorVersion;

pub use errors::classify;
pub use network::subnet_cidrs;
pub use rds::db_identifier;

/// The service clients a drill uses, injectable one by one.
#[derive(Clone, Debug)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
}

/// An AWS account in one region.
#[derive(Clone, Debug)]
pub struct AwsCloud {
    clients: Clients,
    region: String,
}

impl AwsCloud {
    /// Clients from the standard configuration chain, for `region` (else the chain's),
    /// with adaptive retries for throttling (never the SDK waiters).
    pub async fn from_env(region: Option<&str>, profile: Option<&str>) -> Result<Self, String> {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).retry_config(aws_config::retry::RetryConfig::adaptive());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or("no AWS region: set it in the scenario, with --region, or AWS_REGION")?;
        let clients = Clients {
            ec2: aws_sdk_ec2::Client::new(&config),
            rds: aws_sdk_rds::Client::new(&config),
        };
        Ok(Self { clients, region })
    }

    /// An account on given clients (tests: moto, mocks).
    pub fn from_clients(clients: Clients, region: &str) -> Self {
        Self {
            clients,
            region: region.to_owned(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }
}

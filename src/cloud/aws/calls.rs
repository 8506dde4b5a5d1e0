//! Counting the API calls a drill makes, by `service:Operation`, with an interceptor on
//! every client (also on clients injected by tests), so that each result says what its
//! observation cost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

// The smithy types, as every SDK crate re-exports them (they are the same for all).
use aws_sdk_ec2::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ec2::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use super::Clients;

/// The counts, shared by the interceptors of all of a cloud's clients.
#[derive(Clone, Debug, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The same clients, each counting its calls here.
    pub fn counting(&self, clients: Clients) -> Clients {
        macro_rules! counted {
            ($service:ident, $client:expr) => {
                $service::Client::from_conf($client.config().to_builder().interceptor(self.clone()).build())
            };
        }
        Clients {
            ec2: counted!(aws_sdk_ec2, clients.ec2),
            rds: counted!(aws_sdk_rds, clients.rds),
            backup: counted!(aws_sdk_backup, clients.backup),
            ssm: counted!(aws_sdk_ssm, clients.ssm),
            iam: counted!(aws_sdk_iam, clients.iam),
            sts: counted!(aws_sdk_sts, clients.sts),
            kms: counted!(aws_sdk_kms, clients.kms),
            s3: counted!(aws_sdk_s3, clients.s3),
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "firedrill-call-counter"
    }

    // Before transmit: every attempt that goes out counts, retries included.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let call = format!("{}:{}", metadata.service().to_lowercase(), metadata.name());
            *self
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(call)
                .or_default() += 1;
        }
        Ok(())
    }
}

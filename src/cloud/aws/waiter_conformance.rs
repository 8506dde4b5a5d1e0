//! firedrill's readings of RDS and EC2 states checked against AWS's own: the SDK waiters'
//! acceptors (botocore 1.44.8's `waiters-2.json` for RDS 2014-10-31 and EC2 2016-11-15,
//! vendored in tests/fixtures/waiters/), which every AWS SDK generates its waiters from.
//! Every state a waiter calls success is ready here, every state it calls failure is a
//! failure here; the states firedrill fails on beyond the waiters' are the deliberate
//! differences listed in docs/aws.md ("Status tables and the SDK waiters").

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::cloud::ResourceType;
    use crate::cloud::aws::ec2::{StateVerdict, state_verdict};
    use crate::cloud::aws::rds::{cluster_cannot_come_up, instance_cannot_come_up};

    const RDS: &str = include_str!("../../../tests/fixtures/waiters/rds-2014-10-31.json");
    const EC2: &str = include_str!("../../../tests/fixtures/waiters/ec2-2016-11-15.json");

    /// The (state, expected) of each path acceptor of `waiter` (error acceptors, such as
    /// InstanceRunning's retry on InvalidInstanceID.NotFound, are consistency.rs's).
    fn acceptors(waiters: &str, waiter: &str) -> Vec<(String, String)> {
        let all: Value = serde_json::from_str(waiters).expect("vendored waiters are JSON");
        let listed = all["waiters"][waiter]["acceptors"]
            .as_array()
            .unwrap_or_else(|| panic!("no waiter {waiter}"))
            .clone();
        assert!(!listed.is_empty(), "{waiter} has acceptors");
        listed
            .iter()
            .filter(|a| a["matcher"] != "error")
            .map(|a| {
                (
                    a["state"].as_str().unwrap_or_default().to_owned(),
                    a["expected"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn rds_instance_and_cluster_states_read_as_the_available_waiters_read_them() {
        for (waiter, fails) in [
            ("DBInstanceAvailable", instance_cannot_come_up as fn(&str) -> bool),
            ("DBClusterAvailable", cluster_cannot_come_up),
        ] {
            for (verdict, state) in acceptors(RDS, waiter) {
                match verdict.as_str() {
                    "success" => assert!(state == "available" && !fails(&state), "{waiter}: {state}"),
                    "failure" => assert!(fails(&state), "{waiter} fails on `{state}`; firedrill would wait"),
                    other => panic!("{waiter}: an acceptor state {other}"),
                }
            }
        }
    }

    #[test]
    fn ec2_volume_and_instance_states_read_as_their_waiters_read_them() {
        for (waiter, kind) in [
            ("VolumeAvailable", ResourceType::Volume),
            ("InstanceRunning", ResourceType::Instance),
        ] {
            for (verdict, state) in acceptors(EC2, waiter) {
                let expected = match verdict.as_str() {
                    "success" => StateVerdict::Ready,
                    "failure" => StateVerdict::Failed,
                    other => panic!("{waiter}: an acceptor state {other}"),
                };
                assert_eq!(state_verdict(kind, &state), expected, "{waiter}: `{state}`");
            }
        }
    }

    #[test]
    fn the_deliberate_differences_are_failures_the_waiters_do_not_list() {
        // States firedrill fails on that the waiters leave to their timeout.
        let waiters_fail: Vec<String> = acceptors(RDS, "DBInstanceAvailable")
            .into_iter()
            .filter(|(v, _)| v == "failure")
            .map(|(_, s)| s)
            .collect();
        let extra = [
            "inaccessible-encryption-credentials",
            "inaccessible-encryption-credentials-recoverable",
            "incompatible-create",
            "incompatible-network",
            "incompatible-option-group",
            "insufficient-capacity",
            "restore-error",
            "storage-full",
        ];
        for state in extra {
            assert!(
                instance_cannot_come_up(state) && !waiters_fail.iter().any(|s| s == state),
                "{state}"
            );
        }
        assert_eq!(state_verdict(ResourceType::Volume, "error"), StateVerdict::Failed);
        assert_eq!(state_verdict(ResourceType::Instance, "stopped"), StateVerdict::Failed);
    }
}

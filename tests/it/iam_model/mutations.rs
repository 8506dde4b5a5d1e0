//! The model on the requests the AWS tests recorded (tests/fixtures/iam/recorded.jsonl,
//! written by `FIREDRILL_RECORD_REQUESTS=… cargo test --test it aws_`; see docs/iam.md):
//! the policy set allows every one of them, and removing any statement a drill needs
//! makes the model deny one, named in the output. Runs without moto, in milliseconds.

use serde_json::Value;

use super::{Recorded, denials, derive_all, eval, policy_set};
use crate::support::root;

/// Each recorded test: the companions it was evaluated with and its requests.
fn recorded() -> Vec<(Vec<String>, Vec<Recorded>)> {
    let path = root().join("tests/fixtures/iam/recorded.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("a recorded test");
            let companions = serde_json::from_value(value["companions"].clone()).expect("companions");
            let requests = serde_json::from_value(value["requests"].clone()).expect("requests");
            (companions, requests)
        })
        .collect()
}

/// The denials over every recorded test, with `change` applied to the drill policy.
fn denied_with(change: impl Fn(&mut Value)) -> Vec<String> {
    let mut out = Vec::new();
    for (companions, requests) in recorded() {
        let names: Vec<&str> = companions.iter().map(String::as_str).collect();
        let mut policies: Vec<eval::Policy> = policy_set(&names);
        change(&mut policies[0].document);
        let (derived, problems) = derive_all(&requests);
        assert!(problems.is_empty(), "{problems:#?}");
        out.extend(denials(&policies, &derived));
    }
    out.sort();
    out.dedup();
    out
}

fn statement<'a>(policy: &'a mut Value, sid: &str) -> &'a mut Value {
    policy["Statement"]
        .as_array_mut()
        .expect("statements")
        .iter_mut()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

fn remove_statement(policy: &mut Value, sid: &str) {
    policy["Statement"]
        .as_array_mut()
        .expect("statements")
        .retain(|s| s["Sid"] != sid);
}

fn remove_action(policy: &mut Value, sid: &str, action: &str) {
    let statement = statement(policy, sid);
    match &mut statement["Action"] {
        Value::Array(actions) => actions.retain(|a| a != action),
        single => *single = Value::String("none:Nothing".into()),
    }
}

#[test]
fn the_policy_set_allows_every_recorded_request() {
    let recorded = recorded();
    let requests: usize = recorded.iter().map(|(_, r)| r.len()).sum();
    assert!(requests > 100, "only {requests} requests recorded");
    let denied = denied_with(|_| {});
    assert!(denied.is_empty(), "{denied:#?}");
    println!("{requests} recorded requests of {} tests: all allowed", recorded.len());
}

#[test]
fn removing_a_statement_a_drill_needs_denies_a_recorded_request() {
    type Mutation = (&'static str, Box<dyn Fn(&mut Value)>);
    let mutations: Vec<Mutation> = vec![
        (
            "iam:TagRole",
            Box::new(|p| remove_statement(p, "TagRunnerRolesOnlyWhileCreatingThem")),
        ),
        (
            "route53:AssociateVPCWithHostedZone",
            Box::new(|p| remove_statement(p, "PrivateDnsOfTheDrillsEndpoints")),
        ),
        (
            "the KMS grant statement",
            Box::new(|p| remove_statement(p, "UseCustomerManagedKeysOnlyThroughEbsAndRds")),
        ),
        (
            "the referenced-resource statements of RunInstances",
            Box::new(|p| {
                remove_action(p, "PlaceOnlyIntoTheDrillsOwnNetwork", "ec2:RunInstances");
                remove_statement(p, "LaunchFromAnyImageReadOnly");
            }),
        ),
    ];
    for (removed, change) in mutations {
        let denied = denied_with(change);
        println!("without {removed}: {} denied, e.g. {:?}", denied.len(), denied.first());
        assert!(
            !denied.is_empty(),
            "removing {removed} denied nothing: the model cannot see it"
        );
    }
}

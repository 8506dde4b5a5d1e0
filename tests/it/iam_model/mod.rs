//! The authorization model: for every request the AWS tests send, the authorizations AWS
//! performs (derived by firedrill's own `cloud::aws::authorization` from the request as
//! sent, each action, resource type and condition key checked against the Service
//! Authorization Reference), evaluated against the policy set in docs/ with IAM's
//! documented evaluation logic (`eval`). A legitimate request denied fails the test;
//! `forbidden` holds the requests that must never be allowed.

pub mod eval;
mod forbidden;
mod mutations;
pub mod sar;
pub mod wire;

use firedrill::cloud::aws::authorization::{Authorization, Scope};

use crate::support::root;

/// One request as the tests' recorder saw it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    /// `service:Operation`, from the SDK's operation metadata.
    pub operation: String,
    pub uri: String,
    pub body: String,
    /// The answer's body, where the SDK read one (not for mocked answers).
    pub response: Option<String>,
}

/// moto's account and the tests' region.
pub fn scope() -> Scope {
    Scope::new(crate::moto::REGION, "123456789012")
}

/// A policy file of docs/ (`iam-policy.json`, `iam-cleanup.json`, …).
pub fn policy(file: &str) -> eval::Policy {
    let path = root().join("docs").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    eval::Policy {
        name: file.to_owned(),
        document: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}")),
    }
}

/// The drill identity's policy with the named companions.
pub fn policy_set(companions: &[&str]) -> Vec<eval::Policy> {
    std::iter::once("iam-policy.json")
        .chain(companions.iter().copied())
        .map(policy)
        .collect()
}

/// What the reference says is wrong with one derived authorization, if anything.
fn against_the_reference(auth: &Authorization) -> Option<String> {
    let action = &auth.action;
    if sar::action(action).is_none() {
        return Some(format!("{action} is not an IAM action"));
    }
    let service = action.split(':').next().unwrap_or("");
    let kinds = sar::resource_types(action);
    let kind = if auth.resource == "*" {
        None
    } else {
        let found = kinds.iter().find(|(k, _)| sar::arn_is_of(service, k, &auth.resource));
        match found {
            Some((k, _)) => Some(k.clone()),
            None => return Some(format!("{action} does not authorize a resource like {}", auth.resource)),
        }
    };
    let allowed: Vec<String> = sar::request_keys(action)
        .into_iter()
        .chain(kind.iter().flat_map(|k| sar::resource_keys(action, k)))
        .collect();
    const GLOBAL: [&str; 3] = ["aws:PrincipalAccount", "aws:RequestedRegion", "aws:PrincipalArn"];
    auth.context
        .keys()
        .find(|key| !GLOBAL.contains(&key.as_str()) && !allowed.iter().any(|t| sar::key_matches(t, key)))
        .map(|key| {
            format!(
                "{action} on {}: the reference lists no condition key {key}",
                auth.resource
            )
        })
}

/// Every resource type the reference marks required for an action is among those derived.
fn missing_required(auths: &[Authorization]) -> Vec<String> {
    let mut problems = Vec::new();
    let actions: std::collections::BTreeSet<&str> = auths.iter().map(|a| a.action.as_str()).collect();
    for action in actions {
        let service = action.split(':').next().unwrap_or("");
        let derived: Vec<&Authorization> = auths.iter().filter(|a| a.action == action).collect();
        for (kind, required) in sar::resource_types(action) {
            let present = derived.iter().any(|a| sar::arn_is_of(service, &kind, &a.resource));
            if required && !present {
                problems.push(format!("{action}: the required resource type {kind} is not derived"));
            }
        }
    }
    problems
}

/// The decision of the policy set on one authorization.
pub fn decide(policies: &[eval::Policy], auth: &Authorization) -> eval::Decision {
    decide_parsed(&parse(policies), auth)
}

/// The policies parsed once, for many decisions.
pub fn parse(policies: &[eval::Policy]) -> eval::Parsed {
    eval::Parsed::new(policies, None).unwrap_or_else(|e| panic!("cannot parse the policies: {e}"))
}

/// What `parsed` decides on one derived authorization.
pub fn decide_parsed(parsed: &eval::Parsed, auth: &Authorization) -> eval::Decision {
    let request = eval::Request {
        action: &auth.action,
        resource: &auth.resource,
        context: &auth.context,
    };
    parsed
        .evaluate(&request)
        .unwrap_or_else(|e| panic!("cannot evaluate {auth:?}: {e}"))
}

/// The authorizations of the recorded requests, or what could not be derived.
pub fn derive_all(requests: &[Recorded]) -> (Vec<(String, Vec<Authorization>)>, Vec<String>) {
    let scope = scope();
    let mut world = wire::World::default();
    let mut derived = Vec::new();
    let mut problems = Vec::new();
    for request in requests {
        match wire::derive(&scope, &mut world, request) {
            Ok(auths) => {
                problems.extend(
                    missing_required(&auths)
                        .into_iter()
                        .map(|p| format!("{}: {p}", request.operation)),
                );
                problems.extend(auths.iter().filter_map(against_the_reference));
                derived.push((request.operation.clone(), auths));
            }
            Err(problem) => problems.push(format!("{}: {problem}", request.operation)),
        }
    }
    (derived, problems)
}

/// The denials of the policy set over derived authorizations, one line each.
pub fn denials(policies: &[eval::Policy], derived: &[(String, Vec<Authorization>)]) -> Vec<String> {
    let parsed = parse(policies);
    let mut out = Vec::new();
    for (operation, auths) in derived {
        for auth in auths {
            let decision = decide_parsed(&parsed, auth);
            if !matches!(decision, eval::Decision::Allowed { .. }) {
                out.push(format!(
                    "{operation}: {} on {} is {decision:?}",
                    auth.action, auth.resource
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Asserts that the policy set authorizes every recorded request (see the module doc).
pub fn assert_authorized(requests: &[Recorded], companions: &[&str]) {
    assert!(!requests.is_empty(), "no request was recorded");
    let (derived, problems) = derive_all(requests);
    assert!(problems.is_empty(), "the authorization model: {problems:#?}");
    let denied = denials(&policy_set(companions), &derived);
    assert!(
        denied.is_empty(),
        "docs/iam-policy.json (with {companions:?}) denies legitimate requests: {denied:#?}"
    );
    if let Some(path) = std::env::var_os("FIREDRILL_RECORD_REQUESTS") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("record file");
        let line = serde_json::json!({ "companions": companions, "requests": requests });
        std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()).expect("record");
    }
}

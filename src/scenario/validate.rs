//! The semantic check of a well-formed scenario: references, cycles, files, secrets and
//! values that only make sense together. Every rule runs; every problem is returned.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use regex::Regex;

use super::model::*;
use super::problem::Problem;
use super::template::{self, Reference, Segment};

/// Where the scenario's files live.
pub struct Context<'a> {
    pub checks_dir: &'a Path,
    /// The folder of the scenario file (`sim.data` paths are relative to it).
    pub scenario_dir: &'a Path,
}

/// Every semantic problem of `scenario`, each with the JSON pointer of its field.
pub fn validate(scenario: &Scenario, context: &Context<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    targets(scenario, &mut problems);
    tags(scenario, &mut problems);
    isolation(scenario, &mut problems);
    let ids = unique_ids(scenario, &mut problems);
    for (i, restore) in scenario.restores.iter().enumerate() {
        restore_rules(i, restore, &ids, &mut problems);
    }
    runner(scenario, &ids, &mut problems);
    for (i, check) in scenario.checks.iter().enumerate() {
        check_rules(i, check, &ids, context, &mut problems);
    }
    manual(scenario, &ids, &mut problems);
    watermarks(scenario, &mut problems);
    cycles(scenario, &mut problems);
    sim(scenario, &ids, context, &mut problems);
    problems
}

fn sim(scenario: &Scenario, ids: &Ids<'_>, context: &Context<'_>, problems: &mut Vec<Problem>) {
    let Some(sim) = &scenario.sim else { return };
    if scenario.cloud != CloudKind::Sim {
        problems.push(
            Problem::new("/sim", "`sim` settings apply only to the simulated cloud")
                .hint("add `cloud: sim`, or remove the `sim` block for a real drill"),
        );
    }
    for (id, dir) in &sim.data {
        let pointer = format!("/sim/data/{}", escape(id));
        if !ids.restores.contains_key(id.as_str()) {
            problems.push(unknown_reference(
                pointer.clone(),
                "restore",
                id,
                ids.restores.keys().copied(),
            ));
        }
        if !context.scenario_dir.join(dir).is_dir() {
            problems.push(
                Problem::new(pointer, format!("the folder `{dir}` does not exist"))
                    .hint("give a folder relative to the scenario file"),
            );
        }
    }
    for (i, fault) in sim.faults.iter().enumerate() {
        let Some(target) = &fault.target else { continue };
        let known = ids.restores.contains_key(target.as_str()) || ids.checks.contains(target.as_str());
        if !known {
            let all = ids.restores.keys().chain(ids.checks.iter()).copied();
            problems.push(unknown_reference(
                format!("/sim/faults/{i}/target"),
                "restore or check",
                target,
                all,
            ));
        }
    }
}

/// Every id of the scenario, by kind; one namespace, since `after` may name any of them.
struct Ids<'a> {
    restores: HashMap<&'a str, &'a Restore>,
    checks: HashSet<&'a str>,
    manual: HashSet<&'a str>,
}

fn unique_ids<'a>(scenario: &'a Scenario, problems: &mut Vec<Problem>) -> Ids<'a> {
    let mut seen: HashMap<&str, String> = HashMap::new();
    let restores = scenario
        .restores
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("/restores/{i}/id"), r.id.as_str()));
    let checks = scenario
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("/checks/{i}/id"), c.id.as_str()));
    let manual = scenario
        .manual
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("/manual/{i}/id"), m.id.as_str()));
    for (pointer, id) in restores.chain(checks).chain(manual) {
        if let Some(first) = seen.get(id) {
            problems.push(
                Problem::new(&pointer, format!("the id `{id}` is used twice")).hint(format!(
                    "ids of restores, checks and manual steps must be unique; the first `{id}` is at {}",
                    super::problem::field_name(first)
                )),
            );
        } else {
            seen.insert(id, pointer);
        }
    }
    Ids {
        restores: scenario.restores.iter().map(|r| (r.id.as_str(), r)).collect(),
        checks: scenario.checks.iter().map(|c| c.id.as_str()).collect(),
        manual: scenario.manual.iter().map(|m| m.id.as_str()).collect(),
    }
}

fn targets(scenario: &Scenario, problems: &mut Vec<Problem>) {
    for (name, value) in [("rto", scenario.targets.rto), ("rpo", scenario.targets.rpo)] {
        if value.is_zero() {
            problems.push(
                Problem::new(format!("/targets/{name}"), format!("the {} target is zero", name.to_uppercase()))
                    .hint("no restore is instant and no backup is taken at the moment of the disaster; set the objective your business agreed, e.g. 45m"),
            );
        }
    }
    if scenario.max_duration <= scenario.targets.rto {
        problems.push(
            Problem::new("/max_duration", format!(
                "max_duration ({}) must be longer than the RTO target ({})",
                scenario.max_duration, scenario.targets.rto
            ))
            .hint("max_duration is the whole drill's deadline and lease, including checks and teardown; allow the RTO plus teardown, e.g. twice the RTO"),
        );
    }
}

fn tags(scenario: &Scenario, problems: &mut Vec<Problem>) {
    for key in scenario.tags.keys() {
        let lower = key.to_ascii_lowercase();
        if lower.starts_with("firedrill:") || lower.starts_with("aws:") {
            problems.push(
                Problem::new(format!("/tags/{}", escape(key)), format!("the tag `{key}` uses a reserved prefix"))
                    .hint("`firedrill:` tags are set by firedrill itself (cleanup relies on them) and `aws:` tags by AWS; pick another key"),
            );
        }
    }
    for (key, value) in &scenario.tags {
        inline_secret_value(&format!("/tags/{}", escape(key)), value, problems);
    }
}

fn isolation(scenario: &Scenario, problems: &mut Vec<Problem>) {
    let endpoints = &scenario.isolation.endpoints;
    for needed in [Endpoint::Ssm, Endpoint::Ssmmessages, Endpoint::Ec2messages] {
        if !endpoints.contains(&needed) {
            problems.push(
                Problem::new("/isolation/endpoints", format!("the `{}` endpoint is missing", needed.service_name()))
                    .hint("the isolated VPC has no internet: without ssm, ssmmessages and ec2messages endpoints the runner cannot reach SSM and no check can run"),
            );
        }
    }
    let uses_secrets_manager = scenario
        .checks
        .iter()
        .flat_map(|c| c.env.values())
        .any(|v| matches!(v, EnvValue::Secret(SecretRef::SecretsManager(_))));
    if uses_secrets_manager && !endpoints.contains(&Endpoint::Secretsmanager) {
        problems.push(
            Problem::new(
                "/isolation/endpoints",
                "a check reads a Secrets Manager secret, but there is no `secretsmanager` endpoint",
            )
            .hint("add `secretsmanager` to isolation.endpoints"),
        );
    }
    // "A DB subnet group must contain at least one subnet in at least two Availability
    // Zones" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html).
    if scenario.isolation.az_count < 2 && scenario.restores_databases() {
        problems.push(
            Problem::new(
                "/isolation/az_count",
                "a database restore needs subnets in at least two Availability Zones",
            )
            .hint("RDS and Aurora copies go into a DB subnet group, which spans two zones or more: set az_count: 2 (a drill without databases may use 1)"),
        );
    }
    let mut seen = HashSet::new();
    for (i, endpoint) in endpoints.iter().enumerate() {
        if !seen.insert(endpoint) {
            problems.push(
                Problem::new(
                    format!("/isolation/endpoints/{i}"),
                    format!("the `{}` endpoint is listed twice", endpoint.service_name()),
                )
                .hint("remove the second one"),
            );
        }
    }
}

fn restore_rules(i: usize, restore: &Restore, ids: &Ids<'_>, problems: &mut Vec<Problem>) {
    let at = |field: &str| format!("/restores/{i}{field}");
    for (j, dependency) in restore.depends_on.iter().enumerate() {
        if dependency == &restore.id {
            problems.push(
                Problem::new(
                    at(&format!("/depends_on/{j}")),
                    format!("restore `{}` depends on itself", restore.id),
                )
                .hint("a restore cannot wait for itself; remove it from depends_on"),
            );
        } else if !ids.restores.contains_key(dependency.as_str()) {
            problems.push(unknown_reference(
                at(&format!("/depends_on/{j}")),
                "restore",
                dependency,
                ids.restores.keys().copied(),
            ));
        }
    }
    source_rules(&at("/source"), restore, problems);
    overrides(&at("/overrides"), restore, problems);
    if restore.timeout.is_some_and(|t| t.is_zero()) {
        problems.push(
            Problem::new(at("/timeout"), "a restore timeout of zero would fail every restore")
                .hint("leave it out for the default of its kind, or give e.g. 2h"),
        );
    }
}

fn source_rules(at: &str, restore: &Restore, problems: &mut Vec<Problem>) {
    let latest_without = |kind: &str, owner: &str| {
        Problem::new(
            format!("{at}/{kind}/snapshot"),
            format!("`snapshot: latest` needs the `{owner}` whose newest snapshot to restore"),
        )
        .hint(format!("add `{owner}:` to {kind}, or name the snapshot"))
    };
    match &restore.source {
        RestoreSource::AwsBackup(backup) => {
            if backup.resource_arn.is_none() && restore.source.kind().is_none() {
                let hint = match backup.recovery_point {
                    RecoveryPointSelector::Arn(_) => {
                        "the recovery point ARN does not tell what it restores; add `resource_arn:` of the protected resource"
                    }
                    _ => "`latest` and `window` pick the newest recovery point of a resource; add `resource_arn:`",
                };
                problems.push(Problem::new(format!("{at}/aws_backup"), "aws_backup needs `resource_arn`").hint(hint));
            }
            if let RecoveryPointSelector::Window(window) = &backup.recovery_point {
                time_window(&format!("{at}/aws_backup/recovery_point/window"), window, problems);
            }
        }
        RestoreSource::RdsSnapshot(s) if s.snapshot == "latest" && s.instance.is_none() => {
            problems.push(latest_without("rds_snapshot", "instance"));
        }
        RestoreSource::AuroraClusterSnapshot(s) if s.snapshot == "latest" && s.cluster.is_none() => {
            problems.push(latest_without("aurora_cluster_snapshot", "cluster"));
        }
        RestoreSource::EbsSnapshot(s) if s.snapshot == "latest" && s.volume.is_none() => {
            problems.push(latest_without("ebs_snapshot", "volume"));
        }
        _ => {}
    }
}

fn time_window(at: &str, window: &TimeWindow, problems: &mut Vec<Problem>) {
    let (Ok(from), Ok(to)) = (
        window.from.parse::<jiff::Timestamp>(),
        window.to.parse::<jiff::Timestamp>(),
    ) else {
        return; // the schema check already reported the malformed end
    };
    if from > to {
        problems.push(
            Problem::new(
                format!("{at}/to"),
                format!("the window ends ({to}) before it starts ({from})"),
            )
            .hint("swap `from` and `to`"),
        );
    }
}

fn overrides(at: &str, restore: &Restore, problems: &mut Vec<Problem>) {
    if restore.overrides.subnet_group.is_some() {
        problems.push(
            Problem::new(format!("{at}/subnet_group"), "restoring into a subnet group of your own is not supported yet")
                .hint("firedrill cannot yet verify that a given subnet group is isolated from production and the internet, so it restores only into the VPC it makes; remove `subnet_group`"),
        );
    }
    let Some(kind) = restore.source.kind() else { return };
    let o = &restore.overrides;
    let database_only = [
        ("instance_class", o.instance_class.is_some()),
        ("subnet_group", o.subnet_group.is_some()),
        ("parameter_group", o.parameter_group.is_some()),
    ];
    for (name, set) in database_only {
        if set && !kind.is_database() {
            problems.push(
                Problem::new(
                    format!("{at}/{name}"),
                    format!(
                        "`{name}` applies to RDS and Aurora restores, not to a {}",
                        kind.describe()
                    ),
                )
                .hint(if kind == ResourceKind::Ec2Instance {
                    "for an EC2 instance use `instance_type`"
                } else {
                    "remove it"
                }),
            );
        }
    }
    // RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime take no
    // KmsKeyId (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html):
    // the copy keeps its snapshot's key. Nor do RunInstances from an AMI or AWS Backup's
    // EC2 restore metadata. Said, rather than ignored.
    if o.kms_key.is_some() && matches!(kind, ResourceKind::RdsInstance | ResourceKind::Ec2Instance) {
        let (what, hint) = if kind == ResourceKind::RdsInstance {
            (
                "an RDS instance restore",
                "RDS restores a DB instance with its snapshot's own key: copy the snapshot with the key you want (CopyDBSnapshot with KmsKeyId) and drill that copy, or remove `kms_key`",
            )
        } else {
            (
                "an EC2 instance restore",
                "an instance's volumes keep its image's or backup's keys: remove `kms_key`",
            )
        };
        problems.push(Problem::new(format!("{at}/kms_key"), format!("`kms_key` cannot re-key {what}")).hint(hint));
    }
    if o.instance_type.is_some() && kind != ResourceKind::Ec2Instance {
        let hint = if kind.is_database() {
            "for a database use `instance_class`, e.g. db.t3.medium"
        } else {
            "remove it"
        };
        problems.push(
            Problem::new(
                format!("{at}/instance_type"),
                format!("`instance_type` applies to EC2 instances, not to a {}", kind.describe()),
            )
            .hint(hint),
        );
    }
}

fn runner(scenario: &Scenario, ids: &Ids<'_>, problems: &mut Vec<Problem>) {
    let Runner::Restored(id) = &scenario.runner else { return };
    match ids.restores.get(id.as_str()) {
        None => problems.push(unknown_reference(
            "/runner/restored".to_owned(),
            "restore",
            id,
            ids.restores.keys().copied(),
        )),
        Some(restore) => match restore.source.kind() {
            Some(ResourceKind::Ec2Instance) => {}
            other => problems.push(
                Problem::new(
                    "/runner/restored",
                    format!(
                        "the runner must be an EC2 instance, but `{id}` restores {}",
                        other.map_or("an unknown kind of resource", |k| k.describe())
                    ),
                )
                .hint("name an `ami` or EC2 `aws_backup` restore, or use `runner: {launch: {}}`"),
            ),
        },
    }
}

fn check_rules(i: usize, check: &Check, ids: &Ids<'_>, context: &Context<'_>, problems: &mut Vec<Problem>) {
    let at = |field: &str| format!("/checks/{i}{field}");
    for (j, need) in check.needs.iter().enumerate() {
        if !ids.restores.contains_key(need.as_str()) {
            problems.push(unknown_reference(
                at(&format!("/needs/{j}")),
                "restore",
                need,
                ids.restores.keys().copied(),
            ));
        }
    }
    script_file(&at("/script"), &check.script, "script", context, problems);
    if let Some(manifest) = &check.expect.manifest {
        script_file(&at("/expect/manifest"), manifest, "manifest", context, problems);
    }
    for name in check.env.keys().filter(|name| !is_variable_name(name)) {
        problems.push(
            Problem::new(
                at(&format!("/env/{}", escape(name))),
                format!("`{name}` is not a valid environment variable name"),
            )
            .hint("use letters, digits and `_`, not starting with a digit, e.g. PGHOST"),
        );
    }
    for (name, value) in &check.env {
        env_value(
            &at(&format!("/env/{}", escape(name))),
            name,
            value,
            check,
            ids,
            problems,
        );
    }
    if check.timeout.is_zero() {
        problems.push(
            Problem::new(at("/timeout"), "a check timeout of zero would fail the check")
                .hint("give the check time to run, e.g. 5m"),
        );
    }
}

fn script_file(pointer: &str, path: &str, what: &str, context: &Context<'_>, problems: &mut Vec<Problem>) {
    let relative = Path::new(path);
    let escapes = relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)));
    if escapes {
        problems.push(
            Problem::new(
                pointer,
                format!("the {what} `{path}` is not a plain path inside the checks folder"),
            )
            .hint(format!(
                "name it relative to {}, without `..` or a leading `/`",
                context.checks_dir.display()
            )),
        );
        return;
    }
    let full = context.checks_dir.join(relative);
    if !full.is_file() {
        problems.push(
            Problem::new(
                pointer,
                format!("the {what} `{path}` does not exist in {}", context.checks_dir.display()),
            )
            .hint("check the spelling, or point --checks-dir at the folder that holds it"),
        );
    }
}

fn env_value(pointer: &str, name: &str, value: &EnvValue, check: &Check, ids: &Ids<'_>, problems: &mut Vec<Problem>) {
    let EnvValue::Template(text) = value else { return };
    // The literal part is what a template does not fill in: a secret there is inline.
    let literal: String = template::parse(text)
        .map(|segments| {
            segments
                .into_iter()
                .filter_map(|s| if let Segment::Text(t) = s { Some(t) } else { None })
                .collect()
        })
        .unwrap_or_default();
    if looks_secret(name) && !literal.trim().is_empty() {
        problems.push(
            Problem::new(pointer, format!("`{name}` holds a secret written inline"))
                .hint("secrets never go in scenario files: use `{secrets_manager: {secret_id: …, key: password}}` or `{ssm_parameter: /path}`"),
        );
        return;
    }
    inline_secret_value(pointer, text, problems);
    let segments = match template::parse(text) {
        Ok(segments) => segments,
        Err(message) => {
            problems.push(
                Problem::new(pointer, message)
                    .hint("templates look like `{{ restores.<id>.<output> }}` or `{{ run.id }}`"),
            );
            return;
        }
    };
    for segment in segments {
        let Segment::Ref(Reference::Restore { id, output }) = segment else {
            continue;
        };
        let Some(restore) = ids.restores.get(id.as_str()) else {
            problems.push(unknown_reference(
                pointer.to_owned(),
                "restore",
                &id,
                ids.restores.keys().copied(),
            ));
            continue;
        };
        if !check.needs.contains(&id) {
            problems.push(
                Problem::new(
                    pointer,
                    format!(
                        "`{name}` uses restore `{id}`, which check `{}` does not list in `needs`",
                        check.id
                    ),
                )
                .hint(format!("add `{id}` to the check's `needs`, so the check waits for it")),
            );
        }
        if let Some(kind) = restore.source.kind()
            && !kind.outputs().contains(&output.as_str())
        {
            problems.push(
                Problem::new(
                    pointer,
                    format!("restore `{id}` ({}) has no output `{output}`", kind.describe()),
                )
                .hint(format!("restore `{id}` offers: {}", kind.outputs().join(", "))),
            );
        }
    }
}

/// A name a shell accepts for a variable: the script reads it as `$NAME`.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names of variables that carry secrets.
fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "private_key",
        "credential",
    ]
    .iter()
    .any(|word| lower.contains(word))
        // Short words only as whole parts of the name (`DB_PASS`, not `BYPASS_CACHE`).
        || lower.split(['_', '-', '.']).any(|part| matches!(part, "pass" | "pw" | "pat"))
}

/// Values that are secrets whatever their name: AWS access keys and private keys.
fn inline_secret_value(pointer: &str, value: &str, problems: &mut Vec<Problem>) {
    static PATTERN: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|(?i)aws_secret_access_key\s*[=:]|://[^/\s:@]+:[^/\s@]+@").expect("valid regex")
    });
    if PATTERN.is_match(value) {
        problems.push(
            Problem::new(
                pointer,
                "this value contains a credential (an AWS key, a private key, or a password in a URL)",
            )
            .hint(
                "remove it from the file and rotate it; reference secrets with `secrets_manager:` or `ssm_parameter:`",
            ),
        );
    }
}

fn manual(scenario: &Scenario, ids: &Ids<'_>, problems: &mut Vec<Problem>) {
    for (i, step) in scenario.manual.iter().enumerate() {
        for (j, after) in step.after.iter().enumerate() {
            let known = ids.restores.contains_key(after.as_str())
                || ids.checks.contains(after.as_str())
                || ids.manual.contains(after.as_str());
            if !known {
                let all = ids
                    .restores
                    .keys()
                    .chain(ids.checks.iter())
                    .chain(ids.manual.iter())
                    .copied();
                problems.push(unknown_reference(
                    format!("/manual/{i}/after/{j}"),
                    "restore, check or manual step",
                    after,
                    all,
                ));
            }
        }
        for (j, before) in step.before.iter().enumerate() {
            if !ids.checks.contains(before.as_str()) {
                problems.push(unknown_reference(
                    format!("/manual/{i}/before/{j}"),
                    "check",
                    before,
                    ids.checks.iter().copied(),
                ));
            }
        }
    }
}

fn watermarks(scenario: &Scenario, problems: &mut Vec<Problem>) {
    let marked: Vec<usize> = scenario
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.watermark)
        .map(|(i, _)| i)
        .collect();
    for &i in marked.iter().skip(1) {
        problems.push(
            Problem::new(
                format!("/checks/{i}/watermark"),
                "only one check can be the watermark check",
            )
            .hint(format!(
                "the RPO is measured from one timestamp; `{}` is already the watermark check",
                scenario.checks[marked[0]].id
            )),
        );
    }
}

/// Cycles in the order of restores, checks and manual steps, each reported once.
fn cycles(scenario: &Scenario, problems: &mut Vec<Problem>) {
    let mut edges: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (i, r) in scenario.restores.iter().enumerate() {
        edges.insert(
            r.id.clone(),
            (format!("/restores/{i}/depends_on"), r.depends_on.clone()),
        );
    }
    for (i, c) in scenario.checks.iter().enumerate() {
        let gated_by = scenario
            .manual
            .iter()
            .filter(|m| m.before.contains(&c.id))
            .map(|m| m.id.clone());
        edges.insert(
            c.id.clone(),
            (
                format!("/checks/{i}/needs"),
                c.needs.iter().cloned().chain(gated_by).collect(),
            ),
        );
    }
    for (i, m) in scenario.manual.iter().enumerate() {
        edges.insert(m.id.clone(), (format!("/manual/{i}/after"), m.after.clone()));
    }
    let graph: BTreeMap<&str, Vec<&str>> = edges
        .iter()
        .map(|(k, (_, v))| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    for cycle in find_cycles(&graph) {
        let first = cycle[0];
        let path = cycle
            .iter()
            .chain(std::iter::once(&first))
            .copied()
            .collect::<Vec<_>>()
            .join(" → ");
        problems.push(
            Problem::new(&edges[first].0, format!("`{first}` waits for itself: {path}"))
                .hint("a drill's steps must form a chain without loops; remove one of these dependencies"),
        );
    }
}

/// The elementary cycles found by depth-first search, each once, starting at its
/// smallest id. Self-loops are left to the rules that word them better.
pub fn find_cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
        found: &mut Vec<Vec<&'a str>>,
    ) {
        if let Some(start) = stack.iter().position(|n| *n == node) {
            let mut cycle = stack[start..].to_vec();
            if cycle.len() > 1 {
                let min = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map_or(0, |(i, _)| i);
                cycle.rotate_left(min);
                if !found.contains(&cycle) {
                    found.push(cycle);
                }
            }
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if graph.contains_key(next) {
                visit(next, graph, stack, done, found);
            }
        }
        stack.pop();
        done.insert(node);
    }
    let mut found = Vec::new();
    let mut done = HashSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn unknown_reference<'a>(pointer: String, what: &str, name: &str, known: impl Iterator<Item = &'a str>) -> Problem {
    let mut known: Vec<&str> = known.collect();
    known.sort_unstable();
    let close = known
        .iter()
        .find(|k| strsim::damerau_levenshtein(name, k) <= (name.len().max(k.len()) / 3).max(1));
    let hint = match (close, known.is_empty()) {
        (Some(close), _) => format!("did you mean `{close}`?"),
        (None, true) => format!("this scenario has no {what} yet"),
        (None, false) => format!("known: {}", known.join(", ")),
    };
    Problem::new(pointer, format!("there is no {what} `{name}`")).hint(hint)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_cycle_once() {
        let graph: BTreeMap<&str, Vec<&str>> = [
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec!["a"]),
            ("d", vec!["a"]),
            ("e", vec!["e"]),
        ]
        .into_iter()
        .collect();
        assert_eq!(find_cycles(&graph), vec![vec!["a", "b", "c"]]);
    }

    #[test]
    fn acyclic_graphs_have_no_cycles() {
        let graph: BTreeMap<&str, Vec<&str>> = [("a", vec![]), ("b", vec!["a"]), ("c", vec!["a", "b"])]
            .into_iter()
            .collect();
        assert!(find_cycles(&graph).is_empty());
    }

    #[test]
    fn secret_names() {
        assert!(looks_secret("PGPASSWORD"));
        assert!(looks_secret("api_token"));
        assert!(!looks_secret("PGHOST"));
        assert!(is_variable_name("PG_HOST2") && is_variable_name("_x"));
        assert!(!is_variable_name("2FA") && !is_variable_name("PG-HOST") && !is_variable_name(""));
    }
}

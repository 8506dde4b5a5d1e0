//! The deployment recipes in deploy/ stay true to the binary and to the policies: each
//! one's firedrill command line parses (flags, shard, notification targets), every IAM
//! policy the CloudFormation template installs is its docs/iam-*.json file verbatim (the
//! bucket and the topic filled in), every docs/iam-*.json file is installed or listed
//! here with the reason it is not, the policies fit IAM's size quotas, and the image
//! runs as non-root. (cfn-lint, hadolint, the workflow schema, systemd-analyze and
//! parliament check the files themselves in .ci/run.)

use clap::Parser;
use firedrill::cli::{Cli, Command};
use serde_json::Value;

use crate::support::root;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn template() -> serde_json::Value {
    serde_saphyr::from_str(&read("deploy/cloudformation/firedrill-scheduled.yaml")).expect("the template is YAML")
}

/// What the template's `Ref`s and `${…}`s stand for, and which branch of an `Fn::If` is
/// taken (1: the stack that creates the bucket and the topic, 2: a stack given them).
struct Names {
    refs: &'static [(&'static str, &'static str)],
    branch: usize,
    /// Any other `Ref` or `Fn::GetAtt` stands for a value of 300 characters (for sizes).
    lenient: bool,
}

/// The commands, as the first shard's stack runs them.
const COMMANDS: Names = Names {
    refs: &[
        ("HistoryBucket", "evidence-bucket"),
        ("Shard", "2/3"),
        ("NotifyTopic", "arn:aws:sns:eu-west-1:123456789012:firedrill"),
        ("NotifyOn", "failure"),
        ("AWS::Region", "eu-west-1"),
    ],
    branch: 1,
    lenient: false,
};

/// The policies, with the bucket and the topic back to the docs' placeholders: the docs
/// name YOUR-HISTORY-BUCKET and the SNS topics `firedrill-*`; the stack names its own
/// bucket and its one topic, or the ones another shard's stack was given.
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("HistoryBucket", "YOUR-HISTORY-BUCKET"),
    ("HistoryBucketName", "YOUR-HISTORY-BUCKET"),
    ("NotifyTopic", "arn:aws:sns:*:*:firedrill-*"),
    ("NotifyTopicArn", "arn:aws:sns:*:*:firedrill-*"),
    ("AWS::Partition", "aws"),
];
const FIRST_SHARD: Names = Names {
    refs: PLACEHOLDERS,
    branch: 1,
    lenient: false,
};
const OTHER_SHARDS: Names = Names {
    refs: PLACEHOLDERS,
    branch: 2,
    lenient: false,
};
/// For IAM's size quotas: every name at least as long as any value it can take (a bucket
/// name has at most 63 characters, an SNS topic's ARN about 300).
const LONGEST: Names = Names {
    refs: &[],
    branch: 1,
    lenient: true,
};

impl Names {
    fn get(&self, name: &str) -> String {
        match self.refs.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => (*value).to_owned(),
            None if self.lenient => "x".repeat(300),
            None => panic!("an unexpected reference in the template: {name}"),
        }
    }

    /// `Fn::Sub` text: `${Name}` from `vars`, else from the names; `${!Literal}` stays.
    fn substitute(&self, text: &str, vars: Option<&serde_json::Map<String, Value>>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("a closed ${…}") + start;
            let name = &rest[start + 2..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(var) = vars.and_then(|v| v.get(name)) {
                out.push_str(&self.resolve(var));
            } else {
                out.push_str(&self.get(name));
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A CloudFormation value with its intrinsics replaced by what they stand for.
    fn resolve(&self, value: &Value) -> String {
        if let Some(text) = value.as_str() {
            return text.to_owned();
        }
        if let Some(branches @ [_, _, _]) = value.get("Fn::If").and_then(|v| v.as_array()).map(Vec::as_slice) {
            return self.resolve(&branches[self.branch]);
        }
        if let Some([template, vars]) = value.get("Fn::Sub").and_then(|v| v.as_array()).map(Vec::as_slice) {
            return self.substitute(template.as_str().unwrap(), Some(vars.as_object().unwrap()));
        }
        if let Some(sub) = value.get("Fn::Sub").and_then(|s| s.as_str()) {
            return self.substitute(sub, None);
        }
        if let Some(name) = value.get("Ref").and_then(|r| r.as_str()) {
            return self.get(name);
        }
        if self.lenient && value.get("Fn::GetAtt").is_some() {
            return "x".repeat(300);
        }
        panic!("an unexpected value in the template: {value}");
    }

    /// A policy document with every intrinsic in it resolved.
    fn document(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) if map.len() == 1 && map.keys().all(|k| k == "Ref" || k.starts_with("Fn::")) => {
                Value::String(self.resolve(value))
            }
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self.document(v))).collect()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.document(v)).collect()),
            other => other.clone(),
        }
    }
}

/// A CloudFormation value of a command line with its intrinsics replaced.
fn resolved(value: &Value) -> String {
    COMMANDS.resolve(value)
}

fn parses(recipe: &str, args: &[String]) -> Command {
    let line = std::iter::once("firedrill".to_owned()).chain(args.iter().cloned());
    match Cli::try_parse_from(line) {
        Ok(cli) => cli.command,
        Err(error) => panic!("{recipe}: `firedrill {}` does not parse:\n{error}", args.join(" ")),
    }
}

#[test]
fn the_fargate_task_and_the_cleanup_schedule_run_commands_that_parse() {
    let template = template();
    let container = &template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0];
    let args: Vec<String> = container["Command"].as_array().unwrap().iter().map(resolved).collect();
    let Command::Run(run) = parses("the ECS task", &args) else {
        panic!("the task runs drills")
    };
    assert!(run.due, "the scheduled task runs what is due");
    assert_eq!(run.shard.map(|s| (s.index, s.of)), Some((2, 3)));
    assert_eq!(run.notify.len(), 1);
    assert_eq!(run.history.to_string(), "s3://evidence-bucket/history");

    let input = resolved(&template["Resources"]["CleanupSchedule"]["Properties"]["Target"]["Input"]);
    let overrides: serde_json::Value = serde_json::from_str(&input).expect("the cleanup input is JSON");
    let args: Vec<String> = overrides["containerOverrides"][0]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        overrides["containerOverrides"][0]["name"], container["Name"],
        "the override names the container"
    );
    assert!(matches!(parses("the cleanup schedule", &args), Command::Cleanup(_)));
}

#[test]
fn the_task_roles_drill_policy_is_docs_iam_policy_json() {
    let template = template();
    let attached: Vec<&str> = template["Resources"]["TaskRole"]["Properties"]["ManagedPolicyArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| arn["Ref"].as_str().expect("a Ref to a policy of the stack"))
        .collect();
    assert_eq!(
        attached, DRILL_POLICY,
        "the task role holds the drill policy, all of it"
    );
    let in_template = installed(&template, DRILL_POLICY, &FIRST_SHARD);
    let documented: Value = serde_json::from_str(&read("docs/iam-policy.json")).unwrap();
    assert_eq!(
        in_template, documented,
        "regenerate the DrillPolicy* resources from docs/iam-policy.json (its statements, in order, split between them)"
    );
}

/// The drill policy's three managed policies: docs/iam-policy.json is about twice what
/// one managed policy may hold (6,144 characters), so its statements are split, in
/// order, between them.
const DRILL_POLICY: &[&str] = &["DrillPolicy", "DrillPolicyRdsKmsIam", "DrillPolicyRunAndTeardown"];

/// Where the template installs each docs/iam-*.json file: `Resource` is a managed
/// policy's document, `Resource/PolicyName` a role's inline policy; several are one
/// file's statements in order.
const INSTALLED: &[(&str, &[&str])] = &[
    ("docs/iam-policy.json", DRILL_POLICY),
    ("docs/iam-runner-boundary.json", &["RunnerBoundary"]),
    (
        "docs/iam-restore-role.json",
        &["RestoreRole/restore-into-the-drills-network"],
    ),
    ("docs/iam-history-s3.json", &["TaskRole/history-s3"]),
    ("docs/iam-notify.json", &["TaskRole/notify"]),
    ("docs/iam-cleanup.json", &["CleanupTaskRole/cleanup"]),
];

/// The docs/iam-*.json files the template does not install, and why.
const NOT_INSTALLED: &[(&str, &str)] = &[
    (
        "docs/iam-aws-backup-ec2-copies.json",
        "an opt-in add-on: it lets the drill label EC2 and EBS copies AWS Backup restored, at the cost that an \
         untagged volume or instance could be labelled and then deleted; only for teams that drill AWS Backup \
         EC2/EBS recovery points, who attach it to the task role themselves (docs/iam.md)",
    ),
    (
        "docs/iam-history-prune.json",
        "the scheduled task never prunes the history: `firedrill history prune` is run by a person",
    ),
    (
        "docs/iam-report-publish.json",
        "the stack renders no report (its ReportCommand output is run elsewhere); publishing is a CI step",
    ),
    (
        "docs/iam-validate-restore-job.json",
        "the stack creates no EventBridge rule for `validate-restore-job`; whoever wires one (docs/deploy.md) \
         attaches this to the task role that rule starts",
    ),
];

/// Identity policies the template holds that are no docs file, and why.
const TEMPLATE_ONLY: &[(&str, &str)] = &[(
    "SchedulerRole/start-the-drill-task",
    "EventBridge Scheduler's own role: it may start the stack's two task definitions in its cluster and pass \
     their roles to ECS, nothing else",
)];

/// A policy document of the template, by `Resource` or `Resource/PolicyName`.
fn policy_at<'t>(template: &'t Value, place: &str) -> &'t Value {
    let (resource, name) = match place.split_once('/') {
        Some((resource, name)) => (resource, Some(name)),
        None => (place, None),
    };
    let properties = &template["Resources"][resource]["Properties"];
    match name {
        None => &properties["PolicyDocument"],
        Some(name) => {
            let policies = properties["Policies"]
                .as_array()
                .unwrap_or_else(|| panic!("{resource} has no Policies"));
            let policy = policies.iter().find(|p| p["PolicyName"] == name);
            &policy.unwrap_or_else(|| panic!("{resource} has no inline policy {name}"))["PolicyDocument"]
        }
    }
}

/// The policy documents at these places, resolved, their statements joined in order.
fn installed(template: &Value, places: &[&str], names: &Names) -> Value {
    let documents: Vec<Value> = places.iter().map(|p| names.document(policy_at(template, p))).collect();
    for (place, document) in places.iter().zip(&documents) {
        assert!(document.is_object(), "{place}: no policy document");
        assert_eq!(document["Version"], "2012-10-17", "{place}");
    }
    let statements: Vec<Value> = documents
        .iter()
        .flat_map(|d| d["Statement"].as_array().unwrap().iter().cloned())
        .collect();
    serde_json::json!({ "Version": "2012-10-17", "Statement": statements })
}

#[test]
fn every_policy_the_template_installs_is_its_docs_file() {
    let template = template();
    for (file, places) in INSTALLED {
        let documented: Value = serde_json::from_str(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (stack, names) in [
            ("the first shard's stack", &FIRST_SHARD),
            ("another shard's stack", &OTHER_SHARDS),
        ] {
            let in_template = installed(&template, places, names);
            if in_template != documented {
                let ours = in_template["Statement"].as_array().unwrap();
                let theirs = documented["Statement"].as_array().unwrap();
                let first = ours.iter().zip(theirs).position(|(a, b)| a != b);
                panic!(
                    "{places:?} in {stack} is not {file} (first differing statement: {first:?}, {} statements \
                     against {}); copy the file's statements into the template again",
                    ours.len(),
                    theirs.len()
                );
            }
        }
    }
}

#[test]
fn every_docs_iam_policy_is_installed_or_listed_with_a_reason() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("iam-") && name.ends_with(".json"))
        .map(|name| format!("docs/{name}"))
        .collect();
    files.sort();
    assert!(files.len() >= INSTALLED.len(), "{files:?}");
    for file in &files {
        let installed = INSTALLED.iter().any(|(f, _)| f == file);
        let excused = NOT_INSTALLED.iter().any(|(f, _)| f == file);
        assert!(
            installed != excused,
            "{file}: install it in deploy/cloudformation/firedrill-scheduled.yaml (and list it in INSTALLED), \
             or list it in NOT_INSTALLED with the reason (installed: {installed}, listed: {excused})"
        );
    }
    for (file, reason) in NOT_INSTALLED {
        assert!(
            files.contains(&(*file).to_owned()),
            "NOT_INSTALLED names {file}, which is gone"
        );
        assert!(!reason.is_empty());
    }

    // Nothing of a file left out is in the template under another name either.
    let text = read("deploy/cloudformation/firedrill-scheduled.yaml");
    for (file, _) in NOT_INSTALLED {
        let policy: Value = serde_json::from_str(&read(file)).unwrap();
        for statement in policy["Statement"].as_array().unwrap() {
            let sid = statement["Sid"].as_str().unwrap();
            assert!(
                !text.contains(&format!("\"{sid}\"")),
                "{file}'s {sid} is in the template"
            );
        }
    }
}

#[test]
fn every_identity_policy_in_the_template_is_accounted_for() {
    let template = template();
    let mut found = Vec::new();
    for (id, resource) in template["Resources"].as_object().unwrap() {
        match resource["Type"].as_str().unwrap() {
            "AWS::IAM::ManagedPolicy" => found.push(id.clone()),
            "AWS::IAM::Role" => {
                for policy in resource["Properties"]["Policies"].as_array().into_iter().flatten() {
                    found.push(format!("{id}/{}", policy["PolicyName"].as_str().unwrap()));
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::RolePolicy" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                panic!("{id}: a kind of IAM resource this test does not know")
            }
            _ => {}
        }
    }
    let mut known: Vec<String> = INSTALLED
        .iter()
        .flat_map(|(_, places)| places.iter().map(|p| (*p).to_owned()))
        .chain(TEMPLATE_ONLY.iter().map(|(p, _)| (*p).to_owned()))
        .collect();
    found.sort();
    known.sort();
    assert_eq!(
        found, known,
        "every policy the template holds is a docs file or listed in TEMPLATE_ONLY"
    );

    // Managed policies are attached where the docs say: the drill's to the task role only;
    // the cleanup role holds its inline policy and nothing else.
    for (id, resource) in template["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::IAM::Role" {
            continue;
        }
        let arns = resource["Properties"]["ManagedPolicyArns"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match id.as_str() {
            "TaskRole" => assert_eq!(arns.len(), DRILL_POLICY.len()),
            "ExecutionRole" => {
                assert_eq!(arns.len(), 1);
                assert!(
                    FIRST_SHARD
                        .resolve(&arns[0])
                        .ends_with(":policy/service-role/AmazonECSTaskExecutionRolePolicy")
                );
            }
            _ => assert!(arns.is_empty(), "{id} has managed policies {arns:?}"),
        }
    }
}

/// IAM's quotas, which it counts without whitespace: a managed policy holds at most
/// 6,144 characters, and a role's inline policies 10,240 together
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.md).
#[test]
fn the_policies_fit_iams_size_quotas() {
    let template = template();
    let size = |document: &Value| serde_json::to_string(&LONGEST.document(document)).unwrap().len();
    for (id, resource) in template["Resources"].as_object().unwrap() {
        match resource["Type"].as_str().unwrap() {
            "AWS::IAM::ManagedPolicy" => {
                let n = size(&resource["Properties"]["PolicyDocument"]);
                assert!(n <= 6144, "{id}: {n} characters, over the 6,144 of a managed policy");
            }
            "AWS::IAM::Role" => {
                let inline = resource["Properties"]["Policies"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let n: usize = inline.iter().map(|p| size(&p["PolicyDocument"])).sum();
                assert!(
                    n <= 10240,
                    "{id}: {n} characters of inline policies, over the 10,240 of a role"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn the_account_wide_iam_resources_are_guarded_and_named_as_the_code_expects() {
    let template = template();
    let parameter = &template["Parameters"]["CreateAccountWideIamResources"];
    assert_eq!(
        parameter["Default"], "true",
        "one stack in an account creates them by default"
    );
    assert_eq!(
        template["Conditions"]["CreateAccountWideIam"]["Fn::Equals"],
        serde_json::json!([{ "Ref": "CreateAccountWideIamResources" }, "true"])
    );

    let boundary = &template["Resources"]["RunnerBoundary"];
    assert_eq!(boundary["Type"], "AWS::IAM::ManagedPolicy");
    assert_eq!(
        boundary["Condition"], "CreateAccountWideIam",
        "a second stack would collide"
    );
    let name = boundary["Properties"]["ManagedPolicyName"].as_str().unwrap();
    let path = boundary["Properties"]["Path"].as_str().unwrap();
    assert_eq!((path, name), ("/firedrill/", "firedrill-runner-boundary"));
    // The ARN the drill policy requires on every runner role it creates.
    let drill: Value = serde_json::from_str(&read("docs/iam-policy.json")).unwrap();
    let create = drill["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "CreateRunnerRolesOnlyWithTheRunnerBoundary")
        .expect("the drill policy creates runner roles only with the boundary");
    assert_eq!(
        create["Condition"]["StringEquals"]["iam:PermissionsBoundary"],
        format!("arn:aws:iam::${{aws:PrincipalAccount}}:policy{path}{name}")
    );

    let role = &template["Resources"]["RestoreRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert_eq!(
        role["Condition"], "CreateAccountWideIam",
        "a second stack would collide"
    );
    let name = role["Properties"]["RoleName"].as_str().unwrap();
    let path = role["Properties"]["Path"].as_str().unwrap();
    let source = firedrill::scenario::AwsBackupSource {
        vault: "Default".into(),
        resource_arn: None,
        recovery_point: Default::default(),
        restore_role: None,
    };
    assert_eq!(
        format!("arn:aws:iam::123456789012:role{path}{name}"),
        firedrill::cloud::aws::restore_role_arn(&source, "aws", "123456789012"),
        "the stack's restore role is the one a scenario restores with by default"
    );
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_array().unwrap().len(), 1);
    assert_eq!(
        trust[0]["Principal"],
        serde_json::json!({ "Service": "backup.amazonaws.com" })
    );
    assert_eq!(trust[0]["Action"], "sts:AssumeRole");
    assert!(
        role["Properties"]["ManagedPolicyArns"].is_null(),
        "its one policy is docs/iam-restore-role.json"
    );

    let text = read("deploy/cloudformation/firedrill-scheduled.yaml");
    assert!(
        !text.contains("AWSBackupDefaultServiceRole"),
        "the stack's restore role replaces it"
    );
}

#[test]
fn the_cleanup_schedule_runs_with_the_cleanup_policy_only() {
    let template = template();
    let resources = &template["Resources"];
    let target = &resources["CleanupSchedule"]["Properties"]["Target"];
    assert_eq!(
        target["EcsParameters"]["TaskDefinitionArn"]["Ref"],
        "CleanupTaskDefinition"
    );
    let definition = &resources["CleanupTaskDefinition"]["Properties"];
    assert_eq!(
        definition["TaskRoleArn"]["Fn::GetAtt"],
        serde_json::json!(["CleanupTaskRole", "Arn"])
    );
    let container = &definition["ContainerDefinitions"][0];
    assert_eq!(container["Name"], "firedrill");
    let args: Vec<String> = container["Command"].as_array().unwrap().iter().map(resolved).collect();
    assert!(matches!(parses("the cleanup task", &args), Command::Cleanup(_)));
    let policies = resources["CleanupTaskRole"]["Properties"]["Policies"]
        .as_array()
        .unwrap();
    assert_eq!(policies.len(), 1, "docs/iam-cleanup.json and nothing else");

    // The scheduler may start both task definitions and pass both task roles.
    let scheduler = policy_at(&template, "SchedulerRole/start-the-drill-task");
    let statements = scheduler["Statement"].as_array().unwrap();
    let run = statements.iter().find(|s| s["Action"] == "ecs:RunTask").unwrap();
    assert_eq!(
        run["Resource"],
        serde_json::json!([{ "Ref": "TaskDefinition" }, { "Ref": "CleanupTaskDefinition" }])
    );
    let pass = statements.iter().find(|s| s["Action"] == "iam:PassRole").unwrap();
    let roles: Vec<&str> = pass["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Fn::GetAtt"][0].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["ExecutionRole", "TaskRole", "CleanupTaskRole"]);
}

#[test]
fn systemd_cron_and_github_actions_run_commands_that_parse() {
    let service = read("deploy/systemd/firedrill.service");
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/local/bin/firedrill "))
        .expect("an ExecStart");
    let args: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
    assert!(matches!(parses("systemd", &args), Command::Run(r) if r.due));

    let cron = read("deploy/cron/firedrill");
    let line = cron.lines().find(|l| l.starts_with("0 3 ")).expect("a schedule line");
    let command = line
        .split(" firedrill run ")
        .nth(1)
        .expect("firedrill run in the cron line");
    let args: Vec<String> = std::iter::once("run")
        .chain(command.split(" >>").next().unwrap().split_whitespace())
        .map(str::to_owned)
        .collect();
    assert!(matches!(parses("cron", &args), Command::Run(r) if r.due));

    let workflow = read("deploy/github-actions/firedrill.yml");
    let mut checked = 0;
    let commands = workflow
        .lines()
        .map(|l| l.trim().trim_start_matches("run: "))
        .filter(|l| l.starts_with("firedrill "));
    for line in commands {
        let line = line
            .replace("\"$HISTORY\"", "s3://bucket/history")
            .replace("\"$SITE\"", "s3://bucket/site")
            .replace("\"$TOPIC\"", "arn:aws:sns:eu-west-1:123456789012:firedrill")
            .replace("\"$SCENARIO\"", "scenarios/demo.yaml")
            .replace("\"$AWS_REGION\"", "eu-west-1");
        let args: Vec<String> = line.split_whitespace().skip(1).map(str::to_owned).collect();
        parses("GitHub Actions", &args);
        checked += 1;
    }
    assert_eq!(checked, 4, "cleanup, run (two ways) and report");
}

#[test]
fn the_image_runs_as_a_non_root_user_from_a_slim_base() {
    let dockerfile = read("deploy/Dockerfile");
    let stages = dockerfile.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a run stage");
    let user = dockerfile.lines().rfind(|l| l.starts_with("USER ")).expect("a USER");
    assert!(!user.contains("root") && !user.ends_with(" 0"), "{user}");
    assert!(dockerfile.contains("FROM debian:bookworm-slim"));
}

//! The deployment recipes in deploy/ stay true to the binary: each one's firedrill
//! command line parses (flags, shard, notification targets), the CloudFormation task
//! role's drill policy is docs/iam-policy.json verbatim, and the image runs as non-root.
//! (cfn-lint, hadolint, the workflow schema and systemd-analyze check the files
//! themselves in .ci/run.)

use clap::Parser;
use firedrill::cli::{Cli, Command};

use crate::support::root;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn template() -> serde_json::Value {
    serde_saphyr::from_str(&read("deploy/cloudformation/firedrill-scheduled.yaml")).expect("the template is YAML")
}

/// A CloudFormation value with its intrinsics replaced by what they stand for.
fn resolved(value: &serde_json::Value) -> String {
    if let Some(text) = value.as_str() {
        return text.to_owned();
    }
    if let Some([_, created, _]) = value.get("Fn::If").and_then(|v| v.as_array()).map(Vec::as_slice) {
        // The stack that creates the bucket and the topic (the first shard's).
        return resolved(created);
    }
    if let Some([template, vars]) = value.get("Fn::Sub").and_then(|v| v.as_array()).map(Vec::as_slice) {
        let mut text = template.as_str().unwrap().to_owned();
        for (name, var) in vars.as_object().unwrap() {
            text = text.replace(&format!("${{{name}}}"), &resolved(var));
        }
        return text.replace("${AWS::Region}", "eu-west-1");
    }
    if let Some(name) = value.get("Ref").and_then(|r| r.as_str()) {
        return match name {
            "HistoryBucket" => "evidence-bucket".to_owned(),
            "Shard" => "2/3".to_owned(),
            "NotifyTopic" => "arn:aws:sns:eu-west-1:123456789012:firedrill".to_owned(),
            "NotifyOn" => "failure".to_owned(),
            "AWS::Region" => "eu-west-1".to_owned(),
            other => panic!("an unexpected Ref in a command: {other}"),
        };
    }
    if let Some(sub) = value.get("Fn::Sub").and_then(|s| s.as_str()) {
        return sub
            .replace("${HistoryBucket}", "evidence-bucket")
            .replace("${AWS::Region}", "eu-west-1");
    }
    panic!("an unexpected value in a command: {value}");
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
    let in_template = &template["Resources"]["DrillPolicy"]["Properties"]["PolicyDocument"];
    let documented: serde_json::Value = serde_json::from_str(&read("docs/iam-policy.json")).unwrap();
    assert_eq!(
        in_template, &documented,
        "regenerate the DrillPolicy from docs/iam-policy.json"
    );
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

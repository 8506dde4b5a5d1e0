//! Whole drills on the AWS cloud against moto: RDS snapshot, RDS point-in-time, EBS
//! snapshot and AMI restores through the real SDK clients, the runner launched, checks
//! sent through SSM (DescribeInstanceInformation, SendCommand and GetCommandInvocation
//! answered by aws-smithy-mocks: moto lacks them), teardown, then nothing left with the
//! run's tag and production unchanged. AWS Backup restores run on mocked AWS Backup
//! rules whose jobs create their copies in moto, as AWS Backup would.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::operation::get_command_invocation::{GetCommandInvocationError, GetCommandInvocationOutput};
use aws_sdk_ssm::types::{Command, CommandInvocationStatus, InstanceInformation, PingStatus};
use aws_smithy_mocks::{MockResponse, Rule, mock};
use firedrill::cloud::aws::{AwsCloud, Clients, Waits};
use firedrill::cloud::{Cloud, ResourceType, TAG_RUN_ID};
use firedrill::interrupts::Interrupts;
use firedrill::measure::Outcome;
use firedrill::plan;
use firedrill::result::DrillResult;
use firedrill::runner::{self, Reporter, RunOptions};
use firedrill::scenario::{self, LoadedScenario};

use crate::moto;
use crate::support::root;

/// What a check's command prints on the (mocked) runner, by check id.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: CommandInvocationStatus,
    pub exit_code: i32,
    pub stdout: String,
    /// Where the agent wrote the whole output (StandardOutputUrl), when SSM cut it.
    pub url: Option<String>,
}

impl Canned {
    pub fn ok(stdout: &str) -> Self {
        Self {
            status: CommandInvocationStatus::Success,
            exit_code: 0,
            stdout: stdout.to_owned(),
            url: None,
        }
    }
}

/// SSM as the runner's agent would answer: online at once; each command unknown on
/// the first look (InvocationDoesNotExist), in progress on the second, then its canned
/// result.
#[derive(Default)]
pub struct FakeSsm {
    /// How many more DescribeInstanceInformation and GetCommandInvocation calls answer
    /// ThrottlingException.
    pub throttled: u32,
    next: u32,
    commands: BTreeMap<String, (String, u32)>,
    sent: Vec<(String, String)>,
}

pub fn ssm_rules(canned: BTreeMap<String, Canned>) -> (Vec<Rule>, Arc<Mutex<FakeSsm>>) {
    ssm_rules_failing(canned, None)
}

/// SSM answered as `ssm_rules` does, but the first call of `fail` (e.g. `ssm:SendCommand`)
/// answers InternalServerError.
pub fn ssm_rules_failing(canned: BTreeMap<String, Canned>, fail: Option<&str>) -> (Vec<Rule>, Arc<Mutex<FakeSsm>>) {
    let state = Arc::new(Mutex::new(FakeSsm::default()));
    let failing = Arc::new(Mutex::new(fail.map(str::to_owned)));
    let fails = move |operation: &str| {
        let mut failing = failing.lock().unwrap();
        let now = failing.as_deref() == Some(operation);
        if now {
            *failing = None;
        }
        now
    };
    let (fails_online, fails_send, fails_get) = (fails.clone(), fails.clone(), fails);
    let throttling = state.clone();
    let throttle = move || {
        let mut state = throttling.lock().unwrap();
        let now = state.throttled > 0;
        state.throttled = state.throttled.saturating_sub(1);
        now.then(|| {
            aws_sdk_ssm::error::ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build()
        })
    };
    let throttle_online = throttle.clone();
    let online = mock!(aws_sdk_ssm::Client::describe_instance_information).then_compute_response(move |input| {
        if let Some(throttled) = throttle_online() {
            return MockResponse::Error(
                aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationError::generic(
                    throttled,
                ),
            );
        }
        if fails_online("ssm:DescribeInstanceInformation") {
            return MockResponse::Error(
                aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationError::InternalServerError(
                    aws_sdk_ssm::types::error::InternalServerError::builder().message("injected").build(),
                ),
            );
        }
        let ids: Vec<String> = input
            .filters()
            .iter()
            .filter(|f| f.key() == "InstanceIds")
            .flat_map(|f| f.values().to_vec())
            .collect();
        let list = ids
            .into_iter()
            .map(|id| {
                InstanceInformation::builder()
                    .instance_id(id)
                    .ping_status(PingStatus::Online)
                    .build()
            })
            .collect();
        MockResponse::Output(
            aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationOutput::builder()
                .set_instance_information_list(Some(list))
                .build(),
        )
    });
    let sending = state.clone();
    let send = mock!(aws_sdk_ssm::Client::send_command).then_compute_response(move |input| {
        if fails_send("ssm:SendCommand") {
            return MockResponse::Error(
                aws_sdk_ssm::operation::send_command::SendCommandError::InternalServerError(
                    aws_sdk_ssm::types::error::InternalServerError::builder()
                        .message("injected")
                        .build(),
                ),
            );
        }
        let mut state = sending.lock().unwrap();
        state.next += 1;
        let id = format!("cmd-{}", state.next);
        let check = input
            .comment()
            .unwrap_or_default()
            .trim_start_matches("firedrill check ")
            .to_owned();
        let text = input
            .parameters()
            .and_then(|p| p.get("commands"))
            .and_then(|c| c.first().cloned())
            .unwrap_or_default();
        state.sent.push((check.clone(), text));
        state.commands.insert(id.clone(), (check, 0));
        MockResponse::Output(
            aws_sdk_ssm::operation::send_command::SendCommandOutput::builder()
                .command(Command::builder().command_id(id).build())
                .build(),
        )
    });
    let polling = state.clone();
    let get = mock!(aws_sdk_ssm::Client::get_command_invocation).then_compute_response(move |input| {
        if let Some(throttled) = throttle() {
            return MockResponse::Error(GetCommandInvocationError::generic(throttled));
        }
        if fails_get("ssm:GetCommandInvocation") {
            return MockResponse::Error(GetCommandInvocationError::InternalServerError(
                aws_sdk_ssm::types::error::InternalServerError::builder()
                    .message("injected")
                    .build(),
            ));
        }
        let mut state = polling.lock().unwrap();
        let id = input.command_id().unwrap_or_default().to_owned();
        let Some((check, polls)) = state.commands.get_mut(&id) else {
            return MockResponse::Error(GetCommandInvocationError::InvocationDoesNotExist(
                aws_sdk_ssm::types::error::InvocationDoesNotExist::builder().build(),
            ));
        };
        *polls += 1;
        match *polls {
            1 => MockResponse::Error(GetCommandInvocationError::InvocationDoesNotExist(
                aws_sdk_ssm::types::error::InvocationDoesNotExist::builder()
                    .message("not yet")
                    .build(),
            )),
            2 => MockResponse::Output(
                GetCommandInvocationOutput::builder()
                    .status(CommandInvocationStatus::InProgress)
                    .response_code(-1)
                    .build(),
            ),
            _ => {
                let answer = canned.get(check.as_str()).cloned().unwrap_or_else(|| Canned::ok(""));
                MockResponse::Output(
                    GetCommandInvocationOutput::builder()
                        .status(answer.status)
                        .response_code(answer.exit_code)
                        .standard_output_content(answer.stdout)
                        .set_standard_output_url(answer.url)
                        .execution_start_date_time("2026-11-25T12:00:00.000Z")
                        .execution_end_date_time("2026-11-25T12:00:01.000Z")
                        .build(),
                )
            }
        }
    });
    (vec![online, send, get], state)
}

/// "Production": an RDS instance with two snapshots, a volume with a snapshot, and an
/// image; returns the volume and image ids.
pub async fn seed_production(setup: &Clients) -> (String, String) {
    moto::postgres(&setup.rds, "orders-prod")
        .backup_retention_period(7)
        .send()
        .await
        .unwrap();
    setup
        .rds
        .create_db_snapshot()
        .db_instance_identifier("orders-prod")
        .db_snapshot_identifier("orders-prod-nightly")
        .send()
        .await
        .unwrap();
    let zone = setup
        .ec2
        .describe_availability_zones()
        .send()
        .await
        .unwrap()
        .availability_zones()[0]
        .zone_name()
        .unwrap()
        .to_owned();
    let volume = setup
        .ec2
        .create_volume()
        .availability_zone(&zone)
        .size(8)
        .send()
        .await
        .unwrap();
    let volume = volume.volume_id().unwrap().to_owned();
    setup
        .ec2
        .create_snapshot()
        .volume_id(&volume)
        .description("nightly")
        .send()
        .await
        .unwrap();
    // Filtered: moto holds 1,301 AMIs in us-east-1, and rendering them all takes a second.
    let images = setup
        .ec2
        .describe_images()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("name")
                .values("al2023-ami-2023*")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let image = images
        .images()
        .iter()
        .find(|i| i.state().map(|s| s.as_str()) == Some("available") && i.creation_date().is_some())
        .and_then(|i| i.image_id())
        .expect("moto has images")
        .to_owned();
    (volume, image)
}

/// Production, normalised: what firedrill must never change (ids, configuration, tags,
/// state), read with the test's own clients.
pub async fn production(setup: &Clients) -> String {
    let rds = &setup.rds;
    let instances = rds.describe_db_instances().send().await.unwrap();
    let instances: Vec<String> = instances
        .db_instances()
        .iter()
        .filter(|i| !i.db_instance_identifier().unwrap_or_default().starts_with("fd-"))
        .map(|i| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?}",
                i.db_instance_identifier(),
                i.db_instance_class(),
                i.db_instance_status(),
                i.vpc_security_groups(),
                i.publicly_accessible(),
                i.tag_list()
            )
        })
        .collect();
    let snapshots = rds.describe_db_snapshots().send().await.unwrap();
    let snapshots: Vec<String> = snapshots
        .db_snapshots()
        .iter()
        .map(|s| format!("{:?} {:?} {:?}", s.db_snapshot_identifier(), s.status(), s.tag_list()))
        .collect();
    let volumes = setup.ec2.describe_volumes().send().await.unwrap();
    let mut volumes: Vec<String> = volumes
        .volumes()
        .iter()
        .filter(|v| !v.tags().iter().any(|t| t.key() == Some(TAG_RUN_ID)))
        .filter(|v| v.attachments().is_empty())
        .map(|v| format!("{:?} {:?} {:?} {:?}", v.volume_id(), v.size(), v.state(), v.tags()))
        .collect();
    volumes.sort();
    let snapshots_ec2 = setup.ec2.describe_snapshots().owner_ids("self").send().await.unwrap();
    let mut snapshots_ec2: Vec<String> = snapshots_ec2
        .snapshots()
        .iter()
        .map(|s| {
            format!(
                "{:?} {:?} {:?} {:?}",
                s.snapshot_id(),
                s.volume_id(),
                s.state(),
                s.tags()
            )
        })
        .collect();
    snapshots_ec2.sort();
    let vpcs = setup.ec2.describe_vpcs().send().await.unwrap();
    let mut vpcs: Vec<String> = vpcs
        .vpcs()
        .iter()
        .map(|v| format!("{:?} {:?} {:?}", v.vpc_id(), v.cidr_block(), v.tags()))
        .collect();
    vpcs.sort();
    format!("{instances:#?}\n{snapshots:#?}\n{volumes:#?}\n{snapshots_ec2:#?}\n{vpcs:#?}")
}

pub fn load(text: &str) -> LoadedScenario {
    let file = root().join("scenarios/aws-test.yaml");
    let checks_dir = root().join("checks");
    let scenario =
        scenario::parse(&file, text.as_bytes().to_vec(), &checks_dir).unwrap_or_else(|e| panic!("{:#?}", e.problems));
    LoadedScenario {
        file,
        checks_dir,
        scenario,
    }
}

/// The cloud on moto with the SSM calls moto lacks answered by the mocks.
pub fn cloud_with(url: &str, ssm: aws_sdk_ssm::Client, backup: Option<aws_sdk_backup::Client>) -> AwsCloud {
    let mut clients = moto::clients(url);
    clients.ssm = ssm;
    if let Some(backup) = backup {
        clients.backup = backup;
    }
    // moto answers at once: the pace between two observation calls to a service is
    // 50 ms, not AWS's second (tests/it/aws_observe.rs checks the second on its own cloud).
    AwsCloud::from_clients(clients, moto::REGION).with_waits(Waits {
        poll: Duration::from_millis(50),
        deletion: Duration::from_secs(20),
        per_service: Duration::from_millis(50),
    })
}

/// Runs a drill to its end; returns its result and its run id.
pub async fn drill(cloud: &AwsCloud, loaded: &LoadedScenario) -> DrillResult {
    let run_id = runner::new_run_id(&loaded.scenario.name, jiff::Timestamp::now());
    let options = RunOptions {
        run_id,
        disaster_at: None,
        keep_until: None,
        poll_interval: Duration::from_millis(100),
        // Moto's restores are ready within a second: the history a team drilling moto
        // would have, so that the first look is not planned for a real RDS restore's
        // minutes (the polling itself is as on AWS: a one-second floor).
        restore_history: loaded
            .scenario
            .restores
            .iter()
            .map(|r| (r.id.clone(), (1.0, 3.0)))
            .collect(),
        polling: None,
        operator: None,
    };
    let mut reporter = Reporter::new(None, None);
    let plan = plan::plan(&loaded.scenario);
    runner::run_drill(
        cloud,
        &jiff::Timestamp::now,
        loaded,
        &plan,
        &options,
        &mut reporter,
        &Interrupts::never(),
    )
    .await
}

/// Nothing live carries the run's tag: firedrill's own listing (tag-filtered describes
/// of every kind it creates, terminated instances left out).
pub async fn assert_nothing_left(cloud: &AwsCloud, url: &str, run_id: &str) {
    let left = cloud.list_by_tag(TAG_RUN_ID, Some(run_id)).await.unwrap();
    assert!(left.is_empty(), "left behind: {left:#?}");
    let tagged = moto::tagging(url)
        .get_resources()
        .tag_filters(
            aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                .key(TAG_RUN_ID)
                .values(run_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let setup = moto::setup_clients(url);
    for mapping in tagged.resource_tag_mapping_list() {
        let arn = mapping.resource_arn().unwrap_or_default();
        // moto keeps terminated instances listed (with their tags) until a reset.
        if let Some(instance) = arn.split(":instance/").nth(1) {
            let found = setup
                .ec2
                .describe_instances()
                .instance_ids(instance)
                .send()
                .await
                .unwrap();
            let live = found
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .any(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"));
            assert!(!live, "the tagging API lists a live instance of the run: {arn}");
            continue;
        }
        panic!("the tagging API lists {arn} with the run's tag");
    }
}

fn scenario_text(volume: &str, image: &str) -> String {
    format!(
        r#"
name: aws-drill
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: {{ rto: 30m, rpo: 24h }}
region: us-east-1
restores:
  - id: orders-db
    source: {{ rds_snapshot: {{ instance: orders-prod, snapshot: latest }} }}
    overrides: {{ instance_class: db.t3.small }}
  - id: orders-pitr
    source: {{ rds_point_in_time: {{ instance: orders-prod, time: latest }} }}
  - id: files
    source: {{ ebs_snapshot: {{ volume: {volume}, snapshot: latest }} }}
  - id: app
    source: {{ ami: {{ image: {image} }} }}
runner:
  launch: {{ instance_type: t3.micro, ami: {image} }}
checks:
  - id: row-counts
    script: postgres-row-counts.sh
    needs: [orders-db]
    env: {{ PGHOST: "{{{{ restores.orders-db.endpoint }}}}", PGDATABASE: orders, TABLES: orders }}
    expect: {{ row_counts: {{ orders: {{ at_least: 1000 }} }} }}
    gates_rto: true
  - id: pitr-rows
    script: postgres-row-counts.sh
    needs: [orders-pitr]
    env: {{ PGHOST: "{{{{ restores.orders-pitr.endpoint }}}}", PGDATABASE: orders, TABLES: orders }}
    expect: {{ row_counts: {{ orders: {{ at_least: 1000 }} }} }}
  - id: files-fresh
    script: file-mtime-watermark.sh
    needs: [files]
    env: {{ DATA_DIR: "{{{{ restores.files.mount_path }}}}" }}
    watermark: true
  - id: app-health
    script: http-health.sh
    needs: [app]
    env: {{ URL: "http://{{{{ restores.app.private_ip }}}}:8080/health" }}
    gates_rto: true
"#
    )
}

pub fn canned_outputs(watermark: &str) -> BTreeMap<String, Canned> {
    BTreeMap::from([
        ("row-counts".to_owned(), Canned::ok("rows.orders=1200\n")),
        ("pitr-rows".to_owned(), Canned::ok("rows.orders=1250\n")),
        ("files-fresh".to_owned(), Canned::ok(&format!("{watermark}\n"))),
        ("app-health".to_owned(), Canned::ok("http.status=200\nok\n")),
    ])
}

#[tokio::test]
async fn a_drill_restores_checks_and_leaves_nothing_with_production_unchanged() {
    let (server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, image) = seed_production(&setup).await;
    let before = production(&setup).await;
    let watermark = jiff::Timestamp::now()
        .saturating_sub(jiff::SignedDuration::from_hours(3))
        .unwrap();
    let (rules, ssm_state) = ssm_rules(canned_outputs(&watermark.to_string()));
    let rules: Vec<&Rule> = rules.iter().collect();
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &rules), None);
    let loaded = load(&scenario_text(&volume, &image));

    let result = drill(&cloud, &loaded).await;

    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.reasons);
    assert!(!result.simulated, "a real-cloud result says so");
    assert_eq!(result.restores.len(), 4, "{:#?}", result.restores);
    let rpo = result.rpo.as_ref().expect("measured");
    assert!(
        (rpo.seconds - 3.0 * 3600.0).abs() < 120.0,
        "RPO from the watermark: {rpo:?}"
    );
    assert!(result.rto.is_some(), "RTO reached");
    let sent = ssm_state.lock().unwrap().sent.clone();
    assert_eq!(sent.len(), 4, "one command per check");
    let (_, files) = sent.iter().find(|(c, _)| c == "files-fresh").unwrap();
    assert!(
        files.contains("fd_mount 'vol-"),
        "the restored volume is mounted before its check"
    );
    assert!(
        result.teardown.left_behind.is_empty() && result.teardown.refused.is_empty(),
        "{:#?}",
        result.teardown
    );
    assert_nothing_left(&cloud, &url, &result.run_id).await;
    assert_eq!(production(&setup).await, before, "production is unchanged");
    assert_mutations_target_the_run(&server, &result);
    server.assert_authorized(&[]);
}

/// Every mutating call names the run (its id, in the tags or the names made from it) or
/// an id the run created: nothing else in the account is changed.
pub fn assert_mutations_target_the_run(server: &moto::Moto, result: &DrillResult) {
    let created: Vec<String> = result.teardown.deleted.iter().map(|r| r.id.clone()).collect();
    let run = result.run_id.to_lowercase();
    let mutations = server.mutations();
    assert!(!mutations.is_empty(), "mutations were recorded");
    for (operation, request) in &mutations {
        let text = request.to_lowercase();
        let names_the_run = text.contains(&run) || text.contains(&run.replace(':', "%3a"));
        let targets_created = created.iter().any(|id| request.contains(id.as_str()));
        assert!(
            names_the_run || targets_created,
            "{operation} targets nothing this run created: {request}"
        );
    }
}

#[tokio::test]
async fn failing_and_timed_out_checks_fail_the_drill_and_still_leave_nothing() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, image) = seed_production(&setup).await;
    let watermark = jiff::Timestamp::now().to_string();
    let mut canned = canned_outputs(&watermark);
    canned.insert("row-counts".into(), Canned::ok("rows.orders=12\n"));
    canned.insert(
        "app-health".into(),
        Canned {
            status: CommandInvocationStatus::TimedOut,
            exit_code: -1,
            stdout: String::new(),
            url: None,
        },
    );
    let (rules, _) = ssm_rules(canned);
    let rules: Vec<&Rule> = rules.iter().collect();
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &rules), None);
    let result = drill(&cloud, &load(&scenario_text(&volume, &image))).await;
    assert_eq!(result.outcome, Outcome::Failed, "{:#?}", result.reasons);
    let reasons = result.reasons.join("\n");
    assert!(reasons.contains("row-counts"), "{reasons}");
    assert!(reasons.contains("app-health"), "{reasons}");
    let timed_out = result.checks.iter().find(|c| c.id == "app-health").unwrap();
    assert!(timed_out.stderr.contains("execution timeout"), "{timed_out:?}");
    assert_nothing_left(&cloud, &url, &result.run_id).await;
}

#[tokio::test]
async fn a_runner_ssm_never_sees_ends_in_error_and_leaves_nothing() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, image) = seed_production(&setup).await;
    let offline = mock!(aws_sdk_ssm::Client::describe_instance_information).then_output(|| {
        aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationOutput::builder().build()
    });
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &[&offline]), None);
    let mut text = scenario_text(&volume, &image);
    text = text.replace("max_duration: 1h", "max_duration: 20s");
    text = text.replace("targets: { rto: 30m, rpo: 24h }", "targets: { rto: 10s, rpo: 24h }");
    let result = drill(&cloud, &load(&text)).await;
    assert_eq!(result.outcome, Outcome::Error, "{:#?}", result.reasons);
    assert_nothing_left(&cloud, &url, &result.run_id).await;
    let remaining = cloud.list_by_tag(TAG_RUN_ID, None).await.unwrap();
    assert!(
        remaining.iter().all(|(r, _)| r.kind != ResourceType::Instance),
        "{remaining:?}"
    );
}

/// The calls the SSM mocks answer: their faults are the mocks' own errors.
const MOCKED: [&str; 3] = [
    "ssm:DescribeInstanceInformation",
    "ssm:SendCommand",
    "ssm:GetCommandInvocation",
];

/// The matrix's drill: one database, one volume, the launched runner, two checks.
pub fn matrix_scenario(volume: &str, image: &str) -> String {
    format!(
        r#"
name: aws-faults
owner: tests@example.com
cloud: aws
max_duration: 3m
targets: {{ rto: 1m, rpo: 24h }}
region: us-east-1
restores:
  - id: orders-db
    source: {{ rds_snapshot: {{ instance: orders-prod, snapshot: latest }} }}
  - id: files
    source: {{ ebs_snapshot: {{ volume: {volume}, snapshot: latest }} }}
runner:
  launch: {{ instance_type: t3.micro, ami: {image} }}
checks:
  - id: row-counts
    script: postgres-row-counts.sh
    needs: [orders-db]
    env: {{ PGHOST: "{{{{ restores.orders-db.endpoint }}}}", TABLES: orders }}
    expect: {{ row_counts: {{ orders: {{ at_least: 1000 }} }} }}
    gates_rto: true
  - id: files-fresh
    script: file-mtime-watermark.sh
    needs: [files]
    env: {{ DATA_DIR: "{{{{ restores.files.mount_path }}}}" }}
    watermark: true
"#
    )
}

/// How many of the fault matrix's drills run at once (each on a moto server of its own).
const MATRIX_CASES_AT_ONCE: usize = 4;

/// A failure injected at the first call of each operation a drill makes (every call
/// site, forward and teardown): a forward call's failure ends the drill in error or
/// failure (RDS's event times only refine a measure: without them it passes), a
/// teardown call's failure is retried; in every case nothing with the run's tag is left
/// and production is unchanged.
#[tokio::test]
async fn a_failure_at_each_aws_call_ends_right_and_leaves_nothing() {
    let watermark = jiff::Timestamp::now()
        .saturating_sub(jiff::SignedDuration::from_hours(2))
        .unwrap()
        .to_string();
    let (server, url) = moto::moto().await;
    let account = Box::pin(Production::seed(&url)).await;
    let baseline = Box::pin(account.drill_with_fault(&server, &watermark, None)).await;
    assert_eq!(baseline.outcome, Outcome::Passed, "{:#?}", baseline.reasons);
    let teardown_start = baseline.teardown.started_at.expect("teardown ran");
    let mut operations: Vec<(String, bool)> = Vec::new();
    for (at, operation) in &server.sequence() {
        if !operations.iter().any(|(o, _)| o == operation) {
            operations.push((operation.clone(), *at < teardown_start));
        }
    }
    drop(server);
    assert!(operations.len() > 30, "the drill's calls were recorded: {operations:?}");
    // The cases share nothing but a server's seeded production, which each case leaves
    // as it found it (asserted): a few servers, each running cases until none is left.
    let queue = Mutex::new(operations.clone());
    let results: Vec<Vec<(String, bool, DrillResult)>> =
        futures::future::join_all((0..MATRIX_CASES_AT_ONCE).map(|_| Box::pin(fault_cases(&queue, &watermark)))).await;
    let results: Vec<(String, bool, DrillResult)> = results.into_iter().flatten().collect();
    assert_eq!(results.len(), operations.len(), "every case ran");
    for (operation, forward, result) in &results {
        let forward = *forward;
        let tolerated = !forward || operation == "rds:DescribeEvents";
        if tolerated {
            assert_eq!(result.outcome, Outcome::Passed, "{operation}: {:#?}", result.reasons);
        } else {
            assert!(
                matches!(result.outcome, Outcome::Error | Outcome::Failed),
                "{operation} failed in the drill, yet it {:?}",
                result.outcome
            );
            assert!(!result.reasons.is_empty(), "{operation}: a reason is given");
        }
    }
    println!(
        "{} AWS fault cases run ({} forward call sites, {} teardown call sites)",
        operations.len(),
        operations.iter().filter(|(_, f)| *f).count(),
        operations.iter().filter(|(_, f)| !*f).count()
    );
}

/// One moto server's share of the fault matrix: production seeded once, then the cases
/// taken from `queue` one after another; at the end no resource of any run is left.
async fn fault_cases(queue: &Mutex<Vec<(String, bool)>>, watermark: &str) -> Vec<(String, bool, DrillResult)> {
    let (server, url) = moto::moto().await;
    let account = Production::seed(&url).await;
    let mut results = Vec::new();
    loop {
        let Some((operation, forward)) = queue.lock().unwrap().pop() else {
            break;
        };
        let result = account.drill_with_fault(&server, watermark, Some(&operation)).await;
        results.push((operation, forward, result));
    }
    let left = account.cloud.list_by_tag(TAG_RUN_ID, None).await.unwrap();
    assert!(left.is_empty(), "left behind by the cases on {url}: {left:#?}");
    results
}

/// A moto server's production (seeded), as it looked before any drill.
struct Production {
    url: String,
    setup: Clients,
    volume: String,
    image: String,
    before: String,
    cloud: AwsCloud,
}

impl Production {
    async fn seed(url: &str) -> Self {
        let setup = moto::setup_clients(url);
        let (volume, image) = seed_production(&setup).await;
        let before = production(&setup).await;
        Production {
            url: url.to_owned(),
            cloud: moto::cloud(url),
            setup,
            volume,
            image,
            before,
        }
    }

    /// The matrix scenario drilled with the first call of `fault` failing (SSM's calls
    /// through mocks, the others injected at moto); asserts that nothing with the run's
    /// tag is left and that production is as it was.
    async fn drill_with_fault(&self, server: &moto::Moto, watermark: &str, fault: Option<&str>) -> DrillResult {
        let mocked = fault.filter(|f| MOCKED.contains(f));
        if let Some(operation) = fault.filter(|f| !MOCKED.contains(f)) {
            server.inject_fault(operation, 1);
        }
        let (rules, _) = ssm_rules_failing(canned_outputs(watermark), mocked);
        let rules: Vec<&Rule> = rules.iter().collect();
        let cloud = cloud_with(&self.url, moto::ssm_with_mocks(&self.url, &rules), None);
        let result = drill(&cloud, &load(&matrix_scenario(&self.volume, &self.image))).await;
        server.inject_fault("none", 0);
        let label = fault.unwrap_or("no fault");
        let left = cloud.list_by_tag(TAG_RUN_ID, Some(&result.run_id)).await.unwrap();
        assert!(left.is_empty(), "{label}: left behind: {left:#?}");
        assert_eq!(
            production(&self.setup).await,
            self.before,
            "{label}: production is unchanged"
        );
        result
    }
}

#[tokio::test]
async fn throttled_ssm_calls_are_retried_without_sending_a_check_twice() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, image) = seed_production(&setup).await;
    let watermark = jiff::Timestamp::now()
        .saturating_sub(jiff::SignedDuration::from_hours(1))
        .unwrap();
    let (rules, state) = ssm_rules(canned_outputs(&watermark.to_string()));
    state.lock().unwrap().throttled = 6;
    let rules: Vec<&Rule> = rules.iter().collect();
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &rules), None);
    let result = drill(&cloud, &load(&matrix_scenario(&volume, &image))).await;
    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.reasons);
    {
        let state = state.lock().unwrap();
        assert_eq!(state.throttled, 0, "every throttled answer was given");
        let sent: Vec<&String> = state.sent.iter().map(|s| &s.0).collect();
        assert_eq!(sent.len(), 2, "each check sent once: {sent:?}");
    }
    assert_nothing_left(&cloud, &url, &result.run_id).await;
}

#[tokio::test]
async fn output_ssm_cuts_is_read_whole_from_the_output_bucket() {
    let (server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (volume, image) = seed_production(&setup).await;
    setup.s3.create_bucket().bucket("drill-output").send().await.unwrap();
    // What the agent would have written: 30,000 characters, the row count at the end.
    let key = "firedrill/run/row-counts/cmd/i-1/awsrunShellScript/0.awsrunShellScript/stdout";
    let whole = format!("{}\nrows.orders=1200\n", "x".repeat(30_000));
    setup
        .s3
        .put_object()
        .bucket("drill-output")
        .key(key)
        .body(whole.into_bytes().into())
        .send()
        .await
        .unwrap();
    let watermark = jiff::Timestamp::now()
        .saturating_sub(jiff::SignedDuration::from_hours(1))
        .unwrap();
    let mut canned = canned_outputs(&watermark.to_string());
    canned.insert(
        "row-counts".into(),
        Canned {
            url: Some(format!("{url}/drill-output/{key}")),
            ..Canned::ok(&"x".repeat(24_000))
        },
    );
    let (rules, state) = ssm_rules(canned);
    let rules: Vec<&Rule> = rules.iter().collect();
    let output = firedrill::scenario::CheckOutput {
        s3_bucket: "drill-output".into(),
        s3_prefix: "firedrill/".into(),
    };
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &rules), None).with_check_output(Some(output));
    let result = drill(&cloud, &load(&matrix_scenario(&volume, &image))).await;
    assert_eq!(
        result.outcome,
        Outcome::Passed,
        "the row count is read past SSM's cut: {:#?}",
        result.reasons
    );
    let sent = state.lock().unwrap().sent.len();
    assert_eq!(sent, 2);
    assert_nothing_left(&cloud, &url, &result.run_id).await;
    server.assert_authorized(&[]);
}

#[tokio::test]
async fn aurora_snapshot_and_point_in_time_restores_get_their_instance_and_go() {
    let (server, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let (_, image) = seed_production(&setup).await;
    setup
        .rds
        .create_db_cluster()
        .db_cluster_identifier("orders-aurora")
        .engine("aurora-postgresql")
        .engine_version("13.9")
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .send()
        .await
        .unwrap();
    setup
        .rds
        .create_db_cluster_snapshot()
        .db_cluster_identifier("orders-aurora")
        .db_cluster_snapshot_identifier("orders-aurora-nightly")
        .send()
        .await
        .unwrap();
    let before = production(&setup).await;
    let clusters_before = clusters(&setup).await;
    let text = format!(
        r#"
name: aws-aurora
owner: tests@example.com
cloud: aws
max_duration: 1h
targets: {{ rto: 30m, rpo: 24h }}
region: us-east-1
restores:
  - id: from-snapshot
    source: {{ aurora_cluster_snapshot: {{ cluster: orders-aurora, snapshot: latest }} }}
    overrides: {{ instance_class: db.r6g.large }}
  - id: to-a-time
    source: {{ aurora_point_in_time: {{ cluster: orders-aurora, time: latest }} }}
runner:
  launch: {{ instance_type: t3.micro, ami: {image} }}
checks:
  - id: snapshot-rows
    script: postgres-row-counts.sh
    needs: [from-snapshot]
    env: {{ PGHOST: "{{{{ restores.from-snapshot.endpoint }}}}", TABLES: orders }}
    expect: {{ row_counts: {{ orders: {{ at_least: 1000 }} }} }}
  - id: pitr-rows
    script: postgres-row-counts.sh
    needs: [to-a-time]
    env: {{ PGHOST: "{{{{ restores.to-a-time.endpoint }}}}", TABLES: orders }}
    expect: {{ row_counts: {{ orders: {{ at_least: 1000 }} }} }}
"#
    );
    let canned = BTreeMap::from([
        ("snapshot-rows".to_owned(), Canned::ok("rows.orders=1200\n")),
        ("pitr-rows".to_owned(), Canned::ok("rows.orders=1300\n")),
    ]);
    let (rules, _) = ssm_rules(canned);
    let rules: Vec<&Rule> = rules.iter().collect();
    let cloud = cloud_with(&url, moto::ssm_with_mocks(&url, &rules), None);
    // Each cluster's first CreateDBInstance comes while it is "still creating".
    server.emulate(&[crate::aws_rules::cluster_not_yet_available(2)]);
    let result = drill(&cloud, &load(&text)).await;
    assert_eq!(result.outcome, Outcome::Passed, "{:#?}", result.reasons);
    assert_eq!(
        server.rules_given(),
        [("CreateDBInstance into a cluster still creating".to_owned(), 2)]
    );
    let from_snapshot: Vec<String> = server
        .mutations()
        .into_iter()
        .filter(|(call, _)| call == "rds:RestoreDBClusterFromSnapshot")
        .map(|(_, body)| body)
        .collect();
    assert!(
        from_snapshot.len() == 1 && from_snapshot[0].contains("EngineVersion=13.9"),
        "the copy runs the snapshot's engine version, not the Region's default: {from_snapshot:?}"
    );
    let deleted: Vec<ResourceType> = result.teardown.deleted.iter().map(|r| r.kind).collect();
    assert_eq!(
        deleted.iter().filter(|k| **k == ResourceType::DbCluster).count(),
        2,
        "{deleted:?}"
    );
    assert!(
        deleted.iter().filter(|k| **k == ResourceType::DbInstance).count() >= 2,
        "each cluster got its instance, and both went: {deleted:?}"
    );
    assert_nothing_left(&cloud, &url, &result.run_id).await;
    assert_eq!(production(&setup).await, before);
    let clusters_after = clusters(&setup).await;
    assert_eq!(
        clusters_after, clusters_before,
        "production's cluster is unchanged, the copies are gone"
    );
    assert_mutations_target_the_run(&server, &result);
    server.assert_authorized(&[]);
}

/// Every DB cluster's id and status.
async fn clusters(setup: &Clients) -> Vec<(Option<String>, Option<String>)> {
    let found = setup.rds.describe_db_clusters().send().await.unwrap();
    found
        .db_clusters()
        .iter()
        .map(|c| {
            (
                c.db_cluster_identifier().map(str::to_owned),
                c.status().map(str::to_owned),
            )
        })
        .collect()
}

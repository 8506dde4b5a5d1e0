//! moto (the Python AWS emulator, `moto[server]==5.2.5`) for the AWS cloud's tests: one
//! server per test binary on 127.0.0.1, started from `FIREDRILL_MOTO_SERVER` (the path of
//! `moto_server`) or target/moto-venv, where it is installed on first use if missing;
//! tests take a lock and reset its state, so they run one at a time against it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

use firedrill::cloud::aws::{AwsCloud, Clients};

use crate::support::root;

pub const REGION: &str = "us-east-1";

/// The mutating calls of the current test, in order: operation and request body.
static MUTATIONS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Every operation of the current test, in order, with when it was sent (for the fault
/// matrix).
static SEQUENCE: std::sync::Mutex<Vec<(jiff::Timestamp, String)>> = std::sync::Mutex::new(Vec::new());

/// Every request of the current test, in order, with the answer's body (for the
/// authorization model, tests/it/iam_model).
static REQUESTS: std::sync::Mutex<Vec<crate::iam_model::Recorded>> = std::sync::Mutex::new(Vec::new());

/// Which entry of `REQUESTS` an operation's answer belongs to (kept in its config bag, so
/// that concurrent requests of one test are told apart).
#[derive(Debug, Clone, Copy)]
struct RecordIndex(usize);

impl aws_smithy_types::config_bag::Storable for RecordIndex {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// A fault to inject: the first `times` calls of this operation fail before they are sent.
static FAULT: std::sync::Mutex<Option<(String, u32)>> = std::sync::Mutex::new(None);

fn lock<T>(mutex: &'static std::sync::Mutex<T>) -> std::sync::MutexGuard<'static, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes the first `times` calls of `operation` (`service:Operation`) fail.
pub fn inject_fault(operation: &str, times: u32) {
    *lock(&FAULT) = Some((operation.to_owned(), times));
}

/// The mutating calls recorded since the test began.
pub fn mutations() -> Vec<(String, String)> {
    lock(&MUTATIONS).clone()
}

/// The operations recorded since the test began, in order.
pub fn sequence() -> Vec<(jiff::Timestamp, String)> {
    lock(&SEQUENCE).clone()
}

/// Whether an operation changes something (by AWS's naming of its verbs).
pub fn is_mutating(operation: &str) -> bool {
    let name = operation.split(':').nth(1).unwrap_or(operation);
    const READ: [&str; 5] = ["Describe", "List", "Get", "Simulate", "Lookup"];
    !READ.iter().any(|verb| name.starts_with(verb))
}

/// Records each operation before it is sent (and its body, when it changes something),
/// and fails it when a fault is injected for it.
#[derive(Debug)]
struct Recorder;

fn operation(cfg: &aws_sdk_ec2::config::ConfigBag) -> Option<String> {
    let metadata = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()?;
    Some(format!("{}:{}", metadata.service().to_lowercase(), metadata.name()))
}

impl aws_sdk_ec2::config::Intercept for Recorder {
    fn name(&self) -> &'static str {
        "firedrill-test-recorder"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_ec2::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_ec2::config::RuntimeComponents,
        cfg: &mut aws_sdk_ec2::config::ConfigBag,
    ) -> Result<(), aws_sdk_ec2::error::BoxError> {
        let Some(call) = operation(cfg) else { return Ok(()) };
        lock(&SEQUENCE).push((jiff::Timestamp::now(), call.clone()));
        let request = context.request();
        let body = request.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
        if is_mutating(&call) {
            lock(&MUTATIONS).push((call.clone(), format!("{} {body}", request.uri())));
        }
        {
            let mut requests = lock(&REQUESTS);
            cfg.interceptor_state().store_put(RecordIndex(requests.len()));
            requests.push(crate::iam_model::Recorded {
                operation: call.clone(),
                uri: request.uri().to_owned(),
                body: body.into_owned(),
                response: None,
            });
        }
        let mut fault = lock(&FAULT);
        if let Some((target, times)) = fault.as_mut()
            && *target == call
            && *times > 0
        {
            *times -= 1;
            return Err(format!("injected failure of {call}").into());
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &aws_sdk_ec2::config::interceptors::AfterDeserializationInterceptorContextRef<'_>,
        _components: &aws_sdk_ec2::config::RuntimeComponents,
        cfg: &mut aws_sdk_ec2::config::ConfigBag,
    ) -> Result<(), aws_sdk_ec2::error::BoxError> {
        let Some(RecordIndex(index)) = cfg.load::<RecordIndex>().copied() else {
            return Ok(());
        };
        let body = context.response().body().bytes().map(String::from_utf8_lossy);
        if let (Some(entry), Some(body)) = (lock(&REQUESTS).get_mut(index), body) {
            entry.response = Some(body.into_owned());
        }
        Ok(())
    }
}

/// The requests recorded since the test began, with their answers.
pub fn requests() -> Vec<crate::iam_model::Recorded> {
    lock(&REQUESTS).clone()
}

/// Asserts that the drill identity's policy set (docs/iam-policy.json, plus the named
/// companions from docs/) authorizes every request this test sent, by the authorization
/// model (tests/it/iam_model): each request's authorizations derived, checked against the
/// Service Authorization Reference and evaluated as IAM does.
pub fn assert_authorized(companions: &[&str]) {
    crate::iam_model::assert_authorized(&requests(), companions);
}

struct Server {
    url: String,
    _child: ChildGuard,
}

/// Ends the server if the server is ever dropped (moto also exits when its stdin
/// closes with the test process).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn moto_server() -> PathBuf {
    std::env::var_os("FIREDRILL_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/moto-venv/bin/moto_server"))
}

/// Installs the pinned moto into target/moto-venv (about a minute, once), so that
/// `cargo test` works on a fresh machine with python3.
fn install(binary: &std::path::Path) {
    let venv = root().join("target/moto-venv");
    let run = |program: &std::path::Path, args: &[&str]| {
        let status = Command::new(program).args(args).status().unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (the AWS tests need python3 for moto)",
                program.display()
            )
        });
        assert!(status.success(), "{} {args:?} failed", program.display());
    };
    run(std::path::Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()]);
    run(&venv.join("bin/pip"), &["install", "-q", "moto[server]==5.2.5"]);
    assert!(binary.exists(), "{} missing after installing moto", binary.display());
}

fn start() -> Server {
    let binary = moto_server();
    if !binary.exists() {
        install(&binary);
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // moto_server runs under its venv's python with a watcher that ends it when its stdin
    // closes, that is when this test process ends however it ends (statics are never
    // dropped, so the guard below does not run at exit).
    let python = binary.with_file_name("python3");
    let child = Command::new(&python)
        .args(["-c", STOP_WITH_PARENT, binary.to_str().expect("a UTF-8 path")])
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start on {url}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        url,
        _child: ChildGuard(child),
    }
}

/// Runs the moto_server script given first, ending the process once stdin closes.
const STOP_WITH_PARENT: &str = r#"
import os, runpy, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
"#;

static SERVER: OnceLock<Server> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::const_new(());

/// Exclusive use of a freshly reset moto; hold the guard for the whole test.
pub async fn moto() -> (MutexGuard<'static, ()>, String) {
    let guard = LOCK.lock().await;
    let url = SERVER.get_or_init(start).url.clone();
    reset(&url);
    lock(&MUTATIONS).clear();
    lock(&SEQUENCE).clear();
    lock(&REQUESTS).clear();
    *lock(&FAULT) = None;
    (guard, url)
}

/// The running server's address (after `moto()`).
pub fn current_url() -> String {
    SERVER.get_or_init(start).url.clone()
}

/// POST /moto-api/reset: wipes every service's state.
fn reset(url: &str) {
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("moto answers");
    let request =
        format!("POST /moto-api/reset HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "moto reset: {answer}");
}

/// Clients of every service, pointed at moto with test credentials; their calls are
/// recorded for the IAM policy test.
pub fn clients(url: &str) -> Clients {
    clients_with(url, true)
}

/// Clients for a test's own setup (seeding "production"): not recorded, since firedrill
/// does not make these calls.
pub fn setup_clients(url: &str) -> Clients {
    clients_with(url, false)
}

/// One service's client on moto, recorded or not, with retries off so that a test sees
/// the first answer (firedrill's own retries are what is tested).
macro_rules! moto_client {
    ($service:ident, $url:expr, $record:expr) => {{
        let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
        let config = $service::Config::builder()
            .behavior_version($service::config::BehaviorVersion::latest())
            .region($service::config::Region::new(REGION))
            .endpoint_url($url)
            .retry_config($service::config::retry::RetryConfig::disabled())
            .credentials_provider(credentials);
        let config = if $record { config.interceptor(Recorder) } else { config };
        $service::Client::from_conf(config.build())
    }};
}

/// S3 on moto: path-style addresses (a bucket cannot be a subdomain of 127.0.0.1).
fn s3_client(url: &str, record: bool) -> aws_sdk_s3::Client {
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(url)
        .force_path_style(true)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .credentials_provider(credentials);
    let config = if record { config.interceptor(Recorder) } else { config };
    aws_sdk_s3::Client::from_conf(config.build())
}

fn clients_with(url: &str, record: bool) -> Clients {
    Clients {
        ec2: moto_client!(aws_sdk_ec2, url, record),
        rds: moto_client!(aws_sdk_rds, url, record),
        backup: moto_client!(aws_sdk_backup, url, record),
        ssm: moto_client!(aws_sdk_ssm, url, record),
        iam: moto_client!(aws_sdk_iam, url, record),
        sts: moto_client!(aws_sdk_sts, url, record),
        kms: moto_client!(aws_sdk_kms, url, record),
        s3: s3_client(url, record),
    }
}

/// The tagging API's client (GetResources), for the tests' own look at what is tagged.
pub fn tagging(url: &str) -> aws_sdk_resourcegroupstagging::Client {
    moto_client!(aws_sdk_resourcegroupstagging, url, false)
}

/// An SSM client whose calls matching `rules` are answered by the mocks (what moto
/// lacks: DescribeInstanceInformation, real command output), the rest by moto.
pub fn ssm_with_mocks(url: &str, rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_ssm::Client {
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
    let mut mocks = aws_smithy_mocks::MockResponseInterceptor::new()
        .rule_mode(aws_smithy_mocks::RuleMode::MatchAny)
        .allow_passthrough();
    for rule in rules {
        mocks = mocks.with_rule(rule);
    }
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new(REGION))
        .endpoint_url(url)
        .retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled())
        .credentials_provider(credentials)
        .interceptor(Recorder)
        .interceptor(mocks);
    aws_sdk_ssm::Client::from_conf(config.build())
}

/// An IAM client whose calls matching `rules` are answered by the mocks (what moto lacks:
/// SimulatePrincipalPolicy), the rest by moto.
pub fn iam_with_mocks(url: &str, rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_iam::Client {
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
    let mut mocks = aws_smithy_mocks::MockResponseInterceptor::new()
        .rule_mode(aws_smithy_mocks::RuleMode::MatchAny)
        .allow_passthrough();
    for rule in rules {
        mocks = mocks.with_rule(rule);
    }
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new(REGION))
        .endpoint_url(url)
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
        .credentials_provider(credentials)
        .interceptor(Recorder)
        .interceptor(mocks);
    aws_sdk_iam::Client::from_conf(config.build())
}

/// A Backup client answered by the mocks alone (moto has no recovery points or restore
/// jobs).
pub fn backup_with_mocks(rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_backup::Client {
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "mock");
    let mut mocks = aws_smithy_mocks::MockResponseInterceptor::new().rule_mode(aws_smithy_mocks::RuleMode::MatchAny);
    for rule in rules {
        mocks = mocks.with_rule(rule);
    }
    let config = aws_sdk_backup::Config::builder()
        .behavior_version(aws_sdk_backup::config::BehaviorVersion::latest())
        .region(aws_sdk_backup::config::Region::new(REGION))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .retry_config(aws_sdk_backup::config::retry::RetryConfig::disabled())
        .credentials_provider(credentials)
        .interceptor(Recorder)
        .interceptor(mocks);
    aws_sdk_backup::Client::from_conf(config.build())
}

/// A small PostgreSQL instance to create on moto; callers add what else they need.
pub fn postgres(
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> aws_sdk_rds::operation::create_db_instance::builders::CreateDBInstanceFluentBuilder {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .allocated_storage(20)
}

pub fn cloud(url: &str) -> AwsCloud {
    AwsCloud::from_clients(clients(url), REGION)
}

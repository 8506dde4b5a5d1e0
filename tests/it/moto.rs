//! moto (the Python AWS emulator, `moto[server]==5.2.5`) for the AWS cloud's tests: a
//! pool of servers on 127.0.0.1 (`FIREDRILL_MOTO_SERVERS`, 4 by default), started on
//! demand from `FIREDRILL_MOTO_SERVER` (the path of `moto_server`) or target/moto-venv,
//! where it is installed on first use if missing. A test leases one server for its
//! duration (`moto()`), freshly reset, with its own record of the requests sent to it, so
//! that independent AWS tests run side by side.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};

use std::time::{Duration, Instant};

use firedrill::cloud::aws::{AwsCloud, Clients};

use crate::support::root;

pub const REGION: &str = "us-east-1";

/// What one server's clients sent since its lease began.
#[derive(Debug, Default)]
struct Log {
    /// The mutating calls, in order: operation and request body.
    mutations: std::sync::Mutex<Vec<(String, String)>>,
    /// Every operation, in order, with when it was sent (for the fault matrix).
    sequence: std::sync::Mutex<Vec<(jiff::Timestamp, String)>>,
    /// Every request, with the answer's body (for the authorization model, tests/it/iam_model).
    requests: std::sync::Mutex<Vec<crate::iam_model::Recorded>>,
    /// A fault to inject: the first `times` calls of this operation fail before they are sent.
    fault: std::sync::Mutex<Option<(String, u32)>>,
}

impl Log {
    fn clear(&self) {
        lock(&self.mutations).clear();
        lock(&self.sequence).clear();
        lock(&self.requests).clear();
        *lock(&self.fault) = None;
    }
}

/// Which entry of a log's requests an operation's answer belongs to (kept in its config
/// bag, so that concurrent requests of one test are told apart).
#[derive(Debug, Clone, Copy)]
struct RecordIndex(usize);

impl aws_smithy_types::config_bag::Storable for RecordIndex {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// One test's lease of a moto server: freshly reset, returned to the pool when dropped.
pub struct Moto {
    server: Arc<Server>,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        lock(&pool().idle).push(self.server.clone());
    }
}

impl Moto {
    /// Switches on the emulator's `rules` (tests/it/aws_rules.rs), replacing any before.
    pub fn emulate(&self, rules: &[crate::aws_rules::Rule]) {
        let rules = serde_json::to_string(rules).expect("rules are JSON");
        request(&self.server.url, "POST", "/firedrill-emulator/rules", &rules);
    }

    /// How often each rule switched on was given, by name.
    pub fn rules_given(&self) -> Vec<(String, u32)> {
        let listed = request(&self.server.url, "GET", "/firedrill-emulator/rules", "");
        let rules: Vec<serde_json::Value> = serde_json::from_str(&listed).expect("the emulator lists its rules");
        rules
            .iter()
            .map(|r| {
                (
                    r["rule"].as_str().unwrap_or_default().to_owned(),
                    r["given"].as_u64().unwrap_or(0) as u32,
                )
            })
            .collect()
    }

    /// Makes the first `times` calls of `operation` (`service:Operation`) fail.
    pub fn inject_fault(&self, operation: &str, times: u32) {
        *lock(&self.server.log.fault) = Some((operation.to_owned(), times));
    }

    /// The mutating calls recorded since the lease began.
    pub fn mutations(&self) -> Vec<(String, String)> {
        lock(&self.server.log.mutations).clone()
    }

    /// The operations recorded since the lease began, in order.
    pub fn sequence(&self) -> Vec<(jiff::Timestamp, String)> {
        lock(&self.server.log.sequence).clone()
    }

    /// The requests recorded since the lease began, with their answers.
    pub fn requests(&self) -> Vec<crate::iam_model::Recorded> {
        lock(&self.server.log.requests).clone()
    }

    /// Asserts that the drill identity's policy set (docs/iam-policy.json, plus the named
    /// companions from docs/) authorizes every request this test sent, by the
    /// authorization model (tests/it/iam_model): each request's authorizations derived,
    /// checked against the Service Authorization Reference and evaluated as IAM does.
    pub fn assert_authorized(&self, companions: &[&str]) {
        crate::iam_model::assert_authorized(&self.requests(), companions);
    }
}

/// The servers: every one started (to find a URL's log), the idle ones, and as many
/// permits as servers may run.
struct Pool {
    all: std::sync::Mutex<Vec<Arc<Server>>>,
    idle: std::sync::Mutex<Vec<Arc<Server>>>,
    permits: tokio::sync::Semaphore,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let size = std::env::var("FIREDRILL_MOTO_SERVERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(4);
        Pool {
            all: std::sync::Mutex::new(Vec::new()),
            idle: std::sync::Mutex::new(Vec::new()),
            permits: tokio::sync::Semaphore::new(size),
        }
    })
}

/// A freshly reset moto of the test's own; hold the lease for the whole test.
pub async fn moto() -> (Moto, String) {
    let permit = pool().permits.acquire().await.expect("the pool is never closed");
    let idle = lock(&pool().idle).pop();
    let server = match idle {
        Some(server) => server,
        None => {
            let server = Arc::new(start());
            lock(&pool().all).push(server.clone());
            server
        }
    };
    reset(&server.url);
    server.log.clear();
    let url = server.url.clone();
    (
        Moto {
            server,
            _permit: permit,
        },
        url,
    )
}

/// The log of the leased server at `url`.
fn log_of(url: &str) -> Arc<Log> {
    lock(&pool().all)
        .iter()
        .find(|s| s.url == url)
        .map(|s| s.log.clone())
        .unwrap_or_else(|| panic!("{url} is not a leased moto server"))
}

/// Whether an operation changes something (by AWS's naming of its verbs).
pub fn is_mutating(operation: &str) -> bool {
    let name = operation.split(':').nth(1).unwrap_or(operation);
    const READ: [&str; 5] = ["Describe", "List", "Get", "Simulate", "Lookup"];
    !READ.iter().any(|verb| name.starts_with(verb))
}

/// Records each operation before it is sent (and its body, when it changes something)
/// in its server's log, and fails it when a fault is injected for it.
#[derive(Debug)]
struct Recorder(Arc<Log>);

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
        lock(&self.0.sequence).push((jiff::Timestamp::now(), call.clone()));
        let request = context.request();
        let body = request.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
        if is_mutating(&call) {
            lock(&self.0.mutations).push((call.clone(), format!("{} {body}", request.uri())));
        }
        {
            let mut requests = lock(&self.0.requests);
            cfg.interceptor_state().store_put(RecordIndex(requests.len()));
            requests.push(crate::iam_model::Recorded {
                operation: call.clone(),
                uri: request.uri().to_owned(),
                body: body.into_owned(),
                response: None,
            });
        }
        let mut fault = lock(&self.0.fault);
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
        if let (Some(entry), Some(body)) = (lock(&self.0.requests).get_mut(index), body) {
            entry.response = Some(body.into_owned());
        }
        Ok(())
    }
}

struct Server {
    url: String,
    log: Arc<Log>,
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
    {
        // Tests lease servers side by side: one installs moto, the others wait for it.
        static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _installing = lock(&INSTALLING);
        if !binary.exists() {
            install(&binary);
        }
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // moto_server runs inside the emulator (tests/aws-emulator/emulator.py) under its
    // venv's python, which ends it when its stdin closes, that is when this test process
    // ends however it ends (statics are never dropped, so the guard below does not run
    // at exit).
    let python = binary.with_file_name("python3");
    let child = Command::new(&python)
        .arg(root().join("tests/aws-emulator/emulator.py"))
        .arg(&binary)
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
        log: Arc::default(),
        _child: ChildGuard(child),
    }
}

/// POST /moto-api/reset: wipes every service's state (and the emulator's rules).
fn reset(url: &str) {
    request(url, "POST", "/moto-api/reset", "");
}

/// Sends `method path` with `body` to the server at `url`; returns the answer's body (a
/// 200 is asserted).
fn request(url: &str, method: &str, path: &str, body: &str) -> String {
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("moto answers");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{method} {path}: {answer}");
    answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
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
        let config = if $record {
            config.interceptor(Recorder(log_of($url)))
        } else {
            config
        };
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
    let config = if record {
        config.interceptor(Recorder(log_of(url)))
    } else {
        config
    };
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

/// A client of one service whose calls matching `rules` are answered by the mocks, the
/// rest by moto, recorded in the server's log.
macro_rules! mocked_client {
    ($service:ident, $url:expr, $rules:expr) => {{
        let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
        let mut mocks = aws_smithy_mocks::MockResponseInterceptor::new()
            .rule_mode(aws_smithy_mocks::RuleMode::MatchAny)
            .allow_passthrough();
        for rule in $rules {
            mocks = mocks.with_rule(rule);
        }
        let config = $service::Config::builder()
            .behavior_version($service::config::BehaviorVersion::latest())
            .region($service::config::Region::new(REGION))
            .endpoint_url($url)
            .retry_config($service::config::retry::RetryConfig::disabled())
            .credentials_provider(credentials)
            .interceptor(Recorder(log_of($url)))
            .interceptor(mocks);
        $service::Client::from_conf(config.build())
    }};
}

/// An SSM client: what moto lacks (DescribeInstanceInformation, real command output) mocked.
pub fn ssm_with_mocks(url: &str, rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_ssm::Client {
    mocked_client!(aws_sdk_ssm, url, rules)
}

/// An IAM client: what moto lacks (SimulatePrincipalPolicy) mocked.
pub fn iam_with_mocks(url: &str, rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_iam::Client {
    mocked_client!(aws_sdk_iam, url, rules)
}

/// A Backup client answered by the mocks alone (moto has no recovery points or restore
/// jobs), recorded in the log of the moto server at `url` when the test leases one.
pub fn backup_with_mocks(url: Option<&str>, rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_backup::Client {
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "mock");
    let mut mocks = aws_smithy_mocks::MockResponseInterceptor::new().rule_mode(aws_smithy_mocks::RuleMode::MatchAny);
    for rule in rules {
        mocks = mocks.with_rule(rule);
    }
    let log = url.map(log_of).unwrap_or_default();
    let config = aws_sdk_backup::Config::builder()
        .behavior_version(aws_sdk_backup::config::BehaviorVersion::latest())
        .region(aws_sdk_backup::config::Region::new(REGION))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .retry_config(aws_sdk_backup::config::retry::RetryConfig::disabled())
        .credentials_provider(credentials)
        .interceptor(Recorder(log))
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

/// Returns once the clock has entered the whole second after `since`'s: moto's snapshot
/// times are whole seconds, so two snapshots taken either side of it are ordered.
pub async fn past_the_second_of(since: jiff::Timestamp) {
    while jiff::Timestamp::now().as_second() <= since.as_second() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

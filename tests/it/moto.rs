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

/// Every SDK operation the tests made, as `service:Operation` (for the IAM policy test).
static CALLS: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Records each operation before it is sent.
#[derive(Debug)]
struct Recorder;

impl aws_sdk_ec2::config::Intercept for Recorder {
    fn name(&self) -> &'static str {
        "firedrill-test-recorder"
    }

    fn read_before_serialization(
        &self,
        _context: &aws_sdk_ec2::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _components: &aws_sdk_ec2::config::RuntimeComponents,
        cfg: &mut aws_sdk_ec2::config::ConfigBag,
    ) -> Result<(), aws_sdk_ec2::error::BoxError> {
        if let Some(metadata) = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>() {
            let call = format!("{}:{}", metadata.service().to_lowercase(), metadata.name());
            CALLS.lock().unwrap_or_else(|p| p.into_inner()).insert(call);
        }
        Ok(())
    }
}

/// Asserts that docs/iam-policy.json allows every operation recorded so far, and that
/// something was recorded.
pub fn assert_calls_allowed_by_the_iam_policy() {
    let text = std::fs::read_to_string(root().join("docs/iam-policy.json")).expect("docs/iam-policy.json");
    let policy: serde_json::Value = serde_json::from_str(&text).expect("the IAM policy is JSON");
    let allowed: Vec<String> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::String(a) => vec![a.clone()],
            serde_json::Value::Array(list) => list.iter().filter_map(|a| a.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        })
        .collect();
    let allows = |call: &str| {
        allowed.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => call.to_lowercase().starts_with(&prefix.to_lowercase()),
            None => call.eq_ignore_ascii_case(pattern),
        })
    };
    let calls = CALLS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(!calls.is_empty(), "no SDK call was recorded");
    let missing: Vec<&String> = calls.iter().filter(|c| !allows(c)).collect();
    assert!(
        missing.is_empty(),
        "docs/iam-policy.json does not allow {missing:?} (recorded: {calls:?})"
    );
}

struct Server {
    url: String,
    _child: ChildGuard,
}

/// Ends the server when the test binary's statics are dropped (or, failing that, moto
/// exits when its stdin closes with the test process).
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
    let child = Command::new(&binary)
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

static SERVER: OnceLock<Server> = OnceLock::new();
static LOCK: Mutex<()> = Mutex::const_new(());

/// Exclusive use of a freshly reset moto; hold the guard for the whole test.
pub async fn moto() -> (MutexGuard<'static, ()>, String) {
    let guard = LOCK.lock().await;
    let url = SERVER.get_or_init(start).url.clone();
    reset(&url);
    (guard, url)
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

fn clients_with(url: &str, record: bool) -> Clients {
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
    let ec2 = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(credentials.clone());
    let ec2 = if record { ec2.interceptor(Recorder) } else { ec2 }.build();
    let rds = aws_sdk_rds::Config::builder()
        .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
        .region(aws_sdk_rds::config::Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(credentials);
    let rds = if record { rds.interceptor(Recorder) } else { rds }.build();
    Clients {
        ec2: aws_sdk_ec2::Client::from_conf(ec2),
        rds: aws_sdk_rds::Client::from_conf(rds),
    }
}

pub fn cloud(url: &str) -> AwsCloud {
    AwsCloud::from_clients(clients(url), REGION)
}

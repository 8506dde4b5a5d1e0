//! Checks through SSM Run Command: whether the runner is online
//! (DescribeInstanceInformation's PingStatus), the command a check becomes (its script
//! and environment for `AWS-RunShellScript`, secrets read on the runner so that their
//! values never appear in the command or its logs), and waiting for its invocation
//! (GetCommandInvocation, tolerating `InvocationDoesNotExist` right after sending).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use aws_sdk_ssm::types::{CommandInvocationStatus, InstanceInformationStringFilter};
use base64::Engine as _;
use jiff::Timestamp;

use super::AwsCloud;
use super::errors::classify;
use crate::cloud::{CloudError, CommandOutput, CommandRequest};
use crate::scenario::SecretRef;

/// GetCommandInvocation returns at most this much standard output and error; longer
/// output is cut there by SSM.
const STDOUT_LIMIT: usize = 24_000;
const STDERR_LIMIT: usize = 8_000;

/// Where a check's files go on the runner.
const WORK_DIR: &str = "/tmp/firedrill";

/// Mounts a restored volume read-only at a folder: found by its volume id among the
/// NVMe devices (Nitro instances rename `/dev/sdf`), else at its device name; its
/// largest partition if it has partitions (a copied root volume); `nouuid` for XFS
/// copies whose UUID the runner's own root disk may share. POSIX sh only (plus `local`,
/// which dash and busybox have): the SSM agent runs the commands with `sh`, which is
/// dash on Debian and Ubuntu runners.
const MOUNT_FUNCTION: &str = r#"fd_serial() {
  printf '%s' "$1" | sed 's/-//'
}
fd_mount() {
  local id dir="$2" dev
  id=$(fd_serial "$1")
  dev=$(ls /dev/disk/by-id/*Amazon_Elastic_Block_Store_"$id" 2>/dev/null | head -n1)
  [ -n "$dev" ] || dev="$3"
  mkdir -p "$dir"
  mountpoint -q "$dir" && return 0
  local part
  part=$(lsblk -lnbpo NAME,TYPE,SIZE "$dev" | awk '$2=="part"' | sort -k3 -n | tail -n1 | cut -d' ' -f1)
  [ -n "$part" ] && dev="$part"
  mount -o ro,nouuid "$dev" "$dir" 2>/dev/null || mount -o ro "$dev" "$dir"
}
"#;

/// Quotes a value for a POSIX shell: single quotes, with each `'` closed, escaped and
/// reopened.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The shell that fetches a secret on the runner, with the runner's own credentials
/// (its instance profile), through the VPC's interface endpoints.
fn secret_fetch(reference: &SecretRef, region: &str) -> String {
    match reference {
        SecretRef::SecretsManager(secret) => {
            let fetch = format!(
                "aws secretsmanager get-secret-value --region {} --secret-id {} --query SecretString --output text",
                quote(region),
                quote(&secret.secret_id)
            );
            match &secret.key {
                None => fetch,
                Some(key) => format!(
                    "{fetch} | python3 -c {}",
                    quote(&format!(
                        "import json,sys; print(json.load(sys.stdin)[{}])",
                        serde_json::to_string(key).unwrap_or_default()
                    ))
                ),
            }
        }
        SecretRef::SsmParameter(name) => format!(
            "aws ssm get-parameter --region {} --name {} --with-decryption --query Parameter.Value --output text",
            quote(region),
            quote(name)
        ),
    }
}

/// The text sent as the `commands` parameter of `AWS-RunShellScript`: the check's
/// environment exported (secrets fetched on the runner from their references), extra
/// files written (a manifest), then the script itself, carried base64-encoded so that no
/// quoting can change it; its exit code is the command's.
pub fn command_script(
    request: &CommandRequest,
    script: &[u8],
    files: &BTreeMap<String, Vec<u8>>,
    mounts: &[(String, String)],
    region: &str,
) -> Result<String, String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let dir = format!("{WORK_DIR}/{}", request.check);
    let mut text = String::from("set -u\n");
    if !request.packages.is_empty() {
        let packages: Vec<String> = request.packages.iter().map(|p| quote(p)).collect();
        let packages = packages.join(" ");
        let _ = writeln!(
            text,
            "rpm -q {packages} >/dev/null 2>&1 || dnf install -y -q {packages} >&2 || {{ echo 'firedrill: cannot install {}' >&2; exit 3; }}",
            request.packages.join(" ")
        );
    }
    if !mounts.is_empty() {
        text.push_str(MOUNT_FUNCTION);
        for (volume, device) in mounts {
            let _ = writeln!(
                text,
                "fd_mount {} {} {} || {{ echo 'firedrill: cannot mount {volume}' >&2; exit 3; }}",
                quote(volume),
                quote(&format!("{}/{volume}", super::ec2::MOUNT_ROOT)),
                quote(device)
            );
        }
    }
    let _ = writeln!(text, "mkdir -p {0} && cd {0}", quote(&dir));
    for (name, content) in files {
        let _ = writeln!(
            text,
            "printf %s {} | base64 -d > {}",
            quote(&engine.encode(content)),
            quote(&format!("{dir}/{name}"))
        );
    }
    for (name, value) in &request.env {
        if let Some(target) = name.strip_prefix("FIREDRILL_SECRET_") {
            let reference: SecretRef = serde_json::from_str(value)
                .map_err(|e| format!("the secret reference of `{target}` cannot be read: {e}"))?;
            let _ = writeln!(
                text,
                "{target}=\"$({})\" || {{ echo 'firedrill: cannot read the secret for {target}' >&2; exit 3; }}\nexport {target}",
                secret_fetch(&reference, region)
            );
            continue;
        }
        if request.env.contains_key(&format!("FIREDRILL_SECRET_{name}")) {
            continue; // the placeholder of a secret, exported above
        }
        let value = match name.as_str() {
            "FIREDRILL_MANIFEST" => format!("{dir}/manifest.sha256"),
            _ => value.clone(),
        };
        let _ = writeln!(text, "export {name}={}", quote(&value));
    }
    let _ = writeln!(
        text,
        "printf %s {} | base64 -d > check.sh\nexec bash check.sh",
        quote(&engine.encode(script))
    );
    Ok(text)
}

/// The key prefix of one check's output objects.
fn output_prefix(prefix: &str, request: &CommandRequest) -> String {
    let run = request.env.get("FIREDRILL_RUN_ID").map(String::as_str).unwrap_or("run");
    format!("{prefix}{run}/{}", request.check)
}

/// The bucket and key of an S3 object URL as SSM gives them: path style
/// (`https://s3.<region>.amazonaws.com/<bucket>/<key>`) or virtual-hosted
/// (`https://<bucket>.s3.<region>.amazonaws.com/<key>`).
pub fn s3_location(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    if host.starts_with("s3.") || host.starts_with("s3-") || !host.contains(".s3") {
        let (bucket, key) = path.split_once('/')?;
        Some((bucket.to_owned(), key.to_owned()))
    } else {
        let bucket = host.split(".s3").next()?;
        Some((bucket.to_owned(), path.to_owned()))
    }
}

/// AWS-RunShellScript's `executionTimeout` for a check of `timeout`: whole seconds, at
/// least 1 and at most the document's maximum of 172800 (48 hours; a larger value is
/// refused by SendCommand). A longer check is still bounded by firedrill's own wait.
fn execution_timeout(timeout: Duration) -> u64 {
    timeout.as_secs().clamp(1, 172_800)
}

/// Why a TimedOut invocation never ran, when its StatusDetails say so: `Delivery Timed
/// Out` means the command never reached the agent (GetCommandInvocation's StatusDetails,
/// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html),
/// not that the check ran out of time, which is `Execution Timed Out`.
fn never_delivered(command_id: &str, instance: &str, details: &str) -> Option<String> {
    (details == "Delivery Timed Out").then(|| {
        format!(
            "ssm:GetCommandInvocation: the command {command_id} never reached the SSM agent on {instance} \
             (Delivery Timed Out): the check did not run"
        )
    })
}

/// Whether SSM cut a command's output at its limits (the result says so).
pub fn output_truncated(stdout: &str, stderr: &str) -> bool {
    stdout.chars().count() >= STDOUT_LIMIT || stderr.chars().count() >= STDERR_LIMIT
}

impl AwsCloud {
    /// Whether SSM sees the instance's agent online.
    pub async fn ssm_online(&self, instance: &str) -> Result<bool, CloudError> {
        let found = self
            .clients
            .ssm
            .describe_instance_information()
            .filters(
                InstanceInformationStringFilter::builder()
                    .key("InstanceIds")
                    .values(instance)
                    .build()
                    .map_err(|e| CloudError::Failed(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| classify("ssm:DescribeInstanceInformation", &e))?;
        Ok(found
            .instance_information_list()
            .iter()
            .any(|i| i.instance_id() == Some(instance) && i.ping_status().map(|s| s.as_str()) == Some("Online")))
    }

    /// Sends the check and waits for its invocation to end (the caller's timeout bounds
    /// the wait; SSM's own `executionTimeout` stops the script on the runner).
    pub async fn ssm_run(&self, instance: &str, request: &CommandRequest) -> Result<CommandOutput, CloudError> {
        let script = std::fs::read(&request.script)
            .map_err(|e| CloudError::Failed(format!("cannot read {}: {e}", request.script.display())))?;
        let mut files = BTreeMap::new();
        if let Some(manifest) = request.env.get("FIREDRILL_MANIFEST") {
            let content = std::fs::read(manifest)
                .map_err(|e| CloudError::Failed(format!("cannot read the manifest {manifest}: {e}")))?;
            files.insert("manifest.sha256".to_owned(), content);
        }
        let mounts = self.attach_volumes(instance).await?;
        let commands = command_script(request, &script, &files, &mounts, &self.region).map_err(CloudError::Failed)?;
        let seconds = execution_timeout(request.timeout);
        let sent = self
            .clients
            .ssm
            .send_command()
            .instance_ids(instance)
            .document_name("AWS-RunShellScript")
            .comment(format!("firedrill check {}", request.check))
            .parameters("commands", vec![commands])
            .parameters("executionTimeout", vec![seconds.to_string()])
            .timeout_seconds(i32::try_from(seconds.clamp(30, 2_592_000)).unwrap_or(i32::MAX))
            .set_output_s3_bucket_name(self.check_output.as_ref().map(|o| o.s3_bucket.clone()))
            .set_output_s3_key_prefix(self.check_output.as_ref().map(|o| output_prefix(&o.s3_prefix, request)))
            .send()
            .await
            .map_err(|e| classify("ssm:SendCommand", &e))?;
        let command_id = sent
            .command()
            .and_then(|c| c.command_id())
            .ok_or_else(|| CloudError::Failed("SendCommand returned no command id".into()))?
            .to_owned();
        // Once sent, the command is only waited for: a throttled look is tried again
        // later here, never by sending the check a second time.
        let mut pause = self.waits.poll;
        loop {
            tokio::time::sleep(pause).await;
            match self.invocation(&command_id, instance).await {
                Ok(Some(output)) => return Ok(output),
                Ok(None) => pause = self.waits.poll,
                Err(error) if error.is_retryable() => pause = (pause * 2).min(Duration::from_secs(10)),
                Err(error) => return Err(error),
            }
        }
    }

    /// The invocation's result once it has ended, `None` while it runs.
    async fn invocation(&self, command_id: &str, instance: &str) -> Result<Option<CommandOutput>, CloudError> {
        let answer = self
            .clients
            .ssm
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance)
            .send()
            .await;
        let invocation = match answer {
            Ok(invocation) => invocation,
            // Right after SendCommand the invocation may not exist yet.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_invocation_does_not_exist()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(classify("ssm:GetCommandInvocation", &error)),
        };
        let stdout = invocation.standard_output_content().unwrap_or_default().to_owned();
        let mut stderr = invocation.standard_error_content().unwrap_or_default().to_owned();
        let exit_code = match invocation.status() {
            None
            | Some(
                CommandInvocationStatus::Pending
                | CommandInvocationStatus::InProgress
                | CommandInvocationStatus::Delayed
                | CommandInvocationStatus::Cancelling,
            ) => return Ok(None),
            Some(CommandInvocationStatus::Success | CommandInvocationStatus::Failed) => invocation.response_code(),
            Some(CommandInvocationStatus::TimedOut) => {
                let details = invocation.status_details().unwrap_or_default();
                if let Some(undelivered) = never_delivered(command_id, instance, details) {
                    return Err(CloudError::Failed(undelivered));
                }
                let _ = write!(stderr, "\nfiredrill: SSM stopped the command at its execution timeout");
                124
            }
            Some(other) => {
                return Err(CloudError::Failed(format!(
                    "ssm:GetCommandInvocation: the command {command_id} ended {}: {}",
                    other.as_str(),
                    invocation.status_details().unwrap_or_default()
                )));
            }
        };
        let now = Timestamp::now();
        let time = |text: Option<&str>| text.and_then(|t| t.parse::<Timestamp>().ok()).unwrap_or(now);
        let (stdout, mut stderr) = if output_truncated(&stdout, &stderr) {
            self.whole_output(&invocation, stdout, stderr).await
        } else {
            (stdout, stderr)
        };
        if output_truncated(&stdout, &stderr) && self.check_output.is_none() {
            let _ = write!(
                stderr,
                "\nfiredrill: SSM returns at most {STDOUT_LIMIT} characters of output and {STDERR_LIMIT} of errors; the rest was cut (set `check_output` to keep it all)"
            );
        }
        Ok(Some(CommandOutput {
            exit_code,
            stdout,
            stderr,
            started_at: time(invocation.execution_start_date_time()),
            ended_at: time(invocation.execution_end_date_time()),
        }))
    }

    /// The whole output of a command SSM cut, read from the S3 objects its agent wrote
    /// (the invocation's StandardOutputUrl and StandardErrorUrl); what cannot be read
    /// stays cut, and says so.
    async fn whole_output(
        &self,
        invocation: &aws_sdk_ssm::operation::get_command_invocation::GetCommandInvocationOutput,
        stdout: String,
        mut stderr: String,
    ) -> (String, String) {
        if self.check_output.is_none() {
            return (stdout, stderr);
        }
        let read = |url: Option<&str>| {
            let location = url.and_then(s3_location);
            async move {
                let (bucket, key) = location.ok_or("SSM gave no S3 address for it".to_owned())?;
                let object = self
                    .clients
                    .s3
                    .get_object()
                    .bucket(&bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| classify("s3:GetObject", &e).to_string())?;
                let bytes = object.body.collect().await.map_err(|e| e.to_string())?.into_bytes();
                Ok::<String, String>(String::from_utf8_lossy(&bytes).into_owned())
            }
        };
        let whole_stdout = read(invocation.standard_output_url()).await;
        let whole_stderr = read(invocation.standard_error_url()).await;
        let stdout = match whole_stdout {
            Ok(text) => text,
            Err(error) => {
                let _ = write!(
                    stderr,
                    "\nfiredrill: the whole output could not be read from S3 ({error}); it is cut"
                );
                stdout
            }
        };
        let stderr = whole_stderr.unwrap_or(stderr);
        (stdout, stderr)
    }

    /// The AMI a runner is launched from: an id as is, or an SSM public parameter
    /// (`resolve:ssm:/aws/service/…`) read now, so the result records the actual image.
    pub async fn resolve_image(&self, ami: &str) -> Result<String, CloudError> {
        let Some(name) = ami.strip_prefix("resolve:ssm:") else {
            return Ok(ami.to_owned());
        };
        let found = self
            .clients
            .ssm
            .get_parameter()
            .name(name)
            .send()
            .await
            .map_err(|e| classify("ssm:GetParameter", &e))?;
        found
            .parameter()
            .and_then(|p| p.value())
            .map(str::to_owned)
            .ok_or_else(|| CloudError::NotFound(format!("the SSM parameter {name} has no value")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_function_runs_under_a_posix_sh() {
        // dash where it is (Debian, Ubuntu: what runs AWS-RunShellScript there), else sh.
        let shell = ["/usr/bin/dash", "/bin/dash"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("/bin/sh");
        let run = |script: String| {
            let out = std::process::Command::new(shell)
                .args(["-c", &script])
                .output()
                .unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let (parsed, _) = run(format!("{MOUNT_FUNCTION}\ntrue"));
        assert!(parsed, "{shell} reads the function");
        // The NVMe serial of vol-0abc is vol0abc (the first dash dropped).
        assert_eq!(
            run(format!("{MOUNT_FUNCTION}\nfd_serial vol-0abc")),
            (true, "vol0abc".to_owned())
        );
        for bash_only in ["${1/", "[[", "function "] {
            assert!(!MOUNT_FUNCTION.contains(bash_only), "{bash_only}");
        }
    }

    #[test]
    fn the_execution_timeout_stays_within_what_aws_run_shell_script_accepts() {
        assert_eq!(execution_timeout(Duration::from_millis(300)), 1);
        assert_eq!(execution_timeout(Duration::from_secs(600)), 600);
        assert_eq!(execution_timeout(Duration::from_secs(72 * 3600)), 172_800);
    }

    #[test]
    fn a_command_that_never_reached_the_agent_is_not_a_check_that_ran_out_of_time() {
        let undelivered = never_delivered("cmd-1", "i-1", "Delivery Timed Out").expect("an error");
        assert!(
            undelivered.contains("never reached the SSM agent on i-1"),
            "{undelivered}"
        );
        assert_eq!(never_delivered("cmd-1", "i-1", "Execution Timed Out"), None);
    }
    use crate::scenario::SecretsManagerRef;

    fn request(env: &[(&str, &str)]) -> CommandRequest {
        CommandRequest {
            check: "row-counts".into(),
            script: "checks/x.sh".into(),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            timeout: std::time::Duration::from_secs(600),
            packages: Vec::new(),
        }
    }

    #[test]
    fn values_are_quoted_and_the_script_is_carried_intact() {
        let script = b"#!/bin/bash\necho \"it's $HOME\"\n";
        let text = command_script(
            &request(&[("PGHOST", "db.internal'; rm -rf /")]),
            script,
            &BTreeMap::new(),
            &[],
            "eu-west-1",
        )
        .unwrap();
        assert!(text.contains(r"export PGHOST='db.internal'\''; rm -rf /'"), "{text}");
        let encoded = base64::engine::general_purpose::STANDARD.encode(script);
        assert!(text.contains(&encoded), "{text}");
        assert!(text.trim_end().ends_with("exec bash check.sh"));
    }

    #[test]
    fn secrets_are_fetched_on_the_runner_never_sent() {
        let reference = SecretRef::SecretsManager(SecretsManagerRef {
            secret_id: "prod/orders/reader".into(),
            key: Some("password".into()),
        });
        let json = serde_json::to_string(&reference).unwrap();
        let parameter = serde_json::to_string(&SecretRef::SsmParameter("/drill/token".into())).unwrap();
        let text = command_script(
            &request(&[
                ("PGPASSWORD", ""),
                ("FIREDRILL_SECRET_PGPASSWORD", &json),
                ("TOKEN", ""),
                ("FIREDRILL_SECRET_TOKEN", &parameter),
            ]),
            b"true",
            &BTreeMap::new(),
            &[],
            "eu-west-1",
        )
        .unwrap();
        assert!(
            text.contains("aws secretsmanager get-secret-value --region 'eu-west-1' --secret-id 'prod/orders/reader'")
        );
        assert!(
            text.contains(r#"[\"password\"]"#) || text.contains(r#"["password"]"#),
            "{text}"
        );
        assert!(text.contains("aws ssm get-parameter --region 'eu-west-1' --name '/drill/token' --with-decryption"));
        assert!(
            text.contains("export PGPASSWORD\n") && text.contains("export TOKEN\n"),
            "{text}"
        );
        assert!(
            !text.contains("export PGPASSWORD=''"),
            "no empty placeholder overrides the secret"
        );
    }

    #[test]
    fn a_manifest_travels_with_the_check() {
        let files = BTreeMap::from([("manifest.sha256".to_owned(), b"abc  data/orders.csv\n".to_vec())]);
        let text = command_script(
            &request(&[("FIREDRILL_MANIFEST", "/home/me/checks/demo.sha256")]),
            b"true",
            &files,
            &[],
            "us-east-1",
        )
        .unwrap();
        assert!(text.contains("export FIREDRILL_MANIFEST='/tmp/firedrill/row-counts/manifest.sha256'"));
        assert!(!text.contains("/home/me"), "no local path reaches the runner");
    }

    #[test]
    fn restored_volumes_are_mounted_read_only_before_the_script() {
        let mounts = [("vol-0abc".to_owned(), "/dev/sdf".to_owned())];
        let text = command_script(&request(&[]), b"true", &BTreeMap::new(), &mounts, "us-east-1").unwrap();
        let mount = text
            .find("fd_mount 'vol-0abc' '/mnt/firedrill/vol-0abc' '/dev/sdf'")
            .expect(&text);
        assert!(mount < text.find("exec bash check.sh").unwrap());
        assert!(text.contains("mount -o ro"));
    }

    #[test]
    fn missing_packages_are_installed_before_the_script() {
        let mut with_tools = request(&[]);
        with_tools.packages = vec!["postgresql15".into()];
        let text = command_script(&with_tools, b"true", &BTreeMap::new(), &[], "us-east-1").unwrap();
        let install = text
            .find("rpm -q 'postgresql15' >/dev/null 2>&1 || dnf install -y -q 'postgresql15'")
            .expect(&text);
        assert!(install < text.find("exec bash check.sh").unwrap());
        let without = command_script(&request(&[]), b"true", &BTreeMap::new(), &[], "us-east-1").unwrap();
        assert!(!without.contains("dnf"), "{without}");
    }

    #[test]
    fn output_urls_are_read_in_both_styles() {
        assert_eq!(
            s3_location(
                "https://s3.eu-west-1.amazonaws.com/drill-out/firedrill/r/c/cmd/i-1/awsrunShellScript/0.awsrunShellScript/stdout"
            ),
            Some((
                "drill-out".into(),
                "firedrill/r/c/cmd/i-1/awsrunShellScript/0.awsrunShellScript/stdout".into()
            ))
        );
        assert_eq!(
            s3_location("https://drill-out.s3.amazonaws.com/p/stdout"),
            Some(("drill-out".into(), "p/stdout".into()))
        );
        assert_eq!(
            s3_location("http://127.0.0.1:5055/drill-out/p/stdout"),
            Some(("drill-out".into(), "p/stdout".into()))
        );
        assert_eq!(s3_location("not a url"), None);
    }

    #[test]
    fn truncation_is_told_at_ssms_limits() {
        assert!(!output_truncated("short", ""));
        assert!(output_truncated(&"x".repeat(STDOUT_LIMIT), ""));
        assert!(output_truncated("", &"e".repeat(STDERR_LIMIT)));
    }
}

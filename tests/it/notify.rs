//! `run --notify`: the summary POSTed to a webhook (a server on 127.0.0.1 here) and
//! published to an SNS topic (moto's, read back through an SQS subscription); a
//! notification that fails is said and leaves the drill's exit code alone.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;

use crate::moto;
use crate::support::*;

/// A webhook that answers each request with the next status of `statuses`, and returns
/// the bodies it got.
fn webhook(statuses: Vec<u16>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/T000/B000/secret-token", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for status in statuses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            bodies.push(String::from_utf8(body).unwrap());
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
        }
        bodies
    });
    (url, server)
}

fn run_notifying(file: &Path, history: &Path, notify: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "run".as_ref(),
        file.as_os_str(),
        "--history".as_ref(),
        history.as_os_str(),
        "--checks-dir".as_ref(),
    ];
    let checks = root().join("checks");
    args.push(checks.as_os_str());
    args.extend(notify.iter().map(|n| n.as_ref() as &std::ffi::OsStr));
    firedrill_with_env(args, env)
}

#[test]
fn the_summary_is_posted_to_the_webhook_after_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", "");
    let (url, server) = webhook(vec![503, 204]);
    let output = run_notifying(&file, &dir.path().join("h"), &["--notify", &url], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let bodies = server.join().unwrap();
    assert_eq!(bodies.len(), 2, "one retry after the 503");
    let body: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
    assert_eq!(body["subject"], "firedrill: quick PASSED (simulated)");
    assert_eq!(body["drills"][0]["outcome"], "passed");
    assert!(body["drills"][0]["rto_seconds"].as_f64().unwrap() > 0.0);
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("| quick (simulated) | ✅ passed |"), "{text}");
    let err = stderr(&output);
    assert!(err.contains("notified http://127.0.0.1:"), "{err}");
    assert!(
        !err.contains("secret-token"),
        "the webhook's path is not printed: {err}"
    );
}

#[test]
fn a_failed_notification_is_said_and_the_exit_code_is_the_drills() {
    let dir = tempfile::tempdir().unwrap();
    // Fails its 1-second RTO target: exit 1 whatever the webhook does.
    let file = crate::run::scenario(dir.path(), "1s", "");
    let (url, server) = webhook(vec![400]);
    let output = run_notifying(
        &file,
        &dir.path().join("h"),
        &["--notify", &url, "--notify-on", "failure"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(server.join().unwrap().len(), 1, "a 400 is not retried");
    assert!(
        stderr(&output).contains("the notification to http://127.0.0.1:")
            && stderr(&output).contains("failed: the webhook answered 400"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_passed_drill_is_not_notified_on_failure_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", "");
    // Nothing listens here: a notification would fail and say so.
    let output = run_notifying(
        &file,
        &dir.path().join("h"),
        &["--notify", "http://127.0.0.1:9/hook", "--notify-on", "failure"],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("notif"), "{}", stderr(&output));
}

#[test]
fn bad_targets_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", "");
    let history = dir.path().join("h");
    let output = run_notifying(&file, &history, &["--notify", "http://hooks.example.com/x"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("must use https://"), "{}", stderr(&output));
    assert!(!history.exists(), "nothing ran");
}

#[tokio::test]
async fn the_summary_is_published_to_the_sns_topic() {
    let (_lock, url) = moto::moto().await;
    let setup = moto::setup_clients(&url);
    let config = setup.s3.config().clone();
    let credentials = aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "moto");
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::Config::builder()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(config.region().cloned())
            .endpoint_url(&url)
            .credentials_provider(credentials.clone())
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(config.region().cloned())
            .endpoint_url(&url)
            .credentials_provider(credentials)
            .build(),
    );
    let topic = sns.create_topic().name("drills").send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_owned();
    let queue = sqs.create_queue().queue_name("drill-inbox").send().await.unwrap();
    let queue_url = queue.queue_url().unwrap().to_owned();
    let queue_arn = format!("arn:aws:sqs:{}:123456789012:drill-inbox", moto::REGION);
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = crate::run::scenario(dir.path(), "30m", "");
    let env = crate::aws_kill::aws_env(&url);
    let history = dir.path().join("h");
    let output = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_notifying(&file, &history, &["--notify", &topic_arn], &env)
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("notified arn:aws:sns:"), "{}", stderr(&output));

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let envelope: serde_json::Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(envelope["Subject"], "firedrill: quick PASSED (simulated)");
    let text = envelope["Message"].as_str().unwrap();
    assert!(text.contains("| quick (simulated) | ✅ passed |"), "{text}");
}

#[test]
fn a_run_that_cannot_start_is_notified_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, "name: broken\nowner: [not, an, email]\n").unwrap();
    let (url, server) = webhook(vec![204]);
    let output = run_notifying(
        &file,
        &dir.path().join("h"),
        &["--notify", &url, "--notify-on", "failure"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let bodies = server.join().unwrap();
    let body: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(body["drills"][0]["outcome"], "not run");
    assert!(
        body["text"].as_str().unwrap().contains("scenario files are invalid"),
        "{body:#}"
    );
}

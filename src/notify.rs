//! Telling people how drills ended: a publish to an SNS topic (e-mail, chat, on-call
//! tools subscribe to it) and a POST to a generic webhook (Slack, Mattermost and most
//! chat tools take its `text`), each with the Markdown summary of the run's drills.
//!
//! The message is built here, purely, from the results; `send` does the I/O. A
//! notification that cannot be delivered is said on stderr and does not change the
//! drill's exit code: the result is in the history either way, and a scheduler already
//! alerts on a failed drill's exit code.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;

use crate::measure::Outcome;
use crate::report::text::{outcome_text, seconds_text};
use crate::result::DrillResult;

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `arn:aws:sns:REGION:ACCOUNT:TOPIC`, published to in the topic's own region.
    Sns { topic_arn: String, region: String },
    /// An `https://` URL (or `http://` to this machine, for tests and local relays).
    Webhook { url: String },
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Some(rest) = text.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.split(':').collect();
            return match parts.as_slice() {
                [_, "sns", region, account, topic]
                    if !region.is_empty() && account.len() == 12 && !topic.is_empty() =>
                {
                    Ok(Target::Sns {
                        topic_arn: text.to_owned(),
                        region: (*region).to_owned(),
                    })
                }
                _ => Err(format!(
                    "`{text}` is not an SNS topic ARN: expected arn:aws:sns:REGION:ACCOUNT:TOPIC"
                )),
            };
        }
        let Ok(url) = reqwest::Url::parse(text) else {
            return Err(format!(
                "`{text}` is neither an SNS topic ARN (arn:aws:sns:…) nor a webhook URL (https://…)"
            ));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "`{}`: a webhook URL must not carry a user or password (they would be printed and logged)",
                redacted(text)
            ));
        }
        // The host itself, not a prefix: `http://localhost.example.com` is not this machine.
        let this_machine = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match url.scheme() {
            "https" => Ok(Target::Webhook { url: text.to_owned() }),
            "http" if this_machine => Ok(Target::Webhook { url: text.to_owned() }),
            "http" => Err(format!(
                "`{}`: a webhook must use https:// (drill results name production resources); http:// only to this machine",
                redacted(text)
            )),
            _ => Err(format!(
                "`{text}` is neither an SNS topic ARN (arn:aws:sns:…) nor a webhook URL (https://…)"
            )),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sns { topic_arn, .. } => write!(f, "{topic_arn}"),
            Target::Webhook { url } => write!(f, "{}", redacted(url)),
        }
    }
}

/// A webhook URL as it may be printed: scheme, host and port only (the path, the query
/// and any user of most webhooks are their secret).
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{}{port}/…", parsed.scheme(), parsed.host_str().unwrap_or("?"))
        }
        Err(_) => "the webhook".to_owned(),
    }
}

/// When to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum When {
    /// After every run.
    Always,
    /// Only when a drill did not pass (failed, error, aborted, or could not start).
    Failure,
}

/// How one drill of the run ended: its result, or why it has none.
pub enum Ended<'a> {
    Result(&'a DrillResult),
    NotRun { file: String, error: &'a str },
}

impl Ended<'_> {
    /// Passed, and left nothing behind: a drill whose copies remain needs someone.
    fn passed(&self) -> bool {
        matches!(self, Ended::Result(r) if r.outcome == Outcome::Passed && !r.teardown_incomplete())
    }
}

/// Whether a run with these drills is notified under `when`.
pub fn wanted(when: When, drills: &[Ended<'_>]) -> bool {
    when == When::Always || drills.iter().any(|d| !d.passed())
}

/// What is sent: a one-line subject, the Markdown summary, and the figures as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    pub markdown: String,
    pub payload: serde_json::Value,
}

/// The message for a run's drills.
pub fn message(drills: &[Ended<'_>]) -> Message {
    let failed = drills.iter().filter(|d| !d.passed()).count();
    let subject = match (drills, failed) {
        ([Ended::Result(r)], _) => format!(
            "firedrill: {} {}{}",
            r.scenario,
            outcome_text(r.outcome).to_uppercase(),
            if r.simulated { " (simulated)" } else { "" }
        ),
        (_, 0) => format!("firedrill: all {} drills passed", drills.len()),
        (_, n) => format!("firedrill: {n} of {} drills did not pass", drills.len()),
    };
    Message {
        subject: fit_subject(&subject),
        markdown: markdown(drills, &subject),
        payload: payload(drills, &subject),
    }
}

/// SNS subjects: at most 100 printable ASCII characters, no line breaks.
fn fit_subject(subject: &str) -> String {
    let ascii: String = subject
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .collect();
    if ascii.len() <= 100 {
        ascii
    } else {
        format!("{}...", &ascii[..97])
    }
}

fn markdown(drills: &[Ended<'_>], subject: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {subject}\n");
    let _ = writeln!(out, "| Scenario | Outcome | RTO / target | RPO / target | Run |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for drill in drills {
        match drill {
            Ended::Result(r) => {
                let figure = |seconds: Option<f64>, target: crate::scenario::HumanDuration| {
                    let target = seconds_text(target.as_duration().as_secs_f64());
                    match seconds {
                        Some(s) => format!("{} / {target}", seconds_text(s)),
                        None => format!("— / {target}"),
                    }
                };
                let _ = writeln!(
                    out,
                    "| {}{} | {} {} | {} | {} | `{}` |",
                    cell(&r.scenario),
                    if r.simulated { " (simulated)" } else { "" },
                    mark(r.outcome),
                    outcome_text(r.outcome),
                    figure(r.rto.as_ref().map(|v| v.seconds), r.rto_target),
                    figure(r.rpo.as_ref().map(|v| v.seconds), r.rpo_target),
                    r.run_id
                );
            }
            Ended::NotRun { file, .. } => {
                let _ = writeln!(out, "| {} | ❌ not run | — | — | — |", cell(file));
            }
        }
    }
    for drill in drills {
        match drill {
            Ended::Result(r) if !r.reasons.is_empty() => {
                let _ = writeln!(out, "\n**{}**:", cell(&r.scenario));
                for reason in &r.reasons {
                    let _ = writeln!(out, "- {}", cell(reason));
                }
            }
            Ended::NotRun { file, error } => {
                let _ = writeln!(out, "\n**{}**: {}", cell(file), cell(error));
            }
            Ended::Result(_) => {}
        }
        if let Ended::Result(r) = drill
            && r.teardown_incomplete()
        {
            let _ = writeln!(
                out,
                "\n**{}**: resources of the drill remain; remove them with `firedrill cleanup --run-id {}`",
                cell(&r.scenario),
                r.run_id
            );
        }
    }
    out
}

fn payload(drills: &[Ended<'_>], subject: &str) -> serde_json::Value {
    let drills: Vec<serde_json::Value> = drills
        .iter()
        .map(|d| match d {
            Ended::Result(r) => json!({
                "scenario": r.scenario,
                "run_id": r.run_id,
                "outcome": outcome_text(r.outcome),
                "simulated": r.simulated,
                "rto_seconds": r.rto.as_ref().map(|v| v.seconds),
                "rto_target_seconds": r.rto_target.as_duration().as_secs_f64(),
                "rpo_seconds": r.rpo.as_ref().map(|v| v.seconds),
                "rpo_target_seconds": r.rpo_target.as_duration().as_secs_f64(),
                "reasons": r.reasons,
            }),
            Ended::NotRun { file, error } => json!({ "file": file, "outcome": "not run", "reasons": [error] }),
        })
        .collect();
    json!({ "subject": subject, "drills": drills })
}

fn mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "✅",
        Outcome::Failed => "❌",
        Outcome::Error | Outcome::Aborted => "⚠️",
    }
}

/// A table cell: no line breaks, no column separators.
fn cell(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('|', "\\|")
}

/// Sends `message` to every target; returns how each went, in the targets' order.
pub async fn send(targets: &[Target], message: &Message, profile: Option<&str>) -> Vec<Result<(), String>> {
    let mut sent = Vec::new();
    for target in targets {
        sent.push(match target {
            Target::Sns { topic_arn, region } => publish(topic_arn, region, profile, message).await,
            Target::Webhook { url } => post(url, message).await,
        });
    }
    sent
}

async fn publish(topic_arn: &str, region: &str, profile: Option<&str>, message: &Message) -> Result<(), String> {
    let config = crate::cloud::aws::config_loader(Some(region), profile).load().await;
    let client = aws_sdk_sns::Client::new(&config);
    client
        .publish()
        .topic_arn(topic_arn)
        .subject(&message.subject)
        .message(&message.markdown)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| crate::cloud::aws::classify("sns:Publish", &e).to_string())
}

/// POSTs the payload with the summary as `text`; retries twice on a network error or a
/// 5xx or 429 answer, 1 and 2 seconds apart.
async fn post(url: &str, message: &Message) -> Result<(), String> {
    let mut body = message.payload.clone();
    body["text"] = serde_json::Value::String(message.markdown.clone());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        // A redirect could lead to http:// or elsewhere: the URL given is the only one.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("firedrill/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let mut last_error = String::new();
    for attempt in 0..3u64 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(attempt)).await;
        }
        match client.post(url).json(&body).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => {
                let status = response.status();
                last_error = format!("the webhook answered {status}");
                if !(status.is_server_error() || status.as_u16() == 429) {
                    break;
                }
            }
            Err(error) => last_error = format!("cannot reach the webhook: {}", without_url(error)),
        }
    }
    Err(last_error)
}

/// A reqwest error without the URL it names (its path is the webhook's secret).
fn without_url(error: reqwest::Error) -> String {
    use std::error::Error as _;
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(outcome: Outcome, reasons: &[&str]) -> DrillResult {
        let mut result: DrillResult = serde_json::from_str(include_str!(
            "../tests/fixtures/report/history/orders-db/fd-orders-db-20241201T020800Z-zytgvj.json"
        ))
        .expect("a fixture result");
        result.outcome = outcome;
        result.reasons = reasons.iter().map(|r| (*r).to_owned()).collect();
        result
    }

    #[test]
    fn targets_are_sns_topics_or_https_webhooks() {
        assert_eq!(
            "arn:aws:sns:eu-west-1:123456789012:drills".parse(),
            Ok(Target::Sns {
                topic_arn: "arn:aws:sns:eu-west-1:123456789012:drills".into(),
                region: "eu-west-1".into()
            })
        );
        assert!(matches!(
            "https://hooks.example.com/T1/B2".parse(),
            Ok(Target::Webhook { .. })
        ));
        assert!(matches!(
            "http://127.0.0.1:8080/hook".parse(),
            Ok(Target::Webhook { .. })
        ));
        for (bad, says) in [
            ("http://hooks.example.com/x", "must use https://"),
            ("arn:aws:sqs:eu-west-1:123456789012:q", "not an SNS topic ARN"),
            ("arn:aws:sns:eu-west-1:12345:drills", "not an SNS topic ARN"),
            ("slack", "neither an SNS topic ARN"),
            ("http://localhost.example.com/x", "must use https://"),
            ("http://127.0.0.1@example.com/x", "must not carry a user"),
            ("https://user:secret@hooks.example.com/x", "must not carry a user"),
        ] {
            let error = bad.parse::<Target>().unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn a_webhook_is_printed_without_its_secret_path() {
        let target: Target = "https://hooks.example.com/services/T1/B2/secret".parse().unwrap();
        assert_eq!(target.to_string(), "https://hooks.example.com/…");
        let target: Target = "https://hooks.example.com/x?token=secret".parse().unwrap();
        assert_eq!(target.to_string(), "https://hooks.example.com/…");
        let local: Target = "http://127.0.0.1:8080/hook".parse().unwrap();
        assert_eq!(local.to_string(), "http://127.0.0.1:8080/…");
    }

    #[test]
    fn failure_only_notifies_when_something_did_not_pass() {
        let passed = result(Outcome::Passed, &[]);
        let failed = result(Outcome::Failed, &["RTO 50m exceeds the target 45m"]);
        assert!(!wanted(When::Failure, &[Ended::Result(&passed)]));
        assert!(wanted(When::Always, &[Ended::Result(&passed)]));
        assert!(wanted(When::Failure, &[Ended::Result(&passed), Ended::Result(&failed)]));
        let not_run = Ended::NotRun {
            file: "a.yaml".into(),
            error: "no credentials",
        };
        assert!(wanted(When::Failure, &[not_run]));
        let mut left = result(Outcome::Passed, &[]);
        left.teardown.left_behind.push(crate::cloud::ResourceRef::new(
            crate::cloud::ResourceType::Volume,
            "vol-1",
        ));
        assert!(
            wanted(When::Failure, &[Ended::Result(&left)]),
            "copies left behind need someone"
        );
        assert!(
            message(&[Ended::Result(&left)])
                .markdown
                .contains("firedrill cleanup --run-id")
        );
    }

    #[test]
    fn the_summary_names_outcomes_figures_and_reasons() {
        let passed = result(Outcome::Passed, &[]);
        let mut failed = result(
            Outcome::Failed,
            &["check row-counts: orders has 3 rows | expected ≥ 1000"],
        );
        failed.scenario = "payments-pitr".into();
        let drills = [
            Ended::Result(&passed),
            Ended::Result(&failed),
            Ended::NotRun {
                file: "scenarios/broken.yaml".into(),
                error: "cannot assume role",
            },
        ];
        let message = message(&drills);
        assert_eq!(message.subject, "firedrill: 2 of 3 drills did not pass");
        let md = &message.markdown;
        assert!(md.contains("| orders-db | ✅ passed |"), "{md}");
        assert!(md.contains("| payments-pitr | ❌ failed |"), "{md}");
        assert!(md.contains("| scenarios/broken.yaml | ❌ not run |"), "{md}");
        assert!(
            md.contains("orders has 3 rows \\| expected"),
            "a | in a reason is escaped: {md}"
        );
        assert!(md.contains("**scenarios/broken.yaml**: cannot assume role"), "{md}");
        assert_eq!(message.payload["drills"][1]["outcome"], "failed");
        assert_eq!(message.payload["drills"][2]["outcome"], "not run");
    }

    #[test]
    fn a_single_drill_is_named_in_the_subject_which_fits_sns() {
        let mut long = result(Outcome::Failed, &[]);
        long.scenario = "x".repeat(120);
        let subject = message(&[Ended::Result(&long)]).subject;
        assert!(subject.len() <= 100 && subject.ends_with("..."), "{subject}");
        let one = result(Outcome::Error, &[]);
        assert_eq!(message(&[Ended::Result(&one)]).subject, "firedrill: orders-db ERROR");
    }
}

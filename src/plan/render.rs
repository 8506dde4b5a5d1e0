//! The plan as a tree people read: stages of steps that can run together.

use std::fmt::Write;

use super::{Action, DrillPlan, Step};
use crate::scenario::{RecoveryPointSelector, RestoreSource, TeardownPolicy};

/// The plan as text: a header, then each stage with its steps, what they wait for and
/// their timeouts.
pub fn render_text(plan: &DrillPlan) -> String {
    let mut out = String::new();
    let teardown = match plan.teardown {
        TeardownPolicy::Always => "always",
        TeardownPolicy::OnSuccess => "on success",
        TeardownPolicy::Never => "never",
    };
    let cloud = match plan.cloud {
        crate::scenario::CloudKind::Aws => "aws",
        crate::scenario::CloudKind::Sim => "sim (simulated AWS account)",
    };
    let _ = writeln!(
        out,
        "Drill plan for `{}` on {cloud}, region {}",
        plan.scenario, plan.region
    );
    let _ = writeln!(
        out,
        "targets: RTO {} · RPO {} · deadline {} · teardown {teardown}",
        plan.rto_target, plan.rpo_target, plan.max_duration
    );
    let width = plan.steps.iter().map(|s| s.id.chars().count()).max().unwrap_or(0);
    let stages = plan.stages();
    let last_stage = stages.keys().last().copied().unwrap_or(0);
    for (stage, steps) in &stages {
        let _ = writeln!(out, "│");
        let kind = if steps.iter().all(|s| s.is_teardown()) {
            " (teardown)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{} stage {stage}{kind}",
            if *stage == last_stage { "└─" } else { "├─" }
        );
        let bar = if *stage == last_stage { "   " } else { "│  " };
        for (i, step) in steps.iter().enumerate() {
            let branch = if i + 1 == steps.len() { "└─" } else { "├─" };
            let _ = writeln!(out, "{bar}{branch} {:<width$}  {}", step.id, describe(step));
            let detail_bar = if i + 1 == steps.len() { "   " } else { "│  " };
            let _ = writeln!(out, "{bar}{detail_bar}   {}", details(step));
        }
    }
    out
}

fn details(step: &Step) -> String {
    let timeout = step.timeout.map_or_else(
        || "no timeout (waits for a person)".to_owned(),
        |t| format!("timeout {t}"),
    );
    if step.after.is_empty() {
        return timeout;
    }
    // The measure step waits for everything; listing it all would hide the point.
    if matches!(step.action, Action::Measure) {
        return format!("after every restore, check and manual step · {timeout}");
    }
    format!("after {} · {timeout}", step.after.join(", "))
}

fn describe(step: &Step) -> String {
    match &step.action {
        Action::Isolate {
            vpc_cidr,
            az_count,
            endpoints,
        } => {
            let names: Vec<&str> = endpoints.iter().map(|e| e.service_name()).collect();
            format!(
                "create and verify isolated VPC {vpc_cidr} in {az_count} AZs; endpoints {} + s3 gateway",
                names.join(", ")
            )
        }
        Action::Restore { source, .. } => describe_source(source),
        Action::LaunchRunner(runner) => format!("launch runner {} from {}", runner.instance_type, runner.ami),
        Action::AdoptRunner { restore } => format!("use restored instance `{restore}` as the runner (wait for SSM)"),
        Action::Check {
            script,
            gates_rto,
            watermark,
            ..
        } => {
            let mut text = format!("run {script} through SSM");
            if *watermark {
                text.push_str(" · watermark (measures RPO)");
            }
            if !gates_rto {
                text.push_str(" · does not gate RTO");
            }
            text
        }
        Action::Manual { instructions, .. } => format!("manual: {}", first_line(instructions)),
        Action::Measure => "measure RTO and RPO; decide the outcome".to_owned(),
        Action::Teardown { of } => format!("delete what `{of}` created (tag-guarded)"),
    }
}

fn describe_source(source: &RestoreSource) -> String {
    match source {
        RestoreSource::AwsBackup(b) => {
            let point = match &b.recovery_point {
                RecoveryPointSelector::Latest => "latest recovery point".to_owned(),
                RecoveryPointSelector::Window(w) => format!("newest recovery point from {} to {}", w.from, w.to),
                RecoveryPointSelector::Arn(arn) => format!("recovery point {arn}"),
            };
            let of = b
                .resource_arn
                .as_deref()
                .map(|a| format!(" of {a}"))
                .unwrap_or_default();
            format!("AWS Backup restore of the {point}{of} (vault {})", b.vault)
        }
        RestoreSource::RdsSnapshot(s) => match &s.instance {
            Some(i) if s.snapshot == "latest" => format!("RDS restore of the latest snapshot of `{i}`"),
            _ => format!("RDS restore of snapshot `{}`", s.snapshot),
        },
        RestoreSource::RdsPointInTime(p) => {
            format!("RDS point-in-time restore of `{}` to {}", p.instance, time(&p.time))
        }
        RestoreSource::AuroraClusterSnapshot(s) => match &s.cluster {
            Some(c) if s.snapshot == "latest" => {
                format!("Aurora restore of the latest cluster snapshot of `{c}` (+1 instance)")
            }
            _ => format!("Aurora restore of cluster snapshot `{}` (+1 instance)", s.snapshot),
        },
        RestoreSource::AuroraPointInTime(p) => format!(
            "Aurora point-in-time restore of `{}` to {} (+1 instance)",
            p.cluster,
            time(&p.time)
        ),
        RestoreSource::EbsSnapshot(s) => match &s.volume {
            Some(v) if s.snapshot == "latest" => format!("EBS volume from the latest snapshot of {v}"),
            _ => format!("EBS volume from {}", s.snapshot),
        },
        RestoreSource::Ami(a) => format!("EC2 instance from {}", a.image),
    }
}

fn time(value: &str) -> String {
    if value == "latest" {
        "the latest restorable time".to_owned()
    } else {
        value.to_owned()
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}

//! The figures of one run's page, computed so that the template only lays them out:
//! outcome, RTO and RPO against targets, the phase waterfall, the evidence tables.

use serde::Serialize;

use super::text::{outcome_text, seconds_text};
use crate::result::{DrillResult, Phase};

#[derive(Serialize)]
pub struct RunView {
    outcome: &'static str,
    rto: String,
    rto_target: String,
    rto_ok: bool,
    rpo: String,
    rpo_target: String,
    rpo_ok: bool,
    rpo_basis: String,
    lag: String,
    teardown: String,
    bars: Vec<Bar>,
    axis_seconds: String,
    rto_target_x: Option<f64>,
    recovered_x: Option<f64>,
    phases: Vec<PhaseRow>,
    checks_passed: usize,
}

/// One bar of the waterfall, in percent of the chart's width.
#[derive(Serialize)]
struct Bar {
    name: String,
    x: f64,
    width: f64,
    label: String,
    /// Where the label goes so that it never runs past the chart: after the bar, inside
    /// its right end, or before it.
    label_at: &'static str,
    ok: bool,
}

fn label_at(x: f64, width: f64) -> &'static str {
    match (x + width > 80.0, width > 15.0) {
        (false, _) => "after",
        (true, true) => "inside",
        (true, false) => "before",
    }
}

/// A phase's timestamps, for the evidence table.
#[derive(Serialize)]
struct PhaseRow {
    name: String,
    start: String,
    end: String,
    from_t0: String,
    length: String,
    ok: bool,
}

impl RunView {
    pub fn of(r: &DrillResult) -> Self {
        let rto_target = r.rto_target.as_duration().as_secs_f64();
        let rpo_target = r.rpo_target.as_duration().as_secs_f64();
        let end = r
            .phases
            .iter()
            .map(|p| p.end.duration_since(r.t0).as_secs_f64())
            .fold(0.0, f64::max);
        let span = end.max(rto_target.min(end * 1.5)).max(1.0);
        let x = |secs: f64| (secs / span * 100.0).clamp(0.0, 100.0);
        let mut phases: Vec<&Phase> = r.phases.iter().collect();
        phases.sort_by_key(|p| p.start);
        let bars = phases
            .iter()
            .map(|p| {
                let (start, width) = (x(p.start.duration_since(r.t0).as_secs_f64()), x(p.seconds).max(0.4));
                Bar {
                    name: p.name.clone(),
                    x: round(start),
                    width: round(width),
                    label: seconds_text(p.seconds),
                    label_at: label_at(start, width),
                    ok: p.ok,
                }
            })
            .collect();
        let phase_rows = phases
            .iter()
            .map(|p| PhaseRow {
                name: p.name.clone(),
                start: p.start.strftime("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
                end: p.end.strftime("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
                from_t0: seconds_text(p.start.duration_since(r.t0).as_secs_f64()),
                length: seconds_text(p.seconds),
                ok: p.ok,
            })
            .collect();
        RunView {
            outcome: outcome_text(r.outcome),
            rto: r
                .rto
                .as_ref()
                .map_or_else(|| "not reached".to_owned(), |v| seconds_text(v.seconds)),
            rto_target: r.rto_target.to_string(),
            rto_ok: r.rto.as_ref().is_some_and(|v| v.seconds <= rto_target),
            rpo: r
                .rpo
                .as_ref()
                .map_or_else(|| "not measured".to_owned(), |v| seconds_text(v.seconds)),
            rpo_target: r.rpo_target.to_string(),
            rpo_ok: r.rpo.as_ref().is_some_and(|v| v.seconds <= rpo_target),
            rpo_basis: r
                .rpo
                .as_ref()
                .map_or_else(String::new, |v| format!("{:?}", v.basis).to_lowercase()),
            lag: r
                .rto
                .as_ref()
                .map_or_else(String::new, |v| seconds_text(v.detection_lag_seconds)),
            teardown: r
                .teardown
                .seconds
                .map_or_else(|| "did not run".to_owned(), seconds_text),
            bars,
            axis_seconds: seconds_text(span),
            rto_target_x: (rto_target <= span).then(|| round(x(rto_target))),
            recovered_x: r.rto.as_ref().map(|v| round(x(v.seconds))),
            phases: phase_rows,
            checks_passed: r.checks.iter().filter(|c| c.passed).count(),
        }
    }
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `{{ t | ts }}`: an RFC 3339 timestamp to the second, for reading (the result keeps
/// the full precision).
pub fn timestamp_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value.as_str().unwrap_or_default();
    let shown = text
        .parse::<jiff::Timestamp>()
        .map_or_else(|_| text.to_owned(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string());
    Ok(tera::Value::String(shown))
}

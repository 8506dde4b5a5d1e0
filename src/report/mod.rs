//! Reports people read. For now: the single-run HTML report written next to a result
//! (outcome, RTO and RPO against targets, the phase waterfall, checks, teardown). The
//! trend report over the history comes with the report issue.

use serde::Serialize;
use tera::{Context, Tera};

use crate::measure::{Outcome, friendly};
use crate::result::DrillResult;

const RUN_TEMPLATE: &str = include_str!("../../reports/templates/run.html.tera");

/// Renders the HTML report of one run.
pub fn render_run(result: &DrillResult) -> Result<String, tera::Error> {
    let mut tera = Tera::default();
    tera.register_filter("ts", timestamp_filter);
    tera.add_raw_template("run.html", RUN_TEMPLATE)?;
    let mut context = Context::new();
    context.insert("r", result);
    context.insert("v", &RunView::of(result));
    tera.render("run.html", &context)
}

/// Figures computed for the page, so the template only lays them out.
#[derive(Serialize)]
struct RunView {
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
}

/// One bar of the waterfall, in percent of the chart's width.
#[derive(Serialize)]
struct Bar {
    name: String,
    x: f64,
    width: f64,
    y: usize,
    label: String,
    ok: bool,
}

impl RunView {
    fn of(r: &DrillResult) -> Self {
        let rto_target = r.rto_target.as_duration().as_secs_f64();
        let rpo_target = r.rpo_target.as_duration().as_secs_f64();
        let end = r
            .phases
            .iter()
            .map(|p| p.end.duration_since(r.t0).as_secs_f64())
            .fold(0.0, f64::max);
        let span = end.max(rto_target.min(end * 1.5)).max(1.0);
        let x = |secs: f64| (secs / span * 100.0).clamp(0.0, 100.0);
        let mut phases: Vec<&crate::result::Phase> = r.phases.iter().collect();
        phases.sort_by_key(|p| p.start);
        let bars = phases
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let start = p.start.duration_since(r.t0).as_secs_f64();
                Bar {
                    name: p.name.clone(),
                    x: x(start),
                    width: x(p.seconds).max(0.4),
                    y: i,
                    label: seconds_text(p.seconds),
                    ok: p.ok,
                }
            })
            .collect();
        RunView {
            outcome: match r.outcome {
                Outcome::Passed => "passed",
                Outcome::Failed => "failed",
                Outcome::Error => "error",
                Outcome::Aborted => "aborted",
            },
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
            rto_target_x: (rto_target <= span).then(|| x(rto_target)),
            recovered_x: r.rto.as_ref().map(|v| x(v.seconds)),
        }
    }
}

/// `{{ t | ts }}`: an RFC 3339 timestamp to the second, for reading (the result keeps
/// the full precision).
fn timestamp_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value.as_str().unwrap_or_default();
    let shown = text
        .parse::<jiff::Timestamp>()
        .map_or_else(|_| text.to_owned(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string());
    Ok(tera::Value::String(shown))
}

fn seconds_text(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        // A result file can hold any number: one too large for a duration is shown as is.
        jiff::SignedDuration::try_from_secs_f64(secs).map_or_else(|_| format!("{secs:.0}s"), friendly)
    }
}

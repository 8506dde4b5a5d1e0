//! The geometry of the reports' charts, computed here so that the templates only draw
//! it as inline SVG: every figure is in the chart's own units (a view box `WIDE` or
//! `NARROW` wide and 240 high), every axis is labelled with its unit, and targets are
//! drawn as lines. Each chart is drawn twice, wide and narrow, and CSS shows the one that
//! fits the screen, so that its text stays readable on a phone without scrolling.

use jiff::Timestamp;
use serde::Serialize;

use super::text::compact;
use crate::measure::Outcome;

/// The view box widths: for screens wider than 720 px, and for phones.
pub const WIDE: f64 = 640.0;
pub const NARROW: f64 = 360.0;
pub const HEIGHT: f64 = 240.0;
/// The plot area inside the view box: room for the axis labels on the left and below.
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// One measured value of a run, for a line chart.
pub struct Sample {
    pub at: Timestamp,
    pub seconds: Option<f64>,
    pub outcome: Outcome,
    pub simulated: bool,
    pub page: String,
    pub label: String,
}

/// A figure over time against its target (RTO or RPO).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineChart {
    pub title: String,
    pub unit: String,
    /// `points` joined, for a `<polyline>`; runs without a figure break nothing, they are
    /// drawn as crosses on the axis instead.
    pub line: String,
    pub points: Vec<Point>,
    pub missing: Vec<Point>,
    pub target_y: f64,
    pub target_label: String,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub plot: Plot,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plot {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub class: String,
    pub page: String,
    /// The tooltip: date, figure and outcome.
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    pub at: f64,
    pub label: String,
    /// `middle`, or `end` for a label at the right edge (it would be cut off centred).
    pub anchor: &'static str,
}

/// Right-aligns the last label of an axis when it sits at the chart's right edge.
fn anchored(mut ticks: Vec<Tick>, width: f64) -> Vec<Tick> {
    if let Some(last) = ticks.last_mut()
        && last.at > width - RIGHT - 30.0
    {
        last.anchor = "end";
    }
    ticks
}

/// The unit a chart's axis is read in, chosen from the target so its line sits well.
fn unit_for(target_seconds: f64) -> (&'static str, f64) {
    if target_seconds >= 2.0 * 86_400.0 {
        ("days", 86_400.0)
    } else if target_seconds >= 2.0 * 3600.0 {
        ("hours", 3600.0)
    } else {
        ("minutes", 60.0)
    }
}

/// A round step for about four ticks up to `max` (in the axis unit).
fn tick_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

fn class_of(outcome: Outcome, simulated: bool) -> String {
    let outcome = super::text::outcome_text(outcome);
    if simulated {
        format!("{outcome} sim")
    } else {
        outcome.to_owned()
    }
}

/// The same chart at both widths.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Both<T> {
    pub wide: T,
    pub narrow: T,
}

pub fn line_charts(title: &str, samples: &[Sample], target_seconds: f64) -> Both<LineChart> {
    Both {
        wide: line_chart(title, samples, target_seconds, WIDE),
        narrow: line_chart(title, samples, target_seconds, NARROW),
    }
}

pub fn line_chart(title: &str, samples: &[Sample], target_seconds: f64, width: f64) -> LineChart {
    let (unit, per) = unit_for(target_seconds);
    let max_value = samples.iter().filter_map(|s| s.seconds).fold(target_seconds, f64::max);
    // Room above the highest of the target and the figures; outliers are clipped at 3×
    // the target so that one bad run does not flatten the rest.
    let top_value = (max_value.min(3.0 * target_seconds.max(1.0)) * 1.15 / per).max(f64::MIN_POSITIVE);
    let step = tick_step(top_value);
    let axis_max = (top_value / step).ceil() * step;
    let plot = Plot {
        left: LEFT,
        right: width - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
    };
    let y_of = |secs: f64| {
        let value = (secs / per).clamp(0.0, axis_max);
        plot.bottom - value / axis_max * (plot.bottom - plot.top)
    };
    let x_of = time_scale(samples.iter().map(|s| s.at), &plot);
    let mut points = Vec::new();
    let mut missing = Vec::new();
    for sample in samples {
        let x = x_of(sample.at);
        let class = class_of(sample.outcome, sample.simulated);
        match sample.seconds {
            Some(secs) => points.push(Point {
                x,
                y: round(y_of(secs)),
                class,
                page: sample.page.clone(),
                title: format!(
                    "{}: {} ({})",
                    sample.label,
                    compact(secs),
                    class_of(sample.outcome, sample.simulated)
                ),
            }),
            None => missing.push(Point {
                x,
                y: plot.bottom,
                class,
                page: sample.page.clone(),
                title: format!(
                    "{}: not measured ({})",
                    sample.label,
                    super::text::outcome_text(sample.outcome)
                ),
            }),
        }
    }
    let line = points
        .iter()
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    let y_ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= axis_max + step / 1000.0)
        .map(|v| Tick {
            at: round(y_of(v * per)),
            label: format!("{} {}", trim_number(v), short_unit(unit)),
            anchor: "end",
        })
        .collect();
    LineChart {
        title: title.to_owned(),
        unit: unit.to_owned(),
        line,
        points,
        missing,
        target_y: round(y_of(target_seconds)),
        target_label: format!("target {}", compact(target_seconds)),
        y_ticks,
        x_ticks: date_ticks(samples, &x_of, if width < WIDE { 3 } else { 6 }, width),
        plot: plot.clone(),
    }
}

fn short_unit(unit: &str) -> &'static str {
    match unit {
        "days" => "d",
        "hours" => "h",
        _ => "min",
    }
}

fn trim_number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Maps times onto the plot's width, first run at the left edge, last at the right.
fn time_scale(times: impl Iterator<Item = Timestamp>, plot: &Plot) -> impl Fn(Timestamp) -> f64 {
    let times: Vec<i64> = times.map(|t| t.as_second()).collect();
    let first = times.iter().copied().min().unwrap_or(0);
    let last = times.iter().copied().max().unwrap_or(0);
    let (left, right) = (plot.left + 12.0, plot.right - 12.0);
    move |at: Timestamp| {
        if last == first {
            return round((left + right) / 2.0);
        }
        round(left + (at.as_second() - first) as f64 / (last - first) as f64 * (right - left))
    }
}

/// Up to `most` date labels along the time axis, evenly picked among the runs.
fn date_ticks(samples: &[Sample], x_of: &impl Fn(Timestamp) -> f64, most: usize, width: f64) -> Vec<Tick> {
    let n = samples.len();
    if n == 0 {
        return Vec::new();
    }
    let wanted = n.min(most);
    let mut picked: Vec<usize> = (0..wanted)
        .map(|i| if wanted == 1 { 0 } else { i * (n - 1) / (wanted - 1) })
        .collect();
    picked.dedup();
    let ticks = picked
        .into_iter()
        .map(|i| Tick {
            at: x_of(samples[i].at),
            label: samples[i].at.strftime("%Y-%m").to_string(),
            anchor: "middle",
        })
        .collect();
    anchored(ticks, width)
}

/// The last runs as small bars: height is the RTO against its target (a full-height bar
/// is twice the target or more), colour the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sparkline {
    pub bars: Vec<SparkBar>,
    pub width: f64,
    pub target_y: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SparkBar {
    pub x: f64,
    pub y: f64,
    pub height: f64,
    pub class: String,
    pub title: String,
}

pub const SPARK_HEIGHT: f64 = 32.0;
const SPARK_BAR: f64 = 8.0;
const SPARK_GAP: f64 = 3.0;

pub fn sparkline(samples: &[Sample], target_seconds: f64) -> Sparkline {
    let bars = samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let ratio = s
                .seconds
                .map_or(2.0, |secs| (secs / target_seconds.max(1.0)).clamp(0.15, 2.0));
            let height = round(ratio / 2.0 * SPARK_HEIGHT);
            let figure = s
                .seconds
                .map_or_else(|| "RTO not reached".to_owned(), |v| format!("RTO {}", compact(v)));
            SparkBar {
                x: i as f64 * (SPARK_BAR + SPARK_GAP),
                y: round(SPARK_HEIGHT - height),
                height,
                class: class_of(s.outcome, s.simulated),
                title: format!("{}: {} — {figure}", s.label, super::text::outcome_text(s.outcome)),
            }
        })
        .collect::<Vec<_>>();
    Sparkline {
        width: (bars.len().max(1) as f64) * (SPARK_BAR + SPARK_GAP),
        bars,
        target_y: SPARK_HEIGHT / 2.0,
    }
}

/// The phase breakdown of runs: one row per run, one segment per kind of phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackedBars {
    pub rows: Vec<StackedRow>,
    pub x_ticks: Vec<Tick>,
    pub height: f64,
    pub plot: Plot,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackedRow {
    pub label: String,
    pub y: f64,
    pub page: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub category: String,
    pub x: f64,
    pub width: f64,
    pub title: String,
}

/// One run's phases as (category, seconds) in drawing order.
pub struct PhaseRow {
    pub label: String,
    pub page: String,
    pub parts: Vec<(String, f64)>,
}

const ROW: f64 = 22.0;

pub fn stacked_bars_both(rows: &[PhaseRow], categories: &[&str]) -> Both<StackedBars> {
    Both {
        wide: stacked_bars(rows, categories, WIDE),
        narrow: stacked_bars(rows, categories, NARROW),
    }
}

pub fn stacked_bars(rows: &[PhaseRow], categories: &[&str], width: f64) -> StackedBars {
    let total = |r: &PhaseRow| r.parts.iter().map(|(_, s)| s).sum::<f64>();
    let longest = rows.iter().map(total).fold(0.0, f64::max).max(1.0);
    let (unit, per) = unit_for(longest);
    let step = tick_step(longest / per);
    let axis_max = ((longest / per) / step).ceil() * step;
    let height = TOP + rows.len() as f64 * ROW + BOTTOM;
    let plot = Plot {
        left: 84.0,
        right: width - RIGHT,
        top: TOP,
        bottom: height - BOTTOM,
    };
    let scale = (plot.right - plot.left) / (axis_max * per);
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut x = plot.left;
            let segments = r
                .parts
                .iter()
                .map(|(category, secs)| {
                    let width = round(secs * scale);
                    let segment = Segment {
                        category: category.clone(),
                        x: round(x),
                        width,
                        title: format!("{}: {category} {}", r.label, compact(*secs)),
                    };
                    x += secs * scale;
                    segment
                })
                .collect();
            StackedRow {
                label: r.label.clone(),
                y: TOP + i as f64 * ROW,
                page: r.page.clone(),
                segments,
            }
        })
        .collect();
    let x_ticks = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= axis_max + step / 1000.0)
        .map(|v| Tick {
            at: round(plot.left + v * per * scale),
            label: format!("{} {}", trim_number(v), short_unit(unit)),
            anchor: "middle",
        })
        .collect();
    let x_ticks = anchored(x_ticks, width);
    StackedBars {
        rows,
        x_ticks,
        height,
        plot,
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: &str, secs: Option<f64>, outcome: Outcome) -> Sample {
        Sample {
            at: at.parse().unwrap(),
            seconds: secs,
            outcome,
            simulated: false,
            page: "p.html".into(),
            label: at[..10].into(),
        }
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(40.0), 10.0);
        assert_eq!(tick_step(9.0), 2.5);
        assert_eq!(tick_step(0.9), 0.25);
        assert_eq!(tick_step(130.0), 50.0);
    }

    #[test]
    fn a_line_chart_puts_its_target_and_points_inside_the_plot() {
        let samples = [
            sample("2026-01-01T03:00:00Z", Some(1200.0), Outcome::Passed),
            sample("2026-02-01T03:00:00Z", None, Outcome::Error),
            sample("2026-03-01T03:00:00Z", Some(100_000.0), Outcome::Failed),
        ];
        let chart = line_chart("RTO", &samples, 2700.0, WIDE);
        assert_eq!(chart.unit, "minutes");
        assert_eq!(chart.points.len(), 2);
        assert_eq!(chart.missing.len(), 1);
        for p in chart.points.iter().chain(&chart.missing) {
            assert!(p.x >= chart.plot.left && p.x <= chart.plot.right, "{p:?}");
            assert!(p.y >= chart.plot.top && p.y <= chart.plot.bottom, "{p:?}");
        }
        // The outlier is clipped at the top, not off the chart.
        assert_eq!(chart.points[1].y, chart.plot.top);
        assert!(chart.target_y > chart.plot.top && chart.target_y < chart.plot.bottom);
        assert_eq!(chart.target_label, "target 45m");
        assert_eq!(chart.y_ticks.first().map(|t| t.label.as_str()), Some("0 min"));
        assert_eq!(chart.x_ticks.len(), 3);
    }

    #[test]
    fn stacked_segments_follow_each_other() {
        let rows = [PhaseRow {
            label: "2026-01".into(),
            page: "r.html".into(),
            parts: vec![("isolation".into(), 60.0), ("restore".into(), 600.0)],
        }];
        let bars = stacked_bars(&rows, &["isolation", "restore"], NARROW);
        let s = &bars.rows[0].segments;
        assert_eq!(s[1].x, s[0].x + s[0].width);
        assert!(s[1].x + s[1].width <= bars.plot.right);
    }
}

//! Renders pages with the tera templates of reports/templates (built into the binary, so
//! that a report needs no files beside it): the standalone page of one run, and the
//! static site over a history, every page self-contained (CSS inline, charts inline SVG,
//! relative links only) so that it works offline and from S3.

use serde::Serialize;
use tera::{Context, Tera};

use super::charts::SPARK_HEIGHT;
use super::run_view::{RunView, timestamp_filter};
use super::view::{self, Input, RECENT_RUNS};
use crate::result::DrillResult;

const TEMPLATES: [(&str, &str); 5] = [
    ("base.html", include_str!("../../reports/templates/base.html.tera")),
    (
        "line_chart.html",
        include_str!("../../reports/templates/line_chart.html.tera"),
    ),
    (
        "overview.html",
        include_str!("../../reports/templates/overview.html.tera"),
    ),
    (
        "scenario.html",
        include_str!("../../reports/templates/scenario.html.tera"),
    ),
    ("run.html", include_str!("../../reports/templates/run.html.tera")),
];

/// One page of the site: its path under the site's root, and its HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    pub path: String,
    pub html: String,
}

fn templates() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.register_filter("ts", timestamp_filter);
    tera.add_raw_templates(TEMPLATES)?;
    Ok(tera)
}

fn run_context(result: &DrillResult, in_site: bool) -> Context {
    let mut context = Context::new();
    context.insert("r", result);
    context.insert("v", &RunView::of(result));
    context.insert("site", &in_site);
    context.insert("scenario_page", &view::scenario_page(&result.scenario));
    context.insert("tool_version", &result.tool_version);
    context
}

/// Renders the HTML report of one run, standalone (written beside its result).
pub fn render_run(result: &DrillResult) -> Result<String, tera::Error> {
    templates()?.render("run.html", &run_context(result, false))
}

/// Renders the whole site: `index.html`, `scenarios/<name>.html`, `runs/<run-id>.html`.
pub fn build_site(input: &Input<'_>) -> Result<Vec<Page>, tera::Error> {
    let tera = templates()?;
    let mut pages = Vec::new();
    let mut context = Context::new();
    context.insert("o", &view::overview(input));
    context.insert("recent", &RECENT_RUNS);
    context.insert("spark_height", &SPARK_HEIGHT);
    context.insert("tool_version", input.tool_version);
    pages.push(Page {
        path: "index.html".to_owned(),
        html: tera.render("overview.html", &context)?,
    });
    for page in view::scenario_pages(input) {
        let mut context = Context::new();
        context.insert("tool_version", input.tool_version);
        context.insert("as_of", &super::text::utc_text(input.now));
        context.insert("p", &page);
        pages.push(Page {
            path: page.summary.page.clone(),
            html: tera.render("scenario.html", &context)?,
        });
    }
    // Run pages are most of a large site: rendered on every core.
    let rendered = crate::parallel::map(input.results, |result| {
        tera.render("run.html", &run_context(result, true))
    });
    for (result, html) in rendered {
        pages.push(Page {
            path: view::run_page(&result.run_id),
            html: html?,
        });
    }
    Ok(pages)
}

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

const TEMPLATES: [(&str, &str); 6] = [
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
    (
        "coverage.html",
        include_str!("../../reports/templates/coverage.html.tera"),
    ),
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

/// Why a site could not be made: a template failed, or the sink refused a page.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("rendering {page}: {source:?}")]
    Render { page: String, source: tera::Error },
    #[error("{0}")]
    Sink(String),
}

/// Renders the whole site into memory (tests, small sites).
pub fn build_site(input: &Input<'_>) -> Result<Vec<Page>, SiteError> {
    let pages = std::sync::Mutex::new(Vec::new());
    stream_site(input, &|page: Page| {
        pages.lock().unwrap_or_else(|p| p.into_inner()).push(page);
        Ok(())
    })?;
    let mut pages = pages.into_inner().unwrap_or_else(|p| p.into_inner());
    // Overview first, then scenarios, then runs, as a reader browses.
    pages.sort_by_key(|p| {
        (
            !p.path.starts_with("index"),
            !p.path.starts_with("scenarios/"),
            p.path.clone(),
        )
    });
    Ok(pages)
}

/// Renders the whole site, `index.html`, `coverage.html` (given a coverage),
/// `scenarios/<name>.html` and `runs/<run-id>.html`,
/// handing each page to `sink` as soon as it is rendered (run pages on every core), so
/// that a history of thousands of runs is never held in memory as HTML. Returns the
/// number of pages.
pub fn stream_site(input: &Input<'_>, sink: &(dyn Fn(Page) -> Result<(), String> + Sync)) -> Result<usize, SiteError> {
    let tera = templates().map_err(|source| SiteError::Render {
        page: "the templates".to_owned(),
        source,
    })?;
    let render = |page: &str, template: &str, context: &Context| {
        tera.render(template, context).map_err(|source| SiteError::Render {
            page: page.to_owned(),
            source,
        })
    };
    let mut context = Context::new();
    context.insert("o", &view::overview(input));
    context.insert("recent", &RECENT_RUNS);
    context.insert("spark_height", &SPARK_HEIGHT);
    context.insert("tool_version", input.tool_version);
    let html = render("index.html", "overview.html", &context)?;
    sink(Page {
        path: "index.html".to_owned(),
        html,
    })
    .map_err(SiteError::Sink)?;
    let mut count = 1;
    if let Some(coverage) = input.coverage {
        let mut context = Context::new();
        context.insert("tool_version", input.tool_version);
        context.insert("c", &super::coverage_view::page(coverage));
        let path = super::coverage_view::COVERAGE_PAGE.to_owned();
        let html = render(&path, "coverage.html", &context)?;
        sink(Page { path, html }).map_err(SiteError::Sink)?;
        count += 1;
    }
    for page in view::scenario_pages(input) {
        let mut context = Context::new();
        context.insert("tool_version", input.tool_version);
        context.insert("as_of", &super::text::utc_text(input.now));
        context.insert("p", &page);
        let path = page.summary.page.clone();
        let html = render(&path, "scenario.html", &context)?;
        sink(Page { path, html }).map_err(SiteError::Sink)?;
        count += 1;
    }
    // Run pages are most of a large site: rendered and handed over on every core.
    let runs = crate::parallel::map(input.results, |result| {
        let path = view::run_page(&result.run_id);
        let html = render(&path, "run.html", &run_context(result, true))?;
        sink(Page { path, html }).map_err(SiteError::Sink)
    });
    for (_, outcome) in runs {
        outcome?;
        count += 1;
    }
    Ok(count)
}

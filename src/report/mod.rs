//! Reports people read: the HTML page of one run (written beside its result), and the
//! trend site over the history (an overview, a page per scenario, a page per run), plus
//! machine outputs (JUnit, Markdown, JSON). Pure: no I/O, no AWS; the CLI writes and
//! publishes what this renders.

pub mod charts;
pub mod coverage_view;
pub mod json;
pub mod junit;
pub mod markdown;
mod run_view;
mod site;
pub mod text;
pub mod view;

pub use site::{Page, SiteError, build_site, render_run, stream_site};

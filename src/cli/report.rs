//! `firedrill report`: the static HTML site over the history (plus JUnit, Markdown and
//! JSON), written to a folder and optionally published to S3.

use std::path::{Path, PathBuf};

use clap::Args;
use jiff::Timestamp;

use crate::exit_code;
use crate::history::{self, Filter, Location, S3Store, Store};
use crate::report::{self, view::Input};
use crate::scenario::{self, Scenario};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The history to read: a folder, or `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|S3-URL", default_value = ".firedrill/history")]
    pub history: Location,
    /// Folder of scenario files (`*.yaml`), for schedules (next due, overdue), owners and
    /// targets; without it, only what the results say is shown.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Folder holding the check scripts, as for `validate`.
    #[arg(long, value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// Where the site is written (index.html, scenarios/, runs/).
    #[arg(long, value_name = "DIR", default_value = ".firedrill/report")]
    pub out: PathBuf,
    /// Only runs started at or after this time (RFC 3339, a date, or an age like 365d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only these scenarios (repeatable).
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenario_names: Vec<String>,
    /// Count simulated runs in compliance figures (they are always shown, marked).
    #[arg(long)]
    pub include_simulated: bool,
    /// The time the report is as of, for due dates [default: now]; makes a report
    /// reproducible.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<Timestamp>,
    /// The coverage `firedrill coverage --out FILE` wrote: adds the coverage page
    /// ("backups never restore-tested") and its line on the overview.
    #[arg(long, value_name = "FILE")]
    pub coverage: Option<PathBuf>,
    /// Also write JUnit XML of each scenario's last counted drill.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a Markdown summary.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write the figures as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Upload the site to `s3://bucket/prefix` and print its address.
    #[arg(long, value_name = "S3-URL")]
    pub publish: Option<Location>,
    /// AWS profile for S3 [default: the standard chain's].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region for S3 [default: the standard chain's].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

pub fn run(args: &ReportArgs) -> i32 {
    if let Some(Location::Local(path)) = &args.publish {
        say_err!(
            "error: --publish takes an S3 URL (s3://bucket/prefix), not `{}`",
            path.display()
        );
        return exit_code::INVALID_INPUT;
    }
    let now = args.as_of.unwrap_or_else(Timestamp::now);
    let filter = match filter(args, now) {
        Ok(filter) => filter,
        Err(error) => {
            say_err!("error: --since {error}");
            return exit_code::INVALID_INPUT;
        }
    };
    let (scenarios, scenarios_ok) = load_scenarios(args);
    let Some(runtime) = super::runtime() else {
        return exit_code::ERROR;
    };
    let code = runtime.block_on(report(args, &filter, &scenarios, now));
    if code == exit_code::SUCCESS && !scenarios_ok {
        say_err!("the report was written without the scenario files above that failed to load");
        return exit_code::INVALID_INPUT;
    }
    code
}

fn filter(args: &ReportArgs, now: Timestamp) -> Result<Filter, String> {
    Ok(Filter {
        scenarios: args.scenario_names.clone(),
        since: args.since.as_deref().map(|s| history::parse_time(s, now)).transpose()?,
        ..Filter::default()
    })
}

/// The coverage file of `--coverage`, or where and why it cannot be read.
fn read_coverage(path: &Path) -> Result<crate::coverage::Coverage, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--coverage {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a coverage file (written by `firedrill coverage --out`): {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// The scenario files of `--scenarios`; those that fail to load are reported and left out.
fn load_scenarios(args: &ReportArgs) -> (Vec<Scenario>, bool) {
    let Some(folder) = &args.scenarios else {
        return (Vec::new(), true);
    };
    let files = match super::due::yaml_files(folder) {
        Ok(files) => files,
        Err(error) => {
            say_err!("error: --scenarios {}: {error}", folder.display());
            return (Vec::new(), false);
        }
    };
    let mut ok = true;
    let mut scenarios = Vec::new();
    for file in files {
        match scenario::load(&file, args.checks_dir.as_deref()) {
            Ok(loaded) => scenarios.push(loaded.scenario),
            Err(error) => {
                super::print_load_error(&error);
                ok = false;
            }
        }
    }
    (scenarios, ok)
}

async fn report(args: &ReportArgs, filter: &Filter, scenarios: &[Scenario], now: Timestamp) -> i32 {
    let store = Store::open(&args.history, args.profile.as_deref(), args.region.as_deref()).await;
    let loaded = match store.load().await {
        Ok(loaded) => loaded,
        Err(error) => {
            say_err!("error: cannot read the history: {error}");
            return exit_code::ERROR;
        }
    };
    for bad in &loaded.unreadable {
        say_err!("warning: {}: {} (left out of the report)", bad.name, bad.problem);
    }
    let results: Vec<_> = loaded
        .results
        .into_iter()
        .map(|s| s.result)
        .filter(|r| filter.matches(r))
        .collect();
    let scenarios: Vec<Scenario> = scenarios
        .iter()
        .filter(|s| filter.scenarios.is_empty() || filter.scenarios.contains(&s.name))
        .cloned()
        .collect();
    let coverage = match args.coverage.as_deref().map(read_coverage).transpose() {
        Ok(coverage) => coverage,
        Err(error) => {
            say_err!("error: {error}");
            return exit_code::INVALID_INPUT;
        }
    };
    let input = Input {
        results: &results,
        scenarios: &scenarios,
        unreadable: &loaded.unreadable,
        now,
        include_simulated: args.include_simulated,
        tool_version: env!("CARGO_PKG_VERSION"),
        coverage: coverage.as_ref(),
    };
    let written = match write_site(&args.out, &input) {
        Ok(written) => written,
        Err(error) => {
            say_err!("error: {error}");
            return exit_code::ERROR;
        }
    };
    say!(
        "wrote {} pages ({} runs, {} scenarios; {} unchanged) to {}; open {}",
        written.pages.len(),
        results.len(),
        written.pages.iter().filter(|p| p.starts_with("scenarios/")).count(),
        written.unchanged,
        args.out.display(),
        args.out.join("index.html").display()
    );
    if let Err(error) = machine_outputs(args, &input) {
        say_err!("error: {error}");
        return exit_code::ERROR;
    }
    if let Some(Location::S3 { bucket, prefix }) = &args.publish {
        let client = history::s3_client(args.profile.as_deref(), args.region.as_deref()).await;
        match publish(&S3Store::new(client, bucket, prefix), &args.out, &written.pages).await {
            Ok(()) => say!("published: {}", index_url(bucket, prefix, args.region.as_deref())),
            Err(error) => {
                say_err!("error: publishing failed: {error}");
                return exit_code::ERROR;
            }
        }
    }
    exit_code::SUCCESS
}

/// The pages of a site written to disk, by path under its root.
struct Written {
    pages: Vec<String>,
    /// Pages already there with the same content, left as they were.
    unchanged: usize,
}

/// Writes the site page by page as it is rendered, leaves pages whose content has not
/// changed alone (a result never changes, so neither does its page), and removes pages
/// of an earlier report that this one no longer has (a pruned run's): only `.html` files
/// in the folders the site owns.
fn write_site(out: &Path, input: &Input<'_>) -> Result<Written, String> {
    for folder in ["scenarios", "runs"] {
        let folder = out.join(folder);
        std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    }
    let pages = std::sync::Mutex::new(Vec::new());
    let unchanged = std::sync::atomic::AtomicUsize::new(0);
    report::stream_site(input, &|page: report::Page| {
        let path = out.join(&page.path);
        if same_content(&path, &page.html) {
            unchanged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else {
            std::fs::write(&path, &page.html).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        pages.lock().unwrap_or_else(|p| p.into_inner()).push(page.path);
        Ok(())
    })
    .map_err(|e| format!("the report could not be made: {e}"))?;
    let pages = pages.into_inner().unwrap_or_else(|p| p.into_inner());
    let current: std::collections::HashSet<&str> = pages.iter().map(String::as_str).collect();
    for folder in ["scenarios", "runs"] {
        let Ok(entries) = std::fs::read_dir(out.join(folder)) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let relative = format!("{folder}/{}", path.file_name().unwrap_or_default().to_string_lossy());
            if path.extension().is_some_and(|x| x == "html") && !current.contains(relative.as_str()) {
                std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    Ok(Written {
        pages,
        unchanged: unchanged.into_inner(),
    })
}

/// Whether the file already holds exactly this text (its size first, to read little).
fn same_content(path: &Path, text: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == text.len() as u64)
        && std::fs::read(path).is_ok_and(|bytes| bytes == text.as_bytes())
}

fn machine_outputs(args: &ReportArgs, input: &Input<'_>) -> Result<(), String> {
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        say!("wrote {}", path.display());
        Ok::<(), String>(())
    };
    if let Some(path) = &args.junit {
        let latest = latest_counted(input);
        let xml = report::junit::junit(&latest).map_err(|e| format!("JUnit: {e}"))?;
        write(path, &xml)?;
    }
    if let Some(path) = &args.markdown {
        write(path, &report::markdown::markdown(&report::view::overview(input)))?;
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report::json::summary(input)).expect("JSON prints");
        write(path, &(json + "\n"))?;
    }
    Ok(())
}

/// Each scenario's last counted drill, by scenario name.
fn latest_counted<'a>(input: &Input<'a>) -> Vec<&'a crate::result::DrillResult> {
    let mut latest: std::collections::BTreeMap<&str, &crate::result::DrillResult> = Default::default();
    for r in input.results.iter().filter(|r| input.counts(r)) {
        let entry = latest.entry(r.scenario.as_str()).or_insert(r);
        if r.started_at > entry.started_at {
            *entry = r;
        }
    }
    latest.into_values().collect()
}

/// Uploads the written pages from `out`, eight at a time.
async fn publish(store: &S3Store, out: &Path, pages: &[String]) -> Result<(), String> {
    use futures::StreamExt;
    let uploads = futures::stream::iter(pages)
        .map(|page| async move {
            let path = out.join(page);
            let body = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            store
                .put_object(page, body, "text/html; charset=utf-8")
                .await
                .map_err(|e| e.to_string())
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    uploads.into_iter().collect()
}

fn index_url(bucket: &str, prefix: &str, region: Option<&str>) -> String {
    let key = if prefix.is_empty() {
        "index.html".to_owned()
    } else {
        format!("{prefix}/index.html")
    };
    let region = region
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
    match region {
        Some(region) => format!("s3://{bucket}/{key} (https://{bucket}.s3.{region}.amazonaws.com/{key})"),
        None => format!("s3://{bucket}/{key}"),
    }
}

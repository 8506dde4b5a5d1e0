//! `firedrill report` and `firedrill history` over the report fixture (24 monthly drills
//! of 5 scenarios): the data of the pages (snapshots), the site on disk, corrupt files,
//! JUnit read back by a JUnit parser, and pruning.

use std::path::{Path, PathBuf};

use firedrill::history::{LocalStore, Unreadable};
use firedrill::report::view::{self, Input};
use firedrill::result::DrillResult;
use firedrill::scenario::Scenario;

use crate::report_fixture::{AS_OF, folder, history_folder};
use crate::support::{firedrill, stderr, stdout};

fn scenarios() -> Vec<Scenario> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| firedrill::scenario::load(f, None).unwrap().scenario)
        .collect()
}

fn results() -> Vec<DrillResult> {
    let loaded = LocalStore::new(history_folder()).load().unwrap();
    assert!(loaded.unreadable.is_empty(), "{:?}", loaded.unreadable);
    loaded.results.into_iter().map(|s| s.result).collect()
}

fn input<'a>(results: &'a [DrillResult], scenarios: &'a [Scenario], unreadable: &'a [Unreadable]) -> Input<'a> {
    Input {
        results,
        scenarios,
        unreadable,
        now: AS_OF.parse().unwrap(),
        include_simulated: false,
        tool_version: "[version]",
        coverage: None,
    }
}

#[test]
fn the_overview_says_what_stands_where() {
    let (results, scenarios) = (results(), scenarios());
    let overview = view::overview(&input(&results, &scenarios, &[]));
    let overdue: Vec<&str> = overview
        .scenarios
        .iter()
        .filter(|s| s.overdue)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(overdue, ["storefront-full"]);
    let demo = overview.scenarios.iter().find(|s| s.name == "demo").unwrap();
    assert!(demo.simulated_only && demo.last.is_none() && demo.last_simulated.is_some());
    assert_eq!(overview.totals.scenarios, 4, "the simulated scenario is not counted");
    assert_eq!(overview.totals.runs_simulated, 27);
    insta::assert_json_snapshot!("report_overview", overview);
}

#[test]
fn simulated_runs_count_only_when_asked() {
    let (results, scenarios) = (results(), scenarios());
    let mut asked = input(&results, &scenarios, &[]);
    asked.include_simulated = true;
    let overview = view::overview(&asked);
    assert_eq!(overview.totals.scenarios, 5);
    assert_eq!(overview.totals.runs_counted, results.len());
    // The orders-db rehearsal of 2026-08 is now its scenario's … not last: November's is.
    let orders = overview.scenarios.iter().find(|s| s.name == "orders-db").unwrap();
    assert_eq!(orders.runs_counted, 27);
}

#[test]
fn a_scenario_page_has_its_charts_percentiles_and_failures() {
    let (results, scenarios) = (results(), scenarios());
    let pages = view::scenario_pages(&input(&results, &scenarios, &[]));
    let storefront = pages.iter().find(|p| p.summary.name == "storefront-full").unwrap();
    assert_eq!(
        storefront.rto_chart.wide.points.len() + storefront.rto_chart.narrow.missing.len(),
        24
    );
    assert_eq!(storefront.phases.narrow.rows.len(), 12);
    let kinds: Vec<&str> = storefront.restore_percentiles.iter().map(|k| k.kind.as_str()).collect();
    assert_eq!(kinds, ["aurora_cluster", "ec2_instance"]);
    assert_eq!(storefront.failures.len(), 3);
    insta::assert_json_snapshot!("report_scenario_storefront_full", storefront);
    let payments = pages.iter().find(|p| p.summary.name == "payments-pitr").unwrap();
    assert!(
        payments
            .failures
            .iter()
            .all(|f| f.reasons.iter().any(|r| r.starts_with("RPO "))),
        "every payments-pitr failure is an RPO miss"
    );
}

#[test]
fn machine_outputs_say_the_same() {
    let (results, scenarios) = (results(), scenarios());
    let input = input(&results, &scenarios, &[]);
    insta::assert_snapshot!(
        "report_markdown",
        firedrill::report::markdown::markdown(&view::overview(&input))
    );
    insta::assert_json_snapshot!("report_json", firedrill::report::json::summary(&input));
}

/// Runs `firedrill report` over `history` into a fresh folder.
fn report(history: &Path, extra: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = [
        "report",
        "--history",
        history.to_str().unwrap(),
        "--scenarios",
        folder().join("scenarios").to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--out",
        out.path().to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    (firedrill(&args), out)
}

fn pages(out: &Path) -> Vec<PathBuf> {
    let mut found = vec![out.join("index.html")];
    for folder in ["scenarios", "runs"] {
        found.extend(std::fs::read_dir(out.join(folder)).unwrap().map(|e| e.unwrap().path()));
    }
    found.sort();
    found
}

#[test]
fn the_site_is_self_contained_and_complete() {
    let (output, out) = report(&history_folder(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("wrote 129 pages (123 runs, 5 scenarios; "),
        "{}",
        stdout(&output)
    );
    let pages = pages(out.path());
    assert_eq!(pages.len(), 1 + 5 + 123);
    let external = regex::Regex::new(
        r#"(?i)(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:|//|data:)|url\(|@import|<script|<link|<iframe|<img"#,
    )
    .unwrap();
    let links = regex::Regex::new(r#"href="([^"]+)""#).unwrap();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        assert!(html.starts_with("<!doctype html>"), "{}", page.display());
        if let Some(found) = external.find(&html) {
            panic!("{} loads something: {}", page.display(), found.as_str());
        }
        // Every link is relative and names a page of the site.
        for link in links.captures_iter(&html) {
            let target = page.parent().unwrap().join(&link[1]);
            assert!(target.exists(), "{}: broken link {}", page.display(), &link[1]);
        }
    }
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert_eq!(index.matches("badge overdue").count(), 1);
    let demo = std::fs::read_to_string(out.path().join("scenarios/demo.html")).unwrap();
    assert!(demo.contains("Simulated scenario."));
    let run = std::fs::read_dir(out.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("fd-orders-db-2026110"))
        .unwrap();
    let run = std::fs::read_to_string(run).unwrap();
    for evidence in [
        "arn:aws:rds:eu-west-1:123456789012:snapshot:rds:orders-db-prod-",
        "backup created",
        "Real drill on AWS",
        "firedrill 0.1.0",
        "tcp.open=1",
    ] {
        assert!(run.contains(evidence), "the run page shows {evidence}");
    }
}

#[test]
fn a_corrupt_or_truncated_result_is_named_and_the_rest_is_reported() {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&history_folder(), copy.path());
    let sample = std::fs::read_dir(copy.path().join("orders-db"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&sample).unwrap();
    let truncated = copy.path().join("orders-db/fd-orders-db-truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let garbage = copy.path().join("payments-pitr/garbage.json");
    std::fs::write(&garbage, b"\xff\xfe not json at all").unwrap();
    let empty = copy.path().join("demo/empty.json");
    std::fs::write(&empty, b"").unwrap();
    let (output, out) = report(copy.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    for (file, why) in [
        (&truncated, "the file ends early"),
        (&garbage, "not valid JSON"),
        (&empty, "empty"),
    ] {
        let name = file.display().to_string();
        assert!(err.contains(&name) && err.contains(why), "stderr names {name}: {err}");
        // Tera escapes `/` in text (as `&#x2F;`).
        assert!(index.contains(&name.replace('/', "&#x2F;")), "the report names {name}");
    }
    assert!(index.contains("3 history files could not be read"));
    assert_eq!(pages(out.path()).len(), 129, "every readable run is still reported");
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn junit_output_is_read_by_a_junit_parser() {
    let junit = tempfile::NamedTempFile::new().unwrap();
    let markdown = tempfile::NamedTempFile::new().unwrap();
    let json = tempfile::NamedTempFile::new().unwrap();
    let (output, _out) = report(
        &history_folder(),
        &[
            "--junit",
            junit.path().to_str().unwrap(),
            "--markdown",
            markdown.path().to_str().unwrap(),
            "--json",
            json.path().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let suites =
        junit_parser::from_reader(std::io::BufReader::new(std::fs::File::open(junit.path()).unwrap())).unwrap();
    // The last counted drill of each real scenario; the simulated one is not counted.
    assert_eq!(suites.suites.len(), 4);
    let storefront = suites
        .suites
        .iter()
        .find(|s| s.name.starts_with("storefront-full"))
        .unwrap();
    assert_eq!(storefront.errors, 1, "the last storefront drill errored");
    let orders = suites.suites.iter().find(|s| s.name.starts_with("orders-db")).unwrap();
    let names: Vec<&str> = orders.cases.iter().map(|c| c.original_name.as_str()).collect();
    assert_eq!(
        names,
        ["check db-port", "check row-counts", "RTO within 45m", "RPO within 1d"]
    );
    assert!(orders.cases.iter().all(|c| c.status.is_success()));
    assert_eq!((orders.failures, orders.errors), (0, 0));
    let md = std::fs::read_to_string(markdown.path()).unwrap();
    assert!(md.contains("| storefront-full | ⚠️ error 2026-08-01 |"), "{md}");
    let figures: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json.path()).unwrap()).unwrap();
    assert_eq!(figures["scenarios"].as_array().unwrap().len(), 5);
}

/// One result of the fixture history, as JSON, to be changed by a test.
fn a_fixture_result() -> serde_json::Value {
    let file = std::fs::read_dir(history_folder().join("orders-db"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    serde_json::from_str(&std::fs::read_to_string(file.path()).unwrap()).unwrap()
}

#[test]
fn a_result_from_a_newer_firedrill_is_still_read() {
    let mut value = a_fixture_result();
    value["schema_version"] = 2.into();
    value["carbon_grams"] = 12.into();
    value["teardown"]["cost_usd"] = 0.42.into();
    value["checks"][0]["attempts"] = 2.into();
    let read = firedrill::history::parse(value.to_string().as_bytes()).unwrap();
    assert_eq!(read.scenario, "orders-db");
}

#[test]
fn history_lists_shows_and_prunes_whole_runs() {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&history_folder(), copy.path());
    let history = copy.path().to_str().unwrap();
    let list = firedrill([
        "history",
        "list",
        "--history",
        history,
        "--scenario",
        "storefront-full",
        "--outcome",
        "failed",
        "--outcome",
        "error",
    ]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert!(stdout(&list).ends_with("3 runs\n"), "{}", stdout(&list));
    let json = firedrill([
        "history",
        "list",
        "--history",
        history,
        "--since",
        "2026-11-01",
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["started_at"].as_str().unwrap() >= "2026-11-01")
    );
    let run_id = rows[0]["run_id"].as_str().unwrap().to_owned();
    let show = firedrill(["history", "show", &run_id, "--history", history]);
    assert!(
        stdout(&show).contains(&format!("run       {run_id}")),
        "{}",
        stdout(&show)
    );
    let missing = firedrill(["history", "show", "fd-nope", "--history", history]);
    assert_eq!(missing.status.code(), Some(2));

    let everything = firedrill(["history", "prune", "--history", history]);
    assert_eq!(everything.status.code(), Some(2), "prune without a filter refuses");
    let before = count_files(copy.path());
    let dry = firedrill([
        "history",
        "prune",
        "--history",
        history,
        "--scenario",
        "demo",
        "--dry-run",
    ]);
    assert!(
        stdout(&dry).contains("24 run(s) would be deleted; nothing was deleted"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(count_files(copy.path()), before);
    // A journal and report beside a result go with it.
    let victim = copy
        .path()
        .join("demo")
        .join(format!("{}.json", first_run(copy.path(), "demo")));
    std::fs::write(victim.with_extension("journal.jsonl"), "{}\n").unwrap();
    std::fs::write(victim.with_extension("html"), "<!doctype html>").unwrap();
    let prune = firedrill([
        "history",
        "prune",
        "--history",
        history,
        "--scenario",
        "demo",
        "--until",
        "2026-01-01",
    ]);
    assert_eq!(prune.status.code(), Some(0), "{}", stderr(&prune));
    assert!(stdout(&prune).contains("14 run(s) deleted"), "{}", stdout(&prune));
    assert_eq!(count_files(copy.path()), before + 2 - 14 - 2);
    let bad = firedrill(["history", "list", "--history", history, "--outcome", "great"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("`great` is not an outcome"), "{}", stderr(&bad));
}

fn count_files(folder: &Path) -> usize {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| std::fs::read_dir(e.unwrap().path()).unwrap().count())
        .sum()
}

fn first_run(folder: &Path, scenario: &str) -> String {
    let mut names: Vec<String> = std::fs::read_dir(folder.join(scenario))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_owned()
        })
        .collect();
    names.sort();
    names.remove(0)
}

#[test]
fn results_are_never_replaced() {
    let folder = tempfile::tempdir().unwrap();
    let store = LocalStore::new(folder.path().to_path_buf());
    let result = results().remove(0);
    store.put(&result, &Default::default()).unwrap();
    let again = store.put(&result, &Default::default()).unwrap_err();
    assert!(again.to_string().contains("results are never replaced"), "{again}");
}

#[test]
fn absurd_figures_in_a_result_file_render_without_a_panic() {
    let mut value = a_fixture_result();
    value["rto"]["seconds"] = 1e300.into();
    value["rpo"]["seconds"] = (-5.0).into();
    value["phases"][0]["seconds"] = 1e308.into();
    value["restores"][0]["duration_seconds"] = 1e300.into();
    value["finished_at"] = "1970-01-01T00:00:00Z".into();
    let result = firedrill::history::parse(value.to_string().as_bytes()).unwrap();
    let results = [result];
    let input = input(&results, &[], &[]);
    let pages = firedrill::report::build_site(&input).unwrap();
    assert_eq!(pages.len(), 3);
    firedrill::report::junit::junit(&[&results[0]]).unwrap();
    firedrill::report::markdown::markdown(&view::overview(&input));
}

/// What AWS Backup protects in the fixture's accounts: the resources its scenarios
/// drill, and three more (a volume and a DB no scenario restores, a DynamoDB table).
fn protected() -> Vec<firedrill::coverage::ProtectedResource> {
    let resource = |arn: &str, kind: &str, vaults: &[&str]| firedrill::coverage::ProtectedResource {
        arn: arn.to_owned(),
        resource_type: kind.to_owned(),
        name: None,
        region: arn.split(':').nth(3).unwrap().to_owned(),
        vaults: vaults.iter().map(|v| (*v).to_owned()).collect(),
        last_backup: Some("2026-11-28T01:00:00Z".parse().unwrap()),
    };
    vec![
        resource("arn:aws:rds:eu-west-1:123456789012:db:orders-prod", "RDS", &["Default"]),
        resource(
            "arn:aws:rds:us-east-1:123456789012:db:payments-prod",
            "RDS",
            &["Default", "dr-copies"],
        ),
        resource("arn:aws:rds:us-east-1:123456789012:db:legacy-crm", "RDS", &["Default"]),
        resource(
            "arn:aws:rds:eu-west-2:123456789012:cluster:catalog-prod",
            "Aurora",
            &["Default"],
        ),
        resource(
            "arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0123456789abcdef0",
            "EC2",
            &["reporting"],
        ),
        resource(
            "arn:aws:ec2:ap-northeast-1:123456789012:volume/vol-0123456789abcdef0",
            "EBS",
            &["reporting"],
        ),
        resource(
            "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0aaaabbbbccccdddd",
            "EBS",
            &["Default"],
        ),
        resource(
            "arn:aws:dynamodb:eu-west-1:123456789012:table/carts",
            "DynamoDB",
            &["Default"],
        ),
    ]
}

fn coverage_file() -> PathBuf {
    folder().join("coverage.json")
}

#[test]
fn the_fixture_coverage_is_current() {
    let (results, scenarios) = (results(), scenarios());
    let regions = ["ap-northeast-1", "eu-west-1", "eu-west-2", "us-east-1"]
        .map(str::to_owned)
        .to_vec();
    let coverage = firedrill::coverage::assess(
        protected(),
        regions,
        &scenarios,
        &results,
        AS_OF.parse().unwrap(),
        Some("123456789012"),
    );
    let text = format!("{}\n", serde_json::to_string_pretty(&coverage).unwrap());
    if std::env::var_os("FIREDRILL_UPDATE_FIXTURES").is_some() {
        std::fs::write(coverage_file(), &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(coverage_file()).unwrap_or_default(),
        text,
        "tests/fixtures/report/coverage.json is out of date (FIREDRILL_UPDATE_FIXTURES=1 rewrites it)"
    );
    let status = |arn: &str| {
        coverage
            .resources
            .iter()
            .find(|c| c.resource.arn.ends_with(arn))
            .map(|c| c.status)
            .unwrap()
    };
    use firedrill::coverage::Status;
    assert_eq!(
        status("db:orders-prod"),
        Status::Passed,
        "orders-db passed; demo is simulated"
    );
    assert_eq!(
        status("cluster:catalog-prod"),
        Status::Passed,
        "storefront-full passed before it stopped"
    );
    assert_eq!(status("db:legacy-crm"), Status::NeverDrilled);
    assert_eq!(status("volume/vol-0aaaabbbbccccdddd"), Status::NeverDrilled);
    assert_eq!(status("table/carts"), Status::NotDrillable);
    assert_eq!(coverage.count(Status::Passed), 5);
}

#[test]
fn the_coverage_page_lists_backups_never_restore_tested() {
    let file = coverage_file();
    let (output, out) = report(&history_folder(), &["--coverage", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("wrote 130 pages"), "{}", stdout(&output));
    // tera escapes `/` in text as `&#x2F;`.
    let page = std::fs::read_to_string(out.path().join("coverage.html"))
        .unwrap()
        .replace("&#x2F;", "/");
    let never =
        &page[page.find("Backups never restore-tested").unwrap()..page.find("Every protected resource").unwrap()];
    for arn in [
        "arn:aws:rds:us-east-1:123456789012:db:legacy-crm",
        "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0aaaabbbbccccdddd",
    ] {
        assert!(never.contains(arn), "{arn} is listed as never restore-tested");
    }
    assert!(!never.contains("orders-prod") && !never.contains("carts"));
    assert!(page.contains(r#"<a href="scenarios/orders-db.html">orders-db</a>"#));
    let links = regex::Regex::new(r#"href="([^"]+)""#).unwrap();
    for link in links.captures_iter(&page) {
        assert!(out.path().join(&link[1]).exists(), "broken link {}", &link[1]);
    }
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        index.contains(
            r#"<a href="coverage.html">Backup coverage</a>:</strong> 5 of 7 protected resources restore-tested"#
        ) && index.contains("2 never restore-tested"),
        "the overview says it"
    );
}

#[test]
fn a_broken_coverage_file_is_named_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("coverage.json");
    std::fs::write(
        &file,
        "{\n  \"as_of\": \"2026-11-28T12:00:00Z\",\n  \"regions\": 3\n}\n",
    )
    .unwrap();
    let (output, out) = report(&history_folder(), &["--coverage", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let error = stderr(&output);
    assert!(
        error.contains("coverage.json:3:") && error.contains("not a coverage file"),
        "{error}"
    );
    assert!(!out.path().join("index.html").exists(), "nothing is written");
}

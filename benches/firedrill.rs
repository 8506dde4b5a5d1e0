//! firedrill's benchmarks: `cargo bench --bench firedrill` prints every figure and
//! writes docs/BENCHMARKS.md. Speed and memory targets live here, not in timed tests.
//!
//! 1. Detection lag and describe calls for 1, 10 and 200 restores together, on the sim
//!    with the paused clock (simulated minutes), firedrill's adaptive polling against one
//!    fixed 30 s waiter per resource (as the SDK waiters do).
//! 2. 200 restores across 50 scenarios run together by the binary on the sim, in real
//!    time with restore latencies scaled from minutes to seconds: wall time over the
//!    critical path, peak memory, CPU time.
//! 3. The report of a history of 10,000 runs: time and output size.
//! 4. Start-up time of `firedrill validate` on one scenario.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use firedrill::cloud::sim::{Executor, SimCloud};
use firedrill::interrupts::Interrupts;
use firedrill::plan;
use firedrill::result::DrillResult;
use firedrill::runner::polling::Policy;
use firedrill::runner::{self, Reporter, RunOptions};

#[path = "../tests/it/report_fixture.rs"]
#[allow(dead_code)]
mod report_fixture;

/// What `report_fixture` expects of the test crate.
mod support {
    pub fn root() -> &'static std::path::Path {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_firedrill")
}

fn main() {
    let mut doc = String::from(HEADER);
    let started = Instant::now();
    lag_and_calls(&mut doc);
    estate(&mut doc);
    report_of_many_runs(&mut doc);
    startup(&mut doc);
    let _ = writeln!(
        doc,
        "\n_The whole benchmark took {:.0} s on this machine ({})._",
        started.elapsed().as_secs_f64(),
        machine()
    );
    let path = support::root().join("docs/BENCHMARKS.md");
    // The test suite's own section is .ci/suite-times's: kept as it is.
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some(at) = old.find(SUITE_TIMES_MARKER) {
        doc.push('\n');
        doc.push_str(&old[at..]);
    }
    std::fs::write(&path, &doc).expect("docs/BENCHMARKS.md is writable");
    println!("\nwrote {}", path.display());
}

/// Where .ci/suite-times's section of docs/BENCHMARKS.md begins.
const SUITE_TIMES_MARKER: &str = "<!-- The test suite: written by .ci/suite-times write";

const HEADER: &str = "# Benchmarks\n\n\
Written by `cargo bench --bench firedrill` (benches/firedrill.rs); every figure below is \
measured by that run, none is typed in. Targets come from issue 7.\n";

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {cpu}")
}

// ---------------------------------------------------------------------------------------
// 1. Detection lag and API calls.

/// Restore durations in milliseconds drawn uniformly from 1 to 60 minutes, seeded (to the
/// millisecond: whole seconds would line completions up with a one-second poll).
fn durations(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| rng.u64(60_000..=3_600_000)).collect()
}

/// A sim scenario of `durations.len()` restores started together (RDS snapshots and AWS
/// Backup jobs of EBS volumes alternately, so that two services are observed, one of
/// which gives its own estimate), with no checks.
fn scenario_text(name: &str, durations: &[u64], call_latency: &str, isolation: &str, check: bool) -> String {
    let mut text = format!(
        "name: {name}\nowner: bench@example.com\ncloud: sim\nmax_duration: 4h\n\
         targets: {{ rto: 2h, rpo: 1d }}\nregion: eu-west-1\nrestores:\n"
    );
    for i in 0..durations.len() {
        if i % 2 == 0 {
            let _ = writeln!(
                text,
                "  - id: r{i}\n    source: {{ rds_snapshot: {{ instance: db-{i}, snapshot: latest }} }}\n    timeout: 3h"
            );
        } else {
            let _ = writeln!(
                text,
                "  - id: r{i}\n    source: {{ aws_backup: {{ vault: nightly, resource_arn: \"arn:aws:ec2:eu-west-1:123456789012:volume/vol-{i:017x}\" }} }}\n    timeout: 3h"
            );
        }
    }
    if check {
        // One check needing every restore, so that the drill has an RTO.
        let needs: Vec<String> = (0..durations.len()).map(|i| format!("r{i}")).collect();
        let _ = writeln!(
            text,
            "checks:\n  - id: up\n    script: ok.sh\n    needs: [{}]",
            needs.join(", ")
        );
    } else {
        text.push_str("checks: []\n");
    }
    text.push_str("sim:\n  seed: 7\n  restore_latencies:\n");
    for (i, millis) in durations.iter().enumerate() {
        let _ = writeln!(text, "    r{i}: {millis}ms");
    }
    let _ = writeln!(text, "  latencies: {{ call: {call_latency}, isolation: {isolation} }}");
    text
}

fn load(dir: &Path, name: &str, text: &str) -> firedrill::scenario::LoadedScenario {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, text).unwrap();
    firedrill::scenario::load(&file, Some(dir)).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Runs one drill on the sim with the paused clock.
fn paused_drill(loaded: &firedrill::scenario::LoadedScenario, polling: Option<Policy>) -> DrillResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let settings = loaded.scenario.sim.clone().unwrap_or_default();
        let cloud = SimCloud::new(settings, &loaded.checks_dir, Executor::Subprocess);
        let clock = cloud.clock();
        let now = move || clock.now();
        let options = RunOptions {
            run_id: runner::new_run_id(&loaded.scenario.name, now()),
            disaster_at: None,
            keep_until: None,
            poll_interval: Policy::DEFAULT.floor,
            restore_history: BTreeMap::new(),
            polling,
            operator: None,
        };
        let mut reporter = Reporter::new(None, None);
        let plan = plan::plan(&loaded.scenario);
        runner::run_drill(
            &cloud,
            &now,
            loaded,
            &plan,
            &options,
            &mut reporter,
            &Interrupts::never(),
        )
        .await
    })
}

fn lags(result: &DrillResult) -> Vec<f64> {
    result.restores.iter().filter_map(|r| r.detection_lag_seconds).collect()
}

fn describes(result: &DrillResult) -> u64 {
    result
        .api_calls
        .iter()
        .filter(|(call, _)| call.ends_with(":Describe"))
        .map(|(_, n)| n)
        .sum()
}

fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// One waiter per resource, as the SDK waiters do: a describe at the start, then one
/// every 30 s until the resource is ready.
fn waiter_calls(durations: &[f64]) -> u64 {
    durations.iter().map(|d| (d / 30.0).ceil() as u64 + 1).sum()
}

fn lag_and_calls(doc: &mut String) {
    let dir = tempfile::tempdir().unwrap();
    let _ = writeln!(
        doc,
        "\n## 1. Detection lag and describe calls\n\n\
         Restores started together, durations drawn uniformly from 1 to 60 simulated \
         minutes (seeded), half RDS snapshots and half AWS Backup jobs of EBS volumes, on \
         the sim with tokio's paused clock. Every estimate of a restore's time (the history's \
         for RDS, AWS Backup's ExpectedCompletionTimeMinutes for the jobs) carries a \
         log-normal error of sigma 0.3 (about ±30 %), never the exact answer. Detection lag: from the moment a restore is \
         ready (the provider's completion time) to the moment the runner sees it and acts. \
         **firedrill**: the adaptive polling of `src/runner/polling.rs`, one describe per \
         service per round. **Fixed 30 s, batched**: the same runner polling every 30 s. \
         **One 30 s waiter per resource**: what the SDK waiters do, its calls counted from \
         the same restore durations (a describe at the start, then every 30 s), its lag \
         the same as the batched fixed run's.\n\n\
         | restores | firedrill lag p50 | p99 | max | firedrill describes | 30 s lag p50 | p99 | 30 s batched describes | waiters' describes | firedrill ÷ waiters |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let fixed = Policy {
        floor: Duration::from_secs(30),
        ceiling: Duration::from_secs(30),
        jitter: 0.0,
    };
    for n in [1usize, 10, 200] {
        // Several drills for one and ten restores, so that the percentiles mean something.
        let repeats = match n {
            1 => 100,
            10 => 10,
            _ => 1,
        };
        let (mut ours, mut theirs, mut calls, mut fixed_calls, mut waiter) = (vec![], vec![], 0, 0, 0);
        for repeat in 0..repeats {
            let drawn = durations(n, 1000 + repeat as u64);
            let text = scenario_text(&format!("lag-{n}-{repeat}"), &drawn, "0s", "2s", false);
            let loaded = load(dir.path(), &format!("lag-{n}-{repeat}"), &text);
            let adaptive = paused_drill(&loaded, None);
            let baseline = paused_drill(&loaded, Some(fixed));
            assert_eq!(
                lags(&adaptive).len(),
                n,
                "every restore completed: {:?}",
                adaptive.reasons
            );
            ours.extend(lags(&adaptive));
            theirs.extend(lags(&baseline));
            calls += describes(&adaptive);
            fixed_calls += describes(&baseline);
            let taken: Vec<f64> = adaptive.restores.iter().filter_map(|r| r.duration_seconds).collect();
            waiter += waiter_calls(&taken);
        }
        let row = format!(
            "| {n} ({repeats} drill{}) | {:.2} s | {:.2} s | {:.2} s | {calls} | {:.1} s | {:.1} s | {fixed_calls} | {waiter} | {:.2} |",
            if repeats == 1 { "" } else { "s" },
            percentile(&ours, 0.5),
            percentile(&ours, 0.99),
            percentile(&ours, 1.0),
            percentile(&theirs, 0.5),
            percentile(&theirs, 0.99),
            calls as f64 / waiter as f64,
        );
        println!("{row}");
        let _ = writeln!(doc, "{row}");
    }
    let _ = writeln!(
        doc,
        "\nTargets: lag p50 ≤ 1 s and p99 ≤ 5 s; for 200 restores, describes ≤ the waiters'; \
         never more than one call a second to a service (the polling floor is 1 s and, for \
         this mix, a round makes one describe per service: one DescribeDBInstances for every \
         RDS copy, one ListRestoreJobs for every AWS Backup job). On AWS, calls to one \
         service are also kept at least 1 s apart by src/cloud/aws/pace.rs, for the rounds \
         that need a second call to a service: DescribeDBClusters beside DescribeDBInstances \
         while Aurora clusters are in flight, DescribeVolumes beside DescribeInstances, and \
         the completion lookups (DescribeEvents; a completed job's copy); \
         tests/it/aws_observe.rs checks it."
    );
}

// ---------------------------------------------------------------------------------------
// 2. A whole estate at once.

/// Peak RSS (kB), user and system CPU (s) of the finished children, from getrusage.
fn children_usage() -> (i64, f64, f64) {
    // SAFETY: getrusage writes the struct it is given and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (usage.ru_maxrss, secs(usage.ru_utime), secs(usage.ru_stime))
}

fn estate(doc: &mut String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ok.sh");
    std::fs::write(&script, "#!/bin/sh\necho ok=1\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut files = Vec::new();
    let mut longest: u64 = 0;
    for s in 0..50 {
        // Four restores per scenario, 1–60 "minutes" each, scaled to seconds.
        let scaled: Vec<u64> = durations(4, 5000 + s).iter().map(|d| d / 60).collect();
        longest = longest.max(*scaled.iter().max().unwrap());
        let text = scenario_text(&format!("estate-{s:02}"), &scaled, "0s", "2s", true);
        let file = dir.path().join(format!("estate-{s:02}.yaml"));
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    // Isolation, the longest restore, the check (a shell script: a few milliseconds).
    let critical = 2.0 + longest as f64 / 1000.0;
    let history = dir.path().join("history");
    let before = children_usage();
    let started = Instant::now();
    let output = Command::new(binary())
        .arg("run")
        .args(&files)
        .args(["--parallel", "50", "--checks-dir"])
        .arg(dir.path())
        .arg("--history")
        .arg(&history)
        .output()
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let after = children_usage();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let overhead = (wall - critical) / critical * 100.0;
    let cpu = (after.1 - before.1) + (after.2 - before.2);
    let text = format!(
        "\n## 2. 200 restores across 50 scenarios at once\n\n\
         `firedrill run --parallel 50` on 50 sim scenarios of 4 restores each, in real time, \
         restore latencies drawn from 1–60 minutes and scaled to 1–60 **seconds** (1 minute → \
         1 s), isolation 2 s, other calls instant, one shell-script check per scenario \
         needing all four restores; whole drills, teardown included, from the process's \
         start to its exit. The critical path is the isolation plus the longest restore \
         (the check takes milliseconds): {critical:.2} s. The overhead is everything else: \
         start-up, orchestration, detection lag (the sim polls with a 250 ms floor), \
         teardown, results and reports.\n\n\
         | wall time | critical path | overhead | peak memory (RSS) | CPU time (user + system) |\n\
         |---:|---:|---:|---:|---:|\n\
         | {wall:.2} s | {critical:.2} s | {overhead:.1} % | {:.1} MB | {cpu:.2} s |\n\n\
         Targets: overhead ≤ 2 % of the critical path, peak memory ≤ 150 MB.",
        after.0 as f64 / 1024.0
    );
    println!("{text}");
    doc.push_str(&text);
    doc.push('\n');
}

// ---------------------------------------------------------------------------------------
// 3. The report of 10,000 runs.

fn size_of(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| size_of(&e.unwrap().path()))
            .sum()
    } else {
        path.metadata().map_or(0, |m| m.len())
    }
}

fn report_of_many_runs(doc: &mut String) {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    // 10 copies of the 5 fixture stories, 200 monthly drills each: 10,000 results.
    let results = report_fixture::many(10, 200);
    for result in &results {
        let path = history.join(&result.scenario).join(format!("{}.json", result.run_id));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_string_pretty(result).unwrap()).unwrap();
    }
    let history_size = size_of(&history);
    let report = |out: &Path| {
        let started = Instant::now();
        let output = Command::new(binary())
            .args(["report", "--as-of", "2016-09-01T00:00:00Z", "--history"])
            .arg(&history)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        started.elapsed().as_secs_f64()
    };
    // Into an empty folder (every page written), three times; then again into the last
    // one, where every page is already there and unchanged (a later monthly report).
    let fresh: Vec<f64> = (0..3).map(|i| report(&dir.path().join(format!("site-{i}")))).collect();
    let out = dir.path().join("site-2");
    let again: Vec<f64> = (0..3).map(|_| report(&out)).collect();
    let overview = size_of(&out.join("index.html"));
    let site = size_of(&out);
    let pages = std::fs::read_dir(out.join("runs")).unwrap().count();
    let text = format!(
        "\n## 3. The report of 10,000 runs\n\n\
         `firedrill report` over a local history of {} results ({:.1} MB of JSON; 50 \
         scenarios of 200 monthly drills, from the report fixture's stories): reading and \
         parsing the history, rendering every page ({pages} run pages) on every core and \
         writing it. *Empty folder*: every page is written; *again*: the same report into \
         the same folder, where pages whose content is unchanged are left alone (results \
         never change, so neither do their pages). Best and median of 3 each.\n\n\
         | empty folder (best) | (median) | again (best) | (median) | overview (index.html) | whole site |\n\
         |---:|---:|---:|---:|---:|---:|\n\
         | {:.2} s | {:.2} s | {:.2} s | {:.2} s | {:.2} MB | {:.1} MB |\n\n\
         Targets: ≤ 2 s, ≤ 5 MB of HTML for the overview.",
        results.len(),
        history_size as f64 / 1e6,
        percentile(&fresh, 0.0),
        percentile(&fresh, 0.5),
        percentile(&again, 0.0),
        percentile(&again, 0.5),
        overview as f64 / 1e6,
        site as f64 / 1e6,
    );
    println!("{text}");
    doc.push_str(&text);
    doc.push('\n');
}

// ---------------------------------------------------------------------------------------
// 4. Start-up.

fn startup(doc: &mut String) {
    let scenario: PathBuf = support::root().join("scenarios/demo.yaml");
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let output = Command::new(binary()).arg("validate").arg(&scenario).output().unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(output.status.success());
    }
    let text = format!(
        "\n## 4. Start-up\n\n\
         `firedrill validate scenarios/demo.yaml`, the whole process, 30 times.\n\n\
         | median | p90 | max |\n|---:|---:|---:|\n| {:.1} ms | {:.1} ms | {:.1} ms |\n\n\
         Target: ≤ 50 ms.",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 1.0)
    );
    println!("{text}");
    doc.push_str(&text);
    doc.push('\n');
}

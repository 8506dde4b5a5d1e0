//! The report fixture: 24 monthly drills of each of 5 scenarios (tests/fixtures/report),
//! with passes, RTO misses, RPO misses, failed checks, harness errors, simulated runs and
//! one overdue scenario; deterministic, written to tests/fixtures/report/history and
//! checked to be current (FIREDRILL_UPDATE_FIXTURES=1 rewrites it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use firedrill::cloud::{RecoveryPoint, ResourceRef, ResourceType};
use firedrill::measure::{self, Verdict};
use firedrill::result::{
    CheckRecord, DrillResult, Phase, RestoreRecord, RpoRecord, RtoRecord, SCHEMA_VERSION, TeardownRecord,
};
use firedrill::scenario::{HumanDuration, ResourceKind};
use jiff::{SignedDuration, Timestamp, ToSpan, civil::date, tz::TimeZone};

use crate::support::root;

/// The time the fixture report is as of: before December's drills are due.
pub const AS_OF: &str = "2026-11-28T12:00:00Z";

pub fn folder() -> PathBuf {
    root().join("tests/fixtures/report")
}

/// What happens in one drill: P passed, T RTO missed, R RPO missed, C a check failed,
/// E a harness error, S a simulated pass.
struct Story {
    scenario: &'static str,
    /// The first month drilled (the 24 follow), day and local time of the drills.
    first: (i16, i8),
    day: i8,
    hour: i8,
    zone: &'static str,
    rto: &'static str,
    rpo: &'static str,
    months: &'static str,
    /// Simulated rehearsals (month index) between the real drills.
    rehearsals: &'static [usize],
    restores: &'static [(&'static str, ResourceKind, f64)],
    checks: &'static [&'static str],
    region: &'static str,
}

const STORIES: [Story; 5] = [
    Story {
        scenario: "orders-db",
        first: (2024, 12),
        day: 1,
        hour: 3,
        zone: "Europe/Berlin",
        rto: "45m",
        rpo: "24h",
        months: "PPPPPTPPPPPPPPPTPPPPPPPP",
        rehearsals: &[5, 12, 20],
        restores: &[("orders-db", ResourceKind::RdsInstance, 1500.0)],
        checks: &["db-port", "row-counts"],
        region: "eu-west-1",
    },
    Story {
        scenario: "payments-pitr",
        first: (2024, 12),
        day: 15,
        hour: 4,
        zone: "America/New_York",
        rto: "1h",
        rpo: "15m",
        months: "PRPPRPPPRRPPPPRPPPPRPPPP",
        rehearsals: &[],
        restores: &[("payments-db", ResourceKind::RdsInstance, 2100.0)],
        checks: &["db-port"],
        region: "us-east-1",
    },
    Story {
        scenario: "reporting-server",
        first: (2024, 12),
        day: 1,
        hour: 2,
        zone: "Asia/Tokyo",
        rto: "1h",
        rpo: "26h",
        months: "PPEPPPPEPPPPCPPPPPEPPPPP",
        rehearsals: &[],
        restores: &[
            ("server", ResourceKind::Ec2Instance, 900.0),
            ("data", ResourceKind::EbsVolume, 600.0),
        ],
        checks: &["app-port"],
        region: "ap-northeast-1",
    },
    Story {
        scenario: "storefront-full",
        first: (2024, 9),
        day: 1,
        hour: 9,
        zone: "Europe/London",
        rto: "2h",
        rpo: "1h",
        months: "PPPPPPPPTPPPPPPPPPPPPPCE",
        rehearsals: &[],
        restores: &[
            ("catalog", ResourceKind::AuroraCluster, 3300.0),
            ("app", ResourceKind::Ec2Instance, 480.0),
        ],
        checks: &["catalog-port"],
        region: "eu-west-2",
    },
    Story {
        scenario: "demo",
        first: (2024, 12),
        day: 1,
        hour: 0,
        zone: "Europe/Berlin",
        rto: "30m",
        rpo: "36h",
        months: "SSSSSSSSSSCSSSSSSSSSSSSS",
        rehearsals: &[],
        restores: &[("orders-db", ResourceKind::RdsInstance, 8.0)],
        checks: &["db-port"],
        region: "eu-west-1",
    },
];

/// A small deterministic variation, from the scenario, the month and a salt.
fn jitter(scenario: &str, month: usize, salt: u64, spread: f64) -> f64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ salt;
    for b in scenario.bytes().chain((month as u64).to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    (h % 10_000) as f64 / 10_000.0 * spread
}

fn run_id(scenario: &str, at: Timestamp, month: usize, salt: u64) -> String {
    let letters: String = (0..6)
        .map(|i| (b'a' + (jitter(scenario, month, salt * 7 + i, 26.0) as u8)) as char)
        .collect();
    format!("fd-{scenario}-{}-{letters}", at.strftime("%Y%m%dT%H%M%SZ"))
}

fn secs(s: f64) -> SignedDuration {
    SignedDuration::from_millis((s * 1000.0).round() as i64)
}

fn after(t: Timestamp, s: f64) -> Timestamp {
    t.checked_add(secs(s)).unwrap()
}

fn kind_type(kind: ResourceKind) -> ResourceType {
    match kind {
        ResourceKind::RdsInstance => ResourceType::DbInstance,
        ResourceKind::AuroraCluster => ResourceType::DbCluster,
        ResourceKind::EbsVolume => ResourceType::Volume,
        ResourceKind::Ec2Instance => ResourceType::Instance,
    }
}

fn recovery_point_id(story: &Story, restore: &str, kind: ResourceKind, taken: Timestamp) -> String {
    let stamp = taken.strftime("%Y-%m-%d-%H-%M");
    match kind {
        ResourceKind::RdsInstance => format!(
            "arn:aws:rds:{}:123456789012:snapshot:rds:{restore}-prod-{stamp}",
            story.region
        ),
        ResourceKind::AuroraCluster => {
            format!(
                "arn:aws:rds:{}:123456789012:cluster-snapshot:rds:{restore}-prod-{stamp}",
                story.region
            )
        }
        ResourceKind::EbsVolume | ResourceKind::Ec2Instance => format!(
            "arn:aws:backup:{}:123456789012:recovery-point:{:08x}-{restore}",
            story.region,
            taken.as_second()
        ),
    }
}

/// One drill of a story: its timeline is built phase by phase, then judged by the same
/// rules as a real drill (`measure::outcome`).
fn drill(story: &Story, month: usize, start: Timestamp, what: char) -> DrillResult {
    let simulated = what == 'S' || story.scenario == "demo";
    let scale = if simulated && story.scenario != "demo" {
        0.01
    } else {
        1.0
    };
    let rto_target = HumanDuration::parse(story.rto).unwrap();
    let rpo_target = HumanDuration::parse(story.rpo).unwrap();
    let t0 = start;
    let isolation_end = after(t0, (70.0 + jitter(story.scenario, month, 1, 50.0)) * scale);
    let mut phases = vec![Phase {
        name: "isolation".into(),
        start: t0,
        end: isolation_end,
        seconds: isolation_end.duration_since(t0).as_secs_f64(),
        ok: true,
    }];
    let slow = if what == 'T' { 2.3 } else { 1.0 };
    let mut restores = Vec::new();
    let mut restores_end = isolation_end;
    let error = (what == 'E').then(|| {
        if month.is_multiple_of(2) {
            "restore `server` failed: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/firedrill-drills/firedrill is not authorized to perform: backup:StartRestoreJob".to_owned()
        } else {
            "restore failed: DBInstanceQuotaExceeded: the account's DB instance quota (40) is reached".to_owned()
        }
    });
    for (i, (id, kind, base)) in story.restores.iter().enumerate() {
        let duration = (base * slow + jitter(story.scenario, month, 10 + i as u64, base * 0.3)) * scale;
        let started = after(isolation_end, 2.0 + i as f64);
        let failed_here = error.is_some() && i == 0;
        let completed = after(started, duration);
        let seen = after(completed, 1.0 + jitter(story.scenario, month, 20 + i as u64, 1.5));
        let age = match what {
            'R' => 1500.0 + jitter(story.scenario, month, 30, 1800.0),
            _ if story.scenario == "payments-pitr" => 300.0,
            _ if story.scenario == "storefront-full" => 1200.0 + jitter(story.scenario, month, 30, 1200.0),
            _ => 3.0 * 3600.0 + jitter(story.scenario, month, 30, 14_400.0),
        };
        let taken = t0.checked_sub(secs(age)).unwrap();
        restores.push(RestoreRecord {
            id: (*id).into(),
            recovery_point: Some(RecoveryPoint {
                id: recovery_point_id(story, id, *kind, taken),
                data_time: taken,
                kind: *kind,
                point_in_time: story.scenario == "payments-pitr",
            }),
            started_at: Some(started),
            completed_at: (!failed_here).then_some(completed),
            seen_at: (!failed_here).then_some(seen),
            duration_seconds: (!failed_here).then(|| completed.duration_since(started).as_secs_f64()),
            detection_lag_seconds: (!failed_here).then(|| seen.duration_since(completed).as_secs_f64()),
            resource: (!failed_here).then(|| {
                ResourceRef::new(
                    kind_type(*kind),
                    format!("{}-{id}", run_id(story.scenario, t0, month, 0)),
                )
            }),
            error: failed_here.then(|| error.clone().unwrap()),
        });
        let end = if failed_here { started } else { seen };
        phases.push(Phase {
            name: format!("restore/{id}"),
            start: started,
            end,
            seconds: end.duration_since(started).as_secs_f64(),
            ok: !failed_here,
        });
        restores_end = restores_end.max(end);
    }
    let mut checks = Vec::new();
    if error.is_none() {
        let runner_end = after(restores_end, (95.0 + jitter(story.scenario, month, 40, 60.0)) * scale);
        phases.push(Phase {
            name: "runner".into(),
            start: restores_end,
            end: runner_end,
            seconds: runner_end.duration_since(restores_end).as_secs_f64(),
            ok: true,
        });
        let mut at = runner_end;
        for (i, id) in story.checks.iter().enumerate() {
            let end = after(at, (20.0 + jitter(story.scenario, month, 50 + i as u64, 40.0)) * scale);
            let passed = !(what == 'C' && i == story.checks.len() - 1);
            checks.push(CheckRecord {
                id: (*id).into(),
                passed,
                gates_rto: true,
                exit_code: if passed { 0 } else { 1 },
                stdout: if passed {
                    "tcp.open=1\nrows.orders=1048576\n".into()
                } else {
                    "tcp.open=0\n".into()
                },
                stderr: if passed {
                    String::new()
                } else {
                    "connect: connection refused\n".into()
                },
                started_at: at,
                ended_at: end,
                reasons: if passed {
                    vec![]
                } else {
                    vec![
                        "exit code 1, expected 0".into(),
                        "stdout does not match `^tcp\\.open=1`".into(),
                    ]
                },
            });
            phases.push(Phase {
                name: format!("check/{id}"),
                start: at,
                end,
                seconds: end.duration_since(at).as_secs_f64(),
                ok: passed,
            });
            at = end;
        }
    }
    let gating: Vec<Option<Timestamp>> = if error.is_some() {
        vec![None]
    } else {
        checks.iter().map(|c| c.passed.then_some(c.ended_at)).collect()
    };
    let rto = measure::rto(t0, &gating);
    let times: Vec<Timestamp> = restores
        .iter()
        .filter_map(|r| r.recovery_point.as_ref().map(|p| p.data_time))
        .collect();
    let rpo = measure::rpo_from_metadata(t0, &times);
    let failed: Vec<String> = checks.iter().filter(|c| !c.passed).map(|c| c.id.clone()).collect();
    let (outcome, reasons) = measure::outcome(&Verdict {
        rto_target: SignedDuration::try_from(rto_target.as_duration()).unwrap(),
        rpo_target: SignedDuration::try_from(rpo_target.as_duration()).unwrap(),
        rto,
        rpo,
        failed_checks: &failed,
        failed_manual: &[],
        harness_error: error.as_deref(),
        aborted: false,
    });
    let checks_end = phases.iter().map(|p| p.end).max().unwrap();
    let teardown_end = after(checks_end, 240.0 * scale + jitter(story.scenario, month, 60, 120.0));
    let id = run_id(story.scenario, t0, month, if what == 'S' { 1 } else { 0 });
    let created: Vec<ResourceRef> = restores.iter().filter_map(|r| r.resource.clone()).collect();
    let mut deleted = created;
    deleted.push(ResourceRef::new(
        ResourceType::Vpc,
        format!("vpc-{:017x}", t0.as_second() as u64 * 7919),
    ));
    DrillResult {
        manual_steps: Vec::new(),
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        run_id: id,
        scenario: story.scenario.into(),
        simulated,
        t0,
        started_at: t0,
        finished_at: teardown_end,
        rto_target,
        rpo_target,
        outcome,
        reasons,
        rto: rto.map(|r| RtoRecord {
            seconds: r.value.as_secs_f64(),
            recovered_at: r.recovered_at,
            detection_lag_seconds: restores
                .iter()
                .filter_map(|r| r.detection_lag_seconds)
                .fold(0.0, f64::max),
        }),
        rpo: rpo.map(|r| RpoRecord {
            seconds: r.value.as_secs_f64(),
            data_time: r.data_time,
            basis: r.basis,
        }),
        phases,
        restore_durations: firedrill::result::percentiles(&restores),
        restores,
        checks,
        teardown: TeardownRecord {
            started_at: Some(checks_end),
            finished_at: Some(teardown_end),
            seconds: Some(teardown_end.duration_since(checks_end).as_secs_f64()),
            deleted,
            ..TeardownRecord::default()
        },
        api_calls: Default::default(),
    }
}

/// Every drill of the fixture.
pub fn history() -> Vec<DrillResult> {
    let mut results = Vec::new();
    for story in &STORIES {
        for (month, what) in story.months.chars().enumerate() {
            let start = start_of(story, story.first, month);
            results.push(drill(story, month, start, what));
            if story.rehearsals.contains(&month) {
                let rehearsal = after(start, 13.0 * 86_400.0);
                results.push(drill(story, month, rehearsal, 'S'));
            }
        }
    }
    results
}

/// When a story's drill of a month starts: a few minutes after its scheduled time.
fn start_of(story: &Story, (year, first): (i16, i8), month: usize) -> Timestamp {
    let zone = TimeZone::get(story.zone).unwrap();
    let day = date(year, first, story.day)
        .checked_add((month as i32).months())
        .unwrap();
    let local = day.at(story.hour, 0, 0, 0);
    let start = local.to_zoned_datetime(zone).unwrap().timestamp();
    after(start, 60.0 * (2.0 + jitter(story.scenario, month, 2, 8.0)).round())
}

/// A large history for benchmarks: `copies` of each story under its own name, each with
/// `months` monthly drills from January 2000 (the stories' outcomes repeat).
#[allow(dead_code)] // used by benches/firedrill.rs
pub fn many(copies: usize, months: usize) -> Vec<DrillResult> {
    let mut results = Vec::with_capacity(copies * STORIES.len() * months);
    for copy in 0..copies {
        for story in &STORIES {
            let name = format!("{}-{copy:02}", story.scenario);
            for month in 0..months {
                let what = story.months.chars().nth(month % story.months.len()).unwrap();
                let mut result = drill(story, month, start_of(story, (2000, 1), month), what);
                result.run_id = result.run_id.replacen(story.scenario, &name, 1);
                result.scenario = name.clone();
                results.push(result);
            }
        }
    }
    results
}

/// The files of the fixture history: `<scenario>/<run-id>.json` → text.
pub fn files() -> BTreeMap<String, String> {
    history()
        .into_iter()
        .map(|r| {
            (
                format!("{}/{}.json", r.scenario, r.run_id),
                serde_json::to_string_pretty(&r).unwrap() + "\n",
            )
        })
        .collect()
}

pub fn history_folder() -> PathBuf {
    folder().join("history")
}

fn on_disk(folder: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for scenario in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(scenario.path()).into_iter().flatten().flatten() {
            let key = format!(
                "{}/{}",
                scenario.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            );
            found.insert(key, std::fs::read_to_string(file.path()).unwrap());
        }
    }
    found
}

#[test]
fn the_fixture_history_is_current() {
    let expected = files();
    let folder = history_folder();
    if std::env::var_os("FIREDRILL_UPDATE_FIXTURES").is_some() {
        let _ = std::fs::remove_dir_all(&folder);
        for (key, text) in &expected {
            let path = folder.join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
    let found = on_disk(&folder);
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "tests/fixtures/report/history is out of date: FIREDRILL_UPDATE_FIXTURES=1 cargo test the_fixture_history_is_current"
    );
    for (key, text) in &expected {
        assert_eq!(
            &found[key], text,
            "{key} is out of date (FIREDRILL_UPDATE_FIXTURES=1 rewrites it)"
        );
    }
}

#[test]
fn the_fixture_has_what_the_report_must_show() {
    let all = history();
    let count = |scenario: &str| all.iter().filter(|r| r.scenario == scenario && !r.simulated).count();
    for story in &STORIES[..4] {
        assert_eq!(count(story.scenario), 24, "{}", story.scenario);
    }
    assert_eq!(all.iter().filter(|r| r.scenario == "demo").count(), 24);
    let reasons: Vec<&String> = all.iter().flat_map(|r| &r.reasons).collect();
    assert!(reasons.iter().any(|r| r.starts_with("RTO ")), "an RTO miss");
    assert!(reasons.iter().any(|r| r.starts_with("RPO ")), "an RPO miss");
    assert!(
        all.iter().any(|r| r.outcome == firedrill::measure::Outcome::Error),
        "a harness error"
    );
    assert!(reasons.iter().any(|r| r.starts_with("check ")), "a failed check");
    assert!(
        all.iter().any(|r| r.simulated && r.scenario == "orders-db"),
        "a rehearsal"
    );
}

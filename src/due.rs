//! Which scenarios a scheduler should run now, from their schedules and the history:
//! what `firedrill due` lists and `firedrill run --due` runs. Pure: the caller passes the
//! scenarios, the results and the clock. The rules of `schedule` decide, the same ones
//! the report's overview shows (the report also counts simulated passes of `cloud: aws`
//! scenarios when asked with `--include-simulated`; the scheduler never does).
//!
//! Which runs count: a real drill's for a `cloud: aws` scenario (a simulated rehearsal
//! proves nothing about AWS), a simulated one's for a `cloud: sim` scenario (it has no
//! other). Only a passed drill moves the due date: a failed one proved nothing, so the
//! scenario stays due and the next scheduled run tries again.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::measure::Outcome;
use crate::result::DrillResult;
use crate::scenario::{CloudKind, Scenario};
use crate::schedule::{self, ScheduleError};

/// Where a scenario stands against its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Later than its due date plus the grace, or scheduled and never passed.
    Overdue,
    /// Its due date has come; still within the grace.
    Due,
    /// Its due date is still ahead.
    NotDue,
    /// It has no `schedule`: it runs only when asked.
    Unscheduled,
}

impl State {
    /// Whether `run --due` runs it.
    pub fn runs(self) -> bool {
        matches!(self, State::Overdue | State::Due)
    }

    pub fn text(self) -> &'static str {
        match self {
            State::Overdue => "overdue",
            State::Due => "due",
            State::NotDue => "not due",
            State::Unscheduled => "unscheduled",
        }
    }
}

/// One scenario's standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub scenario: String,
    pub state: State,
    /// The last counted drill that passed.
    pub last_passed: Option<Timestamp>,
    /// When the next drill is (was) due; `None` when unscheduled or never passed.
    pub next_due: Option<Timestamp>,
    /// How late, when overdue after an earlier pass.
    #[serde(serialize_with = "seconds")]
    pub overdue_by: Option<SignedDuration>,
}

fn seconds<S: serde::Serializer>(value: &Option<SignedDuration>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => serializer.serialize_some(&d.as_secs()),
        None => serializer.serialize_none(),
    }
}

/// Whether `result` counts for `scenario`'s schedule.
pub fn counts(scenario: &Scenario, result: &DrillResult) -> bool {
    result.scenario == scenario.name && result.simulated == (scenario.cloud == CloudKind::Sim)
}

/// When `scenario` last passed, among `results` (any order).
pub fn last_passed(scenario: &Scenario, results: &[DrillResult]) -> Option<Timestamp> {
    results
        .iter()
        .filter(|r| counts(scenario, r) && r.outcome == Outcome::Passed)
        .map(|r| r.started_at)
        .max()
}

/// Where `scenario` stands at `now`.
pub fn assess(scenario: &Scenario, results: &[DrillResult], now: Timestamp) -> Result<Assessment, ScheduleError> {
    let last_passed = last_passed(scenario, results);
    let Some(plan) = &scenario.schedule else {
        return Ok(Assessment {
            scenario: scenario.name.clone(),
            state: State::Unscheduled,
            last_passed,
            next_due: None,
            overdue_by: None,
        });
    };
    let grace = SignedDuration::try_from(scenario.max_duration.as_duration()).unwrap_or(SignedDuration::MAX);
    let status = schedule::due(plan, last_passed, grace, now)?;
    let state = match status.next_due {
        _ if status.overdue => State::Overdue,
        Some(at) if at <= now => State::Due,
        _ => State::NotDue,
    };
    Ok(Assessment {
        scenario: scenario.name.clone(),
        state,
        last_passed,
        next_due: status.next_due,
        overdue_by: status.overdue_by,
    })
}

/// Whether the worker `shard` of `of` takes `scenario`: by a stable hash of its name, so
/// that every worker agrees without talking, and a scenario stays with its worker when
/// others are added, removed, or become due (an index into the due list would shift as
/// soon as one worker's drill lands in the shared history, and run a scenario twice or
/// never).
pub fn in_shard(scenario: &str, shard: Shard) -> bool {
    crate::stable_hash::fnv1a(scenario) % u64::from(shard.of) == u64::from(shard.index - 1)
}

/// One of `of` workers, counted from 1 (`--shard 2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub of: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("`{text}` is not a shard: expected I/N with 1 ≤ I ≤ N, e.g. 2/3");
        let (index, of) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let of: u32 = of.trim().parse().map_err(|_| usage())?;
        if index == 0 || of == 0 || index > of {
            return Err(usage());
        }
        Ok(Shard { index, of })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{HumanDuration, Schedule};

    fn scenario(cloud: CloudKind, schedule: Option<(&str, &str)>) -> Scenario {
        let text = include_str!("../scenarios/demo.yaml");
        let mut scenario: Scenario = serde_saphyr::from_str(text).expect("the demo parses");
        scenario.name = "orders".into();
        scenario.cloud = cloud;
        scenario.max_duration = HumanDuration::parse("2h").unwrap();
        scenario.schedule = schedule.map(|(cron, timezone)| Schedule {
            cron: cron.into(),
            timezone: timezone.into(),
        });
        scenario
    }

    fn run(scenario: &str, at: &str, outcome: Outcome, simulated: bool) -> DrillResult {
        let mut result: DrillResult = serde_json::from_str(include_str!(
            "../tests/fixtures/report/history/orders-db/fd-orders-db-20241201T020800Z-zytgvj.json"
        ))
        .expect("a fixture result");
        result.scenario = scenario.into();
        result.run_id = format!("{scenario}-{at}");
        result.started_at = at.parse().unwrap();
        result.outcome = outcome;
        result.simulated = simulated;
        result
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const MONTHLY_BERLIN: Option<(&str, &str)> = Some(("0 2 1 * *", "Europe/Berlin"));

    #[test]
    fn a_scheduled_scenario_that_never_passed_is_overdue() {
        let s = scenario(CloudKind::Aws, MONTHLY_BERLIN);
        let a = assess(&s, &[], at("2026-12-02T00:00:00Z")).unwrap();
        assert_eq!((a.state, a.next_due, a.last_passed), (State::Overdue, None, None));
    }

    #[test]
    fn due_at_the_schedule_time_after_the_last_pass_and_overdue_after_the_grace() {
        let s = scenario(CloudKind::Aws, MONTHLY_BERLIN);
        let history = [run("orders", "2026-11-01T01:00:00Z", Outcome::Passed, false)];
        // 1 December 02:00 in Berlin (CET) is 01:00 UTC.
        let next = at("2026-12-01T01:00:00Z");
        let before = assess(&s, &history, at("2026-12-01T00:59:59Z")).unwrap();
        assert_eq!((before.state, before.next_due), (State::NotDue, Some(next)));
        let on_time = assess(&s, &history, next).unwrap();
        assert_eq!(on_time.state, State::Due);
        let within_grace = assess(&s, &history, at("2026-12-01T03:00:00Z")).unwrap();
        assert_eq!(within_grace.state, State::Due, "max_duration (2h) is the grace");
        let late = assess(&s, &history, at("2026-12-01T03:00:01Z")).unwrap();
        assert_eq!(late.state, State::Overdue);
        assert_eq!(late.overdue_by, Some(SignedDuration::from_secs(2 * 3600 + 1)));
    }

    #[test]
    fn a_failed_drill_leaves_the_scenario_due() {
        let s = scenario(CloudKind::Aws, MONTHLY_BERLIN);
        let history = [
            run("orders", "2026-11-01T01:00:00Z", Outcome::Passed, false),
            run("orders", "2026-12-01T01:00:00Z", Outcome::Failed, false),
            run("orders", "2026-12-01T01:30:00Z", Outcome::Error, false),
        ];
        let a = assess(&s, &history, at("2026-12-01T02:00:00Z")).unwrap();
        assert_eq!((a.state, a.last_passed), (State::Due, Some(at("2026-11-01T01:00:00Z"))));
    }

    #[test]
    fn simulated_rehearsals_do_not_count_for_an_aws_scenario_but_do_for_a_sim_one() {
        let history = [
            run("orders", "2026-11-01T01:00:00Z", Outcome::Passed, false),
            run("orders", "2026-12-01T01:05:00Z", Outcome::Passed, true),
        ];
        let now = at("2026-12-01T02:00:00Z");
        let aws = assess(&scenario(CloudKind::Aws, MONTHLY_BERLIN), &history, now).unwrap();
        assert_eq!(aws.state, State::Due, "the rehearsal proved nothing about AWS");
        let sim = assess(&scenario(CloudKind::Sim, MONTHLY_BERLIN), &history, now).unwrap();
        assert_eq!(sim.state, State::NotDue);
        assert_eq!(sim.next_due, Some(at("2027-01-01T01:00:00Z")));
    }

    #[test]
    fn other_scenarios_runs_do_not_count() {
        let s = scenario(CloudKind::Aws, MONTHLY_BERLIN);
        let history = [run("payments", "2026-12-01T01:05:00Z", Outcome::Passed, false)];
        assert_eq!(
            assess(&s, &history, at("2026-12-01T02:00:00Z")).unwrap().state,
            State::Overdue
        );
    }

    #[test]
    fn the_month_end_and_the_zone_decide_when_the_next_drill_is_due() {
        // On the 31st, in Tokyo: after a pass on 31 January the next is 31 March
        // (February has no 31st), 00:30 in Tokyo being 15:30 UTC the day before.
        let s = scenario(CloudKind::Aws, Some(("30 0 31 * *", "Asia/Tokyo")));
        let history = [run("orders", "2026-01-30T15:30:00Z", Outcome::Passed, false)];
        let a = assess(&s, &history, at("2026-02-28T00:00:00Z")).unwrap();
        assert_eq!((a.state, a.next_due), (State::NotDue, Some(at("2026-03-30T15:30:00Z"))));
        // Across the year end in New York: 23:00 on 31 December is 04:00 UTC on 1 January.
        let s = scenario(CloudKind::Aws, Some(("0 23 31 12 *", "America/New_York")));
        let history = [run("orders", "2025-01-01T04:00:00Z", Outcome::Passed, false)];
        let a = assess(&s, &history, at("2026-01-01T04:00:00Z")).unwrap();
        assert_eq!((a.state, a.next_due), (State::Due, Some(at("2026-01-01T04:00:00Z"))));
    }

    #[test]
    fn unscheduled_scenarios_are_never_due() {
        let s = scenario(CloudKind::Aws, None);
        assert_eq!(
            assess(&s, &[], at("2026-12-01T00:00:00Z")).unwrap().state,
            State::Unscheduled
        );
        assert!(!State::Unscheduled.runs() && !State::NotDue.runs());
        assert!(State::Due.runs() && State::Overdue.runs());
    }

    #[test]
    fn shards_split_every_scenario_to_exactly_one_worker() {
        let names: Vec<String> = (0..500).map(|i| format!("scenario-{i}")).collect();
        for of in 1..=7 {
            let mut sizes = vec![0usize; of as usize];
            for name in &names {
                let takers: Vec<u32> = (1..=of).filter(|&index| in_shard(name, Shard { index, of })).collect();
                assert_eq!(takers.len(), 1, "{name} in {of} shards: {takers:?}");
                sizes[takers[0] as usize - 1] += 1;
            }
            let fair = names.len() / of as usize;
            assert!(
                sizes.iter().all(|&n| n > fair / 2 && n < fair * 3 / 2),
                "{of} shards: {sizes:?}"
            );
        }
    }

    #[test]
    fn a_scenario_keeps_its_shard_across_builds() {
        // The split is part of how a fleet is set up: a new build must not move drills
        // between workers.
        let shard = |name: &str| (1..=3).find(|&index| in_shard(name, Shard { index, of: 3 })).unwrap();
        assert_eq!(
            ["orders-db", "payments-pitr", "storefront-full", "demo"].map(shard),
            [1, 3, 1, 1]
        );
    }

    #[test]
    fn shards_are_read_from_i_of_n() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, of: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            let error = bad.parse::<Shard>().unwrap_err();
            assert!(error.contains("expected I/N"), "{bad}: {error}");
        }
    }
}

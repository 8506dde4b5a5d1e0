//! Finding what runs left behind: each run's trace from its journal (what it meant to
//! create, created, and deleted) merged with what carries its tags in the account, and
//! the pure decision of whether cleanup may touch it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;

use crate::cloud::*;
use crate::runner::events::{DrillEvent, EventKind};

/// What is known of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTrace {
    pub run_id: String,
    pub scenario: Option<String>,
    /// When its lease ends: from the journal's `run_started`, else the lease tag.
    pub lease_until: Option<Timestamp>,
    /// Every journal of the run says it finished (its own teardown ran).
    pub ended: bool,
    pub journals: Vec<PathBuf>,
    /// Resources the journal says were created and not deleted.
    pub journaled: Vec<ResourceRef>,
    /// The idempotency tokens of restores the run started or meant to start whose
    /// resource it never took over: an AWS Backup job started with one is the run's.
    /// Only tokens of this run (`<run id>-<restore>`) are kept, so a journal cannot
    /// point cleanup at another run's job.
    pub restore_tokens: Vec<String>,
    /// Resources in the account carrying the run's id.
    pub tagged: Vec<ResourceRef>,
}

impl RunTrace {
    /// The trace a journal gives.
    pub fn from_journal(events: &[DrillEvent], journal: Option<PathBuf>) -> Option<Self> {
        let mut trace = Self {
            journals: journal.into_iter().collect(),
            ..Self::default()
        };
        let mut intended: Vec<(String, String)> = Vec::new();
        let mut taken_over: Vec<String> = Vec::new();
        let mut deleted: Vec<&ResourceRef> = Vec::new();
        for event in events {
            match &event.kind {
                EventKind::RunStarted {
                    run_id,
                    scenario,
                    lease_until,
                    ..
                } => {
                    trace.run_id.clone_from(run_id);
                    trace.scenario = Some(scenario.clone());
                    trace.lease_until = Some(*lease_until);
                }
                EventKind::CreateIntended { step, token } if step.starts_with("restore/") => {
                    intended.push((step.clone(), token.clone()));
                }
                EventKind::ResourceCreated { step, resource } => {
                    trace.journaled.push(resource.clone());
                    taken_over.push(step.clone());
                }
                // A restore that is its resource from the start (an RDS instance, a
                // volume, an instance) is known by its start: no job to look for.
                EventKind::RestoreStarted { restore, tracked, .. } if tracked.kind != ResourceType::RestoreJob => {
                    trace.journaled.push(tracked.clone());
                    taken_over.push(format!("restore/{restore}"));
                }
                EventKind::ResourceDeleted { resource } => deleted.push(resource),
                EventKind::RunFinished => trace.ended = true,
                _ => {}
            }
        }
        if trace.run_id.is_empty() {
            return None;
        }
        trace.journaled.retain(|r| !deleted.contains(&r));
        trace.journaled.sort();
        trace.journaled.dedup();
        let own = format!("{}-", trace.run_id);
        trace.restore_tokens = intended
            .into_iter()
            .filter(|(step, token)| !taken_over.contains(step) && token.starts_with(&own))
            .map(|(_, token)| token)
            .collect();
        Some(trace)
    }

    /// Two journals of one run (a copy, a stale backup): the run ended only if both say
    /// so, its lease is the later one, and what either says it left is kept.
    fn merge(&mut self, other: RunTrace) {
        self.ended &= other.ended;
        self.lease_until = later(self.lease_until, other.lease_until);
        self.journals.extend(other.journals);
        self.journaled.extend(other.journaled);
        self.journaled.sort();
        self.journaled.dedup();
        self.restore_tokens.extend(other.restore_tokens);
        self.restore_tokens.sort();
        self.restore_tokens.dedup();
        if self.scenario.is_none() {
            self.scenario = other.scenario;
        }
    }
}

/// Reads every journal under the history folder (`<history>/<scenario>/<run>.journal.jsonl`).
/// A journal that cannot be read is named in `problems` and skipped: its run is still
/// found by its tags.
pub fn read_journals(history: &Path, problems: &mut Vec<String>) -> Vec<RunTrace> {
    let mut traces = Vec::new();
    let Ok(scenarios) = std::fs::read_dir(history) else {
        return traces;
    };
    let mut files: Vec<PathBuf> = scenarios
        .flatten()
        .filter_map(|folder| std::fs::read_dir(folder.path()).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".journal.jsonl"))
        .collect();
    files.sort();
    for file in files {
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(error) => {
                problems.push(format!(
                    "cannot read {}: {error} (its run is still found by its tags)",
                    file.display()
                ));
                continue;
            }
        };
        let (events, bad_lines) = crate::journal::parse_lenient(&bytes);
        if !bad_lines.is_empty() {
            problems.push(format!(
                "{}: lines {bad_lines:?} are not journal events; the rest was read",
                file.display()
            ));
        }
        match RunTrace::from_journal(&events, Some(file.clone())) {
            Some(trace) => traces.push(trace),
            // A run killed before its first event wrote nothing: nothing to find.
            None if events.is_empty() && bad_lines.is_empty() => {}
            None => problems.push(format!("{}: no run_started event; skipped", file.display())),
        }
    }
    traces
}

/// Merges what the account holds into the traces, by run id (a run known only by its
/// tags gets a trace of its own, its lease from the lease tag).
pub fn merge_tagged(mut traces: Vec<RunTrace>, found: Vec<(ResourceRef, Tags)>) -> Vec<RunTrace> {
    let mut by_run: BTreeMap<String, RunTrace> = BTreeMap::new();
    for trace in traces.drain(..) {
        match by_run.get_mut(&trace.run_id) {
            Some(known) => known.merge(trace),
            None => {
                by_run.insert(trace.run_id.clone(), trace);
            }
        }
    }
    for (resource, tags) in found {
        let Some(run_id) = tags.get(TAG_RUN_ID).filter(|id| !id.is_empty()) else {
            continue;
        };
        let trace = by_run.entry(run_id.clone()).or_insert_with(|| RunTrace {
            run_id: run_id.clone(),
            ..RunTrace::default()
        });
        if trace.scenario.is_none() {
            trace.scenario = tags.get(TAG_SCENARIO).cloned();
        }
        // The lease on the resources counts as much as the journal's: the later wins.
        let tagged_lease = tags.get(TAG_LEASE_UNTIL).and_then(|t| t.parse().ok());
        trace.lease_until = later(trace.lease_until, tagged_lease);
        trace.tagged.push(resource);
    }
    by_run.into_values().collect()
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Which runs a cleanup is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Run(String),
    Scenario(String),
    All,
}

/// How cleanup may treat one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its lease ended (or its journal says it finished, or `--force` names it).
    Clean,
    /// Still inside its lease: a drill may be running. `None`: the lease is unknown.
    InLease(Option<Timestamp>),
    /// Started less than `--older-than` ago.
    TooRecent,
    NotTargeted,
}

/// Decides what cleanup may do with a run (pure: the clock is an argument).
pub fn decide(trace: &RunTrace, target: &Target, older_than: Option<Duration>, force: bool, now: Timestamp) -> Verdict {
    let targeted = match target {
        Target::Run(id) => &trace.run_id == id,
        Target::Scenario(name) => trace.scenario.as_deref() == Some(name.as_str()),
        Target::All => true,
    };
    if !targeted {
        return Verdict::NotTargeted;
    }
    if let Some(age) = older_than {
        let old_enough = run_started_at(&trace.run_id)
            .and_then(|started| started.checked_add(age).ok())
            .is_some_and(|limit| limit <= now);
        if !old_enough {
            return Verdict::TooRecent;
        }
    }
    let lease_over = trace.lease_until.is_some_and(|until| until <= now);
    // `--force` overrides the lease of one named run only, never of a whole sweep.
    let forced = force && matches!(target, Target::Run(_));
    if trace.ended || lease_over || forced {
        Verdict::Clean
    } else {
        Verdict::InLease(trace.lease_until)
    }
}

/// The start time inside a run id (`fd-<scenario>-<YYYYmmddTHHMMSSZ>-<random>`).
pub fn run_started_at(run_id: &str) -> Option<Timestamp> {
    let mut parts = run_id.rsplitn(3, '-');
    let _random = parts.next()?;
    let time = parts.next()?;
    let civil = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", time).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn trace(lease: Option<&str>, ended: bool) -> RunTrace {
        RunTrace {
            run_id: "fd-orders-20261101T030000Z-abc123".into(),
            scenario: Some("orders".into()),
            lease_until: lease.map(at),
            ended,
            ..RunTrace::default()
        }
    }

    #[test]
    fn a_run_inside_its_lease_is_left_alone_unless_forced_by_name() {
        let now = at("2026-11-01T04:00:00Z");
        let live = trace(Some("2026-11-01T05:00:00Z"), false);
        let lease = Some(at("2026-11-01T05:00:00Z"));
        assert_eq!(decide(&live, &Target::All, None, false, now), Verdict::InLease(lease));
        assert_eq!(decide(&live, &Target::All, None, true, now), Verdict::InLease(lease));
        let scenario = Target::Scenario("orders".into());
        assert_eq!(decide(&live, &scenario, None, true, now), Verdict::InLease(lease));
        let named = Target::Run(live.run_id.clone());
        assert_eq!(decide(&live, &named, None, false, now), Verdict::InLease(lease));
        assert_eq!(decide(&live, &named, None, true, now), Verdict::Clean);
    }

    #[test]
    fn an_ended_or_expired_run_is_cleaned_and_an_unknown_lease_is_respected() {
        let now = at("2026-11-01T06:00:00Z");
        assert_eq!(
            decide(
                &trace(Some("2026-11-01T05:00:00Z"), false),
                &Target::All,
                None,
                false,
                now
            ),
            Verdict::Clean
        );
        assert_eq!(
            decide(
                &trace(Some("2026-11-01T07:00:00Z"), true),
                &Target::All,
                None,
                false,
                now
            ),
            Verdict::Clean
        );
        assert_eq!(
            decide(&trace(None, false), &Target::All, None, false, now),
            Verdict::InLease(None)
        );
    }

    #[test]
    fn older_than_counts_from_the_time_in_the_run_id() {
        let old = trace(Some("2026-11-01T04:00:00Z"), false);
        let two_hours = Some(Duration::from_secs(2 * 3600));
        assert_eq!(
            decide(&old, &Target::All, two_hours, false, at("2026-11-01T04:30:00Z")),
            Verdict::TooRecent
        );
        assert_eq!(
            decide(&old, &Target::All, two_hours, false, at("2026-11-01T05:00:00Z")),
            Verdict::Clean
        );
        assert_eq!(
            run_started_at("fd-a-b-20261101T030000Z-x1y2z3"),
            Some(at("2026-11-01T03:00:00Z"))
        );
        assert_eq!(run_started_at("not-a-run"), None);
    }

    #[test]
    fn other_runs_and_scenarios_are_not_targeted() {
        let now = at("2026-11-02T00:00:00Z");
        let expired = trace(Some("2026-11-01T05:00:00Z"), false);
        assert_eq!(
            decide(&expired, &Target::Run("fd-x".into()), None, true, now),
            Verdict::NotTargeted
        );
        assert_eq!(
            decide(&expired, &Target::Scenario("billing".into()), None, false, now),
            Verdict::NotTargeted
        );
    }

    fn event(kind: EventKind) -> DrillEvent {
        DrillEvent {
            at: at("2026-11-01T03:00:00Z"),
            kind,
        }
    }

    #[test]
    fn a_journal_gives_what_was_created_not_deleted_and_the_restore_jobs_not_taken_over() {
        let vpc = ResourceRef::new(ResourceType::Vpc, "vpc-1");
        let db = ResourceRef::new(ResourceType::DbInstance, "fd-db-1");
        let job = ResourceRef::new(ResourceType::RestoreJob, "job-1");
        let volume = ResourceRef::new(ResourceType::Volume, "vol-1");
        let intended = |step: &str, token: &str| {
            event(EventKind::CreateIntended {
                step: step.into(),
                token: token.into(),
            })
        };
        let created = |step: &str, resource: &ResourceRef| {
            event(EventKind::ResourceCreated {
                step: step.into(),
                resource: resource.clone(),
            })
        };
        let started = |restore: &str, tracked: &ResourceRef| {
            event(EventKind::RestoreStarted {
                restore: restore.into(),
                tracked: tracked.clone(),
                started_at: at("2026-11-01T03:00:00Z"),
            })
        };
        let run = "fd-orders-20261101T030000Z-abc123";
        let events = vec![
            event(EventKind::RunStarted {
                run_id: run.into(),
                scenario: "orders".into(),
                t0: at("2026-11-01T03:00:00Z"),
                simulated: true,
                lease_until: at("2026-11-01T04:00:00Z"),
                rto_target: crate::scenario::HumanDuration::from_secs(60),
                rpo_target: crate::scenario::HumanDuration::from_secs(60),
                tool_version: "test".into(),
                gating_checks: None,
            }),
            intended("isolation", &format!("{run}-vpc")),
            created("isolation", &vpc),
            intended("restore/db", &format!("{run}-db")),
            started("db", &db),
            created("restore/db", &db),
            intended("restore/files", &format!("{run}-files")),
            started("files", &job),
            intended("restore/logs", &format!("{run}-logs")),
            intended("restore/forged", "fd-another-run-files"),
            event(EventKind::ResourceDeleted { resource: db.clone() }),
            // Killed between the start and its ResourceCreated: the start names it.
            intended("restore/volume", &format!("{run}-volume")),
            started("volume", &volume),
        ];
        let trace = RunTrace::from_journal(&events, None).unwrap();
        assert_eq!(trace.run_id, run);
        assert_eq!(trace.lease_until, Some(at("2026-11-01T04:00:00Z")));
        assert!(!trace.ended);
        assert_eq!(
            trace.journaled,
            vec![vpc, volume],
            "the deleted database is not left; a started volume is"
        );
        assert_eq!(
            trace.restore_tokens,
            vec![format!("{run}-files"), format!("{run}-logs")],
            "a job that never handed over its resource, a start whose answer was lost; never another run's token"
        );
        assert_eq!(
            RunTrace::from_journal(&events[1..], None),
            None,
            "no run_started: no run"
        );
    }

    #[test]
    fn a_copy_of_a_journal_cannot_end_a_run_or_shorten_its_lease() {
        let live = trace(Some("2026-11-01T05:00:00Z"), false);
        let forged = trace(Some("2026-11-01T03:30:00Z"), true);
        let merged = merge_tagged(vec![forged, live], Vec::new());
        assert_eq!(merged.len(), 1);
        assert!(!merged[0].ended, "one journal says it is still running");
        assert_eq!(merged[0].lease_until, Some(at("2026-11-01T05:00:00Z")));
        let now = at("2026-11-01T04:00:00Z");
        assert!(matches!(
            decide(&merged[0], &Target::All, None, false, now),
            Verdict::InLease(_)
        ));
        // And the lease on the resources wins over an earlier one in a journal.
        let tags = Tags::from([
            (TAG_RUN_ID.to_owned(), merged[0].run_id.clone()),
            (TAG_LEASE_UNTIL.to_owned(), "2026-11-01T09:00:00Z".to_owned()),
        ]);
        let vpc = ResourceRef::new(ResourceType::Vpc, "vpc-1");
        let merged = merge_tagged(vec![trace(Some("2026-11-01T03:30:00Z"), false)], vec![(vpc, tags)]);
        assert_eq!(merged[0].lease_until, Some(at("2026-11-01T09:00:00Z")));
    }

    #[test]
    fn resources_without_a_run_id_are_never_merged_into_a_run() {
        let vpc = ResourceRef::new(ResourceType::Vpc, "vpc-1");
        let prod = ResourceRef::new(ResourceType::DbInstance, "orders-prod");
        let tagged = Tags::from([(TAG_RUN_ID.to_owned(), "fd-orders-20261101T030000Z-abc123".to_owned())]);
        let untagged = Tags::from([(TAG_SCENARIO.to_owned(), "orders".to_owned())]);
        let runs = merge_tagged(Vec::new(), vec![(vpc.clone(), tagged), (prod, untagged)]);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].tagged, vec![vpc]);
    }
}

//! The planner: a validated `Scenario` becomes a `DrillPlan`, a DAG of steps (isolation,
//! restores, runner, checks, manual steps, measure, teardown). Pure: no I/O, no clock.

mod render;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::scenario::{
    CloudKind, Endpoint, HumanDuration, LaunchedRunner, ResourceKind, RestoreSource, Runner, Scenario, TeardownPolicy,
};

pub use render::render_text;

/// A drill's steps and the order they must respect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillPlan {
    pub scenario: String,
    pub cloud: CloudKind,
    pub region: String,
    pub rto_target: HumanDuration,
    pub rpo_target: HumanDuration,
    pub max_duration: HumanDuration,
    pub teardown: TeardownPolicy,
    /// In an order that respects every dependency (a topological order).
    pub steps: Vec<Step>,
}

/// One step of a drill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Unique within the plan: `isolation`, `restore/<id>`, `runner`, `check/<id>`,
    /// `manual/<id>`, `measure`, `teardown/<what>`.
    pub id: String,
    pub action: Action,
    /// Steps that must have finished before this one starts.
    pub after: Vec<String>,
    /// How long the step may take; `None` for manual steps, which wait for a person.
    pub timeout: Option<HumanDuration>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Create and verify the isolated VPC.
    Isolate {
        vpc_cidr: String,
        az_count: u8,
        endpoints: Vec<Endpoint>,
    },
    /// Restore one resource.
    Restore {
        restore: String,
        resource: Option<ResourceKind>,
        source: RestoreSource,
    },
    /// Launch the runner instance.
    LaunchRunner(LaunchedRunner),
    /// Use a restored EC2 instance as the runner.
    AdoptRunner { restore: String },
    /// Run a check through SSM.
    Check {
        check: String,
        script: String,
        gates_rto: bool,
        watermark: bool,
    },
    /// Wait for a person to do a game-day step.
    Manual { step: String, instructions: String },
    /// Compute RTO, RPO and the outcome.
    Measure,
    /// Delete what a step created (runs whatever the outcome, per the teardown policy).
    Teardown { of: String },
}

impl Step {
    pub fn is_teardown(&self) -> bool {
        matches!(self.action, Action::Teardown { .. })
    }
}

const ISOLATION: &str = "isolation";
const RUNNER: &str = "runner";
const MEASURE: &str = "measure";

/// Plans a validated scenario.
pub fn plan(scenario: &Scenario) -> DrillPlan {
    let mut steps = Vec::new();
    steps.push(isolation_step(scenario));
    steps.extend(scenario.restores.iter().map(restore_step));
    steps.extend(runner_step(scenario));
    steps.extend(scenario.checks.iter().map(|c| check_step(scenario, c)));
    steps.extend(scenario.manual.iter().map(|m| manual_step(scenario, m)));
    steps.push(measure_step(&steps));
    steps.extend(teardown_steps(scenario));
    DrillPlan {
        scenario: scenario.name.clone(),
        cloud: scenario.cloud,
        region: scenario.region.clone(),
        rto_target: scenario.targets.rto,
        rpo_target: scenario.targets.rpo,
        max_duration: scenario.max_duration,
        teardown: scenario.teardown,
        steps: topological(steps),
    }
}

fn isolation_step(scenario: &Scenario) -> Step {
    let isolation = &scenario.isolation;
    Step {
        id: ISOLATION.to_owned(),
        action: Action::Isolate {
            vpc_cidr: isolation.vpc_cidr.clone(),
            az_count: isolation.az_count,
            endpoints: isolation.endpoints.clone(),
        },
        after: vec![],
        timeout: Some(HumanDuration::from_secs(15 * 60)),
    }
}

fn restore_step(restore: &crate::scenario::Restore) -> Step {
    let mut after = vec![ISOLATION.to_owned()];
    after.extend(restore.depends_on.iter().map(|d| format!("restore/{d}")));
    let kind = restore.source.kind();
    Step {
        id: format!("restore/{}", restore.id),
        action: Action::Restore {
            restore: restore.id.clone(),
            resource: kind,
            source: restore.source.clone(),
        },
        after,
        timeout: Some(restore.timeout.unwrap_or_else(|| default_restore_timeout(kind))),
    }
}

/// How long a restore may take unless the scenario says: databases are slow to restore.
fn default_restore_timeout(kind: Option<ResourceKind>) -> HumanDuration {
    match kind {
        Some(ResourceKind::RdsInstance | ResourceKind::AuroraCluster) | None => HumanDuration::from_secs(3 * 3600),
        Some(ResourceKind::EbsVolume | ResourceKind::Ec2Instance) => HumanDuration::from_secs(3600),
    }
}

fn runner_step(scenario: &Scenario) -> Option<Step> {
    let (action, after) = match &scenario.runner {
        Runner::Launch(launch) => (Action::LaunchRunner(launch.clone()), vec![ISOLATION.to_owned()]),
        Runner::Restored(id) => (
            Action::AdoptRunner { restore: id.clone() },
            vec![format!("restore/{id}")],
        ),
    };
    // Without checks there is nothing to run, so no runner is launched.
    (!scenario.checks.is_empty()).then(|| Step {
        id: RUNNER.to_owned(),
        action,
        after,
        timeout: Some(HumanDuration::from_secs(15 * 60)),
    })
}

fn check_step(scenario: &Scenario, check: &crate::scenario::Check) -> Step {
    let mut after = vec![RUNNER.to_owned()];
    after.extend(check.needs.iter().map(|n| format!("restore/{n}")));
    after.extend(
        scenario
            .manual
            .iter()
            .filter(|m| m.before.contains(&check.id))
            .map(|m| format!("manual/{}", m.id)),
    );
    Step {
        id: format!("check/{}", check.id),
        action: Action::Check {
            check: check.id.clone(),
            script: check.script.clone(),
            gates_rto: check.gates_rto,
            watermark: check.watermark,
        },
        after,
        timeout: Some(check.timeout),
    }
}

fn manual_step(scenario: &Scenario, step: &crate::scenario::ManualStep) -> Step {
    let step_id = |name: &String| {
        if scenario.restores.iter().any(|r| &r.id == name) {
            format!("restore/{name}")
        } else if scenario.checks.iter().any(|c| &c.id == name) {
            format!("check/{name}")
        } else {
            format!("manual/{name}")
        }
    };
    let mut after: Vec<String> = step.after.iter().map(step_id).collect();
    if after.is_empty() {
        after.push(ISOLATION.to_owned());
    }
    Step {
        id: format!("manual/{}", step.id),
        action: Action::Manual {
            step: step.id.clone(),
            instructions: step.instructions.clone(),
        },
        after,
        timeout: None,
    }
}

/// Measuring waits for everything that can decide the outcome.
fn measure_step(steps: &[Step]) -> Step {
    Step {
        id: MEASURE.to_owned(),
        action: Action::Measure,
        after: steps
            .iter()
            .filter(|s| s.id != ISOLATION)
            .map(|s| s.id.clone())
            .collect(),
        timeout: Some(HumanDuration::from_secs(60)),
    }
}

/// Teardown in reverse dependency order: the runner first (it holds attached volumes),
/// then each restore after everything restored on top of it, attached volumes after the
/// runner, then the VPC last.
fn teardown_steps(scenario: &Scenario) -> Vec<Step> {
    let timeout = Some(HumanDuration::from_secs(30 * 60));
    let launched_runner = matches!(scenario.runner, Runner::Launch(_)) && !scenario.checks.is_empty();
    let mut steps = Vec::new();
    if launched_runner {
        steps.push(Step {
            id: "teardown/runner".to_owned(),
            action: Action::Teardown { of: RUNNER.to_owned() },
            after: vec![MEASURE.to_owned()],
            timeout,
        });
    }
    let before_runner = torn_down_before_runner(scenario);
    for restore in &scenario.restores {
        let mut after = vec![MEASURE.to_owned()];
        // Dependents go first, except attached volumes when this restore goes before the
        // runner: an attached volume cannot be deleted until the runner is gone, so those
        // go after the runner (below), and so after this restore too. Waiting for them here
        // would be a cycle, also when the volume is restored on top of something restored on
        // top of the runner, not only on top of the runner itself.
        let dependents = scenario.restores.iter().filter(|r| {
            r.depends_on.contains(&restore.id)
                && !(is_attached_volume(scenario, r) && before_runner.contains(restore.id.as_str()))
        });
        after.extend(dependents.map(|r| format!("teardown/restore/{}", r.id)));
        if is_attached_volume(scenario, restore) {
            match &scenario.runner {
                Runner::Launch(_) => after.push("teardown/runner".to_owned()),
                Runner::Restored(id) => after.push(format!("teardown/restore/{id}")),
            }
        }
        steps.push(Step {
            id: format!("teardown/restore/{}", restore.id),
            action: Action::Teardown {
                of: format!("restore/{}", restore.id),
            },
            after,
            timeout,
        });
    }
    let mut after = vec![MEASURE.to_owned()];
    after.extend(steps.iter().map(|s| s.id.clone()));
    steps.push(Step {
        id: "teardown/isolation".to_owned(),
        action: Action::Teardown {
            of: ISOLATION.to_owned(),
        },
        after,
        timeout,
    });
    steps
}

/// Restored EBS volumes are attached to the runner when there are checks to run on them.
fn is_attached_volume(scenario: &Scenario, restore: &crate::scenario::Restore) -> bool {
    let is_runner = matches!(&scenario.runner, Runner::Restored(id) if id == &restore.id);
    restore.source.kind() == Some(ResourceKind::EbsVolume) && !scenario.checks.is_empty() && !is_runner
}

/// The restores torn down before a restored runner: the runner itself and, in reverse
/// dependency order, whatever was restored on top of it (directly or through other such
/// restores), except attached volumes, which go after the runner. Empty for a launched
/// runner, whose teardown waits for no restore.
fn torn_down_before_runner(scenario: &Scenario) -> HashSet<&str> {
    let mut before = HashSet::new();
    let Runner::Restored(runner) = &scenario.runner else {
        return before;
    };
    before.insert(runner.as_str());
    // Until nothing is added: `depends_on` may name restores listed later.
    loop {
        let added: Vec<&str> = scenario
            .restores
            .iter()
            .filter(|r| !before.contains(r.id.as_str()) && !is_attached_volume(scenario, r))
            .filter(|r| r.depends_on.iter().any(|d| before.contains(d.as_str())))
            .map(|r| r.id.as_str())
            .collect();
        if added.is_empty() {
            return before;
        }
        before.extend(added);
    }
}

/// Orders steps so that each comes after all it waits for, keeping the planned order
/// among steps that are ready together (Kahn's algorithm, stable).
fn topological(steps: Vec<Step>) -> Vec<Step> {
    let mut remaining: Vec<Step> = steps;
    let mut ordered: Vec<Step> = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let done: HashSet<&str> = ordered.iter().map(|s| s.id.as_str()).collect();
        let ready = remaining
            .iter()
            .position(|s| s.after.iter().all(|a| done.contains(a.as_str())));
        // A validated scenario has no cycles; if one slipped through, keep the order given.
        let index = ready.unwrap_or(0);
        ordered.push(remaining.remove(index));
    }
    ordered
}

impl DrillPlan {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Each step's stage: 1 + the largest stage of the steps it waits for.
    pub fn stages(&self) -> BTreeMap<usize, Vec<&Step>> {
        let mut stage_of: HashMap<&str, usize> = HashMap::new();
        let mut stages: BTreeMap<usize, Vec<&Step>> = BTreeMap::new();
        for step in &self.steps {
            let stage = 1 + step
                .after
                .iter()
                .filter_map(|a| stage_of.get(a.as_str()))
                .max()
                .copied()
                .unwrap_or(0);
            stage_of.insert(&step.id, stage);
            stages.entry(stage).or_default().push(step);
        }
        stages
    }
}

#[cfg(test)]
mod tests;

//! Planner tests on the example scenarios and on small hand-made ones.

use std::collections::HashSet;
use std::path::Path;

use super::*;
use crate::scenario;

fn example(name: &str) -> Scenario {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("scenarios").join(name);
    let bytes = std::fs::read(&file).expect("example exists");
    scenario::parse(&file, bytes, &root.join("checks")).expect("example is valid")
}

const EXAMPLES: [&str; 5] = [
    "demo.yaml",
    "rds-snapshot.yaml",
    "rds-point-in-time.yaml",
    "aws-backup-ec2.yaml",
    "multi-resource.yaml",
];

#[test]
fn every_step_comes_after_what_it_waits_for() {
    for name in EXAMPLES {
        let plan = plan(&example(name));
        let mut done = HashSet::new();
        for step in &plan.steps {
            for dependency in &step.after {
                assert!(
                    done.contains(dependency.as_str()),
                    "{name}: {} runs before {dependency}",
                    step.id
                );
            }
            assert!(done.insert(step.id.as_str()), "{name}: step {} twice", step.id);
        }
    }
}

#[test]
fn teardown_covers_every_created_resource_and_ends_with_the_vpc() {
    for name in EXAMPLES {
        let scenario = example(name);
        let plan = plan(&scenario);
        for restore in &scenario.restores {
            let id = format!("teardown/restore/{}", restore.id);
            assert!(plan.step(&id).is_some(), "{name}: no {id}");
        }
        let launched = plan.steps.iter().any(|s| matches!(s.action, Action::LaunchRunner(_)));
        assert_eq!(
            launched,
            plan.step("teardown/runner").is_some(),
            "{name}: runner teardown"
        );
        let last = plan.steps.last().expect("steps");
        assert_eq!(last.id, "teardown/isolation", "{name}");
        let teardowns = plan.steps.iter().filter(|s| s.is_teardown() && s.id != last.id).count();
        assert_eq!(
            last.after.len(),
            teardowns + 1,
            "{name}: the VPC waits for every other teardown and measure"
        );
    }
}

#[test]
fn teardown_runs_in_reverse_dependency_order() {
    let plan = plan(&example("multi-resource.yaml"));
    let db = plan.step("teardown/restore/storefront-db").unwrap();
    assert!(
        db.after.contains(&"teardown/restore/storefront-app".to_owned()),
        "the app goes before its database"
    );
    let app = plan.step("restore/storefront-app").unwrap();
    assert!(
        app.after.contains(&"restore/storefront-db".to_owned()),
        "the app is restored after its database"
    );
}

#[test]
fn checks_wait_for_runner_restores_and_manual_gates() {
    let plan = plan(&example("multi-resource.yaml"));
    let health = plan.step("check/app-health").unwrap();
    for needed in ["runner", "restore/storefront-app", "manual/repoint-app-config"] {
        assert!(
            health.after.contains(&needed.to_owned()),
            "app-health waits for {needed}"
        );
    }
    let runner = plan.step("runner").unwrap();
    assert_eq!(
        runner.after,
        vec!["restore/storefront-app".to_owned()],
        "a restored runner waits for its restore"
    );
    assert!(plan.step("manual/repoint-app-config").unwrap().timeout.is_none());
}

#[test]
fn volumes_are_deleted_after_the_runner_they_are_attached_to() {
    let plan = plan(&example("demo.yaml"));
    let volume = plan.step("teardown/restore/orders-exports").unwrap();
    assert!(volume.after.contains(&"teardown/runner".to_owned()));
    let db = plan.step("teardown/restore/orders-db").unwrap();
    assert!(
        !db.after.contains(&"teardown/runner".to_owned()),
        "a database does not wait for the runner"
    );
}

#[test]
fn no_runner_without_checks() {
    let mut scenario = example("rds-snapshot.yaml");
    scenario.checks.clear();
    let plan = plan(&scenario);
    assert!(plan.step("runner").is_none());
    assert!(plan.step("teardown/runner").is_none());
    assert_eq!(
        plan.step("measure").unwrap().after,
        vec!["restore/orders-db".to_owned()]
    );
}

#[test]
fn stages_group_steps_that_can_run_together() {
    let plan = plan(&example("demo.yaml"));
    let stages = plan.stages();
    let ids = |stage: usize| stages[&stage].iter().map(|s| s.id.as_str()).collect::<Vec<_>>();
    assert_eq!(ids(1), vec!["isolation"]);
    assert_eq!(ids(2), vec!["restore/orders-db", "restore/orders-exports", "runner"]);
}

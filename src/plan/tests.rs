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

/// The proptest regression of tests/proptest-regressions/plan.txt, by hand: a volume
/// restored on top of a database that was restored on top of the restored runner. Reverse
/// dependency order alone would delete the volume before the database and the database
/// before the runner, but the volume is attached to the runner, so it goes after it: the
/// plan used to wait in a cycle and come out of order.
#[test]
fn a_volume_attached_to_the_restored_runner_goes_after_it_through_other_restores() {
    let yaml = "name: attached\nowner: tests@example.com\nmax_duration: 2h\n\
        targets:\n  rto: 45m\n  rpo: 24h\nregion: eu-west-1\n\
        restores:\n\
        \x20 - id: app\n    source: {ami: {image: ami-0123456789abcdef0}}\n\
        \x20 - id: db\n    source: {rds_snapshot: {instance: orders-prod}}\n    depends_on: [app]\n\
        \x20 - id: data\n    source: {ebs_snapshot: {volume: vol-0123456789abcdef0}}\n    depends_on: [db]\n\
        runner:\n  restored: app\n\
        checks:\n  - id: files\n    script: ok.sh\n    needs: [data]\n";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = scenario::parse(
        Path::new("attached.yaml"),
        yaml.as_bytes().to_vec(),
        &root.join("tests/fixtures/checks"),
    )
    .expect("valid");
    let plan = plan(&scenario);
    let teardowns: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.is_teardown())
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        teardowns,
        [
            "teardown/restore/db",
            "teardown/restore/app",
            "teardown/restore/data",
            "teardown/isolation"
        ]
    );
    let after = |id: &str| plan.step(id).expect(id).after.clone();
    assert!(after("teardown/restore/app").contains(&"teardown/restore/db".to_owned()));
    assert!(after("teardown/restore/data").contains(&"teardown/restore/app".to_owned()));
    assert!(
        !after("teardown/restore/db").contains(&"teardown/restore/data".to_owned()),
        "the database does not wait for the volume, which waits for the runner, which waits for it"
    );
    let mut done = HashSet::new();
    for step in &plan.steps {
        assert!(
            step.after.iter().all(|a| done.contains(a.as_str())),
            "{} out of order",
            step.id
        );
        done.insert(step.id.as_str());
    }
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

/// Property tests over random valid scenarios: generated as YAML text and loaded through
/// `scenario::parse`, so they are scenarios a user could write.
mod properties {
    use std::collections::{HashMap, HashSet};
    use std::path::Path;

    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::super::*;
    use crate::scenario::{self, InvalidScenario, ResourceKind, Runner, Scenario};

    /// Restore sources of every kind, as YAML flow mappings; EC2 instances are the ones a
    /// restored runner may name.
    const SOURCES: [(&str, bool); 11] = [
        ("{rds_snapshot: {instance: orders-prod}}", false),
        ("{rds_snapshot: {snapshot: orders-manual-1}}", false),
        ("{rds_point_in_time: {instance: orders-prod}}", false),
        ("{aurora_cluster_snapshot: {cluster: ledger-prod}}", false),
        (
            "{aurora_point_in_time: {cluster: ledger-prod, time: \"2026-11-01T00:00:00Z\"}}",
            false,
        ),
        ("{ebs_snapshot: {volume: vol-0123456789abcdef0}}", false),
        ("{ami: {image: ami-0123456789abcdef0}}", true),
        (
            "{aws_backup: {vault: prod, resource_arn: \"arn:aws:rds:eu-west-1:123456789012:db:orders-prod\"}}",
            false,
        ),
        (
            "{aws_backup: {vault: prod, resource_arn: \"arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0\"}}",
            false,
        ),
        (
            "{aws_backup: {vault: prod, resource_arn: \"arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0\"}}",
            true,
        ),
        (
            "{aws_backup: {vault: prod, resource_arn: \"arn:aws:rds:eu-west-1:123456789012:cluster:ledger-prod\"}}",
            false,
        ),
    ];

    /// The random choices a scenario is made from; `ScenarioSpec::yaml` turns them into a
    /// scenario that is valid by construction (references only to what exists, restores
    /// depending only on earlier ones, manual steps only after earlier items and only
    /// before later checks, so nothing can wait for itself).
    #[derive(Debug, Clone)]
    struct ScenarioSpec {
        /// Per restore: its source (an index into `SOURCES`), a mask over the earlier
        /// restores it depends on, and whether it has its own timeout.
        restores: Vec<(usize, u64, bool)>,
        /// `None`: a launched runner; `Some(n)`: the n-th EC2 restore (modulo their count),
        /// or a launched one if there is none.
        runner: Option<usize>,
        /// Checks and manual steps in one order: (is manual, mask one, mask two, flag).
        /// A check needs the restores of mask one and, with the flag, does not gate RTO; a
        /// manual step comes after the restores and earlier items of mask one, and before
        /// the later checks of mask two.
        items: Vec<(bool, u64, u64, bool)>,
        /// 0, 1 or 2: the teardown policy; does not change the plan's teardown steps.
        teardown: usize,
    }

    /// A mask with about a quarter of its bits set: scenarios keep a few edges each.
    fn sparse_mask() -> impl Strategy<Value = u64> {
        (any::<u64>(), any::<u64>()).prop_map(|(a, b)| a & b)
    }

    fn spec() -> impl Strategy<Value = ScenarioSpec> {
        (
            prop::collection::vec((0..SOURCES.len(), sparse_mask(), any::<bool>()), 1..=6),
            prop::option::of(any::<usize>()),
            prop::collection::vec((any::<bool>(), sparse_mask(), sparse_mask(), any::<bool>()), 0..=6),
            0..3usize,
        )
            .prop_map(|(restores, runner, items, teardown)| ScenarioSpec {
                restores,
                runner,
                items,
                teardown,
            })
    }

    /// The members of `candidates` whose bit is set in `mask`.
    fn pick<'a>(mask: u64, candidates: &[&'a str]) -> Vec<&'a str> {
        candidates
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 64 && mask & (1 << i) != 0)
            .map(|(_, c)| *c)
            .collect()
    }

    impl ScenarioSpec {
        fn yaml(&self) -> String {
            let restore_ids: Vec<String> = (0..self.restores.len()).map(|i| format!("r{i}")).collect();
            let restore_ids: Vec<&str> = restore_ids.iter().map(String::as_str).collect();
            let item_ids: Vec<String> = self
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| if item.0 { format!("m{i}") } else { format!("c{i}") })
                .collect();
            let mut text = String::new();
            text.push_str("name: prop\nowner: tests@example.com\nmax_duration: 2h\n");
            text.push_str("targets:\n  rto: 45m\n  rpo: 24h\nregion: eu-west-1\n");
            let teardown = ["always", "on-success", "never"][self.teardown];
            text.push_str(&format!("teardown: {teardown}\nrestores:\n"));
            for (i, &(source, mask, timeout)) in self.restores.iter().enumerate() {
                text.push_str(&format!("  - id: r{i}\n    source: {}\n", SOURCES[source].0));
                let depends_on = pick(mask, &restore_ids[..i]);
                if !depends_on.is_empty() {
                    text.push_str(&format!("    depends_on: [{}]\n", depends_on.join(", ")));
                }
                if timeout {
                    text.push_str("    timeout: 90m\n");
                }
            }
            let instances: Vec<&str> = self
                .restores
                .iter()
                .zip(&restore_ids)
                .filter(|((source, ..), _)| SOURCES[*source].1)
                .map(|(_, id)| *id)
                .collect();
            match self.runner {
                Some(n) if !instances.is_empty() => {
                    text.push_str(&format!("runner:\n  restored: {}\n", instances[n % instances.len()]));
                }
                _ => text.push_str("runner:\n  launch: {}\n"),
            }
            let mut checks = String::new();
            let mut manual = String::new();
            for (i, &(is_manual, one, two, flag)) in self.items.iter().enumerate() {
                let id = &item_ids[i];
                if is_manual {
                    let earlier: Vec<&str> = restore_ids
                        .iter()
                        .copied()
                        .chain(item_ids[..i].iter().map(String::as_str))
                        .collect();
                    let later_checks: Vec<&str> = item_ids[i + 1..]
                        .iter()
                        .filter(|id| id.starts_with('c'))
                        .map(String::as_str)
                        .collect();
                    manual.push_str(&format!(
                        "  - id: {id}\n    instructions: do step {id}\n    after: [{}]\n    before: [{}]\n",
                        pick(one, &earlier).join(", "),
                        pick(two, &later_checks).join(", ")
                    ));
                } else {
                    let needs = pick(one, &restore_ids);
                    checks.push_str(&format!(
                        "  - id: {id}\n    script: ok.sh\n    needs: [{}]\n    gates_rto: {}\n",
                        needs.join(", "),
                        !flag
                    ));
                    if let Some(first) = needs.first() {
                        checks.push_str(&format!(
                            "    env:\n      TARGET_ID: \"{{{{ restores.{first}.id }}}}\"\n"
                        ));
                    }
                }
            }
            if !checks.is_empty() {
                text.push_str("checks:\n");
                text.push_str(&checks);
            }
            if !manual.is_empty() {
                text.push_str("manual:\n");
                text.push_str(&manual);
            }
            text
        }

        fn parse(&self) -> Result<Scenario, InvalidScenario> {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let checks = root.join("tests/fixtures/checks");
            scenario::parse(Path::new("prop.yaml"), self.yaml().into_bytes(), &checks)
        }
    }

    /// Every step's position in the plan.
    fn positions(plan: &DrillPlan) -> HashMap<&str, usize> {
        plan.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect()
    }

    /// Whether `step` waits for `other`, directly or through other steps.
    fn waits_for(plan: &DrillPlan, step: &str, other: &str) -> bool {
        let mut stack = vec![step];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if id == other {
                return true;
            }
            if seen.insert(id)
                && let Some(s) = plan.step(id)
            {
                stack.extend(s.after.iter().map(String::as_str));
            }
        }
        false
    }

    /// The properties every plan of a valid scenario has.
    fn check_plan(scenario: &Scenario, plan: &DrillPlan) -> Result<(), TestCaseError> {
        // Acyclic, in order: every step comes after all it waits for, and once.
        let mut done = HashSet::new();
        for step in &plan.steps {
            for dependency in &step.after {
                prop_assert!(
                    done.contains(dependency.as_str()),
                    "{} waits for {dependency}, which is not earlier",
                    step.id
                );
            }
            prop_assert!(done.insert(step.id.as_str()), "step {} twice", step.id);
        }
        let at = positions(plan);
        let checks = !scenario.checks.is_empty();
        let launched = matches!(scenario.runner, Runner::Launch(_));
        // Every part of the scenario has its step.
        for restore in &scenario.restores {
            prop_assert!(
                at.contains_key(format!("restore/{}", restore.id).as_str()),
                "no step for restore {}",
                restore.id
            );
        }
        for check in &scenario.checks {
            prop_assert!(
                at.contains_key(format!("check/{}", check.id).as_str()),
                "no step for check {}",
                check.id
            );
            for need in &check.needs {
                let (step, restore) = (format!("check/{}", check.id), format!("restore/{need}"));
                prop_assert!(
                    waits_for(plan, &step, &restore),
                    "{} does not wait for {}",
                    step,
                    restore
                );
            }
        }
        for step in &scenario.manual {
            prop_assert!(
                at.contains_key(format!("manual/{}", step.id).as_str()),
                "no step for manual step {}",
                step.id
            );
        }
        prop_assert_eq!(at.contains_key("runner"), checks, "a runner iff there are checks");
        // Teardown covers every created resource.
        for restore in &scenario.restores {
            let id = format!("teardown/restore/{}", restore.id);
            prop_assert!(at.contains_key(id.as_str()), "no {}", id);
        }
        prop_assert_eq!(
            at.contains_key("teardown/runner"),
            launched && checks,
            "teardown/runner iff a launched runner and checks"
        );
        let expected_teardowns = scenario.restores.len() + usize::from(launched && checks) + 1;
        prop_assert_eq!(
            plan.steps.iter().filter(|s| s.is_teardown()).count(),
            expected_teardowns
        );
        // The VPC goes last, after every other teardown step; every teardown after measure.
        let last = plan.steps.last().expect("a plan has steps");
        prop_assert_eq!(last.id.as_str(), "teardown/isolation");
        let measure = at["measure"];
        for step in plan.steps.iter().filter(|s| s.is_teardown()) {
            prop_assert!(at[step.id.as_str()] > measure, "{} before measure", step.id);
            prop_assert!(
                waits_for(plan, &step.id, "measure"),
                "{} does not wait for measure",
                step.id
            );
            if step.id != last.id {
                prop_assert!(
                    waits_for(plan, &last.id, &step.id),
                    "the VPC does not wait for {}",
                    step.id
                );
            }
        }
        // Measure waits for everything that decides the outcome; nothing but teardown after it.
        for step in &plan.steps[..measure] {
            prop_assert!(!step.is_teardown(), "{} before measure", step.id);
            if step.id != "isolation" {
                prop_assert!(
                    waits_for(plan, "measure", &step.id),
                    "measure does not wait for {}",
                    step.id
                );
            }
        }
        prop_assert!(plan.steps[measure + 1..].iter().all(Step::is_teardown));
        // Reverse dependency order: a restore is deleted after what was restored on top
        // of it, and an attached volume after the instance it is attached to.
        let runner_teardown = match &scenario.runner {
            Runner::Launch(_) => "teardown/runner".to_owned(),
            Runner::Restored(id) => format!("teardown/restore/{id}"),
        };
        let is_attached = |restore: &crate::scenario::Restore| {
            checks
                && restore.source.kind() == Some(ResourceKind::EbsVolume)
                && !matches!(&scenario.runner, Runner::Restored(id) if id == &restore.id)
        };
        // What goes before a restored runner in reverse dependency order: the runner and
        // what was restored on top of it, directly or through other such restores, but no
        // attached volume (it goes after the runner).
        let mut before_runner: HashSet<&str> = HashSet::new();
        if let Runner::Restored(id) = &scenario.runner {
            before_runner.insert(id);
            while let Some(restore) = scenario.restores.iter().find(|r| {
                !before_runner.contains(r.id.as_str())
                    && !is_attached(r)
                    && r.depends_on.iter().any(|d| before_runner.contains(d.as_str()))
            }) {
                before_runner.insert(&restore.id);
            }
        }
        for restore in &scenario.restores {
            let teardown = format!("teardown/restore/{}", restore.id);
            let attached = is_attached(restore);
            if attached {
                prop_assert!(
                    waits_for(plan, &teardown, &runner_teardown),
                    "{} before {}",
                    teardown,
                    runner_teardown
                );
            }
            for dependency in &restore.depends_on {
                let dependency_teardown = format!("teardown/restore/{dependency}");
                if attached && before_runner.contains(dependency.as_str()) {
                    // The volume goes after the runner, and so after what goes before the
                    // runner, even what it was restored on top of: the other way round is a
                    // cycle (the runner, then the volume, then what goes before the runner).
                    prop_assert!(
                        waits_for(plan, &teardown, &dependency_teardown),
                        "{} before {}",
                        teardown,
                        dependency_teardown
                    );
                    continue;
                }
                prop_assert!(
                    waits_for(plan, &dependency_teardown, &teardown),
                    "{} before {}",
                    dependency_teardown,
                    teardown
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
                cases: 64,
                // Failures found are kept under tests/ (the top-level layout is fixed).
                failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
                    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/proptest-regressions/plan.txt"),
                ))),
                ..ProptestConfig::default()
            })]

        #[test]
        fn plans_of_valid_scenarios_are_ordered_and_tear_everything_down(spec in spec()) {
            let parsed = spec.parse();
            prop_assume!(parsed.is_ok(), "invalid: {:?}", parsed.err());
            let scenario = parsed.expect("assumed valid");
            check_plan(&scenario, &plan(&scenario))?;
        }
    }

    fn index(plan: &DrillPlan, id: &str) -> usize {
        plan.steps.iter().position(|s| s.id == id).expect(id)
    }

    /// A way to break a plan, and its name.
    type Breakage = (&'static str, fn(&mut DrillPlan));

    /// The checks above catch a plan that breaks them, so the property can fail.
    #[test]
    fn the_plan_checks_catch_broken_plans() {
        let scenario = super::example("demo.yaml");
        let good = plan(&scenario);
        assert!(
            check_plan(&scenario, &good).is_ok(),
            "{:?}",
            check_plan(&scenario, &good)
        );
        let breakages: [Breakage; 5] = [
            ("steps out of order", |p| p.steps.swap(0, 1)),
            ("a restore not torn down", |p| {
                let i = index(p, "teardown/restore/orders-db");
                p.steps.remove(i);
                for step in &mut p.steps {
                    step.after.retain(|a| a != "teardown/restore/orders-db");
                }
            }),
            ("the VPC not last", |p| {
                let vpc = p.steps.pop().expect("steps");
                let i = index(p, "measure");
                p.steps.insert(i + 1, vpc);
            }),
            ("a teardown before measure", |p| {
                let i = index(p, "teardown/runner");
                let step = p.steps.remove(i);
                p.steps.insert(1, step);
            }),
            ("a step twice", |p| {
                let step = p.steps[0].clone();
                p.steps.insert(1, step);
            }),
        ];
        for (what, breakage) in breakages {
            let mut broken = good.clone();
            breakage(&mut broken);
            assert!(check_plan(&scenario, &broken).is_err(), "{what} was not caught");
        }
    }

    /// The property above skips scenarios that do not validate: most must validate, or it
    /// would prove little.
    #[test]
    fn most_generated_scenarios_validate() {
        let mut runner = TestRunner::deterministic();
        let strategy = spec();
        let samples = 200;
        let mut invalid = Vec::new();
        for _ in 0..samples {
            let spec = strategy.new_tree(&mut runner).expect("a spec").current();
            if let Err(error) = spec.parse() {
                invalid.push((spec.yaml(), format!("{:#?}", error.problems)));
            }
        }
        let valid = samples - invalid.len();
        assert!(
            valid * 100 >= samples * 80,
            "only {valid} of {samples} generated scenarios validate; the first invalid one:\n{}\n{}",
            invalid.first().map_or("", |i| i.0.as_str()),
            invalid.first().map_or("", |i| i.1.as_str()),
        );
    }
}

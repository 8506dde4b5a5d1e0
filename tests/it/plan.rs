//! `firedrill plan`: the DAG of each example, as text and JSON (snapshots).

use crate::support::*;

#[test]
fn plan_of_each_example() {
    let examples = examples();
    assert!(examples.len() >= 5, "the five example scenarios");
    for file in examples {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = firedrill(["plan".as_ref(), file.as_os_str()]);
        assert!(text.status.success(), "{}: {}", file.display(), stderr(&text));
        insta::assert_snapshot!(format!("plan_text_{name}"), stdout(&text));

        let json = firedrill(["plan".as_ref(), file.as_os_str(), "--format".as_ref(), "json".as_ref()]);
        assert!(json.status.success());
        let value: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("plan JSON parses");
        insta::assert_json_snapshot!(format!("plan_json_{name}"), value);
    }
}

#[test]
fn plan_of_an_invalid_scenario_exits_2_and_plans_nothing() {
    let output = firedrill(["plan", "tests/fixtures/invalid/cycle-depends-on.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty(), "no plan is printed");
    assert!(stderr(&output).contains("waits for itself"));
}

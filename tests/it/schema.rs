//! `firedrill schema` and the committed schema file.

use crate::support::*;

#[test]
fn schema_command_prints_the_committed_schema() {
    let output = firedrill(["schema"]);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(root().join("scenarios/scenario.schema.json")).expect("schema committed");
    assert!(
        stdout(&output) == committed,
        "scenarios/scenario.schema.json is stale: run `cargo run -- schema > scenarios/scenario.schema.json`"
    );
}

#[test]
fn every_example_names_the_schema_for_editors() {
    for file in examples() {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "# yaml-language-server: $schema=./scenario.schema.json",
            "{}",
            file.display()
        );
    }
}

//! The scenario's JSON Schema, generated from the model with schemars.
//!
//! The same schema validates files in the loader, is printed by `firedrill schema`, and
//! is committed as `scenarios/scenario.schema.json` for editors (yaml-language-server).

use std::sync::LazyLock;

use serde_json::Value;

use super::model::Scenario;

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    let mut schema = schemars::schema_for!(Scenario).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".to_owned(),
            Value::String("https://firedrill.dev/schemas/scenario.schema.json".to_owned()),
        );
    }
    schema
});

/// The scenario schema as a JSON value.
pub fn scenario_schema() -> &'static Value {
    &SCHEMA
}

/// The scenario schema as the pretty-printed text committed in `scenarios/`.
pub fn scenario_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(scenario_schema()).expect("a JSON value prints");
    text.push('\n');
    text
}

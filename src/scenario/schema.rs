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

/// The scenario schema as the pretty-printed text committed in `scenarios/`, its keys
/// sorted: the text must not depend on whether a dependency turns on serde_json's
/// `preserve_order`.
pub fn scenario_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&sorted(scenario_schema())).expect("a JSON value prints");
    text.push('\n');
    text
}

/// The value with every object's keys in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&object[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

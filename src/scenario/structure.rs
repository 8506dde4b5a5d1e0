//! The structural check: a parsed document against the scenario's JSON Schema.
//!
//! JSON Schema validation reports every mismatch at once (unknown fields, wrong types,
//! missing fields, bad formats), each by JSON pointer; this module words each for people
//! and places it in the file. Only a document that passes is turned into a `Scenario`.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::formats;
use super::problem::{Problem, field_name};
use super::schema::scenario_schema;
use super::yaml_tree::Places;

static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let mut options = jsonschema::options().should_validate_formats(true);
    for format in formats::FORMATS {
        options = options.with_format(format, move |value: &str| formats::check(format, value).is_ok());
    }
    options
        .build(scenario_schema())
        .expect("the generated scenario schema compiles")
});

/// The most schema errors read from one document.
const MAX_PROBLEMS: usize = 500;

/// Every structural problem of `document`, in document order (up to `MAX_PROBLEMS`).
pub fn check(document: &Value, places: &Places) -> Vec<Problem> {
    let mut problems = Vec::new();
    // Enough to fix a file by; beyond that a file is not a scenario, and wording
    // thousands of problems would only cost time.
    for error in VALIDATOR.iter_errors(document).take(MAX_PROBLEMS) {
        problems.extend(word(&error, places));
    }
    problems.sort_by_key(|p| p.place.map(|p| (p.line, p.column)));
    problems.dedup();
    problems
}

/// Turns one schema error into problems worded for people.
fn word(error: &ValidationError<'_>, places: &Places) -> Vec<Problem> {
    let pointer = error.instance_path().as_str().to_owned();
    let field = display_field(&pointer);
    let instance = error.instance();
    let at = |pointer: &str| places.value(pointer);
    let problem = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_fields(error);
            return unexpected
                .iter()
                .map(|name| {
                    let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                    let hint = match closest(name, &allowed) {
                        Some(close) => format!("did you mean `{close}`? {} takes: {}", field, allowed.join(", ")),
                        None => format!("{field} takes: {}", allowed.join(", ")),
                    };
                    Problem::new(&child, format!("unknown field `{name}` in {field}"))
                        .at(places.key(&child))
                        .hint(hint)
                })
                .collect();
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            Problem::new(&pointer, format!("{field} is missing the required field `{name}`"))
                .at(places.key(&pointer))
                .hint(format!("add `{name}:` to {field}; `firedrill schema` describes it"))
        }
        ValidationErrorKind::Type { kind } => Problem::new(
            &pointer,
            format!("{field} must be {}, not {}", type_words(kind), json_type(instance)),
        )
        .at(at(&pointer))
        .hint(type_hint(kind)),
        ValidationErrorKind::Enum { options } => Problem::new(
            &pointer,
            format!("{field}: {} is not one of {}", short(instance), list(options)),
        )
        .at(at(&pointer))
        .hint("write one of the values listed, spelt exactly so"),
        ValidationErrorKind::Constant { expected_value } => {
            Problem::new(&pointer, format!("{field} must be {expected_value}"))
                .at(at(&pointer))
                .hint("write exactly that value")
        }
        ValidationErrorKind::Format { format } => {
            let text = instance.as_str().unwrap_or_default();
            let failure = formats::check(format, text).err();
            let reason = failure
                .as_ref()
                .map_or_else(|| format!("not a valid {format}"), |f| f.reason.clone());
            let problem = Problem::new(&pointer, format!("{field}: {reason}")).at(at(&pointer));
            problem.hint(failure.map_or_else(
                || "see `firedrill schema`".to_owned(),
                |f| format!("expected {}", f.expected),
            ))
        }
        ValidationErrorKind::Pattern { .. } => Problem::new(
            &pointer,
            format!("{field}: {} does not have the required form", short(instance)),
        )
        .at(at(&pointer))
        .hint(pattern_hint(&pointer)),
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            return word_alternatives(&pointer, instance, context, places);
        }
        _ => Problem::new(&pointer, format!("{field}: {}", error.masked()))
            .at(at(&pointer))
            .hint("`firedrill schema` describes every field and the values it takes"),
    };
    vec![problem]
}

/// A value that matches none of several alternatives (an enum such as `source`): when one
/// alternative was clearly meant, its own problems; otherwise the list of alternatives.
fn word_alternatives(
    pointer: &str,
    instance: &Value,
    branches: &[Vec<ValidationError<'static>>],
    places: &Places,
) -> Vec<Problem> {
    if let Some(meant) = meant_branch(pointer, branches) {
        return meant.iter().flat_map(|e| word(e, places)).collect();
    }
    let mut choices: Vec<String> = Vec::new();
    for choice in branches.iter().flat_map(|b| alternatives(pointer, b)) {
        if !choices.contains(&choice) {
            choices.push(choice);
        }
    }
    let field = display_field(pointer);
    vec![
        Problem::new(
            pointer,
            format!("{field}: {} is none of the forms it can take", short(instance)),
        )
        .at(places.value(pointer))
        .hint(format!("{field} takes one of: {}", choices.join(", "))),
    ]
}

/// The branch the author meant: the only one that did not fail on its type or its tag
/// (a missing required key) at this very place.
fn meant_branch<'a>(
    pointer: &str,
    branches: &'a [Vec<ValidationError<'static>>],
) -> Option<&'a [ValidationError<'static>]> {
    let wrong_kind = |e: &ValidationError<'_>| {
        e.instance_path().as_str() == pointer
            && matches!(
                e.kind(),
                ValidationErrorKind::Type { .. }
                    | ValidationErrorKind::Required { .. }
                    | ValidationErrorKind::Constant { .. }
                    | ValidationErrorKind::Enum { .. }
            )
    };
    let mut candidates = branches.iter().filter(|errors| !errors.iter().any(wrong_kind));
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => Some(only.as_slice()),
        _ => None,
    }
}

/// How each alternative looks, from the errors of a branch that did not match.
fn alternatives(pointer: &str, errors: &[ValidationError<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for error in errors.iter().filter(|e| e.instance_path().as_str() == pointer) {
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                out.push(format!("`{}: …`", property.as_str().unwrap_or_default()))
            }
            ValidationErrorKind::Constant { expected_value } => out.push(format!("`{}`", plain(expected_value))),
            ValidationErrorKind::Enum { options } => out.extend(
                options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| format!("`{}`", plain(o))),
            ),
            ValidationErrorKind::Type { kind } if errors.len() == 1 => out.push(type_words(kind)),
            ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
                out.extend(context.iter().flat_map(|b| alternatives(pointer, b)))
            }
            _ => {}
        }
    }
    out
}

/// The fields an object may have, read from the schema where the error was found.
fn allowed_fields(error: &ValidationError<'_>) -> Vec<String> {
    let Some(location) = error.absolute_keyword_location() else {
        return Vec::new();
    };
    let fragment = location.fragment().map(|f| f.as_str().to_owned()).unwrap_or_default();
    let object_pointer = fragment.strip_suffix("/additionalProperties").unwrap_or(&fragment);
    let schema = scenario_schema();
    let properties = schema.pointer(&format!("{object_pointer}/properties"));
    properties
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The allowed name closest to a misspelt one, if it is close enough to be a typo.
fn closest<'a>(name: &str, allowed: &'a [String]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::damerau_levenshtein(name, a), a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a.as_str())
}

fn display_field(pointer: &str) -> String {
    if pointer.is_empty() {
        "the scenario".to_owned()
    } else {
        format!("`{}`", field_name(pointer))
    }
}

fn pattern_hint(pointer: &str) -> String {
    let last = pointer.rsplit('/').next().unwrap_or_default();
    let parent = pointer.rsplit('/').nth(1).unwrap_or_default();
    match (parent, last) {
        (_, "name") => "use lower-case letters, digits and `-`, up to 48 characters, e.g. orders-db-monthly",
        (_, "id") | ("depends_on" | "needs" | "after" | "before", _) => {
            "use lower-case letters, digits and `-`, up to 40 characters, e.g. orders-db"
        }
        (_, "region") => "an AWS region code, e.g. eu-west-1",
        (_, "instance_class") => "an RDS instance class, e.g. db.t3.medium",
        (_, "instance_type") => "an EC2 instance type, e.g. t3.micro",
        (_, "ami") => "an AMI id (ami-0123456789abcdef0) or resolve:ssm:/aws/service/… parameter path",
        (_, "image") => "an AMI id, e.g. ami-0123456789abcdef0",
        (_, "volume") => "an EBS volume id, e.g. vol-0123456789abcdef0",
        (_, "snapshot") => "`latest` or a snapshot id, e.g. snap-0123456789abcdef0",
        _ => "see `firedrill schema` for the form this field takes",
    }
    .to_owned()
}

/// How to write a value of the expected type, in YAML.
fn type_hint(kind: &TypeKind) -> String {
    let example = match type_words(kind).as_str() {
        "a mapping" => "indented `key: value` lines under the field",
        "a list" => "`[a, b]`, or one `- item` line per element",
        "text" => "the text, quoted if it looks like a number or true/false",
        "a whole number" => "digits only, e.g. `2`",
        "a number" => "a number, e.g. `2.5`",
        "true or false" => "`true` or `false`",
        _ => "a value of the type the schema names",
    };
    format!("write {example}")
}

fn type_words(kind: &TypeKind) -> String {
    let words = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "string" => "text".to_owned(),
        "integer" => "a whole number".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "true or false".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => words(t),
        TypeKind::Multiple(set) => set.iter().map(|t| words(&t)).collect::<Vec<_>>().join(" or "),
    }
}

fn json_type(value: &Value) -> String {
    match value {
        Value::Null => "empty".to_owned(),
        Value::Bool(_) => "true/false".to_owned(),
        Value::Number(_) => format!("the number {value}"),
        Value::String(_) => format!("the text {}", short(value)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// A value as it would be quoted in a message, cut short.
fn short(value: &Value) -> String {
    let text = match value {
        Value::Object(map) if !map.is_empty() => format!(
            "a mapping with `{}`",
            map.keys().cloned().collect::<Vec<_>>().join("`, `")
        ),
        Value::Array(_) => "a list".to_owned(),
        other => format!("`{}`", plain(other)),
    };
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(79).collect::<String>())
    } else {
        text
    }
}

fn plain(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

fn list(options: &Value) -> String {
    let names: Vec<String> = options
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| format!("`{}`", plain(o)))
        .collect();
    names.join(", ")
}

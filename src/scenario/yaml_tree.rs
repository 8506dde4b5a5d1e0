//! YAML → JSON value plus the place of every value and key in the file.
//!
//! The loader validates the JSON value against the scenario schema, which reports every
//! structural mistake at once by JSON pointer; the places recorded here turn those
//! pointers back into lines and columns.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use super::problem::{Place, Problem};

/// Where each JSON pointer of the document is in the file.
#[derive(Debug, Default)]
pub struct Places {
    values: HashMap<String, Place>,
    keys: HashMap<String, Place>,
}

impl Places {
    /// The place of the value at `pointer`, or of its nearest enclosing value.
    pub fn value(&self, pointer: &str) -> Option<Place> {
        let mut p = pointer;
        loop {
            if let Some(place) = self.values.get(p) {
                return Some(*place);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// The place of the key that names `pointer`'s value, else the value's place.
    pub fn key(&self, pointer: &str) -> Option<Place> {
        self.keys.get(pointer).copied().or_else(|| self.value(pointer))
    }
}

/// A parsed YAML document.
pub struct Document {
    pub value: Value,
    pub places: Places,
}

/// Parses one YAML document with the resource limits that keep hostile input harmless.
pub fn parse(text: &str) -> Result<Document, Problem> {
    let node: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, parse_options()).map_err(|e| yaml_problem(text, &e))?;
    let mut places = Places::default();
    let value = into_json(node, String::new(), &mut places);
    Ok(Document { value, places })
}

/// Limits on nesting, aliases and size: a scenario is small, and an alias bomb or a
/// deeply nested file must fail fast instead of eating memory or stack.
fn parse_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // Deep enough for any scenario; deeper nesting costs stack in the span-tracking parser.
    budget.max_depth = 32;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    // A 1 MiB scenario of real content has a few thousand nodes; alias bombs stop early.
    budget.max_nodes = 20_000;
    budget.max_events = 1_000_000;
    budget.max_documents = 1;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

fn yaml_problem(text: &str, error: &serde_saphyr::Error) -> Problem {
    let place = error.location().and_then(|l| place_of(text, &l));
    let message = error.without_snippet().to_string();
    let message = strip_location_suffix(&message);
    let (message, hint) = if message.contains("Documents") {
        (
            "the file holds more than one YAML document".to_owned(),
            "a scenario file holds one scenario; remove the `---` and what follows, or split the file",
        )
    } else if message.contains("budget breached") || message.contains("recursion limit") {
        (
            format!(
                "this is not valid YAML: the document is too large or too deeply nested once its aliases are expanded ({})",
                budget_name(&message)
            ),
            "a scenario needs neither deep nesting nor many aliases; is this the right file?",
        )
    } else {
        (
            format!("this is not valid YAML: {message}"),
            "fix the YAML syntax at this place; `firedrill schema` shows the expected structure",
        )
    };
    Problem::new("", message).at(place).hint(hint)
}

/// The limit a budget breach names, e.g. `Nodes { nodes: 250001 }` → `limit on nodes`.
fn budget_name(message: &str) -> String {
    let after = message.split("budget breached:").nth(1).unwrap_or_default().trim();
    let name = after
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("depth");
    format!("limit on {}", name.to_lowercase())
}

/// serde-saphyr appends " at line L column C" to some messages; the place is shown anyway.
fn strip_location_suffix(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn place_of(text: &str, location: &Location) -> Option<Place> {
    if location.line() == 0 {
        return None;
    }
    let span = location.span();
    let offset = span
        .byte_offset()
        .map(|o| o as usize)
        .unwrap_or_else(|| line_column_offset(text, location.line(), location.column()));
    let len = span.byte_len().map(|l| l as usize).unwrap_or(0).max(1);
    let len = len
        .min(text.len().saturating_sub(offset))
        .max(usize::from(offset < text.len()));
    Some(Place {
        line: location.line(),
        column: location.column(),
        offset,
        len,
    })
}

fn line_column_offset(text: &str, line: u64, column: u64) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let in_line: usize = text[line_start.min(text.len())..]
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    (line_start + in_line).min(text.len())
}

/// A YAML node whose children keep their places.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

fn into_json(node: Spanned<Node>, pointer: String, places: &mut Places) -> Value {
    // The text is not at hand here; places from spans carry byte offsets for string input.
    if let Some(place) = span_place(&node.referenced) {
        places.values.insert(pointer.clone(), place);
    }
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::from(i),
        Node::UInt(u) => Value::from(u),
        Node::Float(f) => serde_json::Number::from_f64(f).map_or_else(|| Value::String(f.to_string()), Value::Number),
        Node::Text(s) => Value::String(s),
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| into_json(item, format!("{pointer}/{i}"), places))
                .collect(),
        ),
        Node::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                let name = key_text(&key.value);
                let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                if let Some(place) = span_place(&key.referenced) {
                    places.keys.insert(child.clone(), place);
                }
                let value = into_json(value, child, places);
                object.insert(name, value);
            }
            Value::Object(object)
        }
    }
}

fn span_place(location: &Location) -> Option<Place> {
    if location.line() == 0 {
        return None;
    }
    let span = location.span();
    Some(Place {
        line: location.line(),
        column: location.column(),
        offset: span.byte_offset()? as usize,
        len: span.byte_len().unwrap_or(1).max(1) as usize,
    })
}

/// Mapping keys become JSON object keys; a non-text key becomes its YAML-ish spelling,
/// which the schema then rejects as an unknown field.
fn key_text(node: &Node) -> String {
    match node {
        Node::Null => "null".to_owned(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::UInt(u) => u.to_string(),
        Node::Float(f) => f.to_string(),
        Node::Text(s) => s.clone(),
        Node::Seq(_) => "[…]".to_owned(),
        Node::Map(_) => "{…}".to_owned(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Text(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_places_of_values_and_keys() {
        let doc = parse("name: demo\nrestores:\n  - id: db\n    depends_on: [x]\n").unwrap();
        assert_eq!(doc.value["restores"][0]["id"], "db");
        let id = doc.places.value("/restores/0/id").unwrap();
        assert_eq!((id.line, id.column), (3, 9));
        let key = doc.places.key("/restores/0/depends_on").unwrap();
        assert_eq!((key.line, key.column), (4, 5));
        let dep = doc.places.value("/restores/0/depends_on/0").unwrap();
        assert_eq!((dep.line, dep.column), (4, 18));
    }

    #[test]
    fn unknown_pointers_fall_back_to_the_enclosing_value() {
        let doc = parse("a:\n  b: 1\n").unwrap();
        let place = doc.places.value("/a/b/c/d").unwrap();
        assert_eq!(place.line, 2);
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let problem = parse("a: [1, 2\nb: 3\n").err().unwrap();
        assert!(problem.place.is_some(), "{problem:?}");
    }
}

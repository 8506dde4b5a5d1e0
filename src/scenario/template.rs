//! Templates in check environments: `{{ restores.<id>.<output> }}`, `{{ run.id }}`,
//! `{{ run.t0 }}`. Parsed here so that the validator and the runner read them alike.

use serde::Serialize;

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Segment {
    Text(String),
    Ref(Reference),
}

/// What a `{{ … }}` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Reference {
    /// An output of a restored resource.
    Restore { id: String, output: String },
    /// The run id.
    RunId,
    /// The drill's t0, RFC 3339.
    RunT0,
}

/// Splits a template into text and references, or says what is malformed.
pub fn parse(template: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            segments.push(Segment::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "a `{{` is never closed with `}}`".to_owned())?;
        segments.push(Segment::Ref(reference(after[..end].trim())?));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest.to_owned()));
    }
    Ok(segments)
}

fn reference(expression: &str) -> Result<Reference, String> {
    let parts: Vec<&str> = expression.split('.').collect();
    match parts.as_slice() {
        ["restores", id, output] if !id.is_empty() && !output.is_empty() => Ok(Reference::Restore {
            id: (*id).to_owned(),
            output: (*output).to_owned(),
        }),
        ["run", "id"] => Ok(Reference::RunId),
        ["run", "t0"] => Ok(Reference::RunT0),
        _ => Err(format!(
            "`{{{{ {expression} }}}}` is not a known reference; use `restores.<id>.<output>`, `run.id` or `run.t0`"
        )),
    }
}

/// Whether a template is only literal text (no `{{ … }}`).
pub fn is_literal(template: &str) -> bool {
    parse(template).is_ok_and(|s| s.iter().all(|seg| matches!(seg, Segment::Text(_))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_and_text() {
        let segments = parse("postgres://{{ restores.orders-db.endpoint }}:{{restores.orders-db.port}}/x").unwrap();
        assert_eq!(segments.len(), 5);
        assert_eq!(
            segments[1],
            Segment::Ref(Reference::Restore {
                id: "orders-db".into(),
                output: "endpoint".into()
            })
        );
        assert_eq!(parse("{{ run.id }}").unwrap(), vec![Segment::Ref(Reference::RunId)]);
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse("{{ restores.db.endpoint").unwrap_err().contains("never closed"));
        assert!(
            parse("{{ restores.db }}")
                .unwrap_err()
                .contains("not a known reference")
        );
        assert!(parse("{{ env.HOME }}").is_err());
        assert!(is_literal("plain text"));
        assert!(!is_literal("{{ run.id }}"));
    }
}

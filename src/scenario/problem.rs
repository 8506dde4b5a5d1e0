//! One mistake in a scenario file, with where it is and how to fix it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Serialize;

/// A place in a file: 1-based line and column, and the byte range for snippets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    pub line: u64,
    pub column: u64,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

impl Place {
    /// The place of byte `offset` in `text` (for errors found outside the YAML parser).
    pub fn of_offset(text: &[u8], offset: usize) -> Place {
        let before = &text[..offset.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() as u64 + 1;
        Place {
            line,
            column,
            offset,
            len: 1,
        }
    }
}

/// One mistake in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The field, as a JSON pointer into the document (`/restores/0/source`); empty for the
    /// whole file.
    pub field: String,
    /// Where it is, when the file could be read that far.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            place: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn at(mut self, place: Option<Place>) -> Self {
        self.place = place;
        self
    }
}

/// Every mistake found in one scenario file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} is not a valid scenario ({} problem{})", file.display(), problems.len(), if problems.len() == 1 { "" } else { "s" })]
pub struct InvalidScenario {
    pub file: PathBuf,
    /// The file's text, for snippets (empty when it could not be read as text).
    pub text: Arc<str>,
    pub problems: Vec<Problem>,
}

impl InvalidScenario {
    pub fn new(file: &Path, text: impl Into<Arc<str>>, problems: Vec<Problem>) -> Self {
        Self {
            file: file.to_owned(),
            text: text.into(),
            problems,
        }
    }

    /// One miette diagnostic per problem, each with its file, line, column and snippet.
    pub fn diagnostics(&self) -> impl Iterator<Item = ProblemDiagnostic> + '_ {
        self.problems
            .iter()
            .map(|problem| ProblemDiagnostic::new(self, problem))
    }
}

/// A problem rendered for people: `file:line:column: message`, the snippet and the hint.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{heading}")]
pub struct ProblemDiagnostic {
    heading: String,
    #[source_code]
    source_code: Option<NamedSource<Arc<str>>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    hint: Option<String>,
}

impl ProblemDiagnostic {
    fn new(scenario: &InvalidScenario, problem: &Problem) -> Self {
        let file = scenario.file.display();
        let heading = match problem.place {
            Some(p) => format!("{file}:{}:{}: {}", p.line, p.column, problem.message),
            None => format!("{file}: {}", problem.message),
        };
        let label = if problem.field.is_empty() {
            "here".to_owned()
        } else {
            field_name(&problem.field)
        };
        // A snippet of a huge line (minified or hostile input) would flood the terminal.
        let located = problem
            .place
            .filter(|p| !scenario.text.is_empty() && line_length(&scenario.text, p.offset) <= MAX_SNIPPET_LINE);
        Self {
            heading,
            source_code: located
                .map(|_| NamedSource::new(file.to_string(), scenario.text.clone()).with_language("yaml")),
            span: located.map(|p| SourceSpan::new(p.offset.into(), p.len)),
            label,
            hint: problem.hint.clone(),
        }
    }
}

const MAX_SNIPPET_LINE: usize = 400;

/// The length in bytes of the line holding `offset` (0 for an empty text).
fn line_length(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let start = bytes[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = bytes[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| offset + i);
    end - start
}

/// `/restores/0/source` → `restores[0].source`, the way people name fields.
pub fn field_name(pointer: &str) -> String {
    let mut name = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            name.push_str(&format!("[{segment}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&segment);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_read_like_paths() {
        assert_eq!(field_name("/restores/0/source"), "restores[0].source");
        assert_eq!(field_name("/checks/1/env/DB~1HOST"), "checks[1].env.DB/HOST");
        assert_eq!(field_name(""), "");
    }

    #[test]
    fn places_count_lines_and_characters() {
        let text = "a: 1\nbé: x\n".as_bytes();
        let p = Place::of_offset(text, 9);
        assert_eq!((p.line, p.column), (2, 4));
    }
}

//! Game days: at each `manual:` step the runner asks the operator, who does what the
//! instructions say and answers done, skipped or failed, with a note. Who answered,
//! what and when goes into the journal and the result, and the report shows it.
//!
//! The asking is behind `Operator`, so the runner's logic is tested with scripted
//! answers: `Terminal` asks a person on the terminal, `Unattended` (`--yes`) confirms
//! every step at once. A failed manual step fails the drill, as a failed check does (the
//! recovery procedure did not work); a skipped one is recorded and the drill goes on.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

/// A manual step, as the operator is asked about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub scenario: String,
    pub step: String,
    pub instructions: String,
}

/// What the operator says about a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Done,
    Skipped,
    Failed,
}

impl Answer {
    pub fn text(self) -> &'static str {
        match self {
            Answer::Done => "done",
            Answer::Skipped => "skipped",
            Answer::Failed => "failed",
        }
    }
}

/// The operator's reply: the answer and an optional note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub answer: Answer,
    pub note: Option<String>,
}

/// Who is asked at manual steps. `ask` blocks until the answer (the runner calls it off
/// the async thread, so that observation and timers go on meanwhile).
pub trait Operator: Send + Sync + std::fmt::Debug {
    /// The operator's name, as recorded.
    fn name(&self) -> &str;
    fn ask(&self, prompt: &Prompt) -> Reply;
}

/// `--yes`: every manual step confirmed at once, and recorded as such.
#[derive(Debug)]
pub struct Unattended {
    pub operator: String,
}

impl Operator for Unattended {
    fn name(&self) -> &str {
        &self.operator
    }

    fn ask(&self, _prompt: &Prompt) -> Reply {
        Reply {
            answer: Answer::Done,
            note: Some("confirmed unattended (--yes)".to_owned()),
        }
    }
}

/// A person at the terminal: the instructions on stderr, the answer from stdin. One
/// thread reads stdin for the whole run and hands the lines over, so that a question cut
/// off by an interrupt does not leave a second reader to steal the next answer.
#[derive(Debug)]
pub struct Terminal {
    operator: String,
    lines: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

impl Terminal {
    pub fn new(operator: String) -> Self {
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            while let Some(line) = read_line(&mut input) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            operator,
            lines: std::sync::Mutex::new(lines),
        }
    }
}

impl Operator for Terminal {
    fn name(&self) -> &str {
        &self.operator
    }

    fn ask(&self, prompt: &Prompt) -> Reply {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        ask_on(prompt, &mut || lines.recv().ok(), &mut std::io::stderr())
    }
}

/// Shows `prompt` on `err` and reads the answer, then an optional note, line by line
/// from `next_line` (`None`: no more input); asks again until the answer is one.
pub fn ask_on(prompt: &Prompt, next_line: &mut dyn FnMut() -> Option<String>, err: &mut impl Write) -> Reply {
    let _ = write!(err, "{}", banner(prompt));
    let answer = loop {
        let _ = write!(err, "Done, skipped or failed? [d/s/f]: ");
        let _ = err.flush();
        let Some(line) = next_line() else {
            return closed();
        };
        match parse_answer(&line) {
            Some(answer) => break answer,
            None => {
                let _ = writeln!(err, "`{}` is not an answer: type d, s or f", line.trim());
            }
        }
    };
    let _ = write!(err, "Note (optional, Enter to leave it out): ");
    let _ = err.flush();
    let note = next_line().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
    Reply { answer, note }
}

/// No more input: the step cannot be confirmed, so it failed (an unattended run says
/// `--yes` for that).
fn closed() -> Reply {
    Reply {
        answer: Answer::Failed,
        note: Some("no answer: standard input was closed".to_owned()),
    }
}

fn read_line(input: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

/// `d`, `done`, `s`, `skip`, `skipped`, `f`, `fail`, `failed`, in any case.
pub fn parse_answer(text: &str) -> Option<Answer> {
    match text.trim().to_lowercase().as_str() {
        "d" | "done" | "y" | "yes" => Some(Answer::Done),
        "s" | "skip" | "skipped" => Some(Answer::Skipped),
        "f" | "fail" | "failed" => Some(Answer::Failed),
        _ => None,
    }
}

/// What the operator sees at a manual step.
pub fn banner(prompt: &Prompt) -> String {
    let rule = "─".repeat(72);
    let instructions: String = prompt.instructions.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "\n{rule}\nMANUAL STEP `{}` of `{}`\n\n{instructions}\n{rule}\n",
        prompt.step, prompt.scenario
    )
}

/// The operator's name: `--operator`, else the login name, else `operator`.
pub fn default_operator() -> String {
    ["FIREDRILL_OPERATOR", "USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
        .unwrap_or_else(|| "operator".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_loosely() {
        for (text, answer) in [
            ("d\n", Some(Answer::Done)),
            (" DONE ", Some(Answer::Done)),
            ("s", Some(Answer::Skipped)),
            ("Skipped", Some(Answer::Skipped)),
            ("f", Some(Answer::Failed)),
            ("failed\r\n", Some(Answer::Failed)),
            ("maybe", None),
            ("", None),
        ] {
            assert_eq!(parse_answer(text), answer, "{text:?}");
        }
    }

    #[test]
    fn the_banner_shows_the_step_and_every_line_of_its_instructions() {
        let text = banner(&Prompt {
            scenario: "storefront-full".into(),
            step: "repoint-app-config".into(),
            instructions: "Edit config.yaml\nRestart the app".into(),
        });
        assert!(text.contains("MANUAL STEP `repoint-app-config` of `storefront-full`"));
        assert!(text.contains("  Edit config.yaml\n  Restart the app\n"));
    }

    /// Lines as stdin's reader thread hands them over.
    fn lines(text: &str) -> impl FnMut() -> Option<String> {
        let mut input = std::io::Cursor::new(text.to_owned());
        move || read_line(&mut input)
    }

    fn prompt() -> Prompt {
        Prompt {
            scenario: "s".into(),
            step: "flip-dns".into(),
            instructions: "Point DNS at the copy.".into(),
        }
    }

    #[test]
    fn the_terminal_asks_again_until_it_gets_an_answer_then_takes_a_note() {
        let mut shown = Vec::new();
        let reply = ask_on(
            &prompt(),
            &mut lines("maybe\nf\n  DNS change rejected by the registrar \n"),
            &mut shown,
        );
        assert_eq!(reply.answer, Answer::Failed);
        assert_eq!(reply.note.as_deref(), Some("DNS change rejected by the registrar"));
        let shown = String::from_utf8(shown).unwrap();
        assert!(shown.contains("MANUAL STEP `flip-dns`"));
        assert!(shown.contains("`maybe` is not an answer"));
    }

    #[test]
    fn an_empty_note_is_none_and_closed_input_is_a_failure() {
        let reply = ask_on(&prompt(), &mut lines("d\n\n"), &mut Vec::new());
        assert_eq!((reply.answer, reply.note), (Answer::Done, None));
        let reply = ask_on(&prompt(), &mut lines(""), &mut Vec::new());
        assert_eq!(reply.answer, Answer::Failed);
        assert!(reply.note.unwrap().contains("standard input was closed"));
    }

    #[test]
    fn unattended_confirms_and_says_so() {
        let reply = Unattended { operator: "ci".into() }.ask(&Prompt {
            scenario: "s".into(),
            step: "x".into(),
            instructions: "y".into(),
        });
        assert_eq!(reply.answer, Answer::Done);
        assert!(reply.note.unwrap().contains("--yes"));
    }
}

//! The consumers of a drill's events: the in-memory list (from which the result is
//! built), the journal on disk, and the console.

use std::io::Write;

use jiff::Timestamp;

use super::crash_point::CrashPoint;
use super::events::{DrillEvent, EventKind};
use crate::journal::Journal;

/// Sends each event to every consumer, in order.
pub struct Reporter {
    pub events: Vec<DrillEvent>,
    journal: Option<Journal>,
    console: Option<Console>,
    /// A journal write that failed: the run goes on, and the result says so.
    pub journal_error: Option<String>,
    crash_point: Option<CrashPoint>,
}

impl Reporter {
    pub fn new(journal: Option<Journal>, console: Option<Console>) -> Self {
        Self {
            events: Vec::new(),
            journal,
            console,
            journal_error: None,
            crash_point: None,
        }
    }

    /// Aborts the process at this crash point (tests of crash safety, sim cloud only).
    pub fn with_crash_point(mut self, point: Option<CrashPoint>) -> Self {
        self.crash_point = point;
        self
    }

    pub fn emit(&mut self, at: Timestamp, kind: EventKind) {
        let event = DrillEvent { at, kind };
        if let Some(point) = &mut self.crash_point
            && point.reached(&event.name())
        {
            let _ = writeln!(
                std::io::stderr(),
                "crash point reached: aborting before journaling {}",
                event.name()
            );
            std::process::abort();
        }
        if let Some(journal) = &mut self.journal
            && let Err(error) = journal.append(&event)
        {
            self.journal_error
                .get_or_insert_with(|| format!("writing the journal {}: {error}", journal.path().display()));
        }
        if let Some(console) = &mut self.console {
            console.show(&event);
        }
        self.events.push(event);
    }
}

/// Progress for people, on stderr: one line per event that matters, with the time since
/// t0 against the RTO target; on a terminal, a live spinner line below them too.
pub struct Console {
    t0: Option<Timestamp>,
    rto_target: String,
    simulated: bool,
    spinner: Option<indicatif::ProgressBar>,
    /// The live line is away while the operator answers a manual step.
    spinner_hidden: bool,
}

impl Console {
    pub fn new() -> Self {
        Self {
            t0: None,
            rto_target: String::new(),
            simulated: false,
            spinner: None,
            spinner_hidden: false,
        }
    }

    fn show(&mut self, event: &DrillEvent) {
        let Some(line) = self.line(event) else { return };
        let elapsed = self.t0.map_or(0.0, |t0| event.at.duration_since(t0).as_secs_f64());
        let label = if self.simulated { " [SIMULATED]" } else { "" };
        let text = format!("{elapsed:>8.1}s / RTO {}{label}  {line}", self.rto_target);
        match &self.spinner {
            // Hidden, the bar would drop what it prints: write it out directly.
            Some(spinner) if !self.spinner_hidden => {
                spinner.println(text);
                spinner.set_message(line);
            }
            _ => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
        if matches!(event.kind, EventKind::RunFinished)
            && let Some(spinner) = self.spinner.take()
        {
            spinner.finish_and_clear();
        }
        // The operator's prompt needs the terminal: the live line stays away meanwhile,
        // and comes back when the step ends, answered or not (a timeout, an interrupt).
        if let Some(spinner) = &self.spinner {
            let hide = match &event.kind {
                EventKind::ManualStepStarted { .. } => Some(true),
                EventKind::ManualStepAnswered { .. } | EventKind::Interrupted => Some(false),
                EventKind::StepFinished { step, .. } if step.starts_with("manual/") => Some(false),
                _ => None,
            };
            match hide {
                Some(true) if !self.spinner_hidden => spinner.set_draw_target(indicatif::ProgressDrawTarget::hidden()),
                Some(false) if self.spinner_hidden => spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr()),
                _ => {}
            }
            if let Some(hidden) = hide {
                self.spinner_hidden = hidden;
            }
        }
    }

    /// A live line on a terminal: elapsed time against the RTO target and the last event.
    fn start_spinner(&mut self) {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return;
        }
        let template = "{spinner} {elapsed_precise} elapsed · RTO target {prefix} · {wide_msg}";
        let style = indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let spinner = indicatif::ProgressBar::new_spinner()
            .with_style(style)
            .with_prefix(self.rto_target.clone());
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        self.spinner = Some(spinner);
    }

    fn line(&mut self, event: &DrillEvent) -> Option<String> {
        Some(match &event.kind {
            EventKind::RunStarted {
                run_id,
                scenario,
                t0,
                simulated,
                rto_target,
                rpo_target,
                ..
            } => {
                self.t0 = Some(*t0);
                self.rto_target = rto_target.to_string();
                self.simulated = *simulated;
                self.start_spinner();
                let cloud = if *simulated {
                    "the SIMULATED cloud (no AWS account is touched)"
                } else {
                    "AWS"
                };
                format!("drill {run_id} of `{scenario}` on {cloud}; targets RTO {rto_target}, RPO {rpo_target}")
            }
            EventKind::StepStarted { step } => format!("▶ {step}"),
            EventKind::StepFinished { step, ok: true, .. } => format!("✔ {step}"),
            EventKind::StepFinished {
                step,
                ok: false,
                message,
            } => format!("✘ {step}: {}", message.as_deref().unwrap_or("failed")),
            EventKind::RestoreStarted { restore, tracked, .. } => format!("  restore `{restore}` started: {tracked}"),
            EventKind::RestoreReady {
                restore,
                resource,
                completed_at,
                ..
            } => {
                let lag = event.at.duration_since(*completed_at).as_secs_f64().max(0.0);
                format!(
                    "  restore `{restore}` ready: {} (seen {lag:.1}s after AWS completed it)",
                    resource.id
                )
            }
            EventKind::CheckFinished {
                check, passed, reasons, ..
            } => {
                if *passed {
                    format!("  check `{check}` passed")
                } else {
                    format!("  check `{check}` FAILED: {}", reasons.join("; "))
                }
            }
            EventKind::HarnessError { message } => format!("  error: {message}"),
            EventKind::Interrupted => "  interrupted: stopping, then tearing down".to_owned(),
            EventKind::TeardownStarted => "tearing down".to_owned(),
            EventKind::ResourceDeleted { resource } => format!("  deleted {resource}"),
            EventKind::ResourceKept { resource, until } => format!("  kept {resource} until {until}"),
            EventKind::DeleteRefused { resource, reason } => format!("  REFUSED to delete {resource}: {reason}"),
            EventKind::DeleteFailed { resource, error } => format!("  could not delete {resource}: {error}"),
            EventKind::RestorePending { resource } => format!("  {resource} is still running and cannot be cancelled"),
            EventKind::ManualStepSkipped { step } => format!("  manual step `{step}` skipped (not a game day)"),
            EventKind::ManualStepStarted { step, operator, .. } => {
                format!("  manual step `{step}`: waiting for {operator}")
            }
            EventKind::ManualStepAnswered {
                step,
                operator,
                answer,
                note,
                ..
            } => format!(
                "  manual step `{step}`: {} by {operator}{}",
                answer.text(),
                note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
            ),
            EventKind::RunFinished => "done".to_owned(),
            _ => return None,
        })
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

//! Which steps of a plan may start: a synchronous state machine driven by the async
//! runner, so the ordering logic is tested without I/O.

use std::collections::BTreeMap;

use crate::plan::Step;

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    Succeeded,
    Failed,
    /// Not run, because something it waits for failed.
    Skipped,
}

/// The forward steps of a plan and their states.
pub struct Dispatcher {
    order: Vec<String>,
    after: BTreeMap<String, Vec<String>>,
    states: BTreeMap<String, StepState>,
}

impl Dispatcher {
    /// Tracks `steps`; dependencies on steps outside this set count as met.
    pub fn new<'a>(steps: impl IntoIterator<Item = &'a Step>) -> Self {
        let steps: Vec<&Step> = steps.into_iter().collect();
        let known: std::collections::BTreeSet<&str> = steps.iter().map(|s| s.id.as_str()).collect();
        Self {
            order: steps.iter().map(|s| s.id.clone()).collect(),
            after: steps
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        s.after.iter().filter(|a| known.contains(a.as_str())).cloned().collect(),
                    )
                })
                .collect(),
            states: steps.iter().map(|s| (s.id.clone(), StepState::Waiting)).collect(),
        }
    }

    /// Steps whose dependencies all succeeded, marked running, in plan order.
    pub fn start_ready(&mut self) -> Vec<String> {
        let ready: Vec<String> = self
            .order
            .iter()
            .filter(|id| self.states[*id] == StepState::Waiting)
            .filter(|id| self.after[*id].iter().all(|a| self.states[a] == StepState::Succeeded))
            .cloned()
            .collect();
        for id in &ready {
            self.states.insert(id.clone(), StepState::Running);
        }
        ready
    }

    /// Records a finished step; a failure skips everything that waits on it, and
    /// returns those skipped steps.
    pub fn finish(&mut self, id: &str, ok: bool) -> Vec<String> {
        self.states
            .insert(id.to_owned(), if ok { StepState::Succeeded } else { StepState::Failed });
        let mut skipped = Vec::new();
        if ok {
            return skipped;
        }
        loop {
            let blocked: Vec<String> = self
                .order
                .iter()
                .filter(|s| self.states[*s] == StepState::Waiting)
                .filter(|s| {
                    self.after[*s]
                        .iter()
                        .any(|a| matches!(self.states[a], StepState::Failed | StepState::Skipped))
                })
                .cloned()
                .collect();
            if blocked.is_empty() {
                return skipped;
            }
            for s in blocked {
                self.states.insert(s.clone(), StepState::Skipped);
                skipped.push(s);
            }
        }
    }

    /// Marks every step not yet started as skipped (on interruption or deadline).
    pub fn skip_waiting(&mut self) -> Vec<String> {
        let waiting: Vec<String> = self
            .order
            .iter()
            .filter(|s| self.states[*s] == StepState::Waiting)
            .cloned()
            .collect();
        for s in &waiting {
            self.states.insert(s.clone(), StepState::Skipped);
        }
        waiting
    }

    /// Whether nothing is waiting or running.
    pub fn is_done(&self) -> bool {
        self.states
            .values()
            .all(|s| !matches!(s, StepState::Waiting | StepState::Running))
    }

    pub fn state(&self, id: &str) -> Option<StepState> {
        self.states.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;

    fn step(id: &str, after: &[&str]) -> Step {
        Step {
            id: id.into(),
            action: Action::Measure,
            after: after.iter().map(|s| s.to_string()).collect(),
            timeout: None,
        }
    }

    #[test]
    fn independent_steps_start_together_and_dependents_wait() {
        let steps = [
            step("a", &[]),
            step("b", &["a"]),
            step("c", &["a"]),
            step("d", &["b", "c"]),
        ];
        let mut d = Dispatcher::new(&steps);
        assert_eq!(d.start_ready(), vec!["a"]);
        assert!(d.start_ready().is_empty());
        d.finish("a", true);
        assert_eq!(d.start_ready(), vec!["b", "c"]);
        d.finish("b", true);
        assert!(d.start_ready().is_empty(), "d waits for c");
        d.finish("c", true);
        assert_eq!(d.start_ready(), vec!["d"]);
        d.finish("d", true);
        assert!(d.is_done());
    }

    #[test]
    fn a_failure_skips_everything_downstream_only() {
        let steps = [step("a", &[]), step("b", &["a"]), step("c", &["b"]), step("x", &[])];
        let mut d = Dispatcher::new(&steps);
        assert_eq!(d.start_ready(), vec!["a", "x"]);
        assert_eq!(d.finish("a", false), vec!["b", "c"]);
        assert_eq!(d.state("c"), Some(StepState::Skipped));
        assert!(!d.is_done(), "x still runs");
        d.finish("x", true);
        assert!(d.is_done());
    }

    #[test]
    fn dependencies_outside_the_set_count_as_met() {
        let steps = [step("a", &["outside"])];
        let mut d = Dispatcher::new(&steps);
        assert_eq!(d.start_ready(), vec!["a"]);
    }
}

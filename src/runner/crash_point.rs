//! Deterministic crash points for tests of crash safety: `FIREDRILL_SIM_CRASH_AT=<event>:<n>`
//! aborts the process just before the n-th event of that kind is journaled, so the
//! journal lags what really happened, as it would after a real crash. Honoured on the
//! simulated cloud only.

/// Where to abort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashPoint {
    event: String,
    nth: u32,
    seen: u32,
}

/// The environment variable that sets a crash point.
pub const VARIABLE: &str = "FIREDRILL_SIM_CRASH_AT";

impl CrashPoint {
    /// Parses `<event>:<n>` (n ≥ 1), e.g. `resource_created:3`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let usage = || format!("{VARIABLE}={text:?}: expected `<event>:<n>`, e.g. `resource_created:3`");
        let (event, nth) = text.rsplit_once(':').ok_or_else(usage)?;
        let nth: u32 = nth.parse().map_err(|_| usage())?;
        let known = super::events::EVENT_NAMES;
        if nth == 0 || !known.contains(&event) {
            return Err(format!("{}; events: {}", usage(), known.join(", ")));
        }
        Ok(Self {
            event: event.to_owned(),
            nth,
            seen: 0,
        })
    }

    /// The crash point the environment asks for, if any.
    pub fn from_env() -> Result<Option<Self>, String> {
        match std::env::var(VARIABLE) {
            Ok(text) if !text.is_empty() => Self::parse(&text).map(Some),
            _ => Ok(None),
        }
    }

    /// Counts an event about to be journaled; true when the process must die now.
    pub fn reached(&mut self, event: &str) -> bool {
        if event == self.event {
            self.seen += 1;
        }
        self.seen == self.nth && event == self.event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_at_the_nth_event_of_its_kind_only() {
        let mut point = CrashPoint::parse("resource_created:2").unwrap();
        assert!(!point.reached("resource_created"));
        assert!(!point.reached("step_started"));
        assert!(point.reached("resource_created"));
        assert!(!point.reached("resource_created"));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for bad in [
            "resource_created",
            "resource_created:0",
            "resource_created:x",
            "nonsense:1",
        ] {
            assert!(CrashPoint::parse(bad).is_err(), "{bad}");
        }
    }
}

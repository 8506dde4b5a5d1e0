//! The process exit codes, one table for every command (also in the README).

/// Every drill passed; for `cleanup`: nothing remains.
pub const SUCCESS: i32 = 0;
/// A drill failed: a check or a target missed.
pub const DRILL_FAILED: i32 = 1;
/// Invalid input or usage: nothing was created.
pub const INVALID_INPUT: i32 = 2;
/// AWS or the harness failed (permissions, quota, timeout, preflight).
pub const ERROR: i32 = 3;
/// Teardown incomplete: resources were left behind.
pub const TEARDOWN_INCOMPLETE: i32 = 4;
/// Interrupted by SIGINT (after teardown).
pub const INTERRUPTED: i32 = 130;
/// Terminated by SIGTERM (after teardown).
pub const TERMINATED: i32 = 143;

/// The most severe of several codes, in the order 130/143 > 4 > 3 > 1 > 0 (2 is raised
/// before anything runs, so it ranks just below the interruptions).
pub fn most_severe(codes: impl IntoIterator<Item = i32>) -> i32 {
    let rank = |code: i32| match code {
        INTERRUPTED | TERMINATED => 6,
        INVALID_INPUT => 5,
        TEARDOWN_INCOMPLETE => 4,
        ERROR => 3,
        DRILL_FAILED => 1,
        _ => 0,
    };
    codes.into_iter().max_by_key(|&c| rank(c)).unwrap_or(SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_severe_follows_the_documented_order() {
        assert_eq!(most_severe([0, 1, 3]), 3);
        assert_eq!(most_severe([4, 3, 1]), 4);
        assert_eq!(most_severe([1, 143, 4]), 143);
        assert_eq!(most_severe([0, 0]), 0);
        assert_eq!(most_severe([]), 0);
    }
}

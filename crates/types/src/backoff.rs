//! The one back-off rule: the page reopening its event stream, the pollers after a failed
//! poll and the ARM client between retries all wait this way.

use std::time::Duration;

/// How long to wait after `failures` failures in a row (0: the first retry): `base`, doubled
/// per failure, capped at `max`, then spread over its upper half by `jitter` in `[0, 1]` (a
/// random draw, e.g. `Math.random()`), so clients that failed together do not all come back in
/// the same instant. `jitter = 1.0` gives the whole delay; a value outside `[0, 1]` (or NaN)
/// counts as the nearest end (as 1.0).
pub fn backoff(base: Duration, max: Duration, failures: u32, jitter: f64) -> Duration {
    let whole = base.saturating_mul(1u32 << failures.min(16)).min(max);
    let jitter = if jitter.is_nan() { 1.0 } else { jitter.clamp(0.0, 1.0) };
    // Never more than `whole` (float rounding near Duration::MAX must not panic).
    Duration::try_from_secs_f64(whole.as_secs_f64() * (0.5 + 0.5 * jitter)).map_or(whole, |d| d.min(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_caps_and_spreads_over_the_upper_half() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(1), s(30), 0, 1.0), s(1));
        assert_eq!(backoff(s(1), s(30), 0, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(s(1), s(30), 3, 1.0), s(8));
        assert_eq!(backoff(s(1), s(30), 3, 0.5), s(6));
        for failures in [5, 16, 40, u32::MAX] {
            assert_eq!(backoff(s(1), s(30), failures, 1.0), s(30), "capped");
            assert_eq!(backoff(s(1), s(30), failures, 0.0), s(15));
        }
        assert_eq!(backoff(s(1), s(30), 2, f64::NAN), s(4), "NaN counts as 1.0");
        assert_eq!(backoff(s(1), s(30), 2, 7.0), s(4));
        assert_eq!(backoff(s(1), s(30), 2, -1.0), s(2));
        assert_eq!(backoff(Duration::MAX, Duration::MAX, 3, 1.0), Duration::MAX, "no overflow");
    }
}

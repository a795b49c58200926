//! Stream state: how the live status stream's connection is doing, and when to reopen it.

/// Connection state of the live status stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamStatus {
    /// Not connected yet (also what the server renders).
    #[default]
    Connecting,
    /// Connected; events flow.
    Live,
    /// Connected, but no message or heartbeat for too long: the data may be old.
    Stale,
    /// Lost; reconnecting with back-off.
    Reconnecting,
    /// Lost, and the portal no longer knows this browser (its session ended, its token was
    /// revoked): reconnecting goes on, but nothing will come until someone signs in again.
    SignedOut,
}

impl StreamStatus {
    /// The word used in `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Stale => "stale",
            Self::Reconnecting => "reconnecting",
            Self::SignedOut => "signed-out",
        }
    }

    /// Text next to the indicator.
    pub fn text(self) -> &'static str {
        match self {
            Self::Connecting => "Connecting…",
            Self::Live => "Live",
            Self::Stale => "Stale",
            Self::Reconnecting => "Reconnecting…",
            Self::SignedOut => "Signed out",
        }
    }
}

/// First delay before reopening a lost status stream, in milliseconds.
pub const RECONNECT_MIN_MS: u32 = 1_000;
/// Longest delay between two attempts to reopen the status stream, in milliseconds.
pub const RECONNECT_MAX_MS: u32 = 30_000;

/// How long to wait before reopening the status stream after `failures` attempts in a row
/// failed (0 for the first retry): 1 s, doubling per failure, capped at 30 s, half of it random
/// (`jitter` in `[0, 1)`, e.g. `Math.random()`): [`replimap_types::backoff`].
pub fn reconnect_delay_ms(failures: u32, jitter: f64) -> u32 {
    let min = std::time::Duration::from_millis(u64::from(RECONNECT_MIN_MS));
    let max = std::time::Duration::from_millis(u64::from(RECONNECT_MAX_MS));
    let delay = replimap_types::backoff(min, max, failures, jitter);
    // At most RECONNECT_MAX_MS: the cast cannot overflow.
    (delay.as_secs_f64() * 1000.0).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_grow_to_a_cap_with_jitter() {
        assert_eq!(reconnect_delay_ms(0, 0.0), 500);
        assert_eq!(reconnect_delay_ms(0, 1.0), 1_000);
        assert_eq!(reconnect_delay_ms(1, 1.0), 2_000);
        assert_eq!(reconnect_delay_ms(3, 0.5), 6_000);
        for failures in [5, 6, 40, u32::MAX] {
            assert_eq!(reconnect_delay_ms(failures, 0.0), 15_000);
            assert_eq!(reconnect_delay_ms(failures, 0.999_999), 30_000);
        }
    }
}

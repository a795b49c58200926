//! "Time in state" as people read it.

/// `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: two units at most, never negative (clocks of
/// browser and server may differ by a little).
pub fn short(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{} min", s / 60),
        3_600..=86_399 => match (s / 3_600, (s % 3_600) / 60) {
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        },
        _ => match (s / 86_400, (s % 86_400) / 3_600) {
            (d, 0) => format!("{d} d"),
            (d, h) => format!("{d} d {h} h"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn two_units_at_most() {
        assert_eq!(short(-5_000), "0 s");
        assert_eq!(short(45_999), "45 s");
        assert_eq!(short(12 * 60_000 + 59_000), "12 min");
        assert_eq!(short(3 * 3_600_000), "3 h");
        assert_eq!(short(3 * 3_600_000 + 5 * 60_000), "3 h 5 min");
        assert_eq!(short(2 * 86_400_000 + 4 * 3_600_000 + 1), "2 d 4 h");
    }
}

//! Times: stored as integer milliseconds since the Unix epoch (they index, compare and
//! subtract cheaply in both engines), shown as RFC 3339 in UTC with exactly three fractional
//! digits and `Z`, so that shown times sort as text too.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// The wire form: `2026-11-30T12:00:00.000Z`.
const WIRE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    ms_of(OffsetDateTime::now_utc())
}

/// `ms` in the wire form; `None` outside the years 0000–9999.
pub fn format_ms(ms: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    t.format(WIRE).ok()
}

/// Milliseconds of an RFC 3339 time (any offset, any precision; sub-millisecond digits are
/// dropped).
pub fn parse_ms(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(ms_of)
}

fn ms_of(t: OffsetDateTime) -> i64 {
    // Fits: OffsetDateTime spans ±9999 years, far inside i64 milliseconds.
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_has_three_digits_and_z() {
        assert_eq!(format_ms(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(1_795_003_200_123).unwrap(), "2026-11-18T12:00:00.123Z");
        assert_eq!(parse_ms("2026-11-18T12:00:00.123Z"), Some(1_795_003_200_123));
        assert_eq!(parse_ms("2026-11-18T13:00:00.1234+01:00"), Some(1_795_003_200_123));
        assert_eq!(parse_ms("yesterday"), None);
        let now = now_ms();
        assert_eq!(parse_ms(&format_ms(now).unwrap()), Some(now));
    }
}

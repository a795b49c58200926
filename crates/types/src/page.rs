//! What the server renders the page with, embedded in it as JSON so the browser hydrates
//! from the very same data (and the table is readable before the WASM module loads).

use serde::{Deserialize, Serialize};

use crate::{Region, RegistryState};

/// Settings of the page that come from the portal's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiSettings {
    /// A tile URL template (`https://…/{z}/{x}/{y}.png`) drawn under the world outline;
    /// `None` in locked-down networks, where the shipped outline is the whole basemap.
    #[serde(default)]
    pub tile_url: Option<String>,
    /// Attribution the tile provider requires, shown on the map.
    #[serde(default)]
    pub tile_attribution: Option<String>,
    /// A replica Syncing for longer than this is flagged as possibly stuck.
    pub stuck_after_secs: u64,
    /// How often the status stream sends a heartbeat; the page calls the stream stale
    /// after three missed ones.
    pub heartbeat_secs: u64,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self { tile_url: None, tile_attribution: None, stuck_after_secs: 3_600, heartbeat_secs: 15 }
    }
}

/// The page's starting data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageData {
    /// Every physical region.
    pub regions: Vec<Region>,
    /// The hub's state when the page was rendered.
    pub registries: Vec<RegistryState>,
    /// Whether the registries have been discovered (otherwise the page says "loading").
    pub loaded: bool,
    /// The server's clock at render time, milliseconds since the Unix epoch; the page's
    /// clock starts there so "time in state" renders identically on both sides.
    pub now_ms: i64,
    /// Whether ARM is the embedded emulator.
    pub emulated: bool,
    /// Settings from the configuration.
    pub settings: UiSettings,
    /// Who the page was rendered for (`None` before sign-in).
    #[serde(default)]
    pub me: Option<crate::Me>,
}

/// The `id` of the `<script type="application/json">` element that carries `PageData`.
pub const PAGE_DATA_ID: &str = "page-data";

/// `PageData` as JSON that is safe inside a `<script>` element: `<` is escaped, so no
/// string in the data (a tag value, an error message) can close the element.
pub fn page_data_json(data: &PageData) -> String {
    serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned()).replace('<', "\\u003c")
}

/// Milliseconds since the Unix epoch of an RFC 3339 UTC timestamp as ARM and the portal
/// write them (`2026-11-30T12:00:00Z`, optional fraction, `Z` or `+00:00`). `None` for
/// anything else; callers then show no duration rather than a wrong one.
pub fn rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    let (clock, offset_ms) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (c, off) = rest.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':')?;
        let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
        (c, sign * minutes * 60_000)
    };
    let mut t = clock.splitn(3, ':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let seconds = t.next()?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let second: i64 = whole.parse().ok()?;
    let millis: i64 = format!("{fraction:0<3}").get(..3)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis - offset_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_timestamps_arm_and_the_portal_write() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_ms("2026-11-30T12:00:00Z"), Some(1_796_040_000_000));
        assert_eq!(rfc3339_ms("2026-11-30T12:00:00.5Z"), Some(1_796_040_000_500));
        assert_eq!(rfc3339_ms("2026-11-30T12:00:00.1234567Z"), Some(1_796_040_000_123));
        assert_eq!(rfc3339_ms("2026-11-30T13:00:00+01:00"), Some(1_796_040_000_000));
        assert_eq!(rfc3339_ms("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        for bad in ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-30", "2026-11-30T25:00:00Z"] {
            assert_eq!(rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_data_cannot_close_its_script_element() {
        let mut data = PageData::default();
        data.settings.tile_attribution = Some("</script><script>alert(1)</script>".into());
        let json = page_data_json(&data);
        assert!(!json.contains('<'));
        let back: PageData = serde_json::from_str(&json).unwrap();
        assert_eq!(back, data);
    }
}

//! The DOM contract of a region marker, and how near neighbours are kept apart.
//!
//! Markers are Leaflet `DivIcon`s (created in `crate::leaflet`), so this file holds no view;
//! it decides what the element carries. Every marker is a focusable button (made one only
//! once its key and pointer handlers are attached):
//! `class="… region-marker"`, `role="button"`, `tabindex="0"`, `data-region="japaneast"`,
//! `data-state` (one of `RegionState::as_str`), `data-reason="sku|region"` when unavailable,
//! `data-stuck`, `data-flash` and `data-selected` (`"true"` or absent),
//! `aria-label="Japan East — replica ready"`, `aria-describedby="region-card"` and
//! `aria-busy="true"` while a write is in flight, and `data-coverage` (one of
//! `CoverageStatus::as_str`: `gap`, `served`, `idle`, `unattributed`) once discovery has read
//! the workloads; `.marker-count` inside it holds how many run there.
//! The shape and colour come from CSS on `data-state` and `data-coverage` (style/main.css), so
//! colour is never the only cue.

use crate::model::RegionView;

/// Side of the marker's box in CSS pixels (keep in sync with `.region-marker` in main.css).
pub const MARKER_SIZE: f64 = 14.0;

/// Closest two marker centres may be on screen before they are pushed apart.
pub const MIN_GAP: f64 = 13.0;

/// Class given to every marker element (tests and CSS select on it).
pub const MARKER_CLASS: &str = "region-marker";

/// The attributes a marker element must carry for a given view.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerAttrs {
    /// `data-state`.
    pub state: &'static str,
    /// `aria-label` (and `title`, for a mouse hover hint).
    pub label: String,
    /// Whether `aria-busy` is set.
    pub busy: bool,
    /// `data-reason`.
    pub reason: Option<&'static str>,
    /// `data-stuck`.
    pub stuck: bool,
    /// `data-flash`.
    pub flash: bool,
    /// `data-selected`.
    pub selected: bool,
    /// `data-coverage`.
    pub coverage: Option<&'static str>,
    /// The text of `.marker-count`: how many workloads run here (empty for none).
    pub count: usize,
}

impl MarkerAttrs {
    /// Attributes for one region view.
    pub fn of(view: &RegionView, selected: bool) -> Self {
        Self {
            state: view.state.as_str(),
            label: view.label.clone(),
            busy: view.busy(),
            reason: view.unavailable.map(|u| u.as_str()),
            stuck: view.stuck,
            flash: view.flash,
            selected,
            coverage: view.coverage.map(|c| c.as_str()),
            count: view.workload_count,
        }
    }

    /// The boolean `data-*` flags, as (attribute, set).
    pub fn flags(&self) -> [(&'static str, bool); 4] {
        [
            ("data-stuck", self.stuck),
            ("data-flash", self.flash),
            ("data-selected", self.selected),
            ("aria-busy", self.busy),
        ]
    }
}

/// Inner HTML of a marker: the shape (styled by `data-state`), a text label that CSS shows
/// only for replicas and gaps, and the workload count (last: `update` finds it so). All are
/// `aria-hidden`: the element's `aria-label` says it all.
pub fn marker_html(display_name: &str) -> String {
    format!(
        r#"<span class="marker-shape" aria-hidden="true"></span><span class="marker-label" aria-hidden="true">{}</span><span class="marker-count" aria-hidden="true"></span>"#,
        escape_html(display_name)
    )
}

/// `s` as HTML text or attribute value.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Pixel offsets that keep markers at least `gap` apart on screen.
///
/// `points` are marker positions in layer pixels at the current zoom. Regions share cities
/// (Australia Central and Central 2 have the same coordinates), and at world zoom Western
/// Europe's dozen regions sit within a few pixels, so overlapping markers are nudged apart by
/// a few rounds of pairwise repulsion. Coincident points get deterministic directions, so
/// the layout is the same on every load.
pub fn declutter(points: &[(f64, f64)], gap: f64) -> Vec<(f64, f64)> {
    let mut moved: Vec<(f64, f64)> = points.to_vec();
    for _round in 0..40 {
        let mut any = false;
        for i in 0..moved.len() {
            for j in (i + 1)..moved.len() {
                let (dx, dy) = (moved[j].0 - moved[i].0, moved[j].1 - moved[i].1);
                let dist = (dx * dx + dy * dy).sqrt();
                if dist >= gap {
                    continue;
                }
                any = true;
                let (ux, uy) = if dist < 1e-6 {
                    // Same spot: spread by index around a circle.
                    let angle = (j as f64) * 2.399_963; // golden angle, in radians
                    cos_sin(angle)
                } else {
                    (dx / dist, dy / dist)
                };
                let push = (gap - dist) / 2.0 + 0.01;
                moved[i].0 -= ux * push;
                moved[i].1 -= uy * push;
                moved[j].0 += ux * push;
                moved[j].1 += uy * push;
            }
        }
        if !any {
            break;
        }
    }
    moved.iter().zip(points).map(|(m, p)| (m.0 - p.0, m.1 - p.1)).collect()
}

/// `(cos, sin)` of `angle`: in the browser JavaScript's `Math`, since Rust's own (libm, with its
/// argument reduction) cost 2.5 KB of the compressed WASM for this one use.
#[cfg(feature = "hydrate")]
fn cos_sin(angle: f64) -> (f64, f64) {
    (js_sys::Math::cos(angle), js_sys::Math::sin(angle))
}

#[cfg(not(feature = "hydrate"))]
fn cos_sin(angle: f64) -> (f64, f64) {
    (angle.cos(), angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min_distance(points: &[(f64, f64)], offsets: &[(f64, f64)]) -> f64 {
        let placed: Vec<_> = points.iter().zip(offsets).map(|(p, o)| (p.0 + o.0, p.1 + o.1)).collect();
        let mut min = f64::MAX;
        for i in 0..placed.len() {
            for j in (i + 1)..placed.len() {
                let d = ((placed[i].0 - placed[j].0).powi(2) + (placed[i].1 - placed[j].1).powi(2)).sqrt();
                min = min.min(d);
            }
        }
        min
    }

    #[test]
    fn far_apart_markers_stay_put() {
        let points = [(0.0, 0.0), (100.0, 0.0), (0.0, 100.0)];
        assert!(declutter(&points, MIN_GAP).iter().all(|o| *o == (0.0, 0.0)));
    }

    #[test]
    fn coincident_and_crowded_markers_are_spread_apart() {
        let points = [(50.0, 50.0), (50.0, 50.0), (52.0, 51.0), (49.0, 55.0), (200.0, 200.0)];
        let offsets = declutter(&points, MIN_GAP);
        assert!(min_distance(&points, &offsets) >= MIN_GAP - 0.5, "{offsets:?}");
        assert_eq!(offsets[4], (0.0, 0.0));
        assert_eq!(offsets, declutter(&points, MIN_GAP), "layout must be deterministic");
    }

    #[test]
    fn labels_are_escaped() {
        assert!(marker_html("A <b> & \"c\"").contains("A &lt;b&gt; &amp; &quot;c&quot;"));
    }
}

//! Where the selected registry's images run, as the page shows it: the coverage of a region
//! (by `Coverage::status`, the one rule the server uses too, applied to the replicas the page
//! has now, so a replica turning Ready serves at once), the header's figure, the card's list
//! of workloads and the table's rows for regions without a replica.
//!
//! Everything here is HTML text or plain words, escaped here, not views: each view costs the
//! WASM more than the text (see `crate::model::audit`), and the WASM budget is tight.

use replimap_types::{Coverage, CoverageFigure, CoverageStatus, RegionName, Replication, Workload};

use super::{Model, RegionView};
use crate::components::region_marker::escape_html as esc;
use crate::location::Query;

/// What filling gaps is, for the refusal ("…: filling gaps needs operator.").
pub const FILLING: &str = "filling gaps";

/// The card lists at most this many workloads of each kind of evidence (a region may run
/// hundreds); the rest are counted.
const CARD_MAX: usize = 8;

impl Model {
    /// The selected registry's coverage, once discovery has read it.
    pub fn coverage(&self) -> Option<&Coverage> {
        self.selected()?.coverage.as_ref()
    }

    /// The figure for the selected registry's replicas as they are now (its gaps are
    /// `regions - served`).
    pub fn figure(&self) -> Option<CoverageFigure> {
        let selected = self.selected()?;
        Some(selected.coverage.as_ref()?.figure(&selected.replications))
    }

    /// Regions without a replica (nor one this tab is creating) where the coverage is a gap
    /// or unattributed: the table's rows besides the replicas, in the map's region order.
    pub fn uncovered(&self, now_ms: i64) -> Vec<RegionView> {
        if self.coverage().is_none() {
            return Vec::new();
        }
        let replicas = self.replicas();
        self.region_views(now_ms)
            .into_iter()
            .filter(|v| {
                matches!(v.coverage, Some(CoverageStatus::Gap | CoverageStatus::Unattributed))
                    && !replicas.iter().any(|r| r.location == v.region.name)
            })
            .collect()
    }
}

/// The coverage of `region` for a registry with `coverage`, given its replica there:
/// the status, how many workloads run there and their count by kind.
pub fn of_region(
    coverage: Option<&Coverage>,
    region: &RegionName,
    replica: Option<&Replication>,
) -> (Option<CoverageStatus>, usize, String) {
    let Some(c) = coverage else { return (None, 0, String::new()) };
    let count = c.in_region(region).count();
    let summary = if count == 0 { String::new() } else { c.summary(region) };
    (c.status(region, replica), count, summary)
}

/// The words after the region's name and state in its accessible name (`None`: nothing to
/// add). A gap's name starts with "Gap:" instead (see `region_view::label`).
pub fn label_tail(status: Option<CoverageStatus>, summary: &str) -> Option<String> {
    Some(match status {
        Some(CoverageStatus::Served) => format!("; served locally: {summary}"),
        Some(CoverageStatus::Idle) => "; idle: nothing pulls here".to_owned(),
        _ if summary.is_empty() => return None,
        // Unattributed, or the home region with only unattributed workloads.
        _ => format!("; {summary}, registry unknown"),
    })
}

/// The table's coverage cell: `served · 2 AKS clusters`, `idle: nothing pulls here`.
pub fn cell_text(status: Option<CoverageStatus>, summary: &str) -> String {
    match status {
        Some(CoverageStatus::Idle) => "idle: nothing pulls here".to_owned(),
        Some(CoverageStatus::Unattributed) => format!("unattributed · {summary}"),
        Some(s) => format!("{} · {summary}", s.as_str()),
        None if summary.is_empty() => "—".to_owned(),
        None => format!("{summary}, registry unknown"),
    }
}

/// What a status means, for the card.
fn meaning(status: CoverageStatus) -> &'static str {
    match status {
        CoverageStatus::Served => "Served: a replica here serves its pulls locally",
        CoverageStatus::Gap => "Gap: images run here, no replica serves them",
        CoverageStatus::Idle => "Idle: nothing pulls here",
        CoverageStatus::Unattributed => "Unattributed: workloads of unknown registry, no replica",
    }
}

fn workload_items(out: &mut String, list: &[&Workload]) {
    out.push_str("<ul>");
    for w in list.iter().take(CARD_MAX) {
        out.push_str(&format!(
            r#"<li data-workload="{name}"><a href="{url}" target="_blank" rel="noopener noreferrer">{name}</a> <span class="workload-kind">{kind}</span>"#,
            name = esc(&w.name),
            url = esc(&w.portal_url()),
            kind = w.kind.label(1),
        ));
        if !w.evidence.is_empty() {
            out.push_str(r#"<ul class="evidence">"#);
            for e in &w.evidence {
                out.push_str(&format!("<li>{}</li>", esc(&e.describe())));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>");
    }
    if list.len() > CARD_MAX {
        out.push_str(&format!(r#"<li class="none">and {} more</li>"#, list.len() - CARD_MAX));
    }
    out.push_str("</ul>");
}

/// The card's "Workloads here": the status in words, then the workloads with their evidence
/// and a link to each in the Azure Portal; the unattributed ones under their own heading.
/// Empty when the region has neither workloads nor a coverage status.
pub fn card_html(coverage: Option<&Coverage>, region: &RegionName, status: Option<CoverageStatus>) -> String {
    let Some(c) = coverage else { return String::new() };
    let (attributed, unknown): (Vec<&Workload>, Vec<&Workload>) = c.in_region(region).partition(|w| w.attributed());
    let mut out = String::new();
    if let Some(s) = status {
        out.push_str(&format!(r#"<p class="card-coverage" data-coverage="{}">{}</p>"#, s.as_str(), meaning(s)));
    }
    if !attributed.is_empty() {
        out.push_str("<h4>Workloads here</h4>");
        workload_items(&mut out, &attributed);
    }
    if !unknown.is_empty() {
        out.push_str(
            "<h4>Unattributed</h4><p class=\"note\">No evidence of which registry it pulls from (image pull \
             secrets are invisible to ARM).</p>",
        );
        workload_items(&mut out, &unknown);
    }
    out
}

/// The header's coverage (`#coverage`): "7 of 9 workload regions served locally" with the
/// percentage for screen readers, "Fill 2 gaps…" (to `/fill`, disabled with `refusal` when the
/// identity may not write), and the fleet. "Workloads not read yet" before discovery.
pub fn header_html(registry: Option<&str>, figure: Option<CoverageFigure>, refusal: Option<&str>) -> String {
    let mut out = if registry.is_some() { figure_html(figure, "p") } else { String::new() };
    if let (Some(f), Some(name)) = (figure, registry) {
        let gaps = f.regions - f.served;
        if gaps > 0 {
            let what = if gaps == 1 { "Fill 1 gap…".to_owned() } else { format!("Fill {gaps} gaps…") };
            out.push_str(&match refusal {
                None => format!(
                    r#"<a id="fill-gaps" href="/fill{}">{what}</a>"#,
                    esc(&Query::default().with("registry", name).to_search())
                ),
                // Reachable by keyboard, so its reason (the title) can be heard.
                Some(why) => format!(
                    r#"<a id="fill-gaps" role="link" aria-disabled="true" tabindex="0" title="{}">{what}</a>"#,
                    esc(&crate::model::access::because(why, FILLING))
                ),
            });
        }
    }
    out.push_str(r#"<a id="fleet-link" href="/fleet">Fleet</a>"#);
    out
}

/// The wall screen's figure: large, and how many gaps there are.
pub fn kiosk_html(figure: Option<CoverageFigure>) -> String {
    let mut out = figure_html(figure, "span");
    if let Some(gaps) = figure.map(|f| f.regions - f.served).filter(|g| *g > 0) {
        out.push_str(&format!(r#"<span class="kiosk-gaps">{gaps} {}</span>"#, if gaps == 1 { "gap" } else { "gaps" }));
    }
    out
}

/// `<{tag} id="coverage-figure" data-served data-regions>` with the figure in words.
pub fn figure_html(figure: Option<CoverageFigure>, tag: &str) -> String {
    let Some(f) = figure else {
        return format!(r#"<{tag} id="coverage-figure" class="quiet">Workloads not read yet</{tag}>"#);
    };
    if f.regions == 0 {
        return format!(
            r#"<{tag} id="coverage-figure" data-served="0" data-regions="0">No workloads found that pull from it</{tag}>"#
        );
    }
    let percent = f.percent();
    format!(
        r#"<{tag} id="coverage-figure" data-served="{s}" data-regions="{r}" data-percent="{percent}" title="{percent}% of workload regions served locally">{s} of {r} workload regions served locally<span class="visually-hidden"> ({percent}%)</span></{tag}>"#,
        s = f.served,
        r = f.regions
    )
}

/// The table's rows for `views` (regions without a replica), filtered like the replica rows:
/// name, location, "No replica", the coverage and, off the wall screen, "Add replica…"
/// (disabled when the identity may not write; the reason is under the table).
pub fn rows_html(views: &[RegionView], filter: &str, actions: bool, read_only: bool) -> String {
    let mut out = String::new();
    for v in views {
        let status = v.coverage.map_or("", CoverageStatus::as_str);
        let cell = cell_text(v.coverage, &v.workloads);
        let (name, display) = (v.region.name.as_str(), esc(&v.region.display_name));
        let hay = super::table::fold(&format!("{name} {display} {cell} no replica"));
        if !filter.split_whitespace().all(|w| hay.contains(&super::table::fold(w))) {
            continue;
        }
        out.push_str(&format!(
            r#"<tr data-region="{name}" data-coverage="{status}"><th scope="row"><button type="button" class="link" data-action="select" data-region="{name}" title="Show on the map">{display}</button></th><td>{name}</td><td colspan="5">No replica</td><td class="coverage" data-coverage="{status}">{cell}</td>"#,
            cell = esc(&cell)
        ));
        if actions {
            out.push_str(&format!(
                r#"<td class="actions"><button type="button" data-action="add" data-region="{name}" aria-label="Add a replica in {display}"{}>Add replica…</button></td>"#,
                if read_only { " disabled" } else { "" }
            ));
        }
        out.push_str("</tr>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{coverage, je, key, model, replica, state_of, upsert, workload, NOW};
    use crate::model::RegionState;
    use replimap_types::StatusEvent;

    fn we() -> RegionName {
        "westeurope".parse().unwrap()
    }

    #[test]
    fn a_gap_is_named_as_such_and_served_once_its_replica_is_ready() {
        let mut m = model();
        assert_eq!(m.figure(), None, "before discovery");
        m.apply(
            StatusEvent::CoverageChanged {
                registry: key("myregistry"),
                coverage: coverage(vec![
                    workload("web", "westeurope", true),
                    workload("api", "westeurope", true),
                    workload("east", "eastus", true),
                    workload("mystery", "japaneast", false),
                ]),
            },
            NOW,
        );
        let v = m.region_view(&we(), NOW).unwrap();
        assert_eq!(v.coverage, Some(CoverageStatus::Gap));
        assert_eq!(v.label, "Gap: West Europe, 2 container apps, no replica");
        assert_eq!((v.state, v.workload_count), (RegionState::Available, 2), "a gap opens the create dialog");
        assert_eq!(m.figure(), Some(CoverageFigure { served: 1, regions: 2 }));
        let home = m.region_view(&"eastus".parse().unwrap(), NOW).unwrap();
        assert_eq!(home.label, "East US — home replica, ready; served locally: 1 container app");
        let unknown = m.region_view(&je(), NOW).unwrap();
        assert_eq!(unknown.coverage, Some(CoverageStatus::Unattributed));
        assert_eq!(unknown.label, "Japan East — available; 1 container app, registry unknown");
        let rows: Vec<String> = m.uncovered(NOW).into_iter().map(|v| v.region.name.to_string()).collect();
        assert_eq!(rows, ["japaneast", "westeurope"], "map order: display name");

        // Creating is still a gap; Syncing serves.
        upsert(&mut m, replica("westeurope", "Creating", None));
        let v = m.region_view(&we(), NOW).unwrap();
        assert_eq!(v.label, "Gap: West Europe, 2 container apps, replica creating");
        assert_eq!(m.uncovered(NOW).len(), 1, "a replica row now, not a gap row");
        upsert(&mut m, replica("westeurope", "Succeeded", Some("Syncing")));
        assert_eq!(m.region_view(&we(), NOW).unwrap().coverage, Some(CoverageStatus::Served));
        assert_eq!(m.figure().unwrap().percent(), 100);

        // Nothing pulls from a replica any more: idle.
        m.apply(StatusEvent::CoverageChanged { registry: key("myregistry"), coverage: coverage(vec![]) }, NOW);
        assert_eq!(
            state_of(&m, "westeurope").1,
            "West Europe — replica syncing, possibly stuck; idle: nothing pulls here"
        );
        assert_eq!(m.figure(), Some(CoverageFigure { served: 0, regions: 0 }));
    }

    #[test]
    fn the_card_lists_workloads_with_evidence_and_portal_links() {
        let c = coverage(vec![workload("web<1>", "westeurope", true), workload("aks", "westeurope", false)]);
        let html = card_html(Some(&c), &we(), Some(CoverageStatus::Gap));
        assert!(html.starts_with(r#"<p class="card-coverage" data-coverage="gap">Gap: images run here"#), "{html}");
        assert!(html.contains(r#"data-workload="web&lt;1&gt;""#), "escaped: {html}");
        assert!(html.contains(r#"href="https://portal.azure.com/#@/resource/subscriptions/s/"#), "{html}");
        assert!(html.contains(r#"target="_blank" rel="noopener noreferrer""#));
        assert!(html.contains("<li>image r.azurecr.io/web:1</li>"), "{html}");
        let unknown = html.find("<h4>Unattributed</h4>").unwrap();
        assert!(html[unknown..].contains("image pull secrets are invisible to ARM"));
        assert!(html[unknown..].contains(r#"data-workload="aks""#), "the unattributed one under its heading");
        assert_eq!(card_html(Some(&c), &je(), None), "", "nothing in a region without workloads");
        assert_eq!(card_html(None, &we(), None), "");
        let many = coverage((0..10).map(|i| workload(&format!("w{i}"), "westeurope", true)).collect());
        assert!(card_html(Some(&many), &we(), None).contains("and 2 more"));
    }

    #[test]
    fn the_header_figure_links_to_fill_unless_refused() {
        let f = Some(CoverageFigure { served: 7, regions: 9 });
        let html = header_html(Some("myACR0007"), f, None);
        assert!(html.contains(">7 of 9 workload regions served locally<"), "{html}");
        assert!(html.contains(r#"title="77% of workload regions served locally""#), "{html}");
        assert!(html.contains(r#"<a id="fill-gaps" href="/fill?registry=myACR0007">Fill 2 gaps…</a>"#), "{html}");
        assert!(html.ends_with(r#"<a id="fleet-link" href="/fleet">Fleet</a>"#));
        let denied = header_html(Some("myACR0007"), f, Some("Your role on myACR0007 is viewer"));
        assert!(denied.contains(r#"aria-disabled="true""#) && !denied.contains("href=\"/fill"), "{denied}");
        assert!(denied.contains("viewer: filling gaps needs operator."), "{denied}");
        let full = header_html(Some("a"), Some(CoverageFigure { served: 2, regions: 2 }), None);
        assert!(!full.contains("fill-gaps"), "no gaps, nothing to fill");
        assert!(header_html(Some("a"), None, None).contains("Workloads not read yet"));
        assert_eq!(header_html(None, None, None), r#"<a id="fleet-link" href="/fleet">Fleet</a>"#, "no registry");
        assert!(kiosk_html(f).ends_with(r#"<span class="kiosk-gaps">2 gaps</span>"#));
        assert!(header_html(Some("a"), Some(CoverageFigure { served: 0, regions: 1 }), None).contains("Fill 1 gap…"));
    }

    #[test]
    fn rows_without_a_replica_are_filtered_and_offer_a_create() {
        let mut m = model();
        m.apply(
            StatusEvent::CoverageChanged {
                registry: key("myregistry"),
                coverage: coverage(vec![workload("web", "westeurope", true), workload("x", "japaneast", false)]),
            },
            NOW,
        );
        let views = m.uncovered(NOW);
        let html = rows_html(&views, "", true, false);
        assert!(html.contains(r#"<tr data-region="westeurope" data-coverage="gap">"#), "{html}");
        assert!(
            html.contains(r#"data-action="add" data-region="westeurope" aria-label="Add a replica in West Europe">"#)
        );
        assert!(html.contains(">gap · 1 container app<"), "{html}");
        assert!(html.contains(r#"data-coverage="unattributed""#));
        let gaps_only = rows_html(&views, "GAP", true, true);
        assert!(!gaps_only.contains("japaneast") && gaps_only.contains(" disabled>"), "{gaps_only}");
        assert!(!rows_html(&views, "", false, false).contains("data-action=\"add\""), "the wall screen has no actions");
    }
}

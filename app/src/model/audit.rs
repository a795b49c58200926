//! The audit trail as the page shows it: which records a filter selects, the list kept newest
//! first as records arrive live (the same `id` again replaces the entry in place), the words
//! for actions, outcomes and durations, and the markup of a log row and of the region card's
//! "Recent actions here". Plain data, unit-tested on the host.
//!
//! Rows are HTML text, escaped here, not views: the browser inserts and replaces them one at a
//! time, and the views of a table row cost more WASM than the whole feature may (see
//! `crate::pages::activity`).

use replimap_types::{rfc3339_ms, AuditAction, AuditOutcome, AuditRecord, RegistryKey};

use super::duration;
use crate::components::region_marker::escape_html as esc;
use crate::location::Query;

/// The query parameters that filter records, as the page's URL and `GET /api/v1/audit` name them.
pub const FILTERS: [&str; 7] = ["registry", "region", "actor", "action", "outcome", "since", "until"];

/// "Recent actions here": a spot and its last records, newest first (`None` while they load,
/// `Err` when they could not be loaded).
pub type Recent = (super::Spot, Option<Result<Vec<AuditRecord>, ()>>);

/// The filters of `query` for the API: only [`FILTERS`], none empty, and the registry's name
/// (as the page's links carry it, `registry=myACR0007`) as the key the API wants
/// (`sub/rg/name`) when `registries` knows it.
pub fn api_query(query: &Query, registries: &[RegistryKey]) -> Query {
    let mut out = Query::default();
    for key in FILTERS {
        let Some(mut value) = query.get(key).filter(|v| !v.is_empty()) else { continue };
        if key == "registry" {
            if let Some(k) = registries.iter().find(|k| k.name.as_str().eq_ignore_ascii_case(&value)) {
                value = k.to_string();
            }
        }
        out = out.with(key, &value);
    }
    out
}

/// Whether `record` passes the filters of `query` (for records that arrive live; the server
/// filters the pages it sends).
pub fn matches(query: &Query, record: &AuditRecord) -> bool {
    let is = |key: &str, have: Option<&str>| {
        query.get(key).filter(|w| !w.is_empty()).is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(&w)))
    };
    let registry = record.registry.as_ref();
    let key = registry.map(RegistryKey::to_string);
    let by_registry = match query.get("registry") {
        Some(w) if w.contains('/') => is("registry", key.as_deref()),
        _ => is("registry", registry.map(|k| k.name.as_str())),
    };
    let at = rfc3339_ms(&record.at);
    let within = |key: &str, ok: fn(i64, i64) -> bool| {
        query.get(key).and_then(|t| rfc3339_ms(&t)).is_none_or(|t| at.is_some_and(|a| ok(a, t)))
    };
    by_registry
        && is("region", record.region.as_deref())
        && is("actor", Some(&record.actor))
        && is("action", Some(record.action.as_str()))
        && is("outcome", Some(record.outcome.as_str()))
        && within("since", |a, t| a >= t)
        && within("until", |a, t| a <= t)
}

/// Puts `record` into `list` (newest first, by id): in place of the entry with its id, or
/// where its id belongs; at most `cap` entries are kept. Returns where it went and whether it
/// is new there, or `None` when it is older than the `cap` kept.
pub fn upsert(list: &mut Vec<AuditRecord>, record: AuditRecord, cap: usize) -> Option<(usize, bool)> {
    if let Some(i) = list.iter().position(|r| r.id == record.id) {
        // The stream sends a record again only when it moved on.
        list[i] = record;
        return Some((i, false));
    }
    let at = list.iter().position(|r| r.id < record.id).unwrap_or(list.len());
    list.insert(at, record);
    list.truncate(cap);
    (at < cap).then_some((at, true))
}

/// "Create replica", for lists.
pub fn action_text(action: AuditAction) -> &'static str {
    match action {
        AuditAction::CreateReplication => "Create replica",
        AuditAction::UpdateReplication => "Update replica",
        AuditAction::DeleteReplication => "Delete replica",
        AuditAction::CreateToken => "Create API token",
        AuditAction::RevokeToken => "Revoke API token",
        AuditAction::SignIn => "Sign in",
        AuditAction::SignOut => "Sign out",
        AuditAction::EnrollDevice => "Enroll wall screen",
    }
}

/// "Succeeded", for lists.
pub fn outcome_text(outcome: AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Pending => "Pending",
        AuditOutcome::Refused => "Refused",
        AuditOutcome::Accepted => "Accepted",
        AuditOutcome::Succeeded => "Succeeded",
        AuditOutcome::Failed => "Failed",
        AuditOutcome::Unknown => "Unknown",
    }
}

/// How long the write took from arrival to its final outcome (`120 ms`, `14 s`); `None` while
/// it is still going on.
pub fn took(record: &AuditRecord) -> Option<String> {
    let ms = rfc3339_ms(record.ended_at.as_deref()?)? - rfc3339_ms(&record.at)?;
    Some(if ms < 1_000 { format!("{} ms", ms.max(0)) } else { duration::short(ms) })
}

/// `3 min ago`.
pub fn ago(now_ms: i64, at_ms: i64) -> String {
    format!("{} ago", duration::short(now_ms - at_ms))
}

/// `/?registry=…&region=…`: the map of the record's registry with its region's card open.
pub fn map_href(registry: &str, region: Option<&str>) -> String {
    let q = Query::default().with("registry", registry);
    format!("/{}", region.map_or(q.clone(), |r| q.with("region", r)).to_search())
}

/// `/activity?registry=…&region=…`: every action of a registry in a region.
pub fn activity_href(registry: &str, region: &str) -> String {
    format!("/activity{}", Query::default().with("registry", registry).with("region", region).to_search())
}

/// `<span class="outcome" data-outcome="failed">Failed</span>`.
fn outcome_badge(o: AuditOutcome) -> String {
    format!(r#"<span class="outcome" data-outcome="{}">{}</span>"#, o.as_str(), outcome_text(o))
}

/// One `<tr id="audit-{id}" data-audit-id data-outcome>` of the log: when (`local`, the time as
/// the browser shows it, and how long ago), who (with the role they held, `.role[data-role]`),
/// from where, what, where (links to the map),
/// the outcome with ARM's code and message and the ids in a disclosure, and how long it took.
/// `flash`: it arrived or changed live (`data-flash="true"`, as the map's changes).
pub fn row_html(r: &AuditRecord, local: &str, now_ms: i64, flash: bool, region_name: &str) -> String {
    let registry = r.registry.as_ref().map(|k| k.name.to_string()).unwrap_or_default();
    let at = rfc3339_ms(&r.at).unwrap_or(now_ms);
    let region = r.region.as_deref().map_or_else(String::new, |region| {
        format!(r#"<a class="region-link" href="{}">{}</a>"#, esc(&map_href(&registry, Some(region))), esc(region_name))
    });
    let problem = match (&r.code, &r.message) {
        (None, None) => String::new(),
        (code, message) => format!(
            r#" <span class="outcome-detail"><code>{}</code> {}</span>"#,
            esc(code.as_deref().unwrap_or_default()),
            esc(message.as_deref().unwrap_or_default())
        ),
    };
    let ids: String = [
        ("Request", Some(&r.request_id)),
        ("Correlation", Some(&r.correlation_id)),
        ("ARM request", r.arm_request_id.as_ref()),
        ("Operation", r.operation_id.as_ref()),
    ]
    .into_iter()
    .filter_map(|(term, v)| Some(format!("<div><dt>{term}</dt><dd>{}</dd></div>", esc(v?))))
    .collect();
    format!(
        concat!(
            r#"<tr id="audit-{id}" data-audit-id="{id}" data-outcome="{o}"{flash}>"#,
            r#"<td><time datetime="{at}">{local}</time> <span class="ago" data-at="{at_ms}">{ago}</span></td>"#,
            r#"<td>{actor}{role} <span class="ago">{source}</span></td><td>{ip}</td><td>{action}</td>"#,
            r#"<td><a href="{reg_href}">{reg}</a></td><td>{region}</td>"#,
            r#"<td>{badge}{problem}<details><summary>IDs</summary><dl>{ids}</dl></details></td><td>{took}</td></tr>"#
        ),
        id = r.id,
        o = r.outcome.as_str(),
        flash = if flash { r#" data-flash="true""# } else { "" },
        at = esc(&r.at),
        local = esc(local),
        at_ms = at,
        ago = ago(now_ms, at),
        actor = esc(&r.actor),
        role = r.actor_role.as_deref().map_or_else(String::new, |role| {
            let role = esc(role);
            format!(r#" <span class="role" data-role="{role}">{role}</span>"#)
        }),
        source = esc(&r.actor_source),
        ip = esc(&r.client_ip),
        action = action_text(r.action),
        reg_href = esc(&map_href(&registry, None)),
        reg = esc(&registry),
        badge = outcome_badge(r.outcome),
        took = took(r).unwrap_or_else(|| "—".to_owned()),
        region = region,
        problem = problem,
        ids = ids,
    )
}

/// The inside of the card's "Recent actions here": the spot's last records (`li[data-outcome]`:
/// outcome, action, who, when), or why there are none, and `a.all-activity` to the activity
/// page filtered to the spot, whose region is called `display`.
pub fn recent_html(recent: &Recent, now_ms: i64, display: &str) -> String {
    let ((registry, region), list) = recent;
    let items = match list {
        None => "<li class=\"none\">Loading…</li>".to_owned(),
        Some(Err(())) => "<li class=\"none\">Could not be loaded.</li>".to_owned(),
        Some(Ok(list)) if list.is_empty() => "<li class=\"none\">None recorded.</li>".to_owned(),
        Some(Ok(list)) => list
            .iter()
            .map(|r| {
                let when = rfc3339_ms(&r.at).map(|at| format!(" · {}", ago(now_ms, at))).unwrap_or_default();
                format!(
                    r#"<li data-outcome="{}">{} {} · {}{when}</li>"#,
                    r.outcome.as_str(),
                    outcome_badge(r.outcome),
                    action_text(r.action),
                    esc(&r.actor)
                )
            })
            .collect::<String>(),
    };
    format!(
        r#"<h4>Recent actions here</h4><ul>{items}</ul><a class="all-activity" href="{}">All activity in {}</a>"#,
        esc(&activity_href(registry.as_str(), region.as_str())),
        esc(display)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn record(id: i64, outcome: &str) -> AuditRecord {
        serde_json::from_value(json!({
            "id": id, "at": "2026-11-30T12:00:00.000Z", "actor": "local", "actorSource": "local",
            "clientIp": "127.0.0.1", "requestId": "r1", "correlationId": "c1",
            "registry": {"subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "rg", "name": "myACR0007"},
            "region": "japaneast", "replication": "japaneast", "action": "create_replication",
            "request": {"location": "japaneast"}, "outcome": outcome,
        }))
        .unwrap()
    }

    fn key() -> RegistryKey {
        record(1, "pending").registry.unwrap()
    }

    #[test]
    fn the_api_gets_the_filters_only_with_the_registry_key() {
        let q = Query::parse("?registry=myacr0007&region=japaneast&outcome=&cursor=x&kiosk");
        assert_eq!(
            api_query(&q, &[key()]).to_search(),
            "?registry=00000000-0000-0000-0000-000000000000%2Frg%2FmyACR0007&region=japaneast"
        );
        assert_eq!(api_query(&q, &[]).to_search(), "?registry=myacr0007&region=japaneast", "unknown: as written");
    }

    #[test]
    fn live_records_are_matched_against_the_filters() {
        let r = record(1, "failed");
        for yes in [
            "",
            "?registry=MYACR0007",
            "?registry=00000000-0000-0000-0000-000000000000/rg/myACR0007",
            "?region=japaneast&action=create_replication&outcome=failed&actor=LOCAL",
            "?since=2026-11-30T11:59:59Z&until=2026-11-30T12:00:00Z",
        ] {
            assert!(matches(&Query::parse(yes), &r), "{yes}");
        }
        for no in ["?registry=other", "?region=westeurope", "?outcome=succeeded", "?since=2026-11-30T12:00:01Z"] {
            assert!(!matches(&Query::parse(no), &r), "{no}");
        }
    }

    #[test]
    fn the_list_stays_newest_first_and_updates_in_place() {
        let mut list = Vec::new();
        assert_eq!(upsert(&mut list, record(2, "accepted"), 5), Some((0, true)));
        assert_eq!(upsert(&mut list, record(1, "succeeded"), 5), Some((1, true)));
        assert_eq!(upsert(&mut list, record(3, "pending"), 5), Some((0, true)));
        let ids: Vec<i64> = list.iter().map(|r| r.id).collect();
        assert_eq!(ids, [3, 2, 1]);
        assert_eq!(upsert(&mut list, record(2, "succeeded"), 5), Some((1, false)), "the same id again: in place");
        assert_eq!(list[1].outcome, AuditOutcome::Succeeded);
        assert_eq!(upsert(&mut list, record(4, "pending"), 2), Some((0, true)));
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [4, 3]);
        assert_eq!(upsert(&mut list, record(1, "pending"), 2), None, "older than the ones kept");
    }

    #[test]
    fn a_row_says_everything_and_escapes_it() {
        let mut r = record(7, "failed");
        r.code = Some("QuotaExceeded".into());
        r.message = Some("<b>no</b> & \"more\"".into());
        r.arm_request_id = Some("arm-1".into());
        r.ended_at = Some("2026-11-30T12:00:02Z".into());
        r.actor_role = Some("operator".into());
        let html = row_html(&r, "30/11/2026, 13:00:00", 1_796_040_060_000, true, "Japan East");
        for part in [
            r#"<tr id="audit-7" data-audit-id="7" data-outcome="failed" data-flash="true">"#,
            r#"<time datetime="2026-11-30T12:00:00.000Z">30/11/2026, 13:00:00</time>"#,
            r#"<span class="ago" data-at="1796040000000">1 min ago</span>"#,
            r#"<td>local <span class="role" data-role="operator">operator</span> <span class="ago">local</span></td>"#,
            "<td>127.0.0.1</td><td>Create replica</td>",
            r#"<a href="/?registry=myACR0007">myACR0007</a>"#,
            r#"<a class="region-link" href="/?registry=myACR0007&amp;region=japaneast">Japan East</a>"#,
            r#"<span class="outcome" data-outcome="failed">Failed</span>"#,
            "<code>QuotaExceeded</code> &lt;b&gt;no&lt;/b&gt; &amp; &quot;more&quot;",
            "<dt>Request</dt><dd>r1</dd></div><div><dt>Correlation</dt><dd>c1</dd></div><div><dt>ARM request</dt><dd>arm-1</dd>",
            "<td>2 s</td></tr>",
        ] {
            assert!(html.contains(part), "{part}\n in {html}");
        }
        assert!(!html.contains("Operation"), "no operation id, no line");
        let plain = row_html(&record(8, "pending"), "", 0, false, "");
        assert!(!plain.contains("data-flash"));
        assert!(plain.contains(r#"<td>local <span class="ago">local</span></td>"#), "no role, no badge: {plain}");
    }

    #[test]
    fn the_card_lists_recent_actions_with_a_link_to_all() {
        let spot = || ("myACR0007".parse().unwrap(), "japaneast".parse().unwrap());
        let list = Some(Ok(vec![record(2, "accepted"), record(1, "succeeded")]));
        let html = recent_html(&(spot(), list), 1_796_040_005_000, "Japan East");
        assert_eq!(html.matches("<li data-outcome=").count(), 2);
        assert!(html.starts_with(r#"<h4>Recent actions here</h4><ul><li data-outcome="accepted"><span class="outcome" data-outcome="accepted">"#), "{html}");
        assert!(html.contains("Succeeded</span> Create replica · local · 5 s ago</li>"), "{html}");
        assert!(html.ends_with(r#"</ul><a class="all-activity" href="/activity?registry=myACR0007&amp;region=japaneast">All activity in Japan East</a>"#), "{html}");
        assert!(recent_html(&(spot(), None), 0, "").contains(r#"<ul><li class="none">Loading…</li></ul>"#));
        assert!(recent_html(&(spot(), Some(Ok(vec![]))), 0, "")
            .contains(r#"<ul><li class="none">None recorded.</li></ul>"#));
    }

    #[test]
    fn words_durations_and_links() {
        let mut r = record(1, "succeeded");
        assert_eq!(took(&r), None);
        r.ended_at = Some("2026-11-30T12:00:00.120Z".into());
        assert_eq!(took(&r).as_deref(), Some("120 ms"));
        r.ended_at = Some("2026-11-30T12:00:14.5Z".into());
        assert_eq!(took(&r).as_deref(), Some("14 s"));
        assert_eq!((action_text(r.action), outcome_text(r.outcome)), ("Create replica", "Succeeded"));
        assert_eq!(map_href("myACR0007", Some("japaneast")), "/?registry=myACR0007&region=japaneast");
        assert_eq!(map_href("myACR0007", None), "/?registry=myACR0007");
        assert_eq!(activity_href("myACR0007", "japaneast"), "/activity?registry=myACR0007&region=japaneast");
    }
}

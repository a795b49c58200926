//! `/activity`: the audit trail, newest first, filtered by the query string
//! (`/activity?registry=myACR0007&region=japaneast&outcome=failed`), kept live from the status
//! stream's `activity` events.
//!
//! The page is server HTML plus a little browser code, not hydrated views: its skeleton
//! (header, filter form, export links, the table's head) is rendered on the server only, as
//! the `inner_html` of one element, which hydration leaves as it is; the browser loads the
//! records and inserts, replaces and appends rows as escaped HTML text
//! (`crate::model::audit::row_html`). Written as views, the page cost 17 KB of the first
//! load's WASM, which the map page pays for too (one module serves both); this way it costs a
//! fraction. Filters apply by loading the page with the new query (the form's submit), so the
//! server renders the controls as they are set, and Back and Forward need nothing.
//!
//! DOM contract: `form#activity-filters` (`select[name=registry|region|action|outcome]`,
//! `input[name=actor|since|until]`, submit "Apply filters"), `#activity-status[role=status]`
//! ("N new entries"), `a#export-csv`, `a#export-jsonl`, `table#activity-log` with
//! `tbody#activity-rows` holding one `tr#audit-{id}[data-audit-id][data-outcome]` per record
//! (`data-flash="true"` for a while when it arrived or changed live; its region cell links to
//! the map with that region's card), `#activity-empty` (loading, nothing found, errors),
//! `button#load-older`, `a#map-link`, `#stream-status[data-state]`.

#[cfg(not(feature = "hydrate"))]
use leptos::prelude::*;

/// The server's part: everything but the records.
#[cfg(not(feature = "hydrate"))]
pub(super) fn skeleton() -> String {
    use replimap_types::{AuditAction, AuditOutcome};

    use crate::model::audit;

    let query = crate::location::use_location().query().get_untracked();
    let (data, grants) = super::map::page_data();
    let keys: Vec<_> = data.registries.iter().map(|s| s.registry.key.clone()).collect();
    let filters = audit::api_query(&query, &keys);
    let get = |key: &str| query.get(key).unwrap_or_default();
    let export = |format: &str| format!("/api/v1/audit/export{}", filters.with_first("format", format).to_search());
    let mut regions: Vec<(String, String)> =
        data.regions.iter().map(|r| (r.name.to_string(), r.display_name.clone())).collect();
    regions.sort_by(|a, b| a.1.cmp(&b.1));
    let names = keys.iter().map(|k| (k.name.to_string(), k.name.to_string())).collect();
    let actions = AuditAction::ALL.iter().map(|a| (a.as_str().to_owned(), audit::action_text(*a).to_owned()));
    let outcomes = AuditOutcome::ALL.iter().map(|o| (o.as_str().to_owned(), audit::outcome_text(*o).to_owned()));
    let heads = ["When", "Who", "From", "Action", "Registry", "Region", "Outcome", "Duration"];
    view! {
        <header id="top">
            <div class="brand">
                <h1>"replimap"<span class="subtitle">" · Activity"</span></h1>
                {crate::components::identity::identity(grants, || None)}
            </div>
            <nav class="registry-box" aria-label="Pages">
                <a id="map-link" href=audit::map_href(&get("registry"), None)>"← Back to the map"</a>
            </nav>
            <p id="stream-status" data-state="connecting" role="status">
                <span class="stream-dot" aria-hidden="true"></span>
                <span class="stream-text">"Connecting…"</span>
            </p>
        </header>
        <main id="activity-page">
            <h2 id="activity-title">"Activity: every write made through this portal"</h2>
            <form id="activity-filters" role="search" aria-label="Filter the activity" method="get" action="/activity">
                <label>"Registry"<select name="registry">{options("All registries", names, &get("registry"))}</select></label>
                <label>"Region"<select name="region">{options("All regions", regions, &get("region"))}</select></label>
                <label>"Actor"<input type="search" name="actor" value=get("actor")/></label>
                <label>"Action"<select name="action">{options("All actions", actions.collect(), &get("action"))}</select></label>
                <label>"Outcome"<select name="outcome">{options("All outcomes", outcomes.collect(), &get("outcome"))}</select></label>
                <label>"From"<input type="datetime-local" name="since"/></label>
                <label>"To"<input type="datetime-local" name="until"/></label>
                <button type="submit" class="primary">"Apply filters"</button>
                <a href="/activity">"Clear filters"</a>
            </form>
            <div class="table-tools">
                <p id="activity-status" role="status"></p>
                <p class="table-count">
                    "Export: "<a id="export-csv" href=export("csv") download="">"CSV"</a>" · "
                    <a id="export-jsonl" href=export("jsonl") download="">"JSON Lines"</a>
                </p>
            </div>
            <div class="table-scroll">
                // The filters as the API takes them (the registry's full key), for the browser.
                <table id="activity-log" aria-labelledby="activity-title" data-filters=filters.to_search()>
                    <thead>
                        <tr>{heads.map(|h| view! { <th scope="col">{h}</th> }).to_vec()}</tr>
                    </thead>
                    <tbody id="activity-rows"></tbody>
                </table>
            </div>
            <p id="activity-empty">"Loading…"</p>
            <button type="button" id="load-older" hidden="">"Load older"</button>
        </main>
    }
    .to_html()
}

/// "All …" and `items` (value, text) as `<option>`s, `current` selected (kept when unknown).
#[cfg(not(feature = "hydrate"))]
fn options(all: &'static str, mut items: Vec<(String, String)>, current: &str) -> impl IntoView {
    if !current.is_empty() && !items.iter().any(|(v, _)| v.eq_ignore_ascii_case(current)) {
        items.push((current.to_owned(), current.to_owned()));
    }
    let first = current.is_empty();
    let items: Vec<_> = items
        .into_iter()
        .map(|(value, text)| {
            let picked = value.eq_ignore_ascii_case(current);
            view! { <option value=value selected=picked>{text}</option> }
        })
        .collect();
    view! { <option value="" selected=first>{all}</option>{items} }
}

#[cfg(feature = "hydrate")]
pub(super) mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Date, Reflect};
    use leptos::prelude::GetUntracked;
    use replimap_types::{AuditRecord, StatusEvent};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use crate::api::{EventStream, Interval, StreamMessage};
    use crate::dom::{by_id, listen, set_text};
    use crate::location::Query;
    use crate::model::audit::{self, matches, upsert, FILTERS};
    use crate::model::{StreamStatus, FLASH_MS};

    /// Records per page of `GET /api/v1/audit`.
    const PAGE: &str = "50";

    struct Log {
        /// The page's query (live records are matched against it).
        query: Query,
        /// Its filters as the API takes them.
        filters: Query,
        /// The records shown, newest first, as the rows of `#activity-rows`.
        records: Vec<AuditRecord>,
        /// The cursor of the next older page, if there is one.
        cursor: Option<String>,
        /// Records that arrived live.
        fresh: usize,
        /// Whether the stream opened before (a reopening loads the first page again).
        opened: bool,
    }

    type Shared = Rc<RefCell<Log>>;

    fn date(s: &str) -> Option<Date> {
        let d = Date::new(&JsValue::from_str(s));
        (!d.get_time().is_nan()).then_some(d)
    }

    /// A row of `r`: its time as the browser shows local times, its region named as the region
    /// filter lists it.
    fn row(r: &AuditRecord, flash: bool) -> String {
        let local = date(&r.at)
            .map_or_else(|| r.at.clone(), |d| String::from(d.to_locale_string("default", &JsValue::UNDEFINED)));
        let region = r.region.as_deref().unwrap_or_default();
        let option = by_id("activity-filters")
            .and_then(|f| f.query_selector(&format!("select[name=region] option[value=\"{region}\"]")).ok().flatten());
        let name = option.and_then(|o| o.text_content()).unwrap_or_else(|| region.to_owned());
        audit::row_html(r, &local, Date::now() as i64, flash, &name)
    }

    /// Subscribes to the stream (new and changed records), loads the first page, wires the
    /// form and "Load older" and starts the clock of the "… ago" texts.
    pub fn start() -> (EventStream, Option<Interval>) {
        let query = crate::location::use_location().query().get_untracked();
        let filters = by_id("activity-log").and_then(|t| t.get_attribute("data-filters")).unwrap_or_default();
        let log = Rc::new(RefCell::new(Log {
            filters: Query::parse(&filters),
            query,
            records: Vec::new(),
            cursor: None,
            fresh: 0,
            opened: false,
        }));
        wire_form(&log.borrow().query);
        let older = log.clone();
        listen("load-older", "click", move |_| load(&older, true));
        load(&log, false);
        let on_message = log.clone();
        let stream = EventStream::subscribe(move |message| {
            let state = match message {
                StreamMessage::Open => {
                    // Whatever happened while the stream was down is in the first page.
                    if std::mem::replace(&mut on_message.borrow_mut().opened, true) {
                        load(&on_message, false);
                    }
                    StreamStatus::Live
                }
                StreamMessage::Heartbeat => StreamStatus::Live,
                StreamMessage::Lost => StreamStatus::Reconnecting,
                StreamMessage::Event(event) => {
                    if let StatusEvent::Activity { record } = *event {
                        live(&on_message, record);
                    }
                    StreamStatus::Live
                }
                StreamMessage::Malformed(message) => {
                    leptos::logging::warn!("{message}");
                    return;
                }
            };
            if let Some(el) = by_id("stream-status") {
                let _ = el.set_attribute("data-state", state.as_str());
                if let Ok(Some(text)) = el.query_selector(".stream-text") {
                    text.set_text_content(Some(state.text()));
                }
            }
        });
        let clock = Interval::every(1_000, || {
            let now = Date::now() as i64;
            let Some(Ok(list)) = by_id("activity-rows").map(|t| t.query_selector_all("[data-at]")) else { return };
            for i in 0..list.length() {
                let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
                if let Some(at) = el.get_attribute("data-at").and_then(|a| a.parse().ok()) {
                    el.set_text_content(Some(&audit::ago(now, at)));
                }
            }
        });
        (stream, clock)
    }

    /// The form shows the page's times in local time and, submitted, loads the page with the
    /// filters it holds (empty ones left out, times as RFC 3339).
    fn wire_form(query: &Query) {
        let Some(form) = by_id("activity-filters") else { return };
        // By selector, not as the form's properties: `form.action` is the form's own.
        let field = |form: &Element, key: &str| form.query_selector(&format!("[name={key}]")).ok().flatten();
        for key in ["since", "until"] {
            let local = query.get(key).as_deref().and_then(date).map(|d| {
                let shifted = Date::new(&JsValue::from_f64(d.get_time() - d.get_timezone_offset() * 60_000.0));
                String::from(shifted.to_iso_string()).get(..16).unwrap_or_default().to_owned()
            });
            if let (Some(input), Some(local)) = (field(&form, key), local) {
                let _ = Reflect::set(&input, &JsValue::from_str("value"), &JsValue::from_str(&local));
            }
        }
        listen("activity-filters", "submit", move |ev| {
            ev.prevent_default();
            let mut q = Query::default();
            for key in FILTERS {
                let value = crate::dom::field(&form, key);
                let value = match key {
                    "since" | "until" => date(&value).map(|d| String::from(d.to_iso_string())).unwrap_or_default(),
                    _ => value,
                };
                q = q.with(key, value.trim());
            }
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href(&format!("/activity{}", q.to_search()));
            }
        });
    }

    /// Loads the first page for the filters (`older`: the next older page).
    fn load(log: &Shared, older: bool) {
        let search = {
            let log = log.borrow();
            let q = log.filters.with("limit", PAGE);
            match (older, &log.cursor) {
                (false, _) => q,
                (true, Some(cursor)) => q.with("cursor", cursor),
                (true, None) => return,
            }
            .to_search()
        };
        set_text("activity-empty", "Loading…");
        let log = log.clone();
        leptos::task::spawn_local(async move {
            let (records, cursor) = match crate::api::audit(&search).await {
                Ok(page) => page,
                Err(e) => return set_text("activity-empty", &format!("The activity could not be loaded: {e}")),
            };
            let mut log = log.borrow_mut();
            if !older {
                log.records.clear();
            }
            let mut html = String::new();
            for record in records {
                let row = row(&record, false);
                if let Some((_, true)) = upsert(&mut log.records, record, usize::MAX) {
                    html.push_str(&row);
                }
            }
            if let Some(rows) = by_id("activity-rows") {
                if older {
                    let _ = rows.insert_adjacent_html("beforeend", &html);
                } else {
                    rows.set_inner_html(&html);
                }
            }
            log.cursor = cursor;
            if let Some(button) = by_id("load-older") {
                let _ = button.toggle_attribute_with_force("hidden", log.cursor.is_none());
            }
            let empty = if log.records.is_empty() { "No recorded action matches these filters." } else { "" };
            set_text("activity-empty", empty);
        });
    }

    /// A record from the stream: listed first (or where its id belongs), or in place of its
    /// earlier version, highlighted; unless the filters exclude it or it is older than the
    /// pages shown.
    fn live(log: &Shared, record: AuditRecord) {
        let mut log = log.borrow_mut();
        let older_than_shown = log.cursor.is_some() && log.records.last().is_some_and(|r| r.id > record.id);
        if older_than_shown || !matches(&log.query, &record) {
            return;
        }
        let (id, html) = (record.id, row(&record, true));
        let Some((at, new)) = upsert(&mut log.records, record, usize::MAX) else { return };
        let before = at.checked_sub(1).and_then(|i| log.records.get(i)).map(|r| format!("audit-{}", r.id));
        let placed = match (new, before) {
            (false, _) => by_id(&format!("audit-{id}")).map(|el| el.set_outer_html(&html)),
            (true, None) => by_id("activity-rows").and_then(|t| t.insert_adjacent_html("afterbegin", &html).ok()),
            (true, Some(prev)) => by_id(&prev).and_then(|el| el.insert_adjacent_html("afterend", &html).ok()),
        };
        if placed.is_none() {
            leptos::logging::warn!("audit record {id}: no place for its row");
        }
        if new {
            log.fresh += 1;
            let text = match log.fresh {
                1 => "1 new entry".to_owned(),
                n => format!("{n} new entries"),
            };
            set_text("activity-status", &text);
            set_text("activity-empty", "");
        }
        crate::api::after(FLASH_MS as i32, move || {
            if let Some(el) = by_id(&format!("audit-{id}")) {
                let _ = el.remove_attribute("data-flash");
            }
        });
    }
}

//! The table twin of the map: the same replicas with the columns of
//! `az acr replication list -o table`, plus zone redundancy, time in state and coverage, then
//! the regions without a replica where the registry's images run (gaps) or unknown
//! workloads do. Sortable, filterable, and complete without the map: every action a marker
//! offers is a row button.

use leptos::prelude::*;
use replimap_types::{RegionName, ReplicationName};

use crate::model::table::{compare, matches, Cells, Column, Sort};
use crate::model::{duration, Model, RegionView};
use crate::portal::{Portal, Step};

/// What the table body shows besides the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    /// Before the first snapshot.
    Loading,
    /// No registry selected.
    Empty,
    /// The filter hides every row.
    Filtered,
    /// The rows.
    None,
}

/// What never changes for a row (a replica's name and location are immutable): the key of
/// `<For>`. A row keeps its DOM nodes for as long as its replica exists; the changing cells
/// are reactive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowKey {
    registry: String,
    name: ReplicationName,
    location: RegionName,
    is_home: bool,
}

/// The cells that change while a replica lives.
#[derive(Debug, Clone, PartialEq, Default)]
struct RowState {
    phase: &'static str,
    state: &'static str,
    cells: Cells,
    title: String,
    since_ms: Option<i64>,
    stuck: bool,
    flash: bool,
    busy: bool,
    coverage: &'static str,
    coverage_text: String,
}

/// `<table id="replications">` with `input#replica-filter` above it; one
/// `<tr data-replication="{name}">` per replica (its `td.coverage[data-coverage]`), then
/// `<tbody id="coverage-rows">` with one `<tr data-region data-coverage="gap|unattributed">`
/// per region without a replica where workloads run (`model::coverage::rows_html`). The row actions are disabled when the identity
/// may not write to the registry (the reason is under the table: `#write-denied`).
#[component]
pub fn ReplicationTable(portal: Portal) -> impl IntoView {
    let model = portal.model;
    let sort = RwSignal::new(Sort::default());
    let filter = RwSignal::new(String::new());
    let keys = Memo::new(move |_| {
        let now = portal.now.get_untracked();
        let (sort, filter) = (sort.get(), filter.get());
        model.with(|m| row_keys(m, sort, &filter, now))
    });
    let placeholder = Memo::new(move |_| {
        let filtered = keys.with(Vec::is_empty);
        model.with(|m| match (m.loaded, m.selected()) {
            (false, _) => Placeholder::Loading,
            (true, None) => Placeholder::Empty,
            (true, Some(s)) if filtered && !s.replications.is_empty() => Placeholder::Filtered,
            _ => Placeholder::None,
        })
    });
    let headers = Column::ALL
        .iter()
        .map(|&(column, text)| {
            let aria = move || {
                let s = sort.get();
                (s.column == column).then_some(if s.ascending { "ascending" } else { "descending" })
            };
            view! {
                <th scope="col" data-sort=column.as_str() aria-sort=aria>
                    <button type="button" class="sort" on:click=move |_| sort.update(|s| *s = s.toggled(column))>
                        {text}
                        <span class="sort-mark" aria-hidden="true"></span>
                    </button>
                </th>
            }
        })
        .collect_view();
    // HTML text with one delegated handler, not views: the WASM budget has no room for a
    // second kind of row.
    let uncovered = crate::components::html::html(portal, crate::components::html::Part::Rows(filter));
    let on_uncovered = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let button = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|t| t.closest("button[data-region]").ok().flatten());
            let Some(button) = button else { return };
            let Some(region) = button.get_attribute("data-region").and_then(|r| r.parse::<RegionName>().ok()) else {
                return;
            };
            if button.get_attribute("data-action").as_deref() == Some("add") {
                portal.open(region, Step::Main);
            } else {
                portal.select(region);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let shown = move || keys.with(Vec::len);
    let total = move || model.with(|m| m.replicas().len());
    view! {
        <div class="table-tools">
            <h2 id="replications-title">"Replications"</h2>
            <label class="filter">
                <span class="visually-hidden">"Filter replications"</span>
                <input
                    type="search"
                    id="replica-filter"
                    placeholder="Filter: region, state, tag…"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                    aria-controls="replications"
                />
            </label>
            <p class="table-count" aria-live="polite">
                {move || {
                    let noun = if total() == 1 { "replica" } else { "replicas" };
                    if shown() == total() { format!("{} {noun}", total()) } else { format!("{} of {} {noun}", shown(), total()) }
                }}
            </p>
        </div>
        <div class="table-scroll">
            <table id="replications" aria-labelledby="replications-title">
                <thead>
                    <tr>
                        {headers}
                        <th scope="col" class="coverage-col">"COVERAGE"</th>
                        {(!portal.kiosk).then(|| view! { <th scope="col" class="actions">"ACTIONS"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let text = match placeholder.get() {
                            Placeholder::Loading => "Loading replications…",
                            Placeholder::Empty => "No registry selected.",
                            Placeholder::Filtered => "No replica matches the filter.",
                            Placeholder::None => return None,
                        };
                        Some(view! { <tr class="placeholder"><td colspan="9">{text}</td></tr> })
                    }}
                    <For each=move || keys.get() key=RowKey::clone children=move |key| row(key, portal)/>
                </tbody>
                <tbody id="coverage-rows" inner_html=move || uncovered.get() on:click=on_uncovered></tbody>
            </table>
        </div>
    }
}

fn row_keys(m: &Model, sort: Sort, filter: &str, now: i64) -> Vec<RowKey> {
    let Some(registry) = m.selected_registry() else { return Vec::new() };
    let registry = registry.key.name.to_string();
    let mut rows: Vec<_> = m
        .replicas()
        .into_iter()
        .filter(|r| matches(r, &m.display_name(&r.location), filter))
        .map(|r| {
            let since = m.region_view(&r.location, now).and_then(|v| v.since_ms);
            (r, since)
        })
        .collect();
    crate::model::sort_by(&mut rows, |a, b| compare((&a.0, a.1), (&b.0, b.1), sort));
    rows.into_iter()
        .map(|(r, _)| RowKey { registry: registry.clone(), name: r.name, location: r.location, is_home: r.is_home })
        .collect()
}

fn row_state(m: &Model, name: &ReplicationName, now: i64) -> RowState {
    let Some(r) = m.replica(name) else {
        // The row is about to be removed.
        return RowState::default();
    };
    let r = &r;
    let view = m.region_view(&r.location, now);
    RowState {
        phase: r.phase().as_str(),
        state: view.as_ref().map_or("", |v| v.state.as_str()),
        cells: Cells::of(r),
        title: r.status.message.clone().unwrap_or_default(),
        since_ms: view.as_ref().and_then(|v| v.since_ms),
        stuck: view.as_ref().is_some_and(|v| v.stuck),
        flash: view.as_ref().is_some_and(|v| v.flash),
        busy: view.as_ref().is_some_and(RegionView::busy),
        coverage: view.as_ref().and_then(|v| v.coverage).map_or("", |c| c.as_str()),
        coverage_text: view
            .as_ref()
            .map_or_else(String::new, |v| crate::model::coverage::cell_text(v.coverage, &v.workloads)),
    }
}

fn row(key: RowKey, portal: Portal) -> impl IntoView {
    let RowKey { name, location, is_home, .. } = key;
    let state = {
        let name = name.clone();
        Memo::new(move |_| {
            let now = portal.now.get();
            portal.model.with(|m| row_state(m, &name, now))
        })
    };
    let since = move || {
        state.with(|s| {
            let text = s.since_ms.map_or_else(|| "—".to_owned(), |since| duration::short(portal.now.get() - since));
            if s.stuck {
                format!("{text} ⚠ possibly stuck")
            } else {
                text
            }
        })
    };
    let selected = {
        let location = location.clone();
        move || portal.selected.with(|s| s.as_ref() == Some(&location))
    };
    let display = portal.model.with_untracked(|m| m.display_name(&location));
    let select = {
        let location = location.clone();
        move |_| portal.select(location.clone())
    };
    let actions = (!portal.kiosk).then(|| {
        let (edit_at, delete_at) = (location.clone(), location.clone());
        let label = display.clone();
        view! {
            <td class="actions">
                <button
                    type="button"
                    data-action="edit"
                    aria-label=format!("Edit routing and tags of the replica in {label}")
                    disabled=portal.read_only
                    on:click=move |_| portal.open(edit_at.clone(), Step::Main)
                >
                    "Edit"
                </button>
                {(!is_home).then(|| {
                    view! {
                        <button
                            type="button"
                            class="danger subtle"
                            data-action="delete"
                            aria-label=format!("Delete the replica in {label}")
                            disabled=move || portal.read_only.get() || state.with(|s| s.busy || s.phase == "deleting")
                            on:click=move |_| portal.open(delete_at.clone(), Step::ConfirmDelete)
                        >
                            "Delete"
                        </button>
                    }
                })}
            </td>
        }
    });
    view! {
        <tr
            data-replication=name.to_string()
            data-phase=move || state.with(|s| s.phase)
            data-state=move || state.with(|s| s.state)
            data-flash=move || state.with(|s| s.flash).then_some("true")
            data-stuck=move || state.with(|s| s.stuck).then_some("true")
            // `aria-current`, not `aria-selected`: rows of a plain table are not selectable
            // widgets, and screen readers announce "current" on them.
            aria-current=move || selected().then_some("true")
            aria-busy=move || state.with(|s| s.busy).then_some("true")
        >
            <th scope="row">
                <button type="button" class="link" title="Show on the map" on:click=select>
                    {name.to_string()}
                </button>
                {is_home.then_some(view! { <span class="badge">"home"</span> })}
            </th>
            <td title=display>{location.to_string()}</td>
            <td>
                <span class="state-dot" data-state=move || state.with(|s| s.state) aria-hidden="true"></span>
                {move || state.with(|s| s.cells.provisioning.clone())}
            </td>
            <td title=move || state.with(|s| s.title.clone())>{move || state.with(|s| s.cells.status.clone())}</td>
            <td>{move || state.with(|s| s.cells.endpoint)}</td>
            <td>{move || state.with(|s| s.cells.zone)}</td>
            <td class="since">{since}</td>
            <td class="coverage" data-coverage=move || state.with(|s| s.coverage)>
                {move || state.with(|s| s.coverage_text.clone())}
            </td>
            {actions}
        </tr>
    }
}

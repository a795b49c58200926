//! `/`: the geo-replication console of one registry, or (`?kiosk`) its wall-screen view.

use leptos::either::Either;
use leptos::prelude::*;
use replimap_types::PageData;

use crate::components::activity::Activity;
use crate::components::add_replica::AddReplica;
use crate::components::alert::Alert;
use crate::components::dialog::ReplicaDialog;
use crate::components::header::Header;
use crate::components::kiosk::Kiosk;
use crate::components::legend::Legend;
use crate::components::region_card::RegionCard;
use crate::components::replication_table::ReplicationTable;
use crate::components::stream_banner::StreamBanner;
use crate::components::world_map::WorldMap;
use crate::location::use_location;
use crate::model::access::Grants;
use crate::portal::Portal;

/// The whole page. The registry comes from `?registry=`, so a link opens the same view.
#[component]
pub fn MapPage() -> impl IntoView {
    let query = use_location().query();
    let (wanted, kiosk) = query.with_untracked(|q| {
        let kiosk = q.has("kiosk");
        // A wall screen rotating through a list starts on its first entry.
        let first_listed = || q.get("registries")?.split(',').map(str::trim).find(|s| !s.is_empty()).map(str::to_owned);
        (q.get("registry").or_else(|| if kiosk { first_listed() } else { None }), kiosk)
    });
    let (data, grants) = page_data();
    let portal = Portal::new(data, grants, wanted, kiosk);
    // Back/forward and the picker change the query; the model follows.
    Effect::new(move |prev: Option<Option<String>>| {
        let wanted = query.with(|q| q.get("registry"));
        // Only a change of the URL counts (the wall screen rotates without touching it).
        if prev.is_some_and(|p| p != wanted) && portal.model.with_untracked(|m| m.wanted != wanted) {
            portal.model.update(|m| m.wanted = wanted.clone());
            portal.selected.set(None);
            portal.dialog.set(None);
        }
        wanted
    });
    // Browser only: effects never run on the server. The stream lives as long as the page.
    #[cfg(feature = "hydrate")]
    Effect::new(move |live: Option<_>| live.unwrap_or_else(|| portal.start()));
    if kiosk {
        return Either::Left(view! { <Kiosk portal/> });
    }
    // Either, not `into_any`: a type-erased view is compiled once more for asynchronous
    // hydration, which this page never uses.
    Either::Right(view! {
        <Header portal/>
        <StreamBanner portal/>
        <main id="console">
            <Alert portal/>
            <section class="map-panel" aria-label="Regions">
                <WorldMap portal/>
                <div class="map-footer">
                    <Legend/>
                    <Activity portal/>
                </div>
            </section>
            <section class="table-panel" aria-label="Replications">
                <ReplicationTable portal/>
                <AddReplica portal/>
            </section>
            <ReplicaDialog portal/>
            <RegionCard portal/>
        </main>
        <footer>
            "Outline: Natural Earth via world-atlas · Map: Leaflet · Keyboard: Tab to a marker or row, Enter to act"
        </footer>
    })
}

/// The data the server rendered with, and the grants of `me`: its context on the server, the
/// embedded JSON in the browser (which has `me` left out of its `PageData`). Without either (a
/// page served without data) the page starts empty and fills from the stream.
pub(crate) fn page_data() -> (PageData, Grants) {
    #[cfg(feature = "hydrate")]
    {
        let text = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(replimap_types::PAGE_DATA_ID))
            .and_then(|e| e.text_content());
        match text.map(|t| crate::json::from_str::<BrowserPageData>(&t)) {
            Some(Ok(data)) => return data.into_parts(),
            Some(Err(e)) => leptos::logging::warn!("page data unreadable: {e}"),
            None => {}
        }
    }
    let data = use_context::<PageData>().unwrap_or_default();
    let grants = data.me.as_ref().map(|m| m.grants.clone());
    (data, grants)
}

/// `PageData` as the browser reads it: every field, but of `me` only its grants. A serde
/// visitor for the whole of `Me` (eleven fields, two enums) would cost the WASM 1 KB
/// (brotli) for what the browser never reads; `tests::the_browser_reads_all_of_page_data`
/// fails when `PageData` gains a field this does not read.
#[cfg(any(feature = "hydrate", test))]
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BrowserPageData {
    regions: Vec<replimap_types::Region>,
    registries: Vec<replimap_types::RegistryState>,
    loaded: bool,
    now_ms: i64,
    emulated: bool,
    settings: replimap_types::UiSettings,
    #[serde(default)]
    me: Option<BrowserMe>,
}

/// What the browser reads of `Me`.
#[cfg(any(feature = "hydrate", test))]
#[derive(serde::Deserialize)]
struct BrowserMe {
    grants: Vec<replimap_types::Grant>,
}

#[cfg(any(feature = "hydrate", test))]
impl BrowserPageData {
    fn into_parts(self) -> (PageData, Grants) {
        let Self { regions, registries, loaded, now_ms, emulated, settings, me } = self;
        (PageData { regions, registries, loaded, now_ms, emulated, settings, me: None }, me.map(|m| m.grants))
    }
}

#[cfg(test)]
mod tests {
    use replimap_types::{AuthMode, Grant, Me, Role, UiSettings};

    use super::*;

    #[test]
    fn the_browser_reads_all_of_page_data() {
        let grants = vec![Grant { role: Role::Viewer, registries: vec!["*".into()] }];
        let data = PageData {
            regions: vec![],
            registries: vec![],
            loaded: true,
            now_ms: 42,
            emulated: true,
            settings: UiSettings { tile_url: Some("t".into()), ..UiSettings::default() },
            me: Some(Me {
                actor: "token:1".into(),
                display_name: Some("wall".into()),
                source: "device".into(),
                token_id: Some("1".into()),
                mode: AuthMode::Local,
                role: Some(Role::Viewer),
                grants: grants.clone(),
                groups: vec![],
                can_sign_out: true,
                acting_as_user: false,
                notes: vec![],
            }),
        };
        let json = serde_json::to_value(&data).unwrap();
        // Every field of the wire form is one the browser reads (a new one must be added there).
        let read = ["regions", "registries", "loaded", "nowMs", "emulated", "settings", "me"];
        let fields: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        for field in &fields {
            assert!(read.contains(field), "PageData.{field} is not read by BrowserPageData");
        }
        let (back, read_grants) = serde_json::from_value::<BrowserPageData>(json).unwrap().into_parts();
        assert_eq!(back, PageData { me: None, ..data.clone() });
        assert_eq!(read_grants, Some(grants));
        let nobody = serde_json::to_value(PageData { me: None, ..data }).unwrap();
        assert_eq!(serde_json::from_value::<BrowserPageData>(nobody).unwrap().into_parts().1, None);
    }
}

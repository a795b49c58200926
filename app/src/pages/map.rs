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
    let portal = Portal::new(page_data(), wanted, kiosk);
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

/// The data the server rendered with: its context on the server, the embedded JSON in the
/// browser. Without either (a page served without data) the page starts empty and fills
/// from the stream.
pub(crate) fn page_data() -> PageData {
    #[cfg(feature = "hydrate")]
    {
        let text = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(replimap_types::PAGE_DATA_ID))
            .and_then(|e| e.text_content());
        match text.map(|t| crate::json::from_str::<PageData>(&t)) {
            Some(Ok(data)) => return data,
            Some(Err(e)) => leptos::logging::warn!("page data unreadable: {e}"),
            None => {}
        }
    }
    use_context::<PageData>().unwrap_or_default()
}

//! `/`: the geo-replication map of the selected registry.

use leptos::prelude::*;

use crate::components::activity::Activity;
use crate::components::alert::Alert;
use crate::components::header::Header;
use crate::components::legend::Legend;
use crate::components::replica_dialog::ReplicaDialog;
use crate::components::replication_table::ReplicationTable;
use crate::components::world_map::WorldMap;
use crate::portal::Portal;

/// The whole page: header, alert, map with legend, replica table and the region dialog.
#[component]
pub fn MapPage() -> impl IntoView {
    let portal = Portal::new();
    // Browser only: effects never run on the server. The stream lives as long as the page.
    #[cfg(feature = "hydrate")]
    Effect::new(move |stream: Option<crate::api::EventStream>| stream.unwrap_or_else(|| portal.start()));
    view! {
        <Header portal/>
        <main>
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
            </section>
            <ReplicaDialog portal/>
        </main>
        <footer>
            "Outline: Natural Earth via world-atlas · Map: Leaflet · Markers are keyboard buttons (Tab, then Enter)"
        </footer>
    }
}

//! The page's reactive state and the user's actions on it.
//!
//! `Portal` is a bundle of signals, `Copy`, handed to components as a prop. On the server it
//! stays at its defaults, so the server renders the skeleton that hydration expects; in the
//! browser `start` fills it from the API and the status stream.

use leptos::prelude::*;
use replimap_types::RegionName;

use crate::model::{Model, Pending, StreamStatus};

/// Signals shared by the page's components.
#[derive(Clone, Copy)]
pub struct Portal {
    /// Regions, registries and writes in flight.
    pub model: RwSignal<Model>,
    /// Whether the live status stream is connected.
    pub stream: RwSignal<StreamStatus>,
    /// The message in the `role="alert"` box, if any.
    pub alert: RwSignal<Option<String>>,
    /// The region whose dialog is open.
    pub dialog: RwSignal<Option<RegionName>>,
    /// Whether ARM is the embedded emulator (so nobody mistakes the demo for Azure).
    pub emulated: RwSignal<bool>,
}

impl Portal {
    /// Fresh signals, identical on server and client.
    pub fn new() -> Self {
        Self {
            model: RwSignal::new(Model::default()),
            stream: RwSignal::new(StreamStatus::default()),
            alert: RwSignal::new(None),
            dialog: RwSignal::new(None),
            emulated: RwSignal::new(false),
        }
    }

    /// Opens the dialog of a region (a marker was clicked or pressed).
    pub fn open(&self, region: RegionName) {
        self.dialog.set(Some(region));
    }

    /// Asks for a replica of the selected registry in `region` (named after the region,
    /// as `az acr replication create` does).
    pub fn create(&self, region: RegionName) {
        let Some(registry) = self.model.with_untracked(|m| m.selected_registry().map(|r| r.key.clone())) else {
            return;
        };
        self.model.update(|m| m.begin(region.clone(), Pending::Create));
        self.alert.set(None);
        #[cfg(feature = "hydrate")]
        {
            let this = *self;
            leptos::task::spawn_local(async move {
                let result = match replimap_types::ReplicationName::default_for(&region) {
                    Ok(name) => {
                        let body = replimap_types::CreateReplication {
                            location: region.to_string(),
                            ..Default::default()
                        };
                        crate::api::create_replication(&registry, &name, &body).await.map(drop)
                    }
                    Err(e) => Err(e.to_string()),
                };
                this.settle(&region, result);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = registry;
    }

    /// Asks ARM to delete the selected registry's replica in `region`.
    pub fn delete(&self, region: RegionName) {
        let target = self.model.with_untracked(|m| {
            let registry = m.selected_registry()?.key.clone();
            let replica = m.region_view(&region)?.replica?;
            (!replica.is_home).then_some((registry, replica.name))
        });
        let Some((registry, name)) = target else { return };
        self.model.update(|m| m.begin(region.clone(), Pending::Delete));
        self.alert.set(None);
        #[cfg(feature = "hydrate")]
        {
            let this = *self;
            leptos::task::spawn_local(async move {
                let result = crate::api::delete_replication(&registry, &name).await;
                this.settle(&region, result);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (registry, name);
    }

    /// The portal answered the write: 202, ARM accepted it (the stream will show its
    /// progress), or an error (alert).
    #[cfg(feature = "hydrate")]
    fn settle(&self, region: &RegionName, result: Result<(), crate::api::Failure>) {
        match result {
            Ok(()) => self.model.maybe_update(|m| m.accept(region)),
            Err(message) => {
                self.model.update(|m| m.abandon(region));
                self.alert.set(Some(message));
            }
        }
    }

    /// Browser only: loads the regions and subscribes to the status stream. The returned
    /// stream must be kept; dropping it closes the connection.
    #[cfg(feature = "hydrate")]
    pub fn start(&self) -> crate::api::EventStream {
        use crate::api::{EventStream, StreamMessage};

        let this = *self;
        leptos::task::spawn_local(async move {
            if let Ok(emulated) = crate::api::emulated().await {
                this.emulated.set(emulated);
            }
            match crate::api::locations().await {
                Ok(regions) => this.model.update(|m| m.set_regions(regions)),
                Err(message) => this.alert.set(Some(format!("Could not load the regions: {message}"))),
            }
        });
        EventStream::subscribe(move |message| match message {
            StreamMessage::Open => this.stream.set(StreamStatus::Live),
            StreamMessage::Lost => this.stream.set(StreamStatus::Reconnecting),
            StreamMessage::Event(event) => {
                let mut alert = None;
                this.model.update(|m| alert = m.apply(event));
                if let Some(message) = alert {
                    this.alert.set(Some(message));
                }
            }
            StreamMessage::Malformed(message) => leptos::logging::warn!("{message}"),
        })
    }
}

impl Default for Portal {
    fn default() -> Self {
        Self::new()
    }
}

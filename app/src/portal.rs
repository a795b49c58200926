//! The page's reactive state and the user's actions on it.
//!
//! `Portal` is a bundle of signals, `Copy`, handed to components as a prop. Both sides start
//! from the same `PageData` (the server renders with it and embeds it in the page), so the
//! first render shows the replicas and hydration finds exactly what it expects; in the
//! browser `start` then keeps it live from the status stream.

use leptos::prelude::*;
use replimap_types::{CreateReplication, PageData, RegionName, UiSettings, UpdateReplication};

use crate::model::access::{self, Grants};
use crate::model::audit::Recent;
use crate::model::{Model, Pending, StreamStatus};

/// Which step of the region dialog is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Create (free region) or details and update (replica).
    Main,
    /// "Delete the replica of … in …?"
    ConfirmDelete,
}

/// The open dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogTarget {
    /// Its region.
    pub region: RegionName,
    /// Its step.
    pub step: Step,
}

/// The region whose card is showing, and where (viewport pixels of the marker's centre).
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The region.
    pub region: RegionName,
    /// Marker centre, x.
    pub x: f64,
    /// Marker top (or bottom, when `below`), y.
    pub y: f64,
    /// Too close to the top of the window: the card goes under the marker.
    pub below: bool,
    /// Opened by the pointer (not keyboard focus): the pointer may move on into the card, to
    /// its links.
    pub hover: bool,
}

/// Signals shared by the page's components.
#[derive(Clone, Copy)]
pub struct Portal {
    /// Regions, registries and writes in flight.
    pub model: RwSignal<Model>,
    /// Whether the live status stream is connected.
    pub stream: RwSignal<StreamStatus>,
    /// The message in the `role="alert"` box, if any.
    pub alert: RwSignal<Option<String>>,
    /// The open dialog.
    pub dialog: RwSignal<Option<DialogTarget>>,
    /// The selected region: its row and marker are highlighted.
    pub selected: RwSignal<Option<RegionName>>,
    /// Set when the table selects a region, so the map brings it into view.
    pub reveal: RwSignal<Option<RegionName>>,
    /// The hover/focus card.
    pub card: RwSignal<Option<Card>>,
    /// "Recent actions here" of the card: the audit records of a spot, newest first (`None`
    /// while they load, `Err` when they could not be).
    pub recent: RwSignal<Option<Recent>>,
    /// The page's clock (ms since the epoch), ticking once a second in the browser.
    pub now: RwSignal<i64>,
    /// Whether ARM is the embedded emulator (so nobody mistakes the demo for Azure).
    pub emulated: RwSignal<bool>,
    /// Settings from the server's configuration.
    pub settings: StoredValue<UiSettings>,
    /// Wall-screen mode: read-only, no chrome.
    pub kiosk: bool,
    /// The grants of whoever the page was rendered for (`None`: nobody signed in).
    pub grants: StoredValue<Grants>,
    /// Why the selected registry's replicas cannot be written here ("Your role on acrprod is
    /// viewer"), or `None` when they can: write controls are disabled with this reason.
    pub denied: Memo<Option<String>>,
    /// Whether `denied` holds a reason: the `disabled` of every write control (one signal
    /// type for all of them, so their attribute code is compiled once).
    pub read_only: Memo<bool>,
}

impl Portal {
    /// Signals holding `data`, showing the registry named `wanted` to someone with `grants`.
    pub fn new(data: PageData, grants: Grants, wanted: Option<String>, kiosk: bool) -> Self {
        let mut model = Model { wanted, stuck_after_ms: ms(data.settings.stuck_after_secs), ..Model::default() };
        model.set_regions(data.regions);
        model.registries = data.registries;
        model.loaded = data.loaded;
        let grants = StoredValue::new(grants);
        let model = RwSignal::new(model);
        let denied = Memo::new(move |_| refusal(model, grants));
        let read_only = Memo::new(move |_| denied.with(Option::is_some));
        Self {
            model,
            stream: RwSignal::new(StreamStatus::default()),
            alert: RwSignal::new(None),
            dialog: RwSignal::new(None),
            selected: RwSignal::new(None),
            reveal: RwSignal::new(None),
            card: RwSignal::new(None),
            recent: RwSignal::new(None),
            now: RwSignal::new(data.now_ms),
            emulated: RwSignal::new(data.emulated),
            settings: StoredValue::new(data.settings),
            kiosk,
            grants,
            denied,
            read_only,
        }
    }

    /// Why `doing` ("adding a replica") is refused on the selected registry, as a sentence;
    /// `None` when it is allowed. Tracked: controls follow the registry selection.
    pub fn why_not(&self, doing: &str) -> Option<String> {
        self.denied.with(|d| d.as_deref().map(|d| access::because(d, doing)))
    }

    /// Opens the dialog of a region (a marker was clicked or a row action pressed) and
    /// selects it. The wall screen is read-only: it only selects.
    pub fn open(&self, region: RegionName, step: Step) {
        self.selected.set(Some(region.clone()));
        if !self.kiosk {
            self.card.set(None);
            self.dialog.set(Some(DialogTarget { region, step }));
        }
    }

    /// Selects a region from the table: its marker is highlighted and brought into view.
    pub fn select(&self, region: RegionName) {
        self.selected.set(Some(region.clone()));
        self.reveal.set(Some(region));
    }

    /// Closes the dialog.
    pub fn close(&self) {
        self.dialog.set(None);
    }

    /// Asks for a replica of the selected registry in `region` (named after the region, as
    /// `az acr replication create` does).
    pub fn create(&self, region: RegionName, body: CreateReplication) {
        let Some(registry) = self.model.with_untracked(|m| m.selected_registry().map(|r| r.key.clone())) else {
            return;
        };
        match replimap_types::ReplicationName::default_for(&region) {
            Ok(name) => self.write(region, registry, name, Pending::Create(body)),
            Err(e) => self.alert.set(Some(e.to_string())),
        }
    }

    /// Changes routing and tags of the selected registry's replica in `region`.
    pub fn update(&self, region: RegionName, body: UpdateReplication) {
        if let Some((registry, name)) = self.replica_in(&region, true) {
            self.write(region, registry, name, Pending::Update(body));
        }
    }

    /// Asks ARM to delete the selected registry's replica in `region` (never the home one).
    pub fn delete(&self, region: RegionName) {
        if let Some((registry, name)) = self.replica_in(&region, false) {
            self.write(region, registry, name, Pending::Delete);
        }
    }

    /// Sends a write the user confirmed, once: the very same write still in flight (a double
    /// click) is not sent again, and the same action sent again after no answer carries the
    /// same `Idempotency-Key`, so the portal never acts twice.
    fn write(
        &self,
        region: RegionName,
        registry: replimap_types::RegistryKey,
        name: replimap_types::ReplicationName,
        pending: Pending,
    ) {
        // The controls are disabled; this is for a write started before the page knew.
        if let Some(why) = self.denied.get_untracked() {
            self.alert.set(Some(access::because(&why, "changing replicas")));
            return;
        }
        #[cfg(feature = "hydrate")]
        let fresh = crate::api::idempotency_key;
        #[cfg(not(feature = "hydrate"))]
        let fresh = String::new;
        let Some((spot, key)) = self.model.try_update(|m| m.begin(region, pending.clone(), fresh)).flatten() else {
            return;
        };
        self.alert.set(None);
        #[cfg(feature = "hydrate")]
        {
            let this = *self;
            leptos::task::spawn_local(async move {
                let result = crate::api::write(&registry, &name, &pending, &key).await;
                this.settle(&spot, result);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (registry, name, spot, key);
    }

    fn replica_in(
        &self,
        region: &RegionName,
        home_ok: bool,
    ) -> Option<(replimap_types::RegistryKey, replimap_types::ReplicationName)> {
        self.model.with_untracked(|m| {
            let registry = m.selected_registry()?.key.clone();
            let replica = m.selected()?.replications.iter().find(|r| &r.location == region)?.clone();
            (home_ok || !replica.is_home).then_some((registry, replica.name))
        })
    }

    /// The portal answered the write: 202, ARM accepted it (the stream will show its
    /// progress), or an error (alert); or no answer came, and the key is kept for the same
    /// action sent again.
    #[cfg(feature = "hydrate")]
    fn settle(&self, spot: &crate::model::Spot, result: Result<(), crate::api::Refusal>) {
        match result {
            Ok(()) => self.model.maybe_update(|m| {
                m.answered(spot);
                m.accept(spot)
            }),
            Err(refusal) => {
                self.model.update(|m| {
                    m.abandon(spot);
                    if !refusal.unanswered {
                        m.answered(spot);
                    }
                });
                self.alert.set(Some(refusal.message));
            }
        }
    }

    /// Browser only: loads "Recent actions here" for the card that opens on `region` (the
    /// stream's `activity` events keep it current while it shows: `apply_all`).
    #[cfg(feature = "hydrate")]
    pub fn load_recent(&self, region: &RegionName) {
        let Some(key) = self.model.with_untracked(|m| m.selected_registry().map(|r| r.key.clone())) else { return };
        let spot = (key.name.clone(), region.clone());
        self.recent.set(Some((spot.clone(), None)));
        let search = crate::location::Query::default()
            .with("registry", &key.to_string())
            .with("region", region.as_str())
            .with("limit", "5")
            .to_search();
        let recent = self.recent;
        leptos::task::spawn_local(async move {
            let list = crate::api::audit(&search).await.map(|(records, _)| records).map_err(|e| {
                leptos::logging::warn!("recent actions: {e}");
            });
            recent.update(|r| match r {
                Some((s, l)) if *s == spot => *l = Some(list),
                _ => {}
            });
        });
    }

    /// Browser only: subscribes to the status stream and starts the clock. The returned
    /// handles must be kept; dropping them closes the stream and stops the clock.
    #[cfg(feature = "hydrate")]
    pub fn start(&self) -> (std::rc::Rc<crate::api::EventStream>, Option<crate::api::Interval>) {
        use crate::api::{EventStream, Interval, StreamMessage};

        let this = *self;
        let last_heard = std::rc::Rc::new(std::cell::Cell::new(js_sys::Date::now()));
        let stale_after = ms(self.settings.with_value(|s| s.heartbeat_secs) * 3) as f64;
        let heard = last_heard.clone();
        // Events are applied in batches, at most every `BATCH_MS`: a poll that finds ten
        // changes sends ten events at once, and one model update re-renders once, not ten
        // times. Order is kept; only the rendering is coalesced.
        let queue: std::rc::Rc<std::cell::RefCell<Vec<replimap_types::StatusEvent>>> = std::rc::Rc::default();
        let stream = std::rc::Rc::new(EventStream::subscribe(move |message| {
            heard.set(js_sys::Date::now());
            match message {
                StreamMessage::Open | StreamMessage::Heartbeat => {
                    if this.stream.get_untracked() != StreamStatus::Live {
                        this.stream.set(StreamStatus::Live);
                    }
                }
                // Once signed out, every attempt fails the same way until someone signs in.
                StreamMessage::Lost if this.stream.get_untracked() == StreamStatus::SignedOut => {}
                StreamMessage::Lost => {
                    this.stream.set(StreamStatus::Reconnecting);
                    // An EventSource does not tell a 401 from an outage: ask.
                    leptos::task::spawn_local(async move {
                        if !crate::api::signed_in().await {
                            this.stream.set(StreamStatus::SignedOut);
                        }
                    });
                }
                StreamMessage::Event(event) => {
                    if this.stream.get_untracked() != StreamStatus::Live {
                        this.stream.set(StreamStatus::Live);
                    }
                    let first = {
                        let mut q = queue.borrow_mut();
                        q.push(*event);
                        q.len() == 1
                    };
                    if first {
                        let queue = queue.clone();
                        crate::api::after(BATCH_MS, move || this.apply_all(queue.take()));
                    }
                }
                StreamMessage::Malformed(message) => leptos::logging::warn!("{message}"),
            }
        }));
        let weak = std::rc::Rc::downgrade(&stream);
        let clock = Interval::every(1_000, move || {
            let now = js_sys::Date::now();
            this.now.set(now as i64);
            this.model.maybe_update(|m| m.expire_flashes(now as i64));
            // A connection that went quiet without an error (a proxy holding a dead
            // socket) is stale: the data may be old even though nothing failed.
            // Reconnect then, and again after every further quiet period.
            let status = this.stream.get_untracked();
            if matches!(status, StreamStatus::Live | StreamStatus::Stale) && now - last_heard.get() > stale_after {
                this.stream.set(StreamStatus::Stale);
                last_heard.set(now);
                if let Some(stream) = weak.upgrade() {
                    stream.reconnect();
                }
            }
        });
        this.now.set(js_sys::Date::now() as i64);
        (stream, clock)
    }
}

/// How long stream events are gathered before the page re-renders, in milliseconds.
#[cfg(feature = "hydrate")]
const BATCH_MS: i32 = 50;

/// How many audit records "Recent actions here" shows.
pub const RECENT: usize = 5;

#[cfg(feature = "hydrate")]
impl Portal {
    /// Applies a batch of stream events in one model update; audit records go to the card's
    /// "Recent actions here" when they are about its spot.
    fn apply_all(&self, events: Vec<replimap_types::StatusEvent>) {
        use replimap_types::StatusEvent;
        let now = js_sys::Date::now() as i64;
        let (records, events): (Vec<_>, Vec<_>) =
            events.into_iter().partition(|e| matches!(e, StatusEvent::Activity { .. }));
        for event in records {
            let StatusEvent::Activity { record } = event else { continue };
            self.recent.maybe_update(|recent| match recent {
                Some((spot, Some(Ok(list))))
                    if record.registry.as_ref().is_some_and(|k| k.name == spot.0)
                        && record.region.as_deref() == Some(spot.1.as_str()) =>
                {
                    crate::model::audit::upsert(list, record, RECENT).is_some()
                }
                _ => false,
            });
        }
        let mut alerts = Vec::new();
        self.model.update(|m| alerts.extend(events.into_iter().filter_map(|e| m.apply(e, now))));
        if let Some(message) = alerts.pop() {
            self.alert.set(Some(message));
        }
    }
}

/// Why the identity may not write to the selected registry ("Your role on acrprod is viewer").
fn refusal(model: RwSignal<Model>, grants: StoredValue<Grants>) -> Option<String> {
    model.with(|m| grants.with_value(|g| access::refusal(g.as_deref(), m.selected_registry().map(|r| &r.key))))
}

fn ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

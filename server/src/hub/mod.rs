//! The status hub: one poller per watched registry, fanned out to every SSE client.
//!
//! All state changes go through [`StatusHub::publish`], which under one lock applies
//! the change to the cached state, gives it the next sequence number, keeps it in a
//! short history (for `Last-Event-ID` resume) and broadcasts it. A subscriber takes
//! its snapshot under the same lock, so it can neither miss nor double-count an event.
//!
//! Every event is serialised once, as the whole SSE frame, and every client is sent the same
//! bytes. The snapshot a new (or lagging) client starts from is built once per change of the
//! state and shared the same way, so a reconnect storm of thousands of clients costs one
//! serialisation, not one per client.
//!
//! Which registries are watched follows ARM (see `reconcile`): discovery re-reads the list
//! every few minutes, and a poller whose registry answers 404 removes it at once.

mod counters;
mod diff;
mod discovery;
mod poller;
mod reconcile;
mod stamp;
mod supervisor;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use replimap_arm::ArmClient;
use replimap_types::{RegistryKey, RegistryState, RegistrySummary, Replication, StatusEvent};
use tokio::sync::{broadcast, Notify};

pub use counters::{HubCounters, RestartReason};
pub use diff::diff;
pub use discovery::{discover, REDISCOVER};
pub use reconcile::Discovered;
pub use stamp::now as stamp_now;

/// One event with its sequence number, serialised once for all clients.
#[derive(Debug)]
pub struct Sequenced {
    /// SSE `id:`.
    pub id: u64,
    /// The whole SSE frame, `id: …\ndata: <json>\n\n`. Cloning it shares the bytes: every
    /// client is sent this one buffer.
    pub frame: Bytes,
    /// Whether it is a full snapshot (which replaces, rather than updates, a client's state).
    pub snapshot: bool,
    /// Whom it concerns, so each stream can pass on only what its caller may see.
    pub scope: Scope,
}

/// What an event is about.
#[derive(Debug, Clone)]
pub enum Scope {
    /// One registry.
    Registry(RegistryKey),
    /// No registry (an audit record of a token change): for global admins.
    Unscoped,
    /// Every registry: the snapshot's content, for streams that may see only some of it.
    Snapshot(Arc<Vec<RegistryState>>),
}

impl Sequenced {
    fn new(id: u64, event: &StatusEvent) -> serde_json::Result<Self> {
        let mut frame = Vec::with_capacity(256);
        frame.extend_from_slice(format!("id: {id}\ndata: ").as_bytes());
        // serde_json escapes line breaks inside strings, so the JSON is one `data:` line.
        serde_json::to_writer(&mut frame, event)?;
        frame.extend_from_slice(b"\n\n");
        let snapshot = matches!(event, StatusEvent::Snapshot { .. });
        let scope = match (event, event.registry()) {
            (StatusEvent::Snapshot { registries }, _) => Scope::Snapshot(Arc::new(registries.clone())),
            (_, Some(key)) => Scope::Registry(key.clone()),
            (_, None) => Scope::Unscoped,
        };
        Ok(Self { id, frame: frame.into(), snapshot, scope })
    }

    /// This snapshot with only the registries `keep` admits, as a frame of its own (same id).
    pub fn narrowed(&self, keep: impl Fn(&RegistryKey) -> bool) -> Option<Bytes> {
        let Scope::Snapshot(all) = &self.scope else { return None };
        let registries = all.iter().filter(|r| keep(&r.registry.key)).cloned().collect();
        Self::new(self.id, &StatusEvent::Snapshot { registries }).ok().map(|s| s.frame)
    }

    /// The event's JSON (the frame's `data:`), for tests that read what clients get.
    #[cfg(test)]
    pub fn json(&self) -> &str {
        let frame = std::str::from_utf8(&self.frame).unwrap_or_default();
        frame.split_once("\ndata: ").map_or("", |(_, rest)| rest.trim_end_matches('\n'))
    }
}

/// Poll cadence.
#[derive(Debug, Clone, Copy)]
pub struct PollIntervals {
    /// While something is in flight (Creating, Deleting, Syncing, an open LRO).
    pub fast: Duration,
    /// When everything is settled.
    pub slow: Duration,
}

impl Default for PollIntervals {
    fn default() -> Self {
        Self { fast: Duration::from_secs(1), slow: Duration::from_secs(10) }
    }
}

/// How many events a reconnecting client can catch up on before it gets a fresh snapshot.
const HISTORY: usize = 1024;
/// Per-client buffer; a client further behind than this is resynchronised with a snapshot.
const CHANNEL: usize = 1024;

struct Inner {
    state: Mutex<HubState>,
    tx: broadcast::Sender<Arc<Sequenced>>,
    arm: ArmClient,
    intervals: PollIntervals,
    /// How often discovery re-reads the registry list (tests shorten it).
    rediscover_every: Mutex<Duration>,
    /// Wakes discovery before its next run is due.
    rediscover_now: Notify,
    counters: counters::Counters,
    /// Set once at shutdown; open streams end so the server can drain.
    closing: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct HubState {
    seq: u64,
    /// The first id of this process; ids at or below it belong to an earlier run.
    boot_seq: u64,
    /// Bumped by every published change of a registry, so a poll that started before the
    /// change cannot overwrite it with older data.
    generation: BTreeMap<RegistryKey, u64>,
    registries: BTreeMap<RegistryKey, RegistryState>,
    history: VecDeque<Arc<Sequenced>>,
    /// The snapshot of the current state, built by the first client that needs it and shared
    /// by every later one; cleared by every change (see [`HubState::changed`]).
    snapshot: Option<Arc<Sequenced>>,
    discovered: bool,
    last_poll: BTreeMap<RegistryKey, Instant>,
    /// The poller of every replicable registry; changed only together with `registries`.
    watchers: BTreeMap<RegistryKey, reconcile::Watcher>,
    /// The id of the last watcher started.
    next_watcher: u64,
}

/// What `/metrics` reports per registry.
#[derive(Debug)]
pub struct RegistryHealth {
    /// `sub/rg/name`.
    pub registry: String,
    /// Replica count per phase word (`ready`, `failed`, …).
    pub phases: BTreeMap<&'static str, usize>,
    /// Time since the last successful poll.
    pub last_poll_age: Option<Duration>,
    /// Whether the last poll failed.
    pub failing: bool,
}

/// Cheap to clone; all clones share one hub.
#[derive(Clone)]
pub struct StatusHub {
    inner: Arc<Inner>,
}

/// What a new subscriber starts from.
pub enum Start {
    /// A full snapshot (with the sequence number it is current to).
    Snapshot(Arc<Sequenced>),
    /// The events after the client's `Last-Event-ID`.
    Replay(Vec<Arc<Sequenced>>),
}

impl StatusHub {
    /// A hub that polls through `arm`.
    pub fn new(arm: ArmClient, intervals: PollIntervals) -> Self {
        let (tx, _) = broadcast::channel(CHANNEL);
        // Ids start at the boot time (µs since the epoch), so an id from before a restart is
        // always older than this process's history and the client gets a fresh snapshot.
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        let inner = Inner {
            state: Mutex::new(HubState { seq: boot, boot_seq: boot, ..HubState::default() }),
            tx,
            arm,
            intervals,
            rediscover_every: Mutex::new(REDISCOVER),
            rediscover_now: Notify::new(),
            counters: counters::Counters::default(),
            closing: tokio::sync::watch::Sender::new(false),
        };
        Self { inner: Arc::new(inner) }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A poisoned lock only means another thread panicked mid-update; the map is still usable.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes the registry's poller now (after a write), instead of at its next tick.
    pub fn nudge(&self, key: &RegistryKey) {
        if let Some(w) = self.lock().watchers.get(key) {
            w.nudge.notify_one();
        }
    }

    /// Asks discovery to re-read the registry list now rather than at its next run.
    pub fn rediscover(&self) {
        self.inner.rediscover_now.notify_one();
    }

    /// Sets how often discovery re-reads the registry list ([`REDISCOVER`] by default), and
    /// wakes it so the new interval applies from now.
    pub fn set_rediscover_interval(&self, every: Duration) {
        *self.inner.rediscover_every.lock().unwrap_or_else(|p| p.into_inner()) = every;
        self.rediscover();
    }

    pub(crate) fn rediscover_interval(&self) -> Duration {
        *self.inner.rediscover_every.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves when someone asked for a discovery run now.
    pub(crate) async fn rediscover_requested(&self) {
        self.inner.rediscover_now.notified().await;
    }

    /// Notes one discovery run (`failed`: some subscription could not be listed).
    pub(crate) fn discovery_ran(&self, failed: bool) {
        self.inner.counters.discovery_run(failed);
    }

    /// The hub's counters and gauges for `/metrics`.
    pub fn counters(&self) -> HubCounters {
        let st = self.lock();
        self.inner.counters.read(st.registries.len(), st.watchers.len())
    }

    /// Whether the registry list has been read from ARM at least once.
    pub fn discovered(&self) -> bool {
        self.lock().discovered
    }

    /// The watched registries.
    pub fn registries(&self) -> Vec<RegistrySummary> {
        self.lock().registries.values().map(|s| s.registry.clone()).collect()
    }

    /// Everything the hub knows, as the stream's snapshot carries it (for the page the
    /// server renders).
    pub fn states(&self) -> Vec<RegistryState> {
        self.lock().registries.values().cloned().collect()
    }

    /// One registry (keys compare as ARM compares names: case-insensitively).
    pub fn registry(&self, key: &RegistryKey) -> Option<RegistryState> {
        self.lock().registries.get(key).cloned()
    }

    /// Applies `event` to the cached state and sends it to every client.
    pub fn publish(&self, mut event: StatusEvent) {
        let mut st = self.lock();
        if let StatusEvent::ReplicationUpserted { registry, replication } = &mut event {
            let old =
                st.registries.get(registry).and_then(|e| e.replications.iter().find(|r| r.name == replication.name));
            stamp::phase_since(old, replication, &stamp::now());
        }
        apply(&mut st.registries, &event);
        if let StatusEvent::ReplicationUpserted { registry, .. } | StatusEvent::ReplicationRemoved { registry, .. } =
            &event
        {
            *st.generation.entry(registry.clone()).or_insert(0) += 1;
        }
        self.send_locked(&mut st, &event);
    }

    /// The registry's change generation; pass it back to `update_replications`.
    pub(crate) fn generation(&self, key: &RegistryKey) -> u64 {
        self.lock().generation.get(key).copied().unwrap_or(0)
    }

    /// Whether the registry has been polled successfully at least once (writes are validated
    /// against that state, so they wait for it).
    pub fn polled(&self, key: &RegistryKey) -> bool {
        let st = self.lock();
        st.registries.contains_key(key) && st.last_poll.contains_key(key)
    }

    /// Replaces one registry's replica list with a fresh poll, publishing the differences.
    /// Returns false (and changes nothing) when a change was published after the poll began.
    pub(crate) fn update_replications(&self, key: &RegistryKey, generation: u64, mut new: Vec<Replication>) -> bool {
        let mut st = self.lock();
        if st.generation.get(key).copied().unwrap_or(0) != generation {
            return false;
        }
        // A registry dropped while the poll was in flight stays dropped.
        if !st.registries.contains_key(key) {
            return false;
        }
        st.last_poll.insert(key.clone(), Instant::now());
        let Some(entry) = st.registries.get(key) else { return false };
        let now = stamp::now();
        for rep in &mut new {
            stamp::phase_since(entry.replications.iter().find(|r| r.name == rep.name), rep, &now);
        }
        let events = diff(key, &entry.replications, &new);
        let had_error = entry.error.is_some();
        let unchanged = entry.replications == new;
        if let Some(entry) = st.registries.get_mut(key) {
            entry.replications = new;
            entry.error = None;
        }
        if !unchanged {
            st.changed();
        }
        for e in &events {
            self.send_locked(&mut st, e);
        }
        if had_error {
            self.send_locked(&mut st, &StatusEvent::RegistryError { registry: key.clone(), error: None });
        }
        true
    }

    /// Records that polling a registry failed. Clients hear about the change from working
    /// to failing (and back, in `update_replications`), not about every failed poll, whose
    /// messages vary ("retry after n seconds").
    pub(crate) fn poll_failed(&self, key: &RegistryKey, error: String) {
        let mut st = self.lock();
        let Some(entry) = st.registries.get_mut(key) else { return };
        let was_failing = entry.error.is_some();
        let same = entry.error.as_deref() == Some(error.as_str());
        entry.error = Some(error.clone());
        if !same {
            // The snapshot carries the latest message even when no event announces it.
            st.changed();
        }
        if !was_failing {
            self.send_locked(&mut st, &StatusEvent::RegistryError { registry: key.clone(), error: Some(error) });
        }
    }

    fn send_locked(&self, st: &mut HubState, event: &StatusEvent) {
        st.seq += 1;
        let msg = match Sequenced::new(st.seq, event) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                tracing::error!(error = %e, "could not serialise a status event");
                return;
            }
        };
        // A snapshot event is the current state: new clients can start from it as it is.
        st.snapshot = msg.snapshot.then(|| msg.clone());
        if st.history.len() == HISTORY {
            st.history.pop_front();
        }
        st.history.push_back(msg.clone());
        // An error only means nobody is listening right now.
        let _ = self.inner.tx.send(msg);
    }

    /// Subscribes a client. With `last_event_id` inside the history the client gets the
    /// missed events; otherwise a snapshot.
    pub fn subscribe(&self, last_event_id: Option<u64>) -> (Start, broadcast::Receiver<Arc<Sequenced>>) {
        let mut st = self.lock();
        let rx = self.inner.tx.subscribe();
        if let Some(last) = last_event_id {
            let oldest = st.history.front().map(|m| m.id).unwrap_or(st.seq + 1);
            if last >= st.boot_seq && last <= st.seq && last + 1 >= oldest {
                let missed = st.history.iter().filter(|m| m.id > last).cloned().collect();
                return (Start::Replay(missed), rx);
            }
        }
        (Start::Snapshot(st.snapshot()), rx)
    }

    /// A snapshot of everything, for a client that fell behind (the shared one).
    pub fn snapshot(&self) -> Arc<Sequenced> {
        self.lock().snapshot()
    }

    /// Per-registry figures for `/metrics`.
    pub fn health(&self) -> Vec<RegistryHealth> {
        let st = self.lock();
        st.registries
            .iter()
            .map(|(key, entry)| {
                let mut phases = BTreeMap::new();
                for r in &entry.replications {
                    *phases.entry(r.phase().as_str()).or_insert(0) += 1;
                }
                RegistryHealth {
                    registry: key.to_string(),
                    phases,
                    last_poll_age: st.last_poll.get(key).map(Instant::elapsed),
                    failing: entry.error.is_some(),
                }
            })
            .collect()
    }

    /// Ends every status stream (graceful shutdown would otherwise wait on them forever).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Resolves once [`close`](Self::close) has been called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }

    /// Number of connected SSE clients.
    pub fn client_count(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    pub(crate) fn arm(&self) -> &ArmClient {
        &self.inner.arm
    }

    pub(crate) fn intervals(&self) -> PollIntervals {
        self.inner.intervals
    }

    /// One registry (matched as [`registry`](Self::registry) does) and the time since its
    /// last successful poll (`None`: never polled), read under one lock so the age is the state's.
    pub fn registry_with_age(&self, key: &RegistryKey) -> Option<(RegistryState, Option<Duration>)> {
        let st = self.lock();
        let entry = st.registries.get(key)?;
        Some((entry.clone(), st.last_poll.get(key).map(Instant::elapsed)))
    }
}

fn snapshot_event(st: &HubState) -> StatusEvent {
    StatusEvent::Snapshot { registries: st.registries.values().cloned().collect() }
}

impl HubState {
    /// Drops the shared snapshot after a change of the state; the next client that needs
    /// one builds it again.
    fn changed(&mut self) {
        self.snapshot = None;
    }

    /// The snapshot of the current state, current to `seq`: the shared one, or a new one
    /// (then shared) after a change.
    fn snapshot(&mut self) -> Arc<Sequenced> {
        if let Some(s) = self.snapshot.as_ref().filter(|s| s.id == self.seq) {
            return s.clone();
        }
        let msg = Sequenced::new(self.seq, &snapshot_event(self)).unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not serialise the snapshot");
            let frame = format!("id: {}\ndata: {{\"type\":\"snapshot\",\"registries\":[]}}\n\n", self.seq);
            Sequenced { id: self.seq, frame: frame.into(), snapshot: true, scope: Scope::Snapshot(Arc::default()) }
        });
        let msg = Arc::new(msg);
        self.snapshot = Some(msg.clone());
        msg
    }
}

/// Applies a delta to the cached state with the stream's one reducer
/// ([`RegistryState::apply`], which the page applies too).
fn apply(registries: &mut BTreeMap<RegistryKey, RegistryState>, event: &StatusEvent) {
    if let Some(entry) = event.registry().and_then(|key| registries.get_mut(key)) {
        entry.apply(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replimap_arm::Auth;

    /// A hub whose ARM is nowhere (port 9): pollers it starts fail, which no test here minds.
    pub(super) fn hub() -> StatusHub {
        let arm = ArmClient::new("http://127.0.0.1:9", Auth::Static(azure_core::credentials::Secret::new("t")), None)
            .unwrap();
        StatusHub::new(arm, PollIntervals::default())
    }

    /// A registry of subscription `00000000-…`, resource group `rg`, as discovery reports it.
    pub(super) fn summary(name: &str, sku: &str) -> RegistrySummary {
        let replicable = sku == "Premium";
        RegistrySummary {
            key: RegistryKey {
                subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
                resource_group: "rg".parse().unwrap(),
                name: name.parse().unwrap(),
            },
            location: "eastus".parse().unwrap(),
            sku: sku.into(),
            login_server: None,
            replicable,
            not_replicable_reason: (!replicable).then(|| "geo-replication needs Premium".into()),
        }
    }

    fn hub_with_one_registry() -> (StatusHub, RegistryKey) {
        let hub = hub();
        let reg = summary("myregistry", "Standard");
        let key = reg.key.clone();
        // Not replicable: no poller is started, so the test needs no runtime and no ARM.
        hub.reconcile(Discovered { registries: vec![reg], unlisted: Default::default() });
        (hub, key)
    }

    fn snapshot_of(hub: &StatusHub) -> Arc<Sequenced> {
        match hub.subscribe(None).0 {
            Start::Snapshot(s) => s,
            Start::Replay(_) => panic!("a new client starts from a snapshot"),
        }
    }

    #[test]
    fn the_snapshot_is_built_once_per_change_and_shared() {
        let (hub, key) = hub_with_one_registry();
        let a = snapshot_of(&hub);
        let b = snapshot_of(&hub);
        assert!(Arc::ptr_eq(&a, &b), "two clients share one snapshot");
        assert!(Arc::ptr_eq(&a, &hub.snapshot()), "and so does a client that lagged");

        hub.publish(StatusEvent::RegistryError { registry: key.clone(), error: Some("boom".into()) });
        let c = snapshot_of(&hub);
        assert!(!Arc::ptr_eq(&a, &c), "a change makes a new snapshot");
        assert!(c.id > a.id && c.json().contains("boom"));
        assert!(Arc::ptr_eq(&c, &snapshot_of(&hub)));

        // A new message while already failing announces no event, but the snapshot carries it.
        hub.poll_failed(&key, "retry in 5 s".into());
        let d = snapshot_of(&hub);
        assert!(d.json().contains("retry in 5 s"), "{}", d.json());
    }

    #[test]
    fn a_frame_is_one_sse_event_with_the_json() {
        let (hub, _) = hub_with_one_registry();
        let s = snapshot_of(&hub);
        let frame = std::str::from_utf8(&s.frame).unwrap();
        assert!(frame.starts_with(&format!("id: {}\ndata: {{", s.id)), "{frame}");
        assert!(frame.ends_with("}\n\n") && frame.matches('\n').count() == 3, "{frame}");
        let event: StatusEvent = serde_json::from_str(s.json()).unwrap();
        assert!(matches!(event, StatusEvent::Snapshot { registries } if registries.len() == 1));
    }
}

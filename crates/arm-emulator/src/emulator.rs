//! [`Emulator`]: the shared, cheaply cloneable state behind the router, with
//! the Rust side of the admin API (faults, timings, request counts, state).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::{EmulatorConfig, Timings};
use crate::faults::{FaultRule, Faults};
use crate::requests::{RequestRecord, RequestStats};
use crate::seed::{Seed, SeedRegistry};
use crate::store::Store;

/// The emulator's state. Clone it freely: clones share the same state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    timings: Mutex<Timings>,
    faults: Mutex<Faults>,
    requests: Mutex<RequestStats>,
    seed: Seed,
}

/// A poisoned lock only means another request panicked mid-update; the JSON
/// state is still usable, so carry on rather than fail every later request.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Emulator {
    pub fn new(config: EmulatorConfig) -> Self {
        let store = Store::from_seed(&config.seed);
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                timings: Mutex::new(Timings::from(&config)),
                faults: Mutex::new(Faults::default()),
                requests: Mutex::new(RequestStats::default()),
                seed: config.seed,
            }),
        }
    }

    /// The store with every due operation finished.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = lock(&self.inner.store);
        store.tick(Instant::now());
        store
    }

    pub(crate) fn timings(&self) -> Timings {
        *lock(&self.inner.timings)
    }

    pub(crate) fn faults_mut(&self) -> MutexGuard<'_, Faults> {
        lock(&self.inner.faults)
    }

    pub(crate) fn record_request(&self, rec: RequestRecord) {
        lock(&self.inner.requests).record(rec);
    }

    /// Current provisioning delay (create and delete).
    pub fn provisioning_delay(&self) -> Duration {
        self.timings().provisioning_delay
    }

    /// Changes the create/delete delay for operations started from now on.
    pub fn set_provisioning_delay(&self, delay: Duration) {
        lock(&self.inner.timings).provisioning_delay = delay;
    }

    /// Changes the update (PATCH) delay for operations started from now on.
    pub fn set_update_delay(&self, delay: Duration) {
        lock(&self.inner.timings).update_delay = delay;
    }

    /// Changes the list page size (minimum 1).
    pub fn set_page_size(&self, page_size: usize) {
        lock(&self.inner.timings).page_size = page_size.max(1);
    }

    /// Changes the `Retry-After` seconds sent on 201/202 and running operations.
    pub fn set_retry_after_secs(&self, secs: u64) {
        lock(&self.inner.timings).retry_after_secs = secs;
    }

    /// Replaces all fault rules.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.faults_mut().rules = rules;
    }

    /// Appends one fault rule (rules are tried in order).
    pub fn add_fault(&self, rule: FaultRule) {
        self.faults_mut().rules.push(rule);
    }

    pub fn clear_faults(&self) {
        self.faults_mut().rules.clear();
    }

    /// Rules still active (used-up rules are dropped).
    pub fn faults(&self) -> Vec<FaultRule> {
        self.faults_mut().rules.clone()
    }

    /// ARM requests served since start-up or the last reset.
    pub fn request_count(&self) -> u64 {
        lock(&self.inner.requests).total
    }

    pub fn request_stats(&self) -> RequestStats {
        lock(&self.inner.requests).clone()
    }

    pub fn reset_requests(&self) {
        *lock(&self.inner.requests) = RequestStats::default();
    }

    /// Back to the seed: state rebuilt, faults cleared, counters reset.
    pub fn reset(&self) {
        *lock(&self.inner.store) = Store::from_seed(&self.inner.seed);
        self.clear_faults();
        self.reset_requests();
    }

    /// Adds (or replaces) a registry with its replicas, as a seed would.
    pub fn add_registry(&self, registry: SeedRegistry) {
        self.store()
            .add_seed_registry(&registry, &crate::docs::now());
    }

    /// The registry document as ARM would return it.
    pub fn registry(&self, sub: &str, rg: &str, reg: &str) -> Option<Value> {
        let store = self.store();
        let idx = store.registry_index(sub, rg, reg)?;
        store.registries.get(idx).map(|r| r.doc.clone())
    }

    /// Every registry document with its replicas under `replications`
    /// (for `GET /_emulator/state`).
    pub fn snapshot(&self) -> Value {
        let store = self.store();
        let registries: Vec<Value> = store
            .registries
            .iter()
            .map(|r| {
                let replicas: Vec<Value> = r.replicas.iter().map(|x| x.doc.clone()).collect();
                serde_json::json!({ "registry": r.doc, "replications": replicas })
            })
            .collect();
        serde_json::json!({ "subscriptions": store.subscriptions, "registries": registries })
    }

    /// The registry's replication documents, in list order.
    pub fn replications(&self, sub: &str, rg: &str, reg: &str) -> Option<Vec<Value>> {
        let store = self.store();
        let idx = store.registry_index(sub, rg, reg)?;
        store
            .registries
            .get(idx)
            .map(|r| r.replicas.iter().map(|x| x.doc.clone()).collect())
    }
}

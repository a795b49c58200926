//! [`Emulator`]: the shared, cheaply cloneable state behind the router, with
//! the Rust side of the admin API (faults, timings, request counts, state) and
//! the key its access tokens are signed with.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::auth::{SigningKey, TokenRequest};
use crate::config::{EmulatorConfig, Timings};
use crate::faults::{FaultRule, Faults};
use crate::graph_quota::{GraphQuota, QuotaBook};
use crate::requests::{RequestRecord, RequestStats};
use crate::seed::{Seed, SeedRegistry, SeedReplica};
use crate::store::Store;
use crate::throttle::{Throttler, Throttling};

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
    throttler: Mutex<Throttler>,
    graph_quota: Mutex<QuotaBook>,
    seed: Seed,
    /// Signs and checks access tokens; kept in the state file so tokens issued
    /// before a restart stay valid after it.
    key: SigningKey,
    state_file: Option<PathBuf>,
    /// The text last written to `state_file`, to skip writes that change nothing.
    saved: Mutex<String>,
    /// When a read last wrote the state file (see [`Emulator::persist_after_read`]).
    read_persisted: Mutex<Option<Instant>>,
}

/// A token just signed: `lifetime_secs` is `exp - iat`, the token response's `expires_in`.
pub(crate) struct IssuedToken {
    pub token: String,
    pub expires_on: time::OffsetDateTime,
    pub lifetime_secs: i64,
}

/// A poisoned lock only means another request panicked mid-update; the JSON
/// state is still usable, so carry on rather than fail every later request.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Emulator {
    /// An emulator in the seed's state, or the state file's when
    /// `config.state_file` exists. An unreadable state file is reported on
    /// stderr and the seed is used; call [`Emulator::try_new`] to get the error.
    pub fn new(config: EmulatorConfig) -> Self {
        let path = config.state_file.clone();
        Self::try_new(config.clone()).unwrap_or_else(|e| {
            eprintln!("replimap emulator: ignoring state file {}: {e}", path.unwrap_or_default().display());
            let config = EmulatorConfig { state_file: None, ..config };
            Self::build(Store::from_seed(&config.seed), SigningKey::generate(), config)
        })
    }

    /// Like [`Emulator::new`] but fails when the state file exists and cannot
    /// be read or parsed.
    pub fn try_new(config: EmulatorConfig) -> std::io::Result<Self> {
        let loaded = match &config.state_file {
            Some(path) => crate::persist::load(path)?,
            None => None,
        };
        let (store, key) = match loaded {
            Some(l) => (l.store, l.key.unwrap_or_else(SigningKey::generate)),
            None => (Store::from_seed(&config.seed), SigningKey::generate()),
        };
        let emu = Self::build(store, key, config);
        // Also settles what finished while the emulator was down.
        emu.persist();
        Ok(emu)
    }

    fn build(store: Store, key: SigningKey, config: EmulatorConfig) -> Self {
        let mut throttler = Throttler::default();
        throttler.set_limits(config.throttling);
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                timings: Mutex::new(Timings::from(&config)),
                faults: Mutex::new(Faults::default()),
                requests: Mutex::new(RequestStats::default()),
                throttler: Mutex::new(throttler),
                graph_quota: Mutex::new(QuotaBook::default()),
                seed: config.seed,
                key,
                state_file: config.state_file,
                saved: Mutex::new(String::new()),
                read_persisted: Mutex::new(None),
            }),
        }
    }

    /// Writes the state file if one is configured and the state changed.
    /// A failed write is reported on stderr and retried after the next request.
    pub(crate) fn persist(&self) {
        let Some(path) = &self.inner.state_file else {
            return;
        };
        // Held while the text is made and written, so a slower request cannot
        // overwrite a newer state with an older one.
        let mut saved = lock(&self.inner.saved);
        let text = crate::persist::to_text(&self.store(), &self.inner.key);
        if *saved == text {
            return;
        }
        match crate::persist::save(path, &text) {
            Ok(()) => *saved = text,
            Err(e) => eprintln!("replimap emulator: cannot write {}: {e}", path.display()),
        }
    }

    /// After a read: a read changes the state only by finishing due operations, which a
    /// restart finishes again from their deadlines, so the file is written at most once a
    /// second for reads. Making the text costs ~0.1 ms per resource, which with the bench's
    /// thousand workloads was most of every request's time.
    pub(crate) fn persist_after_read(&self) {
        {
            let mut last = lock(&self.inner.read_persisted);
            if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1)) {
                return;
            }
            *last = Some(Instant::now());
        }
        self.persist();
    }

    pub(crate) fn throttler(&self) -> MutexGuard<'_, Throttler> {
        lock(&self.inner.throttler)
    }

    /// Turns ARM throttling on with `limits`, or off with `None`; buckets start full.
    pub fn set_throttling(&self, limits: Option<Throttling>) {
        self.throttler().set_limits(limits);
    }

    /// The throttling limits in force, if throttling is on.
    pub fn throttling(&self) -> Option<Throttling> {
        self.throttler().limits
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

    /// Changes the lifetime of tokens issued from now on (whole seconds count).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.inner.timings).token_lifetime = lifetime;
    }

    /// Current lifetime of issued tokens.
    pub fn token_lifetime(&self) -> Duration {
        self.timings().token_lifetime
    }

    pub(crate) fn key(&self) -> &SigningKey {
        &self.inner.key
    }

    /// Signs a token with the lifetime in force and counts it: the application's own, or
    /// with `user` one for the user it acts for (on-behalf-of).
    pub(crate) fn issue_token(
        &self,
        audience: &str,
        issuer: &str,
        tenant: &str,
        client_id: &str,
        user: Option<&crate::auth::TokenUser>,
    ) -> IssuedToken {
        let lifetime_secs = i64::try_from(self.token_lifetime().as_secs()).unwrap_or(i64::MAX);
        let req = TokenRequest { audience, issuer, tenant, client_id, lifetime_secs, user };
        let (token, expires_on) = crate::auth::issue(&self.inner.key, &req, time::OffsetDateTime::now_utc());
        lock(&self.inner.requests).tokens_issued += 1;
        IssuedToken { token, expires_on, lifetime_secs }
    }

    pub(crate) fn record_auth_refused(&self) {
        lock(&self.inner.requests).auth_refused += 1;
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

    /// Clears the fault rules and the Resource Graph refusal.
    pub fn clear_faults(&self) {
        let mut faults = self.faults_mut();
        faults.rules.clear();
        faults.resource_graph_refused = false;
    }

    /// Makes Resource Graph answer 403 `AuthorizationFailed` (`true`) or serve again.
    pub fn set_resource_graph_refused(&self, refuse: bool) {
        self.faults_mut().resource_graph_refused = refuse;
    }

    pub fn resource_graph_refused(&self) -> bool {
        self.faults_mut().resource_graph_refused
    }

    pub(crate) fn graph_quota(&self) -> MutexGuard<'_, QuotaBook> {
        lock(&self.inner.graph_quota)
    }

    /// Sets Resource Graph's per-user quota (`None`: no quota, no quota headers); windows start afresh.
    pub fn set_resource_graph_quota(&self, quota: Option<GraphQuota>) {
        self.graph_quota().set_limit(quota);
    }

    pub fn resource_graph_quota(&self) -> Option<GraphQuota> {
        self.graph_quota().limit
    }

    pub(crate) fn record_retail_request(&self) {
        lock(&self.inner.requests).retail_price_requests += 1;
    }

    /// Out of band: adds or replaces a workload resource (any type); its subscription
    /// and group are created when missing. Returns the stored document.
    pub fn put_workload(&self, workload: &crate::workloads::SeedWorkload) -> Result<Value, String> {
        self.store().put_workload(workload)
    }

    /// Out of band: removes a workload (and its children). `false` when there was none.
    pub fn remove_workload(&self, id: &str) -> bool {
        self.store().remove_workload(id)
    }

    /// Out of band: adds or replaces a role assignment. Returns the stored document.
    pub fn put_role_assignment(&self, assignment: &crate::workloads::SeedRoleAssignment) -> Result<Value, String> {
        self.store().put_role_assignment(assignment)
    }

    pub fn remove_role_assignment(&self, id: &str) -> bool {
        self.store().remove_role_assignment(id)
    }

    /// Every workload document and role assignment, in store order.
    pub fn workload_documents(&self) -> (Vec<Value>, Vec<Value>) {
        let store = self.store();
        (store.resources.clone(), store.role_assignments.clone())
    }

    pub(crate) fn generate_workloads(&self, g: &crate::generate::Generate) -> Result<Value, String> {
        self.store().generate(g)
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

    /// Back to the seed: state rebuilt, faults cleared, counters and quota windows reset.
    pub fn reset(&self) {
        *lock(&self.inner.store) = Store::from_seed(&self.inner.seed);
        self.clear_faults();
        self.reset_requests();
        let limit = self.resource_graph_quota();
        self.set_resource_graph_quota(limit);
    }

    /// Adds (or replaces) a registry with its replicas, as a seed would.
    pub fn add_registry(&self, registry: SeedRegistry) {
        self.store().add_seed_registry(&registry, &crate::docs::now());
    }

    /// Out of band: removes a registry (names are global) at once, as if it
    /// was deleted in the portal. `false` when there is no such registry.
    pub fn remove_registry(&self, name: &str) -> bool {
        let mut store = self.store();
        let before = store.registries.len();
        store.registries.retain(|r| !r.name().eq_ignore_ascii_case(name));
        store.registries.len() != before
    }

    /// Out of band: adds or replaces a replica of registry `registry` (no LRO,
    /// no checks). `false` when the registry does not exist.
    pub fn put_replica(&self, registry: &str, replica: SeedReplica) -> bool {
        let mut store = self.store();
        let Some(reg) = store.registry_by_name_mut(registry) else {
            return false;
        };
        let tags = replica.tags.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
        let created_by = crate::auth::Principal::from_seed(&replica.created_by_type);
        let new = crate::docs::NewReplica {
            registry_id: reg.id(),
            name: &replica.name,
            location: &crate::regions::normalize(&replica.location),
            tags,
            region_endpoint_enabled: replica.region_endpoint_enabled,
            zone_redundancy: &replica.zone_redundancy,
            created_by: &created_by,
            provisioning_state: &replica.provisioning_state,
        };
        let doc = crate::docs::replica(new, &crate::docs::now());
        let entry = crate::store::ReplicaEntry { doc, active_op: None };
        match reg
            .replicas
            .iter()
            .position(|r| crate::docs::str_field(&r.doc, "name").eq_ignore_ascii_case(&replica.name))
        {
            Some(i) => reg.replicas[i] = entry,
            None => reg.replicas.push(entry),
        }
        true
    }

    /// Out of band: sets a replica's `provisioningState` (and the matching
    /// `status`; `message` is used for `Failed`), cancelling any operation on
    /// it. `false` when the replica does not exist.
    pub fn set_replica_state(&self, registry: &str, replica: &str, state: &str, message: Option<&str>) -> bool {
        let mut store = self.store();
        let Some(rep) = store.registry_by_name_mut(registry).and_then(|r| r.replica_mut(replica)) else {
            return false;
        };
        // The running operation no longer owns the replica: it ends Canceled.
        rep.active_op = None;
        crate::docs::set_state(&mut rep.doc, state, message, &crate::docs::now());
        true
    }

    /// Out of band: removes a replica at once. `false` when it does not exist.
    pub fn remove_replica(&self, registry: &str, replica: &str) -> bool {
        let mut store = self.store();
        let Some(reg) = store.registry_by_name_mut(registry) else {
            return false;
        };
        let before = reg.replicas.len();
        reg.replicas.retain(|r| !crate::docs::str_field(&r.doc, "name").eq_ignore_ascii_case(replica));
        reg.replicas.len() != before
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
        store.registries.get(idx).map(|r| r.replicas.iter().map(|x| x.doc.clone()).collect())
    }
}

//! Keeps the watched set equal to what ARM lists: registries that appeared are added, ones
//! that vanished are dropped (poller stopped, state gone), and a changed SKU starts or stops
//! the poller. Pages learn of any of it from a fresh snapshot in the stream, which replaces
//! their registry list (the same way they learnt of new registries before).
//!
//! State and pollers change together under the hub's one lock, so a registry is never watched
//! without a poller, nor polled after it was dropped.

use std::collections::BTreeSet;
use std::sync::Arc;

use replimap_types::{RegistryKey, RegistryState, RegistrySummary, SubscriptionId};
use tokio::sync::Notify;

use super::counters::Removal;
use super::supervisor::{self, Exit};
use super::{poller, snapshot_event, HubState, StatusHub};

/// One discovery's answer.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Every registry listed (already narrowed by the configured filter).
    pub registries: Vec<RegistrySummary>,
    /// Subscriptions that could not be listed this time: their registries are kept as they
    /// are, since one failed call says nothing about whether they still exist.
    pub unlisted: BTreeSet<SubscriptionId>,
}

/// A running poller supervisor.
pub(super) struct Watcher {
    /// Tells a supervisor that ended by itself from its successor for the same key.
    id: u64,
    pub(super) nudge: Arc<Notify>,
    task: tokio::task::AbortHandle,
}

impl Drop for Watcher {
    /// Dropping the watcher stops its poller: aborting the supervisor drops the poller task.
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StatusHub {
    /// Makes the watched set what ARM listed; returns immediately. The first call marks the
    /// hub discovered and always sends a snapshot (clients that connected before get the list).
    pub fn reconcile(&self, found: Discovered) {
        let mut st = self.lock();
        let first = !st.discovered;
        st.discovered = true;
        let mut changed = false;

        let listed: BTreeSet<RegistryKey> = found.registries.iter().map(|r| r.key.clone()).collect();
        let vanished: Vec<RegistryKey> = st
            .registries
            .keys()
            .filter(|k| !listed.contains(*k) && !found.unlisted.contains(&k.subscription_id))
            .cloned()
            .collect();
        for key in vanished {
            tracing::info!(registry = %key, "registry no longer listed by ARM; no longer watching it");
            drop_registry(&mut st, &key);
            self.inner.counters.removed(Removal::Discovery);
            changed = true;
        }

        for reg in found.registries {
            changed |= self.upsert_locked(&mut st, reg);
        }

        if first || changed {
            let event = snapshot_event(&st);
            self.send_locked(&mut st, &event);
        }
    }

    /// Adds a registry, or updates one whose summary changed; true if anything changed.
    fn upsert_locked(&self, st: &mut HubState, reg: RegistrySummary) -> bool {
        let key = reg.key.clone();
        let Some(entry) = st.registries.get_mut(&key) else {
            let replicable = reg.replicable;
            st.registries.insert(
                key.clone(),
                RegistryState { registry: reg, replications: Vec::new(), error: None, coverage: None },
            );
            if replicable {
                self.start_watcher(st, key);
            }
            return true;
        };
        if entry.registry == reg {
            return false;
        }
        let was_replicable = entry.registry.replicable;
        if entry.registry.sku != reg.sku {
            tracing::info!(registry = %key, from = %entry.registry.sku, to = %reg.sku, "registry SKU changed");
            self.inner.counters.sku_changed();
        }
        let now_replicable = reg.replicable;
        entry.registry = reg;
        match (was_replicable, now_replicable) {
            (false, true) => self.start_watcher(st, key),
            (true, false) => {
                // As a registry that was never replicable: no poller, no replica list.
                if let Some(entry) = st.registries.get_mut(&key) {
                    entry.replications.clear();
                    entry.error = None;
                }
                st.watchers.remove(&key);
                st.last_poll.remove(&key);
                *st.generation.entry(key).or_insert(0) += 1;
            }
            _ => {}
        }
        true
    }

    /// Starts the supervised poller of `key` (replacing any earlier one).
    fn start_watcher(&self, st: &mut HubState, key: RegistryKey) {
        let nudge = Arc::new(Notify::new());
        let (hub, k, n) = (self.clone(), key.clone(), nudge.clone());
        self.start_supervised(st, key, nudge, move || poller::run(hub.clone(), k.clone(), n.clone()));
    }

    /// Runs `poll` under the supervisor as the watcher of `key` (tests inject a failing one).
    fn start_supervised<F, Fut>(&self, st: &mut HubState, key: RegistryKey, nudge: Arc<Notify>, poll: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Exit> + Send + 'static,
    {
        st.next_watcher += 1;
        let id = st.next_watcher;
        let (hub, k) = (self.clone(), key.clone());
        let task = tokio::spawn(async move {
            let restarting = |reason, wait: std::time::Duration| {
                hub.inner.counters.restarted(reason);
                // The pages show it until a poll succeeds again: a registry never goes quiet unseen.
                let secs = wait.as_secs_f64().ceil();
                hub.poll_failed(&k, format!("Watching this registry stopped unexpectedly; retrying in {secs} s."));
            };
            match supervisor::supervise(&k, supervisor::POLICY, poll, restarting).await {
                Exit::Gone => hub.forget(&k, id),
                Exit::Stopped | Exit::Failed(_) => hub.watcher_ended(&k, id),
            }
        });
        st.watchers.insert(key, Watcher { id, nudge, task: task.abort_handle() });
    }

    /// Drops a registry its own poller found gone from ARM, and tells the pages.
    fn forget(&self, key: &RegistryKey, watcher: u64) {
        let mut st = self.lock();
        // A newer watcher means the registry was dropped and listed again meanwhile: keep it.
        if st.watchers.get(key).is_some_and(|w| w.id != watcher) {
            return;
        }
        if drop_registry(&mut st, key) {
            self.inner.counters.removed(Removal::NotFound);
            let event = snapshot_event(&st);
            self.send_locked(&mut st, &event);
        }
    }

    /// Clears the entry of a supervisor that ended by itself (its task is already done).
    fn watcher_ended(&self, key: &RegistryKey, watcher: u64) {
        let mut st = self.lock();
        if st.watchers.get(key).is_some_and(|w| w.id == watcher) {
            st.watchers.remove(key);
        }
    }
}

/// Removes everything the hub keeps about `key`, stopping its poller; false if it was not watched.
fn drop_registry(st: &mut HubState, key: &RegistryKey) -> bool {
    st.watchers.remove(key);
    st.last_poll.remove(key);
    st.generation.remove(key);
    st.registries.remove(key).is_some()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hub, summary};
    use super::*;

    fn snapshot_names(hub: &StatusHub) -> Vec<String> {
        let json = hub.snapshot().json().to_owned();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["registries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["registry"]["key"]["name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn found(regs: Vec<RegistrySummary>) -> Discovered {
        Discovered { registries: regs, unlisted: BTreeSet::new() }
    }

    #[tokio::test]
    async fn vanished_registries_are_dropped_with_their_poller_and_announced() {
        let hub = hub();
        hub.reconcile(found(vec![summary("stdreg01", "Standard"), summary("premreg01", "Premium")]));
        assert_eq!(hub.counters().pollers, 1);
        let (_, mut rx) = hub.subscribe(None);

        hub.reconcile(found(vec![summary("stdreg01", "Standard")]));
        let event = rx.try_recv().unwrap();
        assert!(event.snapshot, "pages get a fresh snapshot");
        assert_eq!(snapshot_names(&hub), ["stdreg01"]);
        let c = hub.counters();
        assert_eq!((c.registries_watched, c.pollers, c.removed_on_discovery), (1, 0, 1));

        // Nothing changed: nothing is sent.
        hub.reconcile(found(vec![summary("stdreg01", "Standard")]));
        assert!(rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn registries_of_a_subscription_that_could_not_be_listed_are_kept() {
        let hub = hub();
        hub.reconcile(found(vec![summary("stdreg01", "Standard")]));
        let sub = summary("stdreg01", "Standard").key.subscription_id;
        hub.reconcile(Discovered { registries: Vec::new(), unlisted: [sub].into() });
        assert_eq!(hub.registries().len(), 1);
        assert_eq!(hub.counters().removed_on_discovery, 0);
    }

    #[tokio::test]
    async fn a_sku_change_starts_or_stops_the_poller() {
        let hub = hub();
        hub.reconcile(found(vec![summary("myregistry", "Standard")]));
        assert_eq!(hub.counters().pollers, 0);

        hub.reconcile(found(vec![summary("myregistry", "Premium")]));
        let c = hub.counters();
        assert_eq!((c.pollers, c.sku_changes), (1, 1));
        assert!(hub.registries()[0].replicable);
        assert!(snapshot_names(&hub) == ["myregistry"] && hub.snapshot().json().contains("\"Premium\""));

        hub.reconcile(found(vec![summary("myregistry", "Basic")]));
        let c = hub.counters();
        assert_eq!((c.pollers, c.sku_changes), (0, 2));
        let state = hub.states().remove(0);
        assert!(!state.registry.replicable && state.replications.is_empty() && state.error.is_none());
        assert!(!hub.polled(&state.registry.key), "writes wait for a poll again after an upgrade");
    }

    #[tokio::test]
    async fn a_panicking_poller_is_restarted_counted_and_shown() {
        let hub = hub();
        let reg = summary("myregistry", "Standard");
        let key = reg.key.clone();
        hub.reconcile(found(vec![reg]));
        let (_, mut rx) = hub.subscribe(None);
        let runs = Arc::new(std::sync::atomic::AtomicU32::new(0));
        {
            let r = runs.clone();
            let mut st = hub.lock();
            hub.start_supervised(&mut st, key.clone(), Arc::new(Notify::new()), move || {
                let n = r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    if n == 0 {
                        panic!("injected poller panic");
                    }
                    std::future::pending::<Exit>().await
                }
            });
        }
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        assert!(
            event.json().contains("registry_error") && event.json().contains("stopped unexpectedly"),
            "{}",
            event.json()
        );
        for _ in 0..100 {
            if runs.load(std::sync::atomic::Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2, "restarted once");
        let c = hub.counters();
        assert_eq!((c.restarts_panic, c.restarts_error, c.pollers), (1, 0, 1));
    }
}

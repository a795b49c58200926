//! Long-running operations at work on the store: started by a write, finished when due. An
//! operation is due at a fixed instant; the store is advanced lazily ([`Store::tick`]) at the
//! start of every request, so no background task is needed and nothing outlives the emulator.
//! The records themselves live in `operation.rs`, which the store holds without knowing this
//! module.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::docs;
use crate::handlers::container_registry::operation_result_path;
use crate::operation::{OpKind, OpRequest, Operation};
use crate::store::{eq, Store};

/// Finished operations kept so their monitor URLs keep answering; the oldest
/// go first, so a long demo neither grows without bound in memory nor in the
/// state file.
const FINISHED_KEPT: usize = 1000;

impl Store {
    /// Records a new running operation and returns its id.
    pub fn start_op(&mut self, req: OpRequest) -> String {
        let name = req.name.unwrap_or_else(|| {
            let prefix = match req.kind {
                OpKind::DeleteRegistry => {
                    let reg = req.target.rsplit('/').next().unwrap_or_default();
                    format!("delete-{reg}")
                }
                _ => "replications".to_owned(),
            };
            format!("{prefix}-{}", uuid::Uuid::new_v4())
        });
        self.prune_finished();
        let started_at = OffsetDateTime::now_utc();
        self.operations.push(Operation {
            poll_path: (req.poll_path)(&name),
            name: name.clone(),
            kind: req.kind,
            target: req.target,
            replica: req.replica,
            status: req.kind.running_status().to_owned(),
            start_time: docs::timestamp(started_at),
            end_time: None,
            started_at,
            duration: req.delay,
            due: Instant::now() + req.delay,
            error: None,
            failure: req.failure,
        });
        name
    }

    fn prune_finished(&mut self) {
        let finished = self.operations.iter().filter(|o| !o.is_running()).count();
        let mut excess = finished.saturating_sub(FINISHED_KEPT - 1);
        // `operations` is in start order, so the first finished ones are the oldest.
        self.operations.retain(|o| {
            let drop = excess > 0 && !o.is_running();
            excess -= usize::from(drop);
            !drop
        });
    }

    /// The monitor path (`Azure-AsyncOperation` or `Location`) of an operation just started.
    pub fn poll_path(&self, op: &str) -> String {
        self.operation(op).map(|o| o.poll_path.clone()).unwrap_or_default()
    }

    /// Starts deleting the registry at `idx` (202 + Location to
    /// `…/locations/{home}/operationResults/delete-{reg}-<uuid>`, arm-facts §3)
    /// and marks it `Deleting`. `None` when there is no such registry.
    pub fn begin_registry_delete(&mut self, idx: usize, delay: Duration) -> Option<String> {
        let (id, sub, home) = {
            let r = self.registries.get(idx)?;
            (r.id().to_owned(), r.sub.clone(), r.location().to_owned())
        };
        let op = self.start_op(OpRequest {
            kind: OpKind::DeleteRegistry,
            target: id,
            replica: None,
            name: None,
            poll_path: Box::new(move |op| operation_result_path(&sub, &home, op)),
            delay,
            failure: None,
        });
        let r = self.registries.get_mut(idx)?;
        r.active_op = Some(op.clone());
        docs::set_state(&mut r.doc, "Deleting", None, &docs::now());
        Some(op)
    }

    /// Finishes every operation that is due, oldest first.
    pub fn tick(&mut self, now: Instant) {
        let mut due: Vec<(Instant, String)> = self
            .operations
            .iter()
            .filter(|o| o.is_running() && o.due <= now)
            .map(|o| (o.due, o.name.clone()))
            .collect();
        due.sort();
        for (_, name) in due {
            self.finish(&name);
        }
    }

    fn finish(&mut self, name: &str) {
        let Some(op) = self.operation(name).cloned() else {
            return;
        };
        let at = docs::timestamp(op.due_at(OffsetDateTime::now_utc()));
        let (status, error) = match op.kind {
            OpKind::CreateReplica | OpKind::UpdateReplica => self.finish_replica_write(&op, &at),
            OpKind::DeleteReplica => {
                if let (Some(reg), Some(rep)) = (self.registry_by_id_mut(&op.target), &op.replica) {
                    reg.replicas.retain(|r| {
                        !(eq(docs::str_field(&r.doc, "name"), rep) && r.active_op.as_deref() == Some(name))
                    });
                }
                ("Succeeded".to_owned(), None)
            }
            OpKind::DeleteRegistry => {
                self.registries.retain(|r| !(eq(r.id(), &op.target) && r.active_op.as_deref() == Some(name)));
                ("Succeeded".to_owned(), None)
            }
            OpKind::DeleteResourceGroup => {
                self.finish_group_delete(&op);
                ("Succeeded".to_owned(), None)
            }
        };
        if let Some(o) = self.operations.iter_mut().find(|o| o.name == name) {
            o.status = status;
            o.error = error;
            o.end_time = Some(at);
        }
    }

    /// Create/update end: Succeeded/Ready, or Failed when a fault was injected.
    /// If another operation took the replica over (e.g. a delete), this one is
    /// reported Canceled and leaves the replica alone.
    fn finish_replica_write(&mut self, op: &Operation, at: &str) -> (String, Option<(String, String)>) {
        let replica = self
            .registry_by_id_mut(&op.target)
            .and_then(|reg| op.replica.as_deref().and_then(|n| reg.replica_mut(n)))
            .filter(|r| r.active_op.as_deref() == Some(op.name.as_str()));
        let Some(replica) = replica else {
            let err = ("OperationCanceled".to_owned(), "The operation was canceled by a later request.".to_owned());
            return ("Canceled".to_owned(), Some(err));
        };
        replica.active_op = None;
        match &op.failure {
            Some((code, message)) => {
                docs::set_state(&mut replica.doc, "Failed", Some(message), at);
                ("Failed".to_owned(), Some((code.clone(), message.clone())))
            }
            None => {
                docs::set_state(&mut replica.doc, "Succeeded", None, at);
                ("Succeeded".to_owned(), None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: OpKind, delay: Duration) -> OpRequest {
        OpRequest {
            kind,
            target: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r".into(),
            replica: Some("x".into()),
            name: None,
            poll_path: Box::new(|op| format!("/ops/{op}")),
            delay,
            failure: None,
        }
    }

    #[test]
    fn only_the_newest_finished_operations_are_kept() {
        let mut store = Store::default();
        let first = store.start_op(op(OpKind::DeleteReplica, Duration::ZERO));
        let running = store.start_op(op(OpKind::DeleteReplica, Duration::from_secs(3600)));
        for _ in 0..FINISHED_KEPT {
            store.tick(Instant::now());
            store.start_op(op(OpKind::DeleteReplica, Duration::ZERO));
        }
        store.tick(Instant::now());
        assert!(store.operation(&first).is_none(), "the oldest finished one went");
        assert!(store.operation(&running).is_some_and(Operation::is_running), "running ones stay");
        assert_eq!(store.operations.iter().filter(|o| !o.is_running()).count(), FINISHED_KEPT);
    }

    #[test]
    fn a_late_finish_reports_the_time_it_was_due() {
        let mut store = Store::default();
        let name = store.start_op(op(OpKind::DeleteReplica, Duration::ZERO));
        let started = store.operation(&name).map(|o| o.start_time.clone());
        store.tick(Instant::now() + Duration::from_secs(5));
        assert_eq!(store.operation(&name).and_then(|o| o.end_time.clone()), started);
    }
}

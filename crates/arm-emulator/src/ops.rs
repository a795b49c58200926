//! Long-running operations at work on the store: started by a write, finished when due. An
//! operation is due at a fixed instant; the store is advanced lazily ([`Store::tick`]) at the
//! start of every request, so no background task is needed and nothing outlives the emulator.
//! The records themselves live in `operation.rs`, which the store holds without knowing this
//! module.

use std::time::Instant;

use crate::docs;
use crate::operation::{OpKind, OpRequest, Operation};
use crate::store::{eq, Store};

impl Store {
    /// Records a new running operation and returns its id.
    pub fn start_op(&mut self, req: OpRequest) -> String {
        let prefix = match req.kind {
            OpKind::DeleteRegistry => {
                let reg = req.registry_id.rsplit('/').next().unwrap_or_default();
                format!("delete-{reg}")
            }
            _ => "replications".to_owned(),
        };
        let name = format!("{prefix}-{}", uuid::Uuid::new_v4());
        self.operations.push(Operation {
            poll_path: (req.poll_path)(&name),
            name: name.clone(),
            kind: req.kind,
            registry_id: req.registry_id,
            replica: req.replica,
            status: req.kind.running_status().to_owned(),
            start_time: docs::now(),
            end_time: None,
            due: Instant::now() + req.delay,
            error: None,
            failure: req.failure,
        });
        name
    }

    /// The monitor path (`Azure-AsyncOperation` or `Location`) of an operation just started.
    pub fn poll_path(&self, op: &str) -> String {
        self.operation(op).map(|o| o.poll_path.clone()).unwrap_or_default()
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
        let at = docs::now();
        let (status, error) = match op.kind {
            OpKind::CreateReplica | OpKind::UpdateReplica => self.finish_replica_write(&op, &at),
            OpKind::DeleteReplica => {
                if let (Some(reg), Some(rep)) = (self.registry_by_id_mut(&op.registry_id), &op.replica) {
                    reg.replicas.retain(|r| {
                        !(eq(docs::str_field(&r.doc, "name"), rep) && r.active_op.as_deref() == Some(name))
                    });
                }
                ("Succeeded".to_owned(), None)
            }
            OpKind::DeleteRegistry => {
                self.registries.retain(|r| !(eq(r.id(), &op.registry_id) && r.active_op.as_deref() == Some(name)));
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
            .registry_by_id_mut(&op.registry_id)
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

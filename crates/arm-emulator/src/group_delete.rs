//! Deleting a resource group (Microsoft.Resources `ResourceGroups_Delete`), as ARM does it:
//! `202 Accepted`, empty body, `Location:
//! /subscriptions/{sub}/operationresults/{job}` and `Retry-After`; the monitor answers 202
//! (with `Location` again) while running and an empty 200 when done. `{job}` is base64url
//! of `{"jobId":"RESOURCEGROUPDELETIONJOB-{GROUP}|{HEX}-{REGION}","jobLocation":"{region}"}`
//! (recordings: Azure/azure-cli `resource/tests/latest/recordings/test_resource_group.yaml`,
//! Azure SDK test fixtures).
//!
//! Order, after "Azure Resource Manager resource group deletion" (MicrosoftDocs azure-docs
//! `articles/azure-resource-manager/management/delete-resource-group.md`): ARM first sends a
//! DELETE to every resource in the group, child resources first, waits for each, and only
//! then removes the group. So at the start the group and every registry and replica in it
//! turn `Deleting`; the registries (with their replicas) are gone half-way through, as their
//! own deletes finish; the group goes last. Writes into a group being deleted are refused
//! with 409 `ResourceGroupBeingDeleted`.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::assumptions as a;
use crate::docs;
use crate::error::{ArmError, ArmResult};
use crate::operation::{OpKind, OpRequest, Operation};
use crate::store::{eq, Store};

/// `/subscriptions/{sub}/resourceGroups/{rg}`, the target of a group delete.
pub(crate) fn group_id(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

/// `(sub, rg)` from [`group_id`]'s shape.
fn parse_group_id(id: &str) -> Option<(&str, &str)> {
    let mut segs = id.split('/').filter(|s| !s.is_empty());
    match (segs.next(), segs.next(), segs.next(), segs.next(), segs.next()) {
        (Some(s), Some(sub), Some(g), Some(rg), None) if eq(s, "subscriptions") && eq(g, "resourceGroups") => {
            Some((sub, rg))
        }
        _ => None,
    }
}

/// ARM's job token: the group name upper-cased with anything but letters and digits
/// escaped as `:XX` (`my_rg` → `MY:5FRG`), a random suffix so a re-created group's
/// deletion is a new job, and the region.
fn job_token(rg: &str, location: &str) -> String {
    let mut group = String::new();
    for c in rg.chars() {
        if c.is_ascii_alphanumeric() {
            group.push(c.to_ascii_uppercase());
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                group.push_str(&format!(":{b:02X}"));
            }
        }
    }
    let suffix = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let suffix = suffix.get(..16).unwrap_or(&suffix);
    let job = serde_json::json!({
        "jobId": format!("RESOURCEGROUPDELETIONJOB-{group}|{suffix}-{}", location.to_ascii_uppercase()),
        "jobLocation": location,
    });
    URL_SAFE_NO_PAD.encode(job.to_string())
}

/// The monitor path of a group delete.
fn monitor_path(sub: &str, job: &str) -> String {
    format!("/subscriptions/{sub}/operationresults/{job}")
}

impl Store {
    /// 409 while the group is being deleted: no resource may be written into it.
    pub fn require_rg_writable(&self, sub: &str, rg: &str) -> ArmResult<()> {
        self.require_rg(sub, rg)?;
        match self.rg(sub, rg).and_then(|e| e.active_op.as_deref()) {
            Some(_) => Err(ArmError::conflict(
                a::GROUP_BEING_DELETED_CODE,
                format!("The resource group '{rg}' is in deprovisioning state and cannot perform this operation."),
            )),
            None => Ok(()),
        }
    }

    /// The running deletion of the group, if one is.
    pub fn group_delete_in_flight(&self, sub: &str, rg: &str) -> Option<&Operation> {
        let op = self.rg(sub, rg)?.active_op.as_deref()?;
        self.operation(op).filter(|o| o.is_running())
    }

    /// Starts deleting the group (which must exist) and everything in it; returns the
    /// monitor path. The group takes `delay`, its registries half of it.
    pub fn begin_group_delete(&mut self, sub: &str, rg: &str, delay: Duration) -> Option<String> {
        let (name, location) = {
            let e = self.rg(sub, rg)?;
            (docs::str_field(&e.doc, "name").to_owned(), docs::str_field(&e.doc, "location").to_owned())
        };
        let sub_owned = sub.to_owned();
        let op = self.start_op(OpRequest {
            kind: OpKind::DeleteResourceGroup,
            target: group_id(sub, &name),
            replica: None,
            name: Some(job_token(&name, &location)),
            poll_path: Box::new(move |job| monitor_path(&sub_owned, job)),
            delay,
            failure: None,
        });
        let at = docs::now();
        if let Some(e) = self.rg_mut(sub, rg) {
            e.active_op = Some(op.clone());
            docs::set_state(&mut e.doc, "Deleting", None, &at);
        }
        let members: Vec<usize> = (0..self.registries.len())
            .filter(|&i| self.registries.get(i).is_some_and(|r| eq(&r.sub, sub) && eq(&r.rg, rg)))
            .collect();
        for idx in members {
            self.delete_member(idx, delay / 2, &at);
        }
        Some(self.poll_path(&op))
    }

    /// A registry of a group being deleted: ARM's DELETE on it (unless one already runs)
    /// and its replicas `Deleting`, owned by that delete, which cancels their creates.
    fn delete_member(&mut self, idx: usize, delay: Duration, at: &str) {
        let running = self
            .registries
            .get(idx)
            .and_then(|r| r.active_op.as_deref())
            .and_then(|op| self.operation(op))
            .filter(|o| o.kind == OpKind::DeleteRegistry && o.is_running())
            .map(|o| o.name.clone());
        let Some(op) = running.or_else(|| self.begin_registry_delete(idx, delay)) else {
            return;
        };
        if let Some(r) = self.registries.get_mut(idx) {
            for rep in &mut r.replicas {
                rep.active_op = Some(op.clone());
                docs::set_state(&mut rep.doc, "Deleting", None, at);
            }
        }
    }

    /// The group's own end: it goes with anything still in it.
    pub(crate) fn finish_group_delete(&mut self, op: &Operation) {
        let Some((sub, rg)) = parse_group_id(&op.target) else {
            return;
        };
        let owner = self.rg(sub, rg).is_some_and(|e| e.active_op.as_deref() == Some(op.name.as_str()));
        if !owner {
            return;
        }
        self.resource_groups.retain(|e| !(eq(&e.sub, sub) && eq(docs::str_field(&e.doc, "name"), rg)));
        self.registries.retain(|r| !(eq(&r.sub, sub) && eq(&r.rg, rg)));
        self.drop_group_contents(sub, rg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_tokens_decode_to_arms_shape() {
        let token = job_token("my_rg-1", "westus");
        let json: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&token).unwrap()).unwrap();
        let job = json["jobId"].as_str().unwrap();
        assert!(job.starts_with("RESOURCEGROUPDELETIONJOB-MY:5FRG:2D1|"), "{job}");
        assert!(job.ends_with("-WESTUS"), "{job}");
        assert_eq!(json["jobLocation"], "westus");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe: {token}");
        assert_ne!(token, job_token("my_rg-1", "westus"), "every deletion is a new job");
    }

    #[test]
    fn group_ids_round_trip() {
        assert_eq!(parse_group_id(&group_id("s", "g")), Some(("s", "g")));
        assert_eq!(parse_group_id("/subscriptions/s/resourceGroups/g/providers/x"), None);
    }
}

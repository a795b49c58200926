//! Time in state: when a replica entered its current phase.

use replimap_types::Replication;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, in RFC 3339.
pub fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// Carries `phase_since` over from the previous state of the same replica while its
/// phase is unchanged; otherwise the phase started `now`. A replica seen for the first
/// time takes ARM's status timestamp when it has one (the portal may have started long
/// after the replica), else `now`.
pub fn phase_since(old: Option<&Replication>, new: &mut Replication, now: &str) {
    new.phase_since = match old {
        Some(o) if o.phase() == new.phase() => o.phase_since.clone().or_else(|| Some(now.to_owned())),
        Some(_) => Some(now.to_owned()),
        None => new.status.timestamp.clone().or_else(|| Some(now.to_owned())),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use replimap_types::ProvisioningState;

    fn rep(state: ProvisioningState, ready: bool) -> Replication {
        let mut r: Replication = serde_json::from_value(serde_json::json!({
            "name": "japaneast", "location": "japaneast", "provisioningState": "Creating", "regionEndpointEnabled": true
        }))
        .unwrap();
        r.provisioning_state = state;
        r.status.display_status = ready.then(|| "Ready".to_owned());
        r
    }

    #[test]
    fn phase_since_moves_only_when_the_phase_changes() {
        let mut first = rep(ProvisioningState::Creating, false);
        phase_since(None, &mut first, "t1");
        assert_eq!(first.phase_since.as_deref(), Some("t1"));
        let mut same = rep(ProvisioningState::Creating, false);
        phase_since(Some(&first), &mut same, "t2");
        assert_eq!(same.phase_since.as_deref(), Some("t1"));
        let mut done = rep(ProvisioningState::Succeeded, true);
        phase_since(Some(&same), &mut done, "t3");
        assert_eq!(done.phase_since.as_deref(), Some("t3"));
    }
}

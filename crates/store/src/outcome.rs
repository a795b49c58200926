//! The audit trail's one rule about change: an outcome moves forward only.
//!
//! `pending` → `refused` | `accepted` | `succeeded` | `failed` | `unknown`;
//! `accepted` → `succeeded` | `failed` | `unknown`; and `unknown` → `succeeded` | `failed`,
//! because `unknown` means the portal lost track, and a later answer from ARM may still come.
//! Staying where it is counts as allowed, so a repeated update (two pollers, a retry) is
//! harmless.

use replimap_types::AuditOutcome::{self, *};

/// Whether a record whose outcome is `from` may be given the outcome `to`.
pub fn outcome_may_move(from: AuditOutcome, to: AuditOutcome) -> bool {
    from == to || predecessors(to).contains(&from)
}

/// The outcomes from which `to` may be reached, itself included: what the store's
/// `UPDATE … WHERE outcome IN (…)` accepts, so that the check and the write are one
/// atomic statement.
pub(crate) fn allowed_from(to: AuditOutcome) -> Vec<AuditOutcome> {
    AuditOutcome::ALL.into_iter().filter(|from| outcome_may_move(*from, to)).collect()
}

fn predecessors(to: AuditOutcome) -> &'static [AuditOutcome] {
    match to {
        Pending => &[],
        Refused | Accepted => &[Pending],
        Succeeded | Failed => &[Pending, Accepted, Unknown],
        Unknown => &[Pending, Accepted],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_move_forward_only() {
        assert!(outcome_may_move(Pending, Accepted));
        assert!(outcome_may_move(Accepted, Succeeded));
        assert!(outcome_may_move(Unknown, Failed), "a late answer settles an unknown outcome");
        assert!(outcome_may_move(Succeeded, Succeeded), "a repeated update is harmless");
        assert!(!outcome_may_move(Accepted, Pending));
        assert!(!outcome_may_move(Succeeded, Failed));
        assert!(!outcome_may_move(Refused, Accepted));
        assert!(!outcome_may_move(Unknown, Accepted));
        assert_eq!(allowed_from(Succeeded), vec![Pending, Accepted, Succeeded, Unknown]);
    }
}

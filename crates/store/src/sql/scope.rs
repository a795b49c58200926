//! The visibility condition of `audit_list`: only records about registries in the caller's
//! scope, and records about no registry when it may see those.
//!
//! The keys travel as one JSON array bound to one placeholder and unpacked by the engine
//! (`json_each`, `jsonb_to_recordset`), because a scope may hold thousands of registries: a
//! placeholder per key (chunked or not) gives every scope size a statement of its own to
//! prepare and, past 32,766 of them, one SQLite refuses; splitting the keys over several
//! queries would no longer fill a page to `limit` in one go. Keys are folded in Rust exactly
//! as the `registry` filter folds them.

use super::{Dialect, Stmt};
use crate::model::AuditScope;
use crate::names::fold;

const KEY: &str = "(registry_sub, registry_rg_lc, registry_name_lc)";
const UNSCOPED: &str = "registry_sub IS NULL";

pub(super) fn visible(d: Dialect, s: &mut Stmt, scope: &AuditScope) -> String {
    if scope.registries.is_empty() {
        return if scope.include_unscoped { UNSCOPED.to_owned() } else { "1 = 0".to_owned() };
    }
    let keys: Vec<serde_json::Value> = scope
        .registries
        .iter()
        .map(|r| {
            serde_json::json!({
                "s": fold(r.subscription_id.as_str()),
                "g": fold(r.resource_group.as_str()),
                "n": fold(r.name.as_str()),
            })
        })
        .collect();
    let keys = s.str(&serde_json::Value::Array(keys).to_string());
    let scoped = registry_in(d, &keys);
    if scope.include_unscoped {
        format!("({scoped} OR {UNSCOPED})")
    } else {
        scoped
    }
}

/// Whether a record's registry is one of the `{"s", "g", "n"}` keys bound to `placeholder`.
/// Each engine gets the form it plans well (measured on a million records and 3,000 keys):
/// SQLite walks `audit_registry` once per key and stops each walk at the page's `LIMIT`;
/// Postgres, left to itself, joins the key list to every record in a nested loop (keys ×
/// records), so `IS TRUE` keeps the `IN` from being turned into that join and makes it one
/// hashed lookup per record instead.
fn registry_in(d: Dialect, placeholder: &str) -> String {
    match d {
        Dialect::Sqlite => format!(
            "{KEY} IN (SELECT json_extract(value, '$.s'), json_extract(value, '$.g'), \
             json_extract(value, '$.n') FROM json_each({placeholder}))"
        ),
        Dialect::Postgres => format!(
            "({KEY} IN (SELECT s, g, n FROM jsonb_to_recordset({placeholder}::jsonb) AS k(s text, g text, n text))) \
             IS TRUE"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AuditFilter;
    use crate::sql::{audit_list, Bind};

    #[test]
    fn a_scope_is_one_bound_value_whatever_its_size() {
        let key = |i: usize| replimap_types::RegistryKey {
            subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
            resource_group: format!("RG-{i}").parse().unwrap(),
            name: format!("Acr{i:05}").parse().unwrap(),
        };
        let scope = AuditScope { registries: (0..5000).map(key).collect(), include_unscoped: true };
        let f = AuditFilter { region: Some("x".into()), visible: Some(scope), ..Default::default() };
        let s = audit_list(Dialect::Sqlite, &f, 2);
        assert_eq!(s.binds.len(), 3, "{}", s.sql);
        assert!(s.sql.contains("FROM json_each($2)) OR registry_sub IS NULL) ORDER BY"), "{}", s.sql);
        let Bind::Text(Some(keys)) = &s.binds[1] else { panic!("{:?}", s.binds[1]) };
        assert!(keys.contains(r#""g":"rg-0""#) && keys.contains(r#""n":"acr00000""#), "folded: {}", &keys[..80]);
        let pg = audit_list(Dialect::Postgres, &f, 2);
        assert!(pg.sql.contains("jsonb_to_recordset($2::jsonb) AS k(s text, g text, n text))) IS TRUE"), "{}", pg.sql);

        let none = AuditFilter { visible: Some(AuditScope::default()), ..Default::default() };
        assert!(audit_list(Dialect::Sqlite, &none, 2).sql.contains("WHERE 1 = 0 ORDER BY"));
    }
}

//! The Resource Graph queries the emulator understands, recognised by their shape, not
//! by a KQL parser: the three named queries of the portal's discovery
//! (`docs/emulator.md` §4.1). Anything else is a 400 that names what is supported.
//!
//! Matching works on a compact form of the query: lower case and no whitespace outside
//! quotes, so line breaks and spacing do not matter.

use serde_json::{json, Map, Value};

use crate::docs;
use crate::store::Store;
use crate::workloads::{subscription_of, ROLE_ASSIGNMENT_TYPE};

/// The AcrPull role definition GUID the third query filters on.
const ACR_PULL: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/// Columns a `resources` query may project.
const COLUMNS: [&str; 9] =
    ["id", "name", "type", "kind", "location", "subscriptionId", "resourceGroup", "tags", "properties"];

/// A recognised query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Query {
    /// `resources | where type in~ ('a','b') | project …`: types in lower case.
    ByType { types: Vec<String>, columns: Vec<&'static str> },
    /// `resources | where isnotempty(tags['k']) | project …`.
    Tagged { tag: String, columns: Vec<&'static str> },
    /// The `authorizationresources` AcrPull query: rows `{id, principalId, scope}`.
    AcrPull,
}

/// Lower case outside quotes, whitespace outside quotes removed.
pub(crate) fn compact(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut quote: Option<char> = None;
    for c in query.chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c.is_whitespace() => {}
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

const ACR_PULL_QUERY: &str = "authorizationresources \
| where type =~ 'microsoft.authorization/roleassignments' \
| extend roleDefinitionId = tolower(tostring(properties.roleDefinitionId)) \
| where roleDefinitionId endswith '7f951dda-4ed3-4680-a7ca-43fe172d538d' \
| project id, principalId = tostring(properties.principalId), scope = tolower(tostring(properties.scope))";

/// What the 400 says is supported.
pub(crate) const SUPPORTED: &str = "The emulator's Resource Graph answers three query shapes only: \
(a) `resources | where type in~ ('<type>', …) | project <columns>`, \
(b) `resources | where isnotempty(tags['<tag>']) | project <columns>` \
(columns from id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties), \
(c) the AcrPull query `authorizationresources | where type =~ 'microsoft.authorization/roleassignments' | \
extend roleDefinitionId = tolower(tostring(properties.roleDefinitionId)) | where roleDefinitionId endswith \
'7f951dda-4ed3-4680-a7ca-43fe172d538d' | project id, principalId = tostring(properties.principalId), \
scope = tolower(tostring(properties.scope))`.";

/// Recognises a query, or says why not.
pub(crate) fn parse(query: &str) -> Result<Query, String> {
    let q = compact(query);
    if q == compact(ACR_PULL_QUERY) {
        return Ok(Query::AcrPull);
    }
    let rest = q.strip_prefix("resources|where").ok_or("the query must start with `resources | where`")?;
    if let Some(list) = rest.strip_prefix("typein~(") {
        let (list, tail) = list.split_once(')').ok_or("unclosed `type in~ (` list")?;
        let types = quoted_list(list)?;
        if types.is_empty() {
            return Err("the `type in~` list is empty".into());
        }
        return Ok(Query::ByType { types, columns: projection(tail)? });
    }
    if let Some(inner) = rest.strip_prefix("isnotempty(tags[") {
        let (key, tail) = inner.split_once("])").ok_or("expected `isnotempty(tags['<tag>'])`")?;
        let tag = unquote(key).ok_or("the tag name must be quoted")?;
        return Ok(Query::Tagged { tag: tag.to_owned(), columns: projection(tail)? });
    }
    Err("only `where type in~ (…)` and `where isnotempty(tags['…'])` filters are supported".into())
}

fn unquote(s: &str) -> Option<&str> {
    let s = s.trim();
    ['\'', '"'].into_iter().find_map(|q| s.strip_prefix(q).and_then(|r| r.strip_suffix(q)))
}

fn quoted_list(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| unquote(s).map(str::to_ascii_lowercase).ok_or_else(|| format!("`{s}` is not a quoted type")))
        .collect()
}

fn projection(tail: &str) -> Result<Vec<&'static str>, String> {
    let cols = tail.strip_prefix("|project").ok_or("the query must end with `| project <columns>`")?;
    cols.split(',')
        .map(|c| {
            COLUMNS
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(c))
                .ok_or_else(|| format!("column `{c}` cannot be projected (supported: {})", COLUMNS.join(", ")))
        })
        .collect()
}

impl Query {
    /// Whether rows carry `id`, without which Resource Graph cannot page.
    pub fn projects_id(&self) -> bool {
        match self {
            Self::ByType { columns, .. } | Self::Tagged { columns, .. } => columns.contains(&"id"),
            Self::AcrPull => true,
        }
    }

    /// Every row in scope, sorted by id (case-insensitively) so pages are stable.
    /// `scope` holds lower-case subscription ids; `None` is the tenant (every subscription).
    pub fn rows(&self, store: &Store, scope: Option<&[String]>) -> Vec<Value> {
        let in_scope = |id: &str| {
            let sub = subscription_of(id).unwrap_or_default().to_ascii_lowercase();
            store.subscription(&sub).is_some() && scope.is_none_or(|s| s.contains(&sub))
        };
        let mut rows: Vec<(String, Value)> = match self {
            Self::AcrPull => store
                .role_assignments
                .iter()
                .filter(|a| docs::str_field(a, "type").eq_ignore_ascii_case(ROLE_ASSIGNMENT_TYPE))
                .filter(|a| {
                    let role = a.pointer("/properties/roleDefinitionId").and_then(Value::as_str).unwrap_or("");
                    role.to_ascii_lowercase().ends_with(ACR_PULL)
                })
                .filter(|a| in_scope(docs::str_field(a, "id")))
                .map(|a| {
                    let prop = |k: &str| a.pointer(&format!("/properties/{k}")).and_then(Value::as_str).unwrap_or("");
                    let id = docs::str_field(a, "id");
                    let row = json!({ "id": id, "principalId": prop("principalId"), "scope": prop("scope").to_ascii_lowercase() });
                    (id.to_ascii_lowercase(), row)
                })
                .collect(),
            Self::ByType { types, columns } => store
                .resources
                .iter()
                .filter(|d| types.contains(&docs::str_field(d, "type").to_ascii_lowercase()))
                .filter(|d| in_scope(docs::str_field(d, "id")))
                .map(|d| (docs::str_field(d, "id").to_ascii_lowercase(), project(d, columns)))
                .collect(),
            Self::Tagged { tag, columns } => store
                .resources
                .iter()
                .filter(|d| has_tag(d, tag))
                .filter(|d| in_scope(docs::str_field(d, "id")))
                .map(|d| (docs::str_field(d, "id").to_ascii_lowercase(), project(d, columns)))
                .collect(),
        };
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, r)| r).collect()
    }
}

/// `isnotempty(tags['k'])`: present with a non-empty value (ARM tag names ignore case).
fn has_tag(doc: &Value, tag: &str) -> bool {
    doc.get("tags").and_then(Value::as_object).is_some_and(|tags| {
        tags.iter().any(|(k, v)| k.eq_ignore_ascii_case(tag) && v.as_str().is_some_and(|s| !s.is_empty()))
    })
}

/// A row as Resource Graph returns it: `type`, `location`, `subscriptionId` and
/// `resourceGroup` lower case, `kind` `""` and `tags` `{}` when absent.
fn project(doc: &Value, columns: &[&str]) -> Value {
    let id = docs::str_field(doc, "id");
    let parsed = crate::workloads::parse_id(id);
    let mut row = Map::new();
    for col in columns {
        let v = match *col {
            "id" => Value::from(id),
            "name" => doc.get("name").cloned().unwrap_or_default(),
            "type" => Value::from(docs::str_field(doc, "type").to_ascii_lowercase()),
            "kind" => Value::from(docs::str_field(doc, "kind")),
            "location" => Value::from(docs::str_field(doc, "location").to_ascii_lowercase()),
            "subscriptionId" => Value::from(parsed.as_ref().map(|p| p.sub.to_ascii_lowercase()).unwrap_or_default()),
            "resourceGroup" => Value::from(parsed.as_ref().map(|p| p.rg.to_ascii_lowercase()).unwrap_or_default()),
            "tags" => doc.get("tags").cloned().unwrap_or_else(|| json!({})),
            "properties" => doc.get("properties").cloned().unwrap_or_else(|| json!({})),
            _ => Value::Null,
        };
        row.insert((*col).to_owned(), v);
    }
    Value::Object(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKLOADS: &str = "resources
        | where type in~ ('microsoft.containerservice/managedclusters', 'microsoft.app/containerapps')
        | project id, name, type, kind, location, subscriptionId, resourceGroup, tags, properties";

    #[test]
    fn the_three_named_queries() {
        let Query::ByType { types, columns } = parse(WORKLOADS).unwrap() else { panic!() };
        assert_eq!(types, ["microsoft.containerservice/managedclusters", "microsoft.app/containerapps"]);
        assert_eq!(columns.len(), 9);
        let tagged = "Resources | where isnotempty(tags['replimap.io/pulls-from']) | project id, name, type";
        assert_eq!(
            parse(tagged).unwrap(),
            Query::Tagged { tag: "replimap.io/pulls-from".into(), columns: vec!["id", "name", "type"] }
        );
        assert_eq!(parse(&ACR_PULL_QUERY.replace(" | ", "\n| ")).unwrap(), Query::AcrPull);
    }

    #[test]
    fn other_shapes_are_refused_with_a_reason() {
        assert!(parse("resources | take 5").unwrap_err().contains("where"));
        assert!(parse("resources | where type in~ ('a') | project id, sku").unwrap_err().contains("sku"));
        assert!(parse("resources | where type in~ ('a')").unwrap_err().contains("project"));
        assert!(parse("resources | where type in~ (a) | project id").unwrap_err().contains("quoted"));
        assert!(parse("authorizationresources | project id").is_err());
        assert!(!parse("resources | where type in~ ('a') | project name").unwrap().projects_id());
    }

    #[test]
    fn compact_keeps_quoted_text() {
        assert_eq!(compact("Resources | where tags['A b'] "), "resources|wheretags['A b']");
    }
}

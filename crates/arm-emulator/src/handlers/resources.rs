//! `GET /subscriptions/{sub}/resources` (Resources - List, the generic envelope without
//! `properties`): registries, replicas and top-level workloads. `$filter` takes what
//! the CLI and the portal's fallback send: `resourceType eq '…'` joined by `or`, or
//! `tagName eq '…'` (optionally `and tagValue eq '…'`); `$top` sets the page size.

use axum::response::Response;
use serde_json::{json, Value};

use crate::ctx::{ok, Ctx};
use crate::docs;
use crate::error::{ArmError, ArmResult};
use crate::paging;
use crate::workloads::is_top_level;

/// A parsed `$filter`.
#[derive(Debug, PartialEq)]
enum Filter {
    Types(Vec<String>),
    Tag { name: String, value: Option<String> },
}

impl Filter {
    fn keeps(&self, doc: &Value) -> bool {
        match self {
            Self::Types(types) => types.iter().any(|t| docs::str_field(doc, "type").eq_ignore_ascii_case(t)),
            Self::Tag { name, value } => doc.get("tags").and_then(Value::as_object).is_some_and(|tags| {
                tags.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case(name) && value.as_deref().is_none_or(|want| v.as_str() == Some(want))
                })
            }),
        }
    }
}

pub(crate) fn list(ctx: &Ctx, sub: &str) -> ArmResult<Response> {
    let filter = ctx.query_param("$filter").map(parse_filter).transpose()?;
    let size = match ctx.query_param("$top") {
        None => None,
        Some(t) => Some(t.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
            ArmError::bad_request("InvalidTopInQueryString", format!("The $top '{t}' must be between 1 and 1000."))
        })?),
    };
    let items: Vec<Value> = {
        let store = ctx.emu.store();
        store.require_sub(sub)?;
        let registries = store
            .registries
            .iter()
            .filter(|r| r.sub.eq_ignore_ascii_case(sub))
            .flat_map(|r| std::iter::once(&r.doc).chain(r.replicas.iter().map(|x| &x.doc)));
        let workloads = store.resources.iter().filter(|d| {
            is_top_level(d)
                && crate::workloads::subscription_of(docs::str_field(d, "id"))
                    .is_some_and(|s| s.eq_ignore_ascii_case(sub))
        });
        registries
            .chain(workloads)
            .filter(|d| filter.as_ref().is_none_or(|f| f.keeps(d)))
            .map(generic_resource)
            .collect()
    };
    Ok(ok(&paging::page_sized(ctx, items, size)?))
}

/// `field eq 'value'` → (field, value).
fn comparison(clause: &str) -> Option<(&str, &str)> {
    let clause = clause.trim();
    let (field, rest) = clause.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace)?;
    if !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    (!value.is_empty()).then_some((field, value))
}

/// Splits on a keyword surrounded by spaces, case-insensitively, outside quotes.
fn split_keyword<'a>(filter: &'a str, keyword: &str) -> Vec<&'a str> {
    let lower = filter.to_ascii_lowercase();
    let needle = format!(" {keyword} ");
    let (mut parts, mut start, mut in_quote) = (Vec::new(), 0, false);
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            in_quote = !in_quote;
        } else if !in_quote && lower[i..].starts_with(&needle) {
            parts.push(&filter[start..i]);
            start = i + needle.len();
            i = start;
            continue;
        }
        i += 1;
    }
    parts.push(&filter[start..]);
    parts
}

fn parse_filter(filter: &str) -> ArmResult<Filter> {
    let bad = || {
        ArmError::bad_request(
            "InvalidFilterInQueryString",
            format!("Invalid $filter '{filter}' specified in the query string."),
        )
    };
    let ands = split_keyword(filter, "and");
    if let [first, rest @ ..] = ands.as_slice() {
        if let Some((_, name)) = comparison(first).filter(|(f, _)| f.eq_ignore_ascii_case("tagName")) {
            let value = match rest {
                [] => None,
                [v] => match comparison(v) {
                    Some((f, value)) if f.eq_ignore_ascii_case("tagValue") => Some(value.to_owned()),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            };
            return Ok(Filter::Tag { name: name.to_owned(), value });
        }
    }
    if ands.len() > 1 {
        return Err(bad());
    }
    let types = split_keyword(filter, "or")
        .into_iter()
        .map(|c| match comparison(c) {
            Some((f, v)) if f.eq_ignore_ascii_case("resourceType") => Ok(v.to_owned()),
            _ => Err(bad()),
        })
        .collect::<ArmResult<Vec<String>>>()?;
    Ok(Filter::Types(types))
}

/// GenericResource: id, name, type, location, plus kind/sku/tags/identity when present.
fn generic_resource(doc: &Value) -> Value {
    let mut out = json!({
        "id": doc.get("id"),
        "name": doc.get("name"),
        "type": doc.get("type"),
        "location": doc.get("location"),
    });
    for key in ["kind", "sku", "tags", "identity", "systemData"] {
        if let Some(v) = doc.get(key) {
            out[key] = v.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(
            parse_filter("resourceType eq 'A/b' or resourceType eq 'C/d'").unwrap(),
            Filter::Types(vec!["A/b".into(), "C/d".into()])
        );
        assert_eq!(
            parse_filter("tagName eq 'replimap.io/pulls-from'").unwrap(),
            Filter::Tag { name: "replimap.io/pulls-from".into(), value: None }
        );
        assert_eq!(
            parse_filter("tagName eq 'env' and tagValue eq 'prod or test'").unwrap(),
            Filter::Tag { name: "env".into(), value: Some("prod or test".into()) }
        );
        for bad in ["name gt 1", "resourceType eq 'a' and resourceType eq 'b'", "resourceType eq ''", "tagValue eq 'x'"]
        {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}

//! `POST /providers/Microsoft.ResourceGraph/resources` (spec `Resources`, any
//! api-version): the named queries of `graph_query.rs` over the workload store, with real
//! paging (`$top`, `$skip`, `$skipToken` bound to the query and scopes), the per-user
//! quota of `graph_quota.rs` and the `refuse` switch (403) for testing the fallback.
//!
//! Answer shape as the spec examples (`ResourcesFirstPageQuery.json`): `totalRecords` and
//! `count` numbers, `resultTruncated` a string, which is `"false"` when a `$skipToken`
//! continues the rows (truncated means rows were cut *without* a way to page, as when
//! the query projects no `id`).

use std::time::Instant;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::assumptions as a;
use crate::ctx::{ok, Ctx};
use crate::error::ArmError;
use crate::graph_query;
use crate::graph_quota::QuotaState;

const DEFAULT_TOP: u64 = 100;
const MAX_TOP: u64 = 1000;

pub(crate) fn query(ctx: &Ctx) -> Response {
    let quota = ctx.emu.graph_quota().take(&ctx.caller.name, Instant::now());
    let mut resp = match quota {
        Some(q) if !q.allowed => throttled(&q),
        _ => answer(ctx).unwrap_or_else(IntoResponse::into_response),
    };
    if let Some(q) = quota {
        let h = resp.headers_mut();
        h.insert("x-ms-user-quota-remaining", HeaderValue::from(q.remaining));
        if let Ok(v) = HeaderValue::from_str(&q.resets_after_header()) {
            h.insert("x-ms-user-quota-resets-after", v);
        }
    }
    resp
}

fn throttled(q: &QuotaState) -> Response {
    let mut err = ArmError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RateLimiting",
        format!(
            "Please provide below info when asking for support: timestamp = {}. \
             Client application has been throttled and should not attempt to repeat the request until an \
             amount of time has elapsed ({} s). See https://aka.ms/resourcegraph-throttling.",
            crate::docs::now(),
            q.retry_after_secs()
        ),
    )
    .with_detail("RateLimiting", "Rate limit exceeded for this user.");
    err.retry_after = Some(q.retry_after_secs());
    err.into_response()
}

fn bad_request(detail_code: &str, message: impl Into<String>) -> ArmError {
    let message = message.into();
    ArmError::bad_request("BadRequest", message.clone()).with_detail(detail_code, message)
}

fn refused(ctx: &Ctx) -> ArmError {
    let who = &ctx.caller.name;
    ArmError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client '{who}' with object id '{who}' does not have authorization to perform action \
             'Microsoft.ResourceGraph/resources/read' over scope '/providers/Microsoft.ResourceGraph' \
             or the scope is invalid. If access was recently granted, please refresh your credentials."
        ),
    )
}

/// The parts of `QueryRequest` the emulator acts on.
struct Request {
    query: String,
    /// Lower case, sorted, deduplicated; `None` is tenant scope.
    scope: Option<Vec<String>>,
    top: u64,
    skip: u64,
    skip_token: Option<String>,
}

fn parse_request(body: &Map<String, Value>) -> Result<Request, ArmError> {
    let query = match body.get("query") {
        Some(Value::String(q)) if !q.trim().is_empty() => q.clone(),
        _ => return Err(bad_request("InvalidQuery", "The request must have a non-empty string 'query'.")),
    };
    if body.get("managementGroups").and_then(Value::as_array).is_some_and(|m| !m.is_empty()) {
        return Err(bad_request("UnsupportedScope", "The emulator scopes queries by 'subscriptions' only."));
    }
    if body.get("facets").and_then(Value::as_array).is_some_and(|f| !f.is_empty()) {
        return Err(bad_request("UnsupportedFacets", "The emulator does not compute facets."));
    }
    let scope = match body.get("subscriptions") {
        None | Some(Value::Null) => None,
        Some(Value::Array(subs)) if subs.is_empty() => None,
        Some(Value::Array(subs)) => {
            let mut list = subs
                .iter()
                .map(|s| s.as_str().map(str::to_ascii_lowercase))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| bad_request("InvalidScope", "'subscriptions' must be an array of strings."))?;
            list.sort();
            list.dedup();
            Some(list)
        }
        Some(_) => return Err(bad_request("InvalidScope", "'subscriptions' must be an array of strings.")),
    };
    let empty = Map::new();
    let options = match body.get("options") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(bad_request("InvalidOptions", "'options' must be an object.")),
    };
    let number = |key: &str, default: u64| match options.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => {
            v.as_u64().ok_or_else(|| bad_request("InvalidOptions", format!("'{key}' must be a non-negative integer.")))
        }
    };
    let top = number("$top", DEFAULT_TOP)?;
    if !(1..=MAX_TOP).contains(&top) {
        return Err(bad_request("InvalidOptions", format!("'$top' must be between 1 and {MAX_TOP}; got {top}.")));
    }
    let skip = number("$skip", 0)?;
    match options.get("resultFormat").and_then(Value::as_str) {
        None => {}
        Some(f) if f.eq_ignore_ascii_case("objectArray") => {}
        Some(f) if f.eq_ignore_ascii_case("table") => {
            return Err(bad_request(
                "UnsupportedResultFormat",
                "The emulator answers resultFormat 'objectArray' only; 'table' is not supported.",
            ))
        }
        Some(f) => return Err(bad_request("InvalidOptions", format!("Unknown resultFormat '{f}'."))),
    }
    let skip_token = options.get("$skipToken").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_owned);
    Ok(Request { query, scope, top, skip, skip_token })
}

/// What a skip token is bound to: the query (compact form) and the scope.
fn fingerprint(req: &Request) -> String {
    let scope = req.scope.as_ref().map(|s| s.join(",")).unwrap_or_else(|| "*".into());
    let text = format!("{}|{scope}", graph_query::compact(&req.query));
    format!("{:016x}", crate::workloads::fnv1a(text.as_bytes(), 0xcbf2_9ce4_8422_2325))
}

fn skip_token(req: &Request, offset: u64) -> String {
    STANDARD.encode(json!({ "f": fingerprint(req), "o": offset }).to_string())
}

fn token_offset(req: &Request, token: &str) -> Result<u64, ArmError> {
    let invalid = |why: &str| {
        ArmError::bad_request(a::INVALID_SKIP_TOKEN_CODE, format!("The skip token is not valid: {why}."))
            .with_detail(a::INVALID_SKIP_TOKEN_CODE, why.to_owned())
    };
    let decoded: Value = STANDARD
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| invalid("it was not issued by this service"))?;
    if decoded["f"].as_str() != Some(fingerprint(req).as_str()) {
        return Err(invalid(
            "it belongs to another query or other subscriptions; send the same query and scopes with it",
        ));
    }
    decoded["o"].as_u64().ok_or_else(|| invalid("it has no offset"))
}

fn answer(ctx: &Ctx) -> Result<Response, ArmError> {
    if ctx.emu.resource_graph_refused() {
        return Err(refused(ctx));
    }
    let req = parse_request(&ctx.json_body()?)?;
    let query = graph_query::parse(&req.query)
        .map_err(|why| bad_request("InvalidQuery", format!("{why}. {}", graph_query::SUPPORTED)))?;
    let rows = query.rows(&ctx.emu.store(), req.scope.as_deref());
    let total = rows.len() as u64;
    let pages = query.projects_id();
    let offset = match (&req.skip_token, pages) {
        (Some(t), true) => token_offset(&req, t)?,
        _ => req.skip,
    };
    let data: Vec<Value> = rows
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(req.top).unwrap_or(usize::MAX))
        .collect();
    let next = offset.saturating_add(data.len() as u64);
    let more = next < total;
    let mut body = json!({
        "totalRecords": total,
        "count": data.len(),
        "resultTruncated": if more && !pages { "true" } else { "false" },
        "facets": [],
        "data": data,
    });
    if more && pages {
        body["$skipToken"] = skip_token(&req, next).into();
    }
    Ok(ok(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(query: &str, scope: Option<Vec<String>>) -> Request {
        Request { query: query.into(), scope, top: 10, skip: 0, skip_token: None }
    }

    #[test]
    fn tokens_are_bound_to_query_and_scope() {
        let a = req("resources | where type in~ ('x') | project id", None);
        let token = skip_token(&a, 20);
        assert_eq!(token_offset(&a, &token).unwrap(), 20);
        let spaced = req("resources\n| where type in~ ('x')\n| project id", None);
        assert_eq!(token_offset(&spaced, &token).unwrap(), 20, "spacing is not part of the query");
        let other_scope = req(&a.query, Some(vec!["s".into()]));
        assert_eq!(token_offset(&other_scope, &token).unwrap_err().code, a::INVALID_SKIP_TOKEN_CODE);
        assert!(token_offset(&a, "garbage!").is_err());
    }

    #[test]
    fn options_are_checked() {
        let body = |v: Value| v.as_object().unwrap().clone();
        assert!(parse_request(&body(json!({"query": "q", "options": {"$top": 0}}))).is_err());
        assert!(parse_request(&body(json!({"query": "q", "options": {"$top": 1001}}))).is_err());
        assert!(parse_request(&body(json!({"query": "q", "options": {"resultFormat": "table"}}))).is_err());
        assert!(parse_request(&body(json!({"options": {}}))).is_err());
        let r = parse_request(&body(json!({"query": "q", "subscriptions": ["B", "a", "b"]}))).unwrap();
        assert_eq!(r.scope.unwrap(), ["a", "b"]);
        assert_eq!(r.top, DEFAULT_TOP);
    }
}

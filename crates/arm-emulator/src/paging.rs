//! List paging: `{value:[…], nextLink}` with an absolute `nextLink` on the
//! emulator's own base URL carrying `$skipToken` (arm-facts §5).

use serde_json::{json, Value};

use crate::assumptions as a;
use crate::ctx::Ctx;
use crate::error::{ArmError, ArmResult};

/// One page of `items` for this request; other query parameters (`$filter`)
/// are carried into the `nextLink`.
pub(crate) fn page(ctx: &Ctx, items: Vec<Value>) -> ArmResult<Value> {
    page_sized(ctx, items, None)
}

/// [`page`] with the caller's page size (`$top`) instead of the configured one.
pub(crate) fn page_sized(ctx: &Ctx, items: Vec<Value>, size: Option<usize>) -> ArmResult<Value> {
    let skip = match ctx.query_param("$skipToken") {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            ArmError::bad_request(a::INVALID_SKIP_TOKEN_CODE, format!("The skip token '{t}' is not valid."))
        })?,
    };
    let size = size.unwrap_or(ctx.emu.timings().page_size).max(1);
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(size).collect();
    let mut body = json!({ "value": value });
    if skip.saturating_add(size) < total {
        body["nextLink"] = next_link(ctx, skip + size).into();
    }
    Ok(body)
}

fn next_link(ctx: &Ctx, skip: usize) -> String {
    let mut link = ctx.url(&ctx.path);
    for (k, v) in &ctx.query {
        if k.eq_ignore_ascii_case("api-version") || k.eq_ignore_ascii_case("$skipToken") {
            continue;
        }
        let k: String = url::form_urlencoded::byte_serialize(k.as_bytes()).collect();
        let v: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        link.push_str(&format!("&{k}={v}"));
    }
    // `$` left literal: it is legal in a query and what ARM links look like.
    link.push_str(&format!("&$skipToken={skip}"));
    link
}

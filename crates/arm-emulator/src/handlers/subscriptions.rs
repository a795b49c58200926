//! `GET /subscriptions` and `GET /subscriptions/{sub}` (Microsoft.Resources).

use axum::response::Response;
use serde_json::json;

use crate::ctx::{ok, Ctx};
use crate::error::{ArmError, ArmResult};

pub(crate) fn list(ctx: &Ctx) -> ArmResult<Response> {
    let subs = ctx.emu.store().subscriptions.clone();
    // api-version 2022-12-01 (what az sends) includes the total count.
    let count = subs.len();
    Ok(ok(&json!({ "value": subs, "count": { "type": "Total", "value": count } })))
}

pub(crate) fn get(ctx: &Ctx, sub: &str) -> ArmResult<Response> {
    let store = ctx.emu.store();
    let doc = store.subscription(sub).ok_or_else(|| ArmError::subscription_not_found(sub))?;
    Ok(ok(doc))
}

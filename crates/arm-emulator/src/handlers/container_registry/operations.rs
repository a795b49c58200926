//! Polling endpoints: `…/operationStatuses/{op}` (Azure-AsyncOperation, body
//! with `status`) and `…/locations/{loc}/operationResults/{op}` (Location: 202
//! while running, empty 200 when done) — arm-facts §3.

use axum::http::StatusCode;
use axum::response::Response;

use crate::assumptions as a;
use crate::ctx::{accepted, empty, ok, with_async_operation, Ctx};
use crate::error::{ArmError, ArmResult};
use crate::operation::Operation;

fn find(ctx: &Ctx, op: &str) -> ArmResult<Operation> {
    ctx.emu.store().operation(op).cloned().ok_or_else(|| {
        ArmError::not_found(a::OPERATION_NOT_FOUND_CODE, format!("The operation '{op}' could not be found."))
    })
}

/// While running, the header is re-sent as the real RP does.
pub(crate) fn status(ctx: &Ctx, op: &str) -> ArmResult<Response> {
    let op = find(ctx, op)?;
    let body = op.status_body();
    if op.is_running() {
        let url = ctx.url(&op.poll_path);
        Ok(with_async_operation(StatusCode::OK, &body, &url, ctx.retry_after()))
    } else {
        Ok(ok(&body))
    }
}

pub(crate) fn result(ctx: &Ctx, op: &str) -> ArmResult<Response> {
    let op = find(ctx, op)?;
    if op.is_running() {
        return Ok(accepted(&ctx.url(&op.poll_path), ctx.retry_after()));
    }
    match op.error {
        Some((code, message)) => Err(ArmError::new(StatusCode::INTERNAL_SERVER_ERROR, &code, message)),
        None => Ok(empty(StatusCode::OK)),
    }
}

//! Integration tests: the real portal (on port 0) against the real emulator, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod azure_mode;
mod durable;
mod openapi_schemas;
mod reconcile;
mod routes;
mod support;

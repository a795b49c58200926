//! Integration tests: the real portal (on port 0) against the real emulator, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod azure_mode;
mod coverage;
mod coverage_api;
mod durable;
mod edge;
mod fleet;
mod oidc;
mod openapi_schemas;
mod proxy;
mod reconcile;
mod routes;
mod support;
mod tokens;

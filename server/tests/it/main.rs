//! Integration tests: the real portal (on port 0) against the real emulator, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod openapi_schemas;
mod routes;
mod support;

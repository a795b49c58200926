//! Integration tests: one binary (one link step) talking real HTTP to an
//! emulator on 127.0.0.1:0 per test.

// clippy's allow-unwrap-in-tests covers #[test] fns only, not the helpers
// these tests share; a failed unwrap here is a failed test, which is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod binary;
mod conformance;
mod errors;
mod faults;
mod groups;
mod journey;
mod reads;
mod resource_graph;
mod state;
mod support;
mod throttle;
mod tls;
mod workloads;

//! Conventions of the portal's HTTP API that the page and the server must agree on.

/// Header the portal's own pages send on every state-changing request (value `1`). A cross-site
/// form cannot set custom headers, and a cross-site script cannot either without a CORS
/// preflight that the server never approves; the server refuses writes without it.
pub const CSRF_HEADER: &str = "x-replimap-csrf";

//! The replimap portal server: API, status hub, SSE and the Leptos pages.
//!
//! `main` only reads configuration and calls [`start`]; tests call [`start`] too,
//! with a [`Config`] built in code, so they run the same server on port 0.

mod assets;
mod audit;
mod auth;
mod caller;
pub mod config;
pub mod coverage;
mod edge;
mod error;
pub mod hub;
mod idempotency;
mod middleware;
mod operations;
mod regions;
mod routes;
mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, Uri};
use axum::response::IntoResponse;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use replimap_app::{shell, App};
use replimap_arm::{ArmClient, Auth};
use replimap_arm_emulator::{EmulatorConfig, EmulatorHandle};
use replimap_types::PageData;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use config::{ArmMode, Config};
pub use middleware::CSRF_HEADER;
pub use routes::paths as api_paths;
pub use state::AppState;

use crate::hub::StatusHub;
use crate::regions::Regions;

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let request_id = HeaderName::from_static(middleware::REQUEST_ID);
    // The pages besides the map: the same app, which picks the page from the path.
    let pages = ["/activity", "/admin/tokens", "/enroll", "/fleet", "/fill"];
    let pages = pages.into_iter().fold(Router::new(), |router, path| {
        router.route(
            path,
            axum::routing::get(leptos_axum::render_app_to_stream_with_context(page_context(&state), {
                let options = leptos_options.clone();
                move || shell(options.clone())
            })),
        )
    });
    Router::new()
        .merge(routes::api(&state))
        .merge(pages)
        .merge(auth::oidc::routes())
        // A form for people, not part of the API (answers redirects and pages).
        .route("/auth/enroll", axum::routing::post(routes::enroll::enroll))
        // The fill page's confirmation, a form for people too (answers a page per region).
        .route("/fill", axum::routing::post(routes::fill_form::fill))
        .leptos_routes_with_context(&state, routes, page_context(&state), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback({
            // Unknown API paths answer the JSON envelope; everything else gets the page's 404
            // (with the CSP nonce, as every page).
            let page = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
                edge::headers::provide_page_nonce,
                shell,
            );
            move |uri: Uri, state: State<AppState>, req: Request| {
                let page = page.clone();
                async move {
                    if routes::is_api(uri.path()) {
                        routes::unknown_path(req.method(), &uri).into_response()
                    } else {
                        page(uri, state, req).await
                    }
                }
            }
        })
        // Inside the static files (public code, served to anyone), outside every route.
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::identify))
        .layer(axum::middleware::from_fn_with_state(state.assets.clone(), assets::serve))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(state.allowed_hosts.clone()),
            middleware::guard,
        ))
        // Outside the Host check, so no body over the limit is read whoever sends it; inside the
        // timeout, so reading a slow body counts against the request's time.
        .layer(axum::middleware::from_fn_with_state(state.edge.clone(), edge::limits::body))
        .layer(axum::middleware::from_fn_with_state(state.edge.clone(), edge::limits::timeout))
        .layer(axum::middleware::from_fn(middleware::envelope))
        .layer(axum::middleware::from_fn_with_state(state.http.clone(), middleware::count))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(middleware::REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Outermost: every response gets the security headers, whichever layer answered.
        .layer(axum::middleware::from_fn_with_state(state.edge.clone(), edge::headers::layer))
        .with_state(state)
}

/// The pages' Leptos context: the data they render with, and the request's CSP nonce.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let state = state.clone();
    move || {
        provide_context(page_data(&state));
        // The fleet's rows and the fill's plan: context, not PageData (the WASM never reads them).
        routes::fill_form::provide_page_context(&state);
        edge::headers::provide_page_nonce();
    }
}

/// The data the page is rendered with (and hydrates from): the hub's current state, so
/// the first response already shows the replicas, before any script runs.
fn page_data(state: &AppState) -> PageData {
    // leptos_axum provides the request's parts before this context; `auth::identify` put the
    // caller in them. A page without a caller is one of the public ones (sign-in, enroll).
    let caller = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<caller::Caller>().cloned());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    PageData {
        regions: state.regions.all().to_vec(),
        registries: match &caller {
            Some(c) => state.hub.states().into_iter().filter(|r| auth::authz::can_read(c, &r.registry.key)).collect(),
            None => Vec::new(),
        },
        loaded: state.hub.discovered(),
        now_ms,
        emulated: state.emulated,
        settings: state.ui.clone(),
        me: caller.as_ref().map(|c| routes::me::describe(state, c)),
    }
}

/// The emulator's state file in the data directory.
const EMULATOR_STATE_FILE: &str = "emulator-state.json";
/// The SQLite store in the data directory.
const SQLITE_FILE: &str = "replimap.db";

fn store_config(config: &Config) -> replimap_store::StoreConfig {
    match &config.database.url {
        Some(url) => replimap_store::StoreConfig::Postgres { url: url.clone() },
        None => replimap_store::StoreConfig::Sqlite {
            path: config.data_dir.join(SQLITE_FILE),
            busy_timeout: config.database.busy_timeout,
        },
    }
}

/// Deletes audit records past their retention, and expired idempotency keys, once an hour.
async fn retention(store: replimap_store::Store, keep: Option<std::time::Duration>, session_idle: std::time::Duration) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = audit::now_ms();
        if let Some(keep) = keep {
            let before = now - i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
            match store.audit_purge(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "audit records past their retention deleted"),
                Err(e) => tracing::warn!(error = %e, "could not apply the audit retention"),
            }
        }
        if let Err(e) = store.idempotency_purge(now).await {
            tracing::warn!(error = %e, "could not delete expired idempotency keys");
        }
        // Ended sessions and abandoned sign-ins: each is refused when presented anyway; this
        // only keeps the tables small.
        let idle = i64::try_from(session_idle.as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = store.sessions_purge(now, idle).await {
            tracing::warn!(error = %e, "could not delete ended sessions");
        }
        if let Err(e) = store.login_states_purge(now).await {
            tracing::warn!(error = %e, "could not delete abandoned sign-ins");
        }
    }
}

/// A running portal.
pub struct Portal {
    /// Where the portal listens.
    pub addr: SocketAddr,
    /// The embedded emulator, when running without Azure credentials.
    pub emulator: Option<EmulatorHandle>,
    /// The shared state (hub, ARM client).
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Portal {
    /// The portal's base URL, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the server stops (after the shutdown signal).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.server.await??;
        if let Some(emu) = self.emulator {
            emu.shutdown().await;
        }
        Ok(())
    }
}

/// The ARM client for [`ArmMode::Live`]: the credential signs in at `authority_host` (if
/// set), and both it and the client trust the public roots plus the `ca_bundle`'s
/// certificates. A bundle that cannot be read or holds no usable certificate stops
/// start-up with a message naming the file.
fn live_arm(
    endpoint: &str,
    credential: &replimap_arm::CredentialKind,
    authority_host: Option<&url::Url>,
    ca_bundle: Option<&std::path::Path>,
) -> anyhow::Result<ArmClient> {
    let tls_roots = match ca_bundle {
        Some(path) => {
            let roots = replimap_arm::TlsRoots::from_pem_file(path)?;
            tracing::info!(ca_bundle = %path.display(), certificates = roots.extra_count(), "trusting extra CA certificates");
            roots
        }
        None => replimap_arm::TlsRoots::default(),
    };
    let auth_options =
        replimap_arm::AuthOptions { authority_host: authority_host.cloned(), tls_roots: tls_roots.clone() };
    let auth = Auth::from_kind(credential, &auth_options)?;
    let options = replimap_arm::ArmOptions { tls_roots, ..Default::default() };
    Ok(ArmClient::new(endpoint, auth, Some(options))?)
}

/// Starts the emulator (if configured), the hub and the HTTP server.
pub async fn start(
    config: Config,
    leptos_options: LeptosOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Portal> {
    // Bind first: the allowed Host names need the real port, and a busy port should fail
    // before anything else starts. The accept queue holds a reconnect storm (every browser at
    // once after a restart): `TcpListener::bind` asks for 1024, and a connection beyond the
    // queue waits for SYN retransmits (1 s, 3 s, 7 s, …). The kernel caps the figure at
    // net.core.somaxconn (4096 by default since Linux 5.4).
    let socket =
        if config.listen.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?; // as `TcpListener::bind` does
    socket.bind(config.listen)?;
    let listener = socket.listen(16_384)?;
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| anyhow::anyhow!("data_dir {}: {e}", config.data_dir.display()))?;
    if config.auth.mode == replimap_types::AuthMode::Local && !addr.ip().is_loopback() {
        // Allowed only by auth.allow_remote_local (config refuses it otherwise): say so loudly.
        tracing::warn!(listen = %addr, "LOCAL MODE ON A NON-LOOPBACK ADDRESS: everyone who can reach the portal is an admin of every registry (auth.allow_remote_local)");
    }
    tracing::info!(mode = ?config.auth.mode, bindings = config.auth.bindings.len(), default_role = ?config.auth.default_role, "sign-in");
    // In oidc mode the provider must be discoverable before anything else starts (auth/oidc.rs).
    let oidc = match &config.auth.oidc {
        Some(o) if config.auth.mode == replimap_types::AuthMode::Oidc => {
            Some(Arc::new(auth::oidc::Oidc::discover(o, config.http.public_url.as_ref()).await?))
        }
        _ => None,
    };
    let store = replimap_store::Store::open(&store_config(&config)).await?;
    tracing::info!(store = %store.describe(), data_dir = %config.data_dir.display(), "store open");
    let (arm, emulator) = match &config.arm {
        ArmMode::Emulator { provisioning_delay, listen, seed } => {
            let emu_config = EmulatorConfig {
                provisioning_delay: *provisioning_delay,
                seed: seed.clone(),
                // Beside the store, so the demo's replicas, audit trail and operations
                // survive a restart together.
                state_file: Some(config.data_dir.join(EMULATOR_STATE_FILE)),
                ..EmulatorConfig::default()
            };
            let handle = replimap_arm_emulator::spawn_on(*listen, emu_config).await?;
            // The emulator checks bearer tokens as ARM does; its credential mints them in
            // process (expiring and refreshed like azure_identity's), so the embedded demo
            // needs no secret.
            let arm = ArmClient::new(&handle.base_url(), Auth::Credential(handle.credential()), None)?;
            (arm, Some(handle))
        }
        ArmMode::Live { endpoint, credential, authority_host, ca_bundle } => {
            (live_arm(endpoint, credential, authority_host.as_ref(), ca_bundle.as_deref())?, None)
        }
    };
    let hub = StatusHub::new(arm.clone(), config.poll);
    // Prices: the bundled snapshot until (and unless) the Retail Prices API answers.
    let prices = coverage::pricing::Prices::bundled();
    let prices_url = match (&config.prices, &emulator) {
        (config::Prices::Url(url), _) => Some(url.clone()),
        (config::Prices::Emulator, Some(emu)) => url::Url::parse(&format!("{}/api/retail/prices", emu.base_url())).ok(),
        _ => None,
    };
    if let Some(url) = prices_url {
        tokio::spawn(coverage::pricing::refresh_loop(prices.clone(), url, coverage::pricing::REFRESH_EVERY));
    }
    let precompressed = std::iter::once(leptos_options.site_pkg_dir.to_string())
        .chain(assets::PRECOMPRESSED_DIRS.map(String::from))
        .collect();
    let assets = assets::Assets::compress_in_background(&leptos_options.site_root, precompressed);
    let state = AppState::new(state::Shared {
        leptos_options,
        assets,
        arm: arm.clone(),
        hub: hub.clone(),
        regions: Arc::new(Regions::embedded()?),
        emulated: emulator.is_some(),
        http: Arc::default(),
        store,
        audit_counters: Arc::default(),
        auth: Arc::new(
            auth::Authenticator::new(
                config.auth.clone(),
                config.http.public_url.as_ref().is_some_and(|u| u.scheme() == "https"),
            )
            .with_oidc(oidc),
        ),
        allowed_hosts: middleware::AllowedHosts::new(addr, &config.allowed_hosts, config.http.public_url.as_ref()),
        ready_at: Arc::default(),
        ui: config.ui.clone(),
        edge: Arc::new(edge::Edge::new(&config.http, config.ui.tile_url.as_deref())),
        coverage: Arc::new(coverage::CoverageService::new(config.coverage.clone(), prices.clone())),
    });
    tokio::spawn(hub::discover(arm, hub.clone(), config.subscriptions.clone(), config.filter.clone()));
    if config.coverage.enabled {
        tokio::spawn(coverage::refresh::run(state.clone(), config.subscriptions.clone()));
    }
    let resumed = operations::resume(&state).await?;
    if resumed > 0 {
        tracing::info!(count = resumed, "following operations a previous run left unfinished");
    }
    tokio::spawn(retention(state.store.clone(), config.audit_retention, config.auth.session_idle));
    let app = router(state.clone());
    let closing = hub.clone();
    let shutdown = async move {
        shutdown.await;
        // SSE streams never end by themselves; close them so in-flight requests can drain.
        closing.close();
    };
    // The router is built once and shared by every connection (a per-connection copy cost
    // 51 KiB per event-stream client: scripts/bench, docs/measurements.md); each request gets
    // the peer's `ConnectInfo`, which the audit trail records.
    let limits = edge::serve::ServeLimits {
        header_timeout: config.http.header_timeout,
        connections: state.edge.connections.clone(),
    };
    let counters = state.edge.counters.clone();
    let server = tokio::spawn(edge::serve::serve(listener, app, limits, counters, shutdown));
    Ok(Portal { addr, emulator, state, server })
}

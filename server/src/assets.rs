//! The files of the first load (`/pkg/*.wasm|js|css`, the vendored Leaflet and the world
//! outline), compressed once at start-up at the highest levels instead of per request at the
//! fast levels the response compression layer uses: brotli 11 makes the WASM about a fifth and
//! the outline nearly a third smaller than on-the-fly brotli, and the work is done once, not
//! once per browser. Served with an ETag, so a reload costs a 304.
//!
//! Until the files are compressed (a few seconds after start), or for a client that accepts
//! neither encoding, requests fall through to the ordinary static-file handler.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Brotli's densest setting, and its largest window.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_WINDOW: u32 = 24;

struct Asset {
    content_type: &'static str,
    /// The file it was made from, and its modification time then: a newer file (a rebuild
    /// under `cargo leptos watch`) is served by the ordinary handler instead of stale bytes.
    path: PathBuf,
    modified: Option<std::time::SystemTime>,
    /// Content hash, the base of each encoding's ETag.
    hash: u64,
    // `Bytes`: every response shares the one buffer.
    brotli: Bytes,
    gzip: Bytes,
}

/// The folders of the site root whose files are precompressed besides the front end's own
/// (`site_pkg_dir`, which `start` adds): what `public/` ships, which scripts/build copies
/// into the site root.
pub const PRECOMPRESSED_DIRS: [&str; 2] = ["leaflet", "data"];

/// The compressed files by URL path (`/pkg/replimap.wasm`).
#[derive(Clone, Default)]
pub struct Assets {
    files: Arc<RwLock<HashMap<String, Asset>>>,
}

impl Assets {
    /// Compresses the files of `{site_root}/{dir}` for each of `dirs` in the background.
    pub fn compress_in_background(site_root: &str, dirs: Vec<String>) -> Self {
        let assets = Self::default();
        let root = PathBuf::from(site_root);
        let files = assets.files.clone();
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            for dir in dirs {
                let dir = dir.trim_matches('/');
                // A missing folder (API-only tests have no built front end): nothing to serve.
                let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
                for path in entries.filter_map(Result::ok).map(|e| e.path()) {
                    let (Some(name), Some(content_type)) =
                        (path.file_name().and_then(|n| n.to_str()), content_type(&path))
                    else {
                        continue;
                    };
                    match compress(&path, content_type) {
                        Ok(asset) => {
                            if let Ok(mut map) = files.write() {
                                map.insert(format!("/{dir}/{name}"), asset);
                            }
                        }
                        Err(e) => tracing::warn!(file = %path.display(), error = %e, "could not precompress"),
                    }
                }
            }
            tracing::info!(ms = started.elapsed().as_millis() as u64, "front-end files precompressed");
        });
        assets
    }
}

fn content_type(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()? {
        "wasm" => Some("application/wasm"),
        "js" => Some("text/javascript"),
        "css" => Some("text/css"),
        "geojson" => Some("application/geo+json"),
        _ => None,
    }
}

fn compress(path: &Path, content_type: &'static str) -> std::io::Result<Asset> {
    let raw = std::fs::read(path)?;
    let mut brotli = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut brotli, 64 * 1024, BROTLI_QUALITY, BROTLI_WINDOW);
        w.write_all(&raw)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw)?;
    let gzip = gz.finish()?;
    // Content hash (FNV-1a): same bytes, same tag, across restarts.
    let hash = raw.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok(Asset { content_type, path: path.to_owned(), modified, hash, brotli: brotli.into(), gzip: gzip.into() })
}

/// Middleware: answers `GET` for a precompressed file from its compressed bytes when it can.
pub async fn serve(State(assets): State<Assets>, req: Request, next: Next) -> Response {
    match lookup(&assets, &req) {
        Some(resp) => resp,
        None => next.run(req).await,
    }
}

fn lookup(assets: &Assets, req: &Request) -> Option<Response> {
    if req.method() != axum::http::Method::GET {
        return None;
    }
    let files = assets.files.read().ok()?;
    let asset = files.get(req.uri().path())?;
    if std::fs::metadata(&asset.path).and_then(|m| m.modified()).ok() != asset.modified {
        return None;
    }
    let (encoding, body) = if accepts(req, "br") {
        ("br", asset.brotli.clone())
    } else if accepts(req, "gzip") {
        ("gzip", asset.gzip.clone())
    } else {
        return None;
    };
    // One tag per encoding: the two bodies are different representations.
    let etag = HeaderValue::from_str(&format!("\"{:016x}-{encoding}\"", asset.hash)).ok()?;
    let not_modified = req.headers().get_all(header::IF_NONE_MATCH).iter().any(|v| {
        v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag.to_str().unwrap_or("")))
    });
    let mut resp = if not_modified {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        r
    };
    // A 304 carries the headers the 200 would (RFC 9110, 15.4.5).
    let h = resp.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::ETAG, etag);
    // Revalidate every load (the file names carry no hash), but a 304 costs nothing.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(resp)
}

/// Whether `Accept-Encoding` allows `encoding` (listed without `q=0`).
fn accepts(req: &Request, encoding: &str) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let named = parts.next().is_some_and(|e| e.eq_ignore_ascii_case(encoding));
            let refused =
                parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
            named && !refused
        })
}

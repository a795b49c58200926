//! `/pkg/*` and the vendored files: the first load, precompressed at start-up, with ETags.

use std::io::Read;
use std::time::Duration;

use leptos::config::LeptosOptions;
use replimap_server::{start, Config};

#[tokio::test]
async fn front_end_files_are_served_precompressed_with_an_etag() {
    let site = std::env::temp_dir().join(format!("replimap-assets-{}", std::process::id()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(site.join("pkg/replimap.wasm"), &wasm).unwrap();
    // The vendored files of the first load are precompressed too (public/ copied into the site).
    std::fs::create_dir_all(site.join("data")).unwrap();
    std::fs::write(site.join("data/world.geojson"), br#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    let mut config = Config::emulator_defaults();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = crate::support::scratch_dir("assets");
    let options =
        LeptosOptions::builder().output_name("replimap").site_root(site.to_str().unwrap()).site_pkg_dir("pkg").build();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let portal = start(config, options, async {
        let _ = rx.await;
    })
    .await
    .unwrap();
    let url = format!("{}/pkg/replimap.wasm", portal.url());
    let http = reqwest::Client::builder().no_brotli().no_gzip().build().unwrap();

    // Compression runs in the background; until then the ordinary handler answers.
    let resp = precompressed(&http, &url, "gzip, br").await;
    assert_eq!(resp.headers()["content-encoding"], "br");
    assert_eq!(resp.headers()["content-type"], "application/wasm");
    assert_eq!(resp.headers()["vary"], "accept-encoding");
    let etag = resp.headers()["etag"].clone();
    let body = resp.bytes().await.unwrap();
    assert!(body.len() < wasm.len() / 10, "brotli 11 on a repetitive file: {} bytes", body.len());
    let mut plain = Vec::new();
    brotli::Decompressor::new(&body[..], 4096).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, wasm);

    let gz = http.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_etag = gz.headers()["etag"].clone();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, wasm);

    assert_ne!(gz_etag, etag, "each encoding has its own tag");

    // Folders are compressed one after another (pkg first), so the outline may come later.
    let outline =
        precompressed(&http, &format!("{}/data/world.geojson", portal.url()), "gzip, deflate, br, zstd").await;
    assert_eq!(outline.headers()["content-encoding"], "br");
    assert_eq!(outline.headers()["content-type"], "application/geo+json");
    let again =
        http.get(&url).header("accept-encoding", "br").header("if-none-match", etag.clone()).send().await.unwrap();
    assert_eq!(again.status(), 304, "a reload revalidates for free");
    assert_eq!(again.headers()["etag"], etag);
    assert_eq!(again.headers()["cache-control"], "no-cache");
    assert_eq!(again.headers()["vary"], "accept-encoding");

    let refused = http.get(&url).header("accept-encoding", "br;q=0, gzip").send().await.unwrap();
    assert_eq!(refused.headers()["content-encoding"], "gzip", "q=0 refuses brotli");

    // A rebuilt file is served fresh, not from the start-up compression.
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(site.join("pkg/replimap.wasm"), b"rebuilt").unwrap();
    let fresh = http.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(fresh.bytes().await.unwrap().as_ref(), b"rebuilt");

    let _ = tx.send(());
    let _ = std::fs::remove_dir_all(&site);
}

/// The first answer for `url` that comes from the start-up compression (it has an ETag), asked
/// again every 100 ms for up to 10 s; every answer before it must be a 200 too.
async fn precompressed(http: &reqwest::Client, url: &str, accept: &str) -> reqwest::Response {
    for _ in 0..100 {
        let r = http.get(url).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        if r.headers().get("etag").is_some() {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} not precompressed within 10 s");
}

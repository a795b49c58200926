#!/usr/bin/env bash
# Dev helper, not used by the tests or CI: builds the front end without cargo-leptos
# (debug wasm + wasm-bindgen) into $SITE (default target/site), the layout the server
# expects with LEPTOS_SITE_ROOT=$SITE LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=replimap.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE="${SITE:-$TARGET/site}"
cd "$ROOT"
cargo build -p replimap-frontend --lib --target wasm32-unknown-unknown --features hydrate
mkdir -p "$SITE/pkg"
wasm-bindgen --target web --no-typescript --out-name replimap --out-dir "$SITE/pkg" \
  "$TARGET/wasm32-unknown-unknown/debug/replimap_frontend.wasm"
# A server built by cargo-leptos asks for replimap.wasm; one built by plain cargo (no
# LEPTOS_OUTPUT_NAME at compile time) asks for replimap_bg.wasm. Serve both.
cp "$SITE/pkg/replimap_bg.wasm" "$SITE/pkg/replimap.wasm"
cp style/main.css "$SITE/pkg/replimap.css"
cp -r public/. "$SITE/"
echo "site ready in $SITE"

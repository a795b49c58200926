#!/usr/bin/env node
// The first-load budget (a check, not a timing: sizes are deterministic for a given build).
//
// Fetches the page named in budget.json from a running portal the way Chromium does (it offers
// brotli), then every resource the page loads on its own: the stylesheets, scripts, module
// preloads and fetch preloads in its <head>, plus the files the WASM fetches after start-up
// (`extra`, e.g. the world outline). Counts the body bytes as they arrive on the wire, still
// compressed, and fails when the release WASM or the total exceeds its budget. Later features pay
// for their bytes or load lazily; raise a budget only with a reason in the commit.
//
//   REPLIMAP_URL=http://127.0.0.1:3000 node end2end/budget.mjs
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.env.REPLIMAP_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const budget = JSON.parse(readFileSync(join(here, 'budget.json'), 'utf8'));
const ACCEPT_ENCODING = 'gzip, deflate, br, zstd'; // what Chromium sends

/** One GET: status, headers and the body's bytes exactly as received (not decoded). */
function get(path, acceptEncoding = ACCEPT_ENCODING) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout fetching ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

async function waitForPortal() {
  for (let i = 0; i < 480; i++) {
    try {
      const r = await get('/healthz', 'identity');
      if (r.status === 200 && JSON.parse(r.body.toString()).registriesDiscovered === true) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`portal not ready at ${base}/healthz`);
}

/** Same-origin resources the page's <head> makes the browser load before any script runs. */
function resourcesOf(html) {
  const end = html.indexOf('</head>');
  const head = end < 0 ? html : html.slice(0, end);
  const urls = new Set();
  for (const tag of head.match(/<(link|script)\b[^>]*>/g) || []) {
    const attr = (name) => tag.match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
    const url = tag.startsWith('<script') ? attr('src') : ['stylesheet', 'modulepreload', 'preload'].includes(attr('rel')) && attr('href');
    if (url && url.startsWith('/') && !url.startsWith('//')) urls.add(url);
  }
  return [...urls];
}

await waitForPortal();
const page = await get(budget.page);
if (page.status !== 200) throw new Error(`${budget.page}: HTTP ${page.status}`);
if (page.headers['content-encoding'] !== 'br') throw new Error(`${budget.page} was not served with brotli`);
const { brotliDecompressSync } = await import('node:zlib');
const html = brotliDecompressSync(page.body).toString('utf8');

const rows = [[budget.page, page.body.length, page.headers['content-encoding']]];
for (const url of [...resourcesOf(html), ...budget.extra]) {
  // The portal compresses its static files once, in the background after start-up, and serves
  // them with an ETag from then on; measure that steady state, not the first seconds.
  let r;
  for (let i = 0; i < 120; i++) {
    r = await get(url);
    if (r.status !== 200 || r.headers.etag) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
  if (!r.headers.etag) throw new Error(`${url} is not served precompressed (no ETag after 30 s)`);
  rows.push([url, r.body.length, r.headers['content-encoding'] || 'identity']);
}

const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
const wasm = rows.filter(([url]) => url.endsWith('.wasm')).reduce((sum, [, bytes]) => sum + bytes, 0);
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
for (const [url, bytes, enc] of rows) console.log(`${String(bytes).padStart(9)} B  ${enc.padEnd(8)} ${url}`);
console.log(`first load: ${rows.length} requests, ${total} B (${kib(total)}); budget ${budget.totalBytes} B (${kib(budget.totalBytes)})`);
console.log(`release wasm: ${wasm} B as served; budget ${budget.wasmBytes} B`);

const over = [];
if (wasm === 0) over.push('no .wasm among the page resources: the page would not hydrate');
if (wasm > budget.wasmBytes) over.push(`wasm ${wasm} B > ${budget.wasmBytes} B`);
if (total > budget.totalBytes) over.push(`first load ${total} B > ${budget.totalBytes} B`);
if (over.length) {
  console.error(`over budget: ${over.join('; ')}`);
  process.exit(1);
}
console.log('within budget');

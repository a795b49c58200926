#!/usr/bin/env node
// Figures in headless Chromium (not a test, nothing is asserted; prints `name: value` lines).
//
// 1. First load, median of MEASURE_RUNS (5) cold loads at 1280×720, each in a new context:
//    bytes transferred (compressed as served: CDP Network encodedDataLength, and the sum of
//    Resource Timing transferSize / encodedBodySize), first contentful paint, DOMContentLoaded,
//    the map interactive (every marker present, the first one focusable and hit by a click at
//    its centre) and the status stream live.
// 2. Live updates (needs REPLIMAP_EMULATOR_URL): MEASURE_REPLICAS (10) replicas are added out of
//    band, then MEASURE_RATE (100) tag changes per second are written through the emulator's
//    admin API for MEASURE_SECONDS (10) s. Run the portal with REPLIMAP_POLL_FAST_MS=100 and
//    REPLIMAP_POLL_SLOW_MS=100 so its poller sees them (scripts/measure does). Reports the
//    events that reached the page (its own EventSource, through CDP), DOM mutations, main-thread
//    busy time per second (CDP Performance.getMetrics TaskDuration / ScriptDuration deltas) and
//    dropped frames (requestAnimationFrame gaps > 25 ms), against an idle baseline of the same
//    length on the same page.
import { BASE_URL, EMULATOR_URL, delay, launch, oobPutReplica, oobRemoveReplica } from './tests/helpers.mjs';

const RUNS = Number(process.env.MEASURE_RUNS || 5);
const REGISTRY = process.env.MEASURE_REGISTRY || 'myACR0007';
const PATH = `/?registry=${REGISTRY}`;
const RATE = Number(process.env.MEASURE_RATE || 100);
const SECONDS = Number(process.env.MEASURE_SECONDS || 10);
const REPLICAS = Number(process.env.MEASURE_REPLICAS || 10);
const FRAME_GAP_MS = 25;

const out = (name, value) => console.log(`${name}: ${value}`);
const median = (values) => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
};
const round = (x, digits = 0) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : 'n/a');

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${BASE_URL}/healthz`)).ok) break;
  } catch {}
  if (i > 240) throw new Error(`portal not reachable at ${BASE_URL}`);
  await delay(250);
}
const regions = await (await fetch(`${BASE_URL}/api/v1/locations`)).json();
// Every region gets a marker (those Azure does not offer show as "not available").
const expected = regions.length;
const browser = await launch();

// ---- 1. first load -------------------------------------------------------------------------

/** In the page, from the first script on: when the map became interactive and the stream live. */
function watchReadiness(expectedMarkers) {
  window.__ready = {};
  const tick = () => {
    const now = performance.now();
    const markers = document.querySelectorAll('.region-marker');
    if (!window.__ready.map && markers.length >= expectedMarkers) {
      const m = markers[0];
      const r = m.getBoundingClientRect();
      const hit = r.width > 0 && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (m.tabIndex >= 0 && hit && (hit === m || m.contains(hit))) window.__ready.map = now;
    }
    if (!window.__ready.live && document.querySelector('#stream-status[data-state="live"]')) window.__ready.live = now;
    if (!(window.__ready.map && window.__ready.live)) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

const loads = [];
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
  });
  await page.addInitScript(watchReadiness, expected);
  await page.goto(`${BASE_URL}${PATH}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__ready?.map && window.__ready?.live, undefined, { timeout: 60_000, polling: 100 });
  // Let late requests (world outline, fonts) finish before counting bytes.
  await page.waitForLoadState('networkidle').catch(() => {});
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const entries = [nav, ...performance.getEntriesByType('resource')].filter((e) => !e.name.includes('/api/v1/events'));
    return {
      fcp: fcp ? fcp.startTime : NaN,
      dcl: nav.domContentLoadedEventEnd,
      map: window.__ready.map,
      live: window.__ready.live,
      transfer: entries.reduce((s, e) => s + (e.transferSize || 0), 0),
      body: entries.reduce((s, e) => s + (e.encodedBodySize || 0), 0),
      decoded: entries.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
      requests: entries.length,
    };
  });
  // Sanity (not timed): the first marker really answers a key press.
  const m = page.locator('.region-marker').first();
  await m.focus();
  t.focusable = await m.evaluate((el) => document.activeElement === el);
  loads.push({ ...t, bytes });
  await context.close();
}

out('runs', RUNS);
out('page', PATH);
out('markers on the map', expected);
out('first load bytes transferred, CDP encodedDataLength (KiB)', round(median(loads.map((l) => l.bytes)) / 1024, 1));
out('first load bytes transferred, Resource Timing transferSize (KiB)', round(median(loads.map((l) => l.transfer)) / 1024, 1));
out('first load encoded body bytes, Resource Timing (KiB)', round(median(loads.map((l) => l.body)) / 1024, 1));
out('first load decoded body bytes, Resource Timing (KiB)', round(median(loads.map((l) => l.decoded)) / 1024, 1));
out('first load requests', median(loads.map((l) => l.requests)));
out('first contentful paint (ms, median)', round(median(loads.map((l) => l.fcp))));
out('DOMContentLoaded (ms, median)', round(median(loads.map((l) => l.dcl))));
out('map interactive: all markers, first focusable and clickable (ms, median)', round(median(loads.map((l) => l.map))));
out('status stream live (ms, median)', round(median(loads.map((l) => l.live))));
out('first marker took focus', loads.every((l) => l.focusable));

// ---- 2. live updates -----------------------------------------------------------------------

if (!EMULATOR_URL) {
  out('live updates', 'skipped (REPLIMAP_EMULATOR_URL is not set)');
  await browser.close();
  process.exit(0);
}

const key = (await (await fetch(`${BASE_URL}/api/v1/registries`)).json()).find((r) => r.key.name === REGISTRY)?.key;
if (!key) throw new Error(`registry ${REGISTRY} not found`);
const existing = new Set((await (await fetch(`${BASE_URL}/api/v1/registries/${key.subscriptionId}/${key.resourceGroup}/${key.name}/replications`)).json()).map((r) => r.location));
const targets = regions
  .filter((r) => r.acceptsReplicas && !existing.has(r.name))
  .map((r) => r.name)
  .slice(0, REPLICAS);
for (const name of targets) await oobPutReplica(REGISTRY, { name, tags: { seq: '0' } });

const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
const cdp = await context.newCDPSession(page);
await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
await cdp.send('Network.enable');
let sseMessages = 0;
let sseUpserts = 0;
cdp.on('Network.eventSourceMessageReceived', (e) => {
  sseMessages++;
  if (e.data.includes('"replication_upserted"')) sseUpserts++;
});
await page.goto(`${BASE_URL}${PATH}`);
await page.locator('#stream-status[data-state="live"]').waitFor({ timeout: 60_000 });
await page.waitForFunction(
  (names) => names.every((n) => document.querySelector(`.region-marker[data-region="${n}"][data-state="ready"]`)),
  targets,
  { timeout: 60_000 },
);
// The page's stream is an EventSource when CDP saw its snapshot; otherwise count with a second
// EventSource in the page (which adds its own small cost).
const viaCdp = sseMessages > 0;
if (!viaCdp) {
  await page.evaluate(() => {
    window.__sse = 0;
    const es = new EventSource('/api/v1/events');
    es.onmessage = (e) => {
      if (e.data.includes('"replication_upserted"')) window.__sse++;
    };
  });
}
await page.evaluate((gap) => {
  window.__frames = { frames: 0, dropped: 0, worst: 0 };
  window.__mutations = 0;
  let last = performance.now();
  const frame = (now) => {
    const d = now - last;
    last = now;
    window.__frames.frames++;
    if (d > gap) window.__frames.dropped++;
    window.__frames.worst = Math.max(window.__frames.worst, d);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new MutationObserver((recs) => {
    window.__mutations += recs.length;
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
}, FRAME_GAP_MS);

const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
const upserts = async () => (viaCdp ? sseUpserts : page.evaluate(() => window.__sse));

/** Measures the page over `seconds`. */
async function window_(seconds) {
  await page.evaluate(() => {
    window.__frames.frames = 0;
    window.__frames.dropped = 0;
    window.__frames.worst = 0;
    window.__mutations = 0;
  });
  const m0 = await metrics();
  const e0 = await upserts();
  const t0 = performance.now();
  await delay(seconds * 1000);
  const m1 = await metrics();
  const e1 = await upserts();
  const wall = (performance.now() - t0) / 1000;
  const f = await page.evaluate(() => ({ ...window.__frames, mutations: window.__mutations }));
  const perSec = (k) => ((m1[k] - m0[k]) * 1000) / wall;
  return {
    wall,
    task: perSec('TaskDuration'),
    script: perSec('ScriptDuration'),
    layout: perSec('LayoutDuration'),
    style: perSec('RecalcStyleDuration'),
    events: (e1 - e0) / wall,
    frames: f.frames / wall,
    dropped: f.dropped,
    worst: f.worst,
    mutations: f.mutations / wall,
  };
}

const idle = await window_(SECONDS);

// Load: one admin write every 1000/RATE ms, round-robin over the replicas, never more than 32 in flight.
let stop = false;
let sent = 0;
let failed = 0;
let inFlight = 0;
const started = performance.now();
const generator = (async () => {
  for (let i = 0; !stop; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await delay(wait);
    if (inFlight >= 32) continue;
    inFlight++;
    const name = targets[i % targets.length];
    oobPutReplica(REGISTRY, { name, tags: { seq: String(i + 1) } })
      .then(() => sent++, () => failed++)
      .finally(() => inFlight--);
  }
})();
await delay(1000); // let the poller and the page reach a steady state
const sent0 = sent;
const busy = await window_(SECONDS);
const writesPerSec = (sent - sent0) / busy.wall;
stop = true;
await generator;
while (inFlight > 0) await delay(20);

out('live: replicas changing', targets.length);
out('live: poll interval asked of the portal (ms)', `${process.env.REPLIMAP_POLL_FAST_MS ?? '?'} fast / ${process.env.REPLIMAP_POLL_SLOW_MS ?? '?'} slow (as passed to this script; the portal must be started with them)`);
out('live: window (s)', round(busy.wall, 1));
out('live: changes written to ARM (per s)', round(writesPerSec, 1));
out('live: failed writes', failed);
out('live: events counted via', viaCdp ? "the page's own EventSource (CDP)" : 'a second EventSource in the page');
for (const [label, w] of [['idle', idle], ['100/s', busy]]) {
  out(`${label}: replication events reaching the page (per s)`, round(w.events, 1));
  out(`${label}: DOM mutation records (per s)`, round(w.mutations, 0));
  out(`${label}: main-thread busy, TaskDuration (ms per s)`, round(w.task, 1));
  out(`${label}: script, ScriptDuration (ms per s)`, round(w.script, 1));
  out(`${label}: style + layout (ms per s)`, round(w.style + w.layout, 1));
  out(`${label}: frames (per s)`, round(w.frames, 1));
  out(`${label}: dropped frames (rAF gaps > ${FRAME_GAP_MS} ms, over the window)`, w.dropped);
  out(`${label}: worst frame gap (ms)`, round(w.worst, 0));
}
out('live: page errors', pageErrors.length ? pageErrors.slice(0, 3).join(' | ') : 'none');

await context.close();
for (const name of targets) await oobRemoveReplica(REGISTRY, name);
await browser.close();

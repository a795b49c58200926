#!/usr/bin/env node
// Page-load figures in headless Chromium (not a test; prints numbers):
// time from navigation to the first server-rendered paint, to hydration, and to every
// region marker on the map, plus bytes transferred. Median of N cold loads (new context each).
import { BASE_URL, launch } from './tests/helpers.mjs';

const RUNS = Number(process.env.MEASURE_RUNS || 5);
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${BASE_URL}/healthz`)).ok) break;
  } catch {}
  if (i > 240) throw new Error(`portal not reachable at ${BASE_URL}`);
  await new Promise((r) => setTimeout(r, 250));
}
const regions = await (await fetch(`${BASE_URL}/api/v1/locations`)).json();
const expected = regions.filter((r) => r.acceptsReplicas).length;
const browser = await launch();
const samples = [];
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  let bytes = 0;
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  await page.goto(`${BASE_URL}/`, { waitUntil: 'commit' });
  await page.waitForFunction((n) => document.querySelectorAll('.region-marker').length >= n, expected, { timeout: 60_000 });
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { markers: performance.now(), fcp: fcp ? fcp.startTime : NaN, dcl: nav.domContentLoadedEventEnd };
  });
  // Let late requests (world outline, SSE) settle before counting bytes.
  await page.waitForTimeout(500);
  samples.push({ ...t, bytes });
  await context.close();
}
await browser.close();
const med = (k) => {
  const v = samples.map((s) => s[k]).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};
console.log(`page load in headless Chromium, median of ${RUNS} cold loads at 1280x720 (${expected} markers):`);
console.log(`  first contentful paint (server-rendered page): ${med('fcp').toFixed(0)} ms`);
console.log(`  DOMContentLoaded:                              ${med('dcl').toFixed(0)} ms`);
console.log(`  all markers on the map (hydrated, data in):    ${med('markers').toFixed(0)} ms`);
console.log(`  bytes transferred (compressed, incl. outline): ${(med('bytes') / 1024).toFixed(0)} KiB`);

// Page object and browser helpers for the replimap journeys.
//
// The DOM contract these rely on is documented in app/src/components/region_marker.rs and the
// other components: `.region-marker[data-region][data-state]` buttons on the map,
// `#replications tr[data-replication]` rows, `#region-dialog`, `#alert[role=alert]`,
// `#stream-status[data-state]`, `#activity`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.REPLIMAP_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
/// The embedded emulator's own address, for fault injection and out-of-band ARM writes.
export const EMULATOR_URL = (process.env.REPLIMAP_EMULATOR_URL || '').replace(/\/+$/, '');
/// `skip` option for suites and tests that need the emulator. Locally they skip without
/// REPLIMAP_EMULATOR_URL; under CI they run, and `requireEmulator()` makes them fail.
export const EMULATOR_SKIP = (EMULATOR_URL || process.env.CI) ? false : 'REPLIMAP_EMULATOR_URL is not set';

/** Fails loudly when a test that needs the emulator runs without its address (under CI). */
export function requireEmulator() {
  if (!EMULATOR_URL) {
    throw new Error(
      'REPLIMAP_EMULATOR_URL is not set, but CI is: start the portal with REPLIMAP_EMULATOR_LISTEN and set REPLIMAP_EMULATOR_URL to match (see end2end/README.md)',
    );
  }
}
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/// States a marker shows while ARM (or the initial sync) is still working.
export const IN_PROGRESS = ['creating', 'updating', 'deleting', 'syncing'];
/// Longest a create or delete may take with the emulator's default delay (a few seconds).
export const SETTLE_MS = 30_000;

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless; no browser download. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: LAUNCH_ARGS,
    headless: true,
  });
}

/** JSON from the portal API (from node, not the page). */
export async function api(path) {
  const res = await fetch(`${BASE_URL}${path}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A state-changing portal API call from outside the browser (as another tool would make). */
export async function apiWrite(method, path, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-replimap-csrf': '1' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status;
}

/** The portal's registry (`key` of /api/v1/registries) whose name is `name`. */
export async function registryKey(name) {
  const summaries = await api('/api/v1/registries');
  const reg = summaries.find((r) => r.key.name === name);
  if (!reg) throw new Error(`registry ${name} not in /api/v1/registries`);
  return reg.key;
}

/// ARM api-version of the replication calls made directly to the emulator.
const ARM_API_VERSION = '2025-04-01';

/**
 * A write straight to the emulator's ARM API, past the portal (as the Azure portal or the az
 * CLI would make it): `PUT` creates the replica named after `region` there, `DELETE` removes it.
 * Returns the HTTP status.
 */
export async function armReplicationWrite(method, key, region) {
  requireEmulator();
  const url =
    `${EMULATOR_URL}/subscriptions/${key.subscriptionId}/resourceGroups/${key.resourceGroup}` +
    `/providers/Microsoft.ContainerRegistry/registries/${key.name}/replications/${region}?api-version=${ARM_API_VERSION}`;
  const res = await fetch(url, {
    method,
    headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
    body: method === 'PUT' ? JSON.stringify({ location: region, properties: {} }) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`ARM ${method} ${url}: ${res.status} ${text}`);
  return res.status;
}

/** Adds a fault rule to the embedded ARM emulator (see crates/arm-emulator/src/faults.rs). */
export async function injectFault(rule) {
  const res = await fetch(`${EMULATOR_URL}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  if (!res.ok) throw new Error(`fault injection: ${res.status} ${await res.text()}`);
}

export async function clearFaults() {
  await fetch(`${EMULATOR_URL}/_emulator/faults`, { method: 'DELETE' });
}

/** The portal page at 1280×720, with every console error and page error recorded. */
export class PortalPage {
  constructor(context, page) {
    this.context = context;
    this.page = page;
    /** Console errors and uncaught exceptions seen so far. */
    this.errors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.errors.push(`console: ${msg.text()} (${msg.location().url || 'no url'})`);
    });
    page.on('pageerror', (err) => this.errors.push(`pageerror: ${err.message}`));
    page.on('requestfailed', (req) => {
      // The status stream is aborted on purpose when the page closes.
      if (!req.url().endsWith('/api/v1/events')) this.errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
    });
  }

  static async open(browser, path = '/') {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const portal = new PortalPage(context, page);
    await page.goto(`${BASE_URL}${path}`);
    await portal.ready();
    return portal;
  }

  /** Hydrated, markers drawn, first snapshot applied and the live stream connected. */
  async ready() {
    await this.page.locator('.region-marker[data-state="home"]').first().waitFor({ timeout: 30_000 });
    await this.page.locator('#stream-status[data-state="live"]').waitFor({ timeout: 30_000 });
    await this.page.locator('#replications tbody tr[data-replication]').first().waitFor({ timeout: 30_000 });
  }

  marker(region) {
    return this.page.locator(`.region-marker[data-region="${region}"]`);
  }

  markers() {
    return this.page.locator('.region-marker');
  }

  async markerState(region) {
    return this.marker(region).getAttribute('data-state');
  }

  /** Waits until the marker shows one of `states`; returns the state it saw. */
  async waitForMarker(region, states, timeout = SETTLE_MS) {
    const handle = await this.page.waitForFunction(
      ([r, wanted]) => {
        const el = document.querySelector(`.region-marker[data-region="${r}"]`);
        return el && wanted.includes(el.dataset.state) ? el.dataset.state : null;
      },
      [region, states],
      { timeout, polling: 50 },
    );
    return handle.jsonValue();
  }

  /**
   * Starts recording every `data-state` the marker of `region` takes (a MutationObserver,
   * so no state is missed between two polls); read it with `markerHistory`.
   */
  async recordMarker(region) {
    await this.page.evaluate((r) => {
      const el = document.querySelector(`.region-marker[data-region="${r}"]`);
      window.__markerOld ??= {};
      window.__markerOld[r] = [];
      new MutationObserver((records) => {
        for (const rec of records) window.__markerOld[r].push(rec.oldValue);
      }).observe(el, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
    }, region);
  }

  /** The states the marker went through since `recordMarker`, oldest first, current last. */
  async markerHistory(region) {
    return this.page.evaluate((r) => {
      const el = document.querySelector(`.region-marker[data-region="${r}"]`);
      const all = [...(window.__markerOld?.[r] ?? []), el?.dataset.state];
      return all.filter((s, i) => i === 0 || s !== all[i - 1]);
    }, region);
  }

  row(name) {
    return this.page.locator(`#replications tr[data-replication="${name}"]`);
  }

  /** Cell texts of a replica's table row (NAME, LOCATION, PROVISIONING STATE, STATUS, ENDPOINT). */
  async rowCells(name) {
    return this.row(name).locator('td').allInnerTexts();
  }

  get dialog() {
    return this.page.locator('#region-dialog');
  }

  get alert() {
    return this.page.locator('#alert[role="alert"]');
  }

  button(name) {
    return this.dialog.getByRole('button', { name, exact: true });
  }

  /** Clicks a marker and waits for its dialog. */
  async openRegion(region) {
    await this.marker(region).click();
    await this.dialog.waitFor({ state: 'visible' });
  }

  /** Leaves `region` without a replica, deleting one left over by an earlier run. */
  async ensureAvailable(region) {
    const state = await this.markerState(region);
    if (state === 'available') return;
    if (state !== 'deleting') {
      await this.waitForMarker(region, ['ready', 'failed', 'syncing']);
      await this.openRegion(region);
      await this.button('Delete replica').click();
    }
    await this.waitForMarker(region, ['available']);
  }

  async screenshot(name) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  async close() {
    await this.context.close();
  }
}

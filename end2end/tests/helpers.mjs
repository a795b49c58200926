// Page object and browser helpers for the replimap journeys.
//
// The DOM contract these rely on (see end2end/README.md for the full list):
// `#map[data-ready="true"]` once the markers answer keys and clicks,
// `.region-marker[data-region][data-state]` buttons on the map, `#legend li[data-state]`,
// `#region-card[role=tooltip]`, `dialog#region-dialog` with `form#create-form` /
// `form#update-form` / `[data-step=confirm-delete]` and `pre.cli code`,
// `table#replications` (`th[data-sort]`, `tr[data-replication][data-phase]`, row actions
// `button[data-action=edit|delete]`), `input#replica-filter`, `form#add-replica`,
// `#alert[role=alert]`, `#registry[data-registry]`, `select#registry-picker`,
// `#stream-status[data-state]`, `#stream-banner`, kiosk `main#kiosk[data-registry]`, the card's
// `[data-field=recent]` ("Recent actions here", `a.all-activity`), `a#activity-link`; the activity
// page's `form#activity-filters`, `#activity-rows tr#audit-{id}[data-outcome]`,
// `#activity-status`, `#activity-empty`, `a#export-csv`, `a#export-jsonl`, `a#map-link`; who is
// signed in, on every page: `#me[data-role]` (`.me-name`, `.me-role`, `.me-note`, `a#tokens-link`,
// `form#sign-out`, `a#sign-in`), and why writes are disabled: `#write-denied`, `#dialog-denied`;
// the API tokens page's `#tokens-refused`, `form#token-form`, `#token-created` with
// `input#token-secret` and `button#copy-secret`, `#token-rows tr#token-{id}[data-state]` with
// `button[data-revoke]`, `#tokens-status`, `#tokens-empty`; `form#enroll-form` on /enroll.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
/// What the portal was started with as `ui.stuck_after_secs` (REPLIMAP_STUCK_AFTER_SECS).
export const STUCK_AFTER_SECS = Number(process.env.REPLIMAP_STUCK_AFTER_SECS || 0) || null;

/** Fails loudly when a test that needs the emulator runs without its address (under CI). */
export function requireEmulator() {
  if (!EMULATOR_URL) {
    throw new Error(
      'REPLIMAP_EMULATOR_URL is not set, but CI is: start the portal with REPLIMAP_EMULATOR_LISTEN and set REPLIMAP_EMULATOR_URL to match (see end2end/README.md)',
    );
  }
}
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/// The registries of end2end/seed.json.
export const SEED = {
  demo: { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'myresourcegroup', name: 'myACR0007', home: 'eastus' },
  prod: { subscriptionId: '11111111-1111-1111-1111-111111111111', resourceGroup: 'platform-prod', name: 'contosoprod', home: 'westeurope' },
  dev: { subscriptionId: '11111111-1111-1111-1111-111111111111', resourceGroup: 'platform-dev', name: 'contosodev', home: 'eastus' },
};

/// The page of the docs registry. `/` alone shows the first replicable registry by name,
/// which with end2end/seed.json is contosoprod.
export const DEMO_PATH = `/?registry=${SEED.demo.name}`;

/// States a marker shows while ARM (or the initial sync) is still working.
export const IN_PROGRESS = ['creating', 'updating', 'deleting', 'syncing'];
/// Every marker state of the contract (one legend entry each).
export const MARKER_STATES = [
  'home', 'ready', 'creating', 'syncing', 'updating', 'deleting', 'failed', 'routing-off', 'available', 'unavailable',
];
/// Longest a create or delete may take with the emulator's default delay (a few seconds).
export const SETTLE_MS = 30_000;
/// How long a page may take to hydrate and receive its first snapshot.
export const LOAD_MS = 30_000;

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

/**
 * In every page: a Content-Security-Policy violation becomes a console error, which
 * `PortalPage` records as it records any other, so a journey fails on one (the portal's CSP
 * must let everything the console does work).
 */
function reportCspViolations() {
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`securitypolicyviolation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || e.documentURI}:${e.lineNumber})`);
  });
}

/**
 * Debian's Chromium, headless; no browser download. Every context it makes reports CSP
 * violations (`reportCspViolations`).
 */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: LAUNCH_ARGS,
    headless: true,
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(reportCspViolations);
    return context;
  };
  return browser;
}

/** Resolves after `ms` (for pacing load generators only; tests wait for conditions). */
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` (node side) until it returns a truthy value; returns it. */
export async function until(fn, { timeout = SETTLE_MS, every = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await delay(every);
  }
}

/** JSON from the portal API (from node, not the page). */
export async function api(path) {
  const res = await fetch(`${BASE_URL}${path}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A page of the audit trail (`GET /api/v1/audit`) for the filters in `query` (an object). */
export function audit(query = {}) {
  return api(`/api/v1/audit?${new URLSearchParams(query)}`);
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
  const reg = summaries.find((r) => r.key.name.toLowerCase() === name.toLowerCase());
  if (!reg) throw new Error(`registry ${name} not in /api/v1/registries`);
  return reg.key;
}

/** `/api/v1/registries/{sub}/{rg}/{name}/replications` of a registry key. */
export const replicationsPath = (key) => `/api/v1/registries/${key.subscriptionId}/${key.resourceGroup}/${key.name}/replications`;

/** The replicas of a registry as the portal API reports them: the hub's last poll, or with
 * `refresh: true` what ARM says now. */
export async function replications(name, { refresh = false } = {}) {
  return api(`${replicationsPath(await registryKey(name))}${refresh ? '?refresh=true' : ''}`);
}

/** The marker state a replica should show (the contract's mapping of the API fields). */
export function expectedMarkerState(rep) {
  if (rep.isHome) return 'home';
  const ps = rep.provisioningState.toLowerCase();
  if (['creating', 'updating', 'deleting'].includes(ps)) return ps;
  if (ps === 'failed' || ps === 'canceled') return 'failed';
  const ready = (rep.status?.displayStatus || '').toLowerCase() === 'ready';
  if (!ready) return 'syncing';
  return rep.regionEndpointEnabled ? 'ready' : 'routing-off';
}

/**
 * Leaves `region` of registry `name` without a replica, whatever an earlier (failed) run
 * left there: through the emulator's admin API when its address is known (instant), else
 * through the portal API. Waits until the portal API no longer lists it.
 */
export async function removeReplica(name, region) {
  const key = await registryKey(name);
  const path = `${replicationsPath(key)}/${region}`;
  await until(
    async () => {
      const rep = (await api(replicationsPath(key))).find((r) => r.name === region);
      if (!rep) return true;
      if (EMULATOR_URL) {
        await oobRemoveReplica(key.name, region);
      } else if (!['creating', 'updating', 'deleting'].includes(rep.provisioningState.toLowerCase())) {
        await apiWrite('DELETE', path).catch(() => {});
      }
      return false;
    },
    { every: 500, what: `${name}/${region} to be gone` },
  );
}

/// ARM api-version of the replication calls made directly to the emulator.
const ARM_API_VERSION = '2025-04-01';

/// The emulator's bearer token for writes made straight to ARM, fetched once (it checks tokens as
/// ARM does, and issues them as Entra ID does: client credentials at its token endpoint).
let armToken;
async function emulatorToken() {
  armToken ??= (async () => {
    const res = await fetch(`${EMULATOR_URL}/72f988bf-0000-4000-8000-00000000e0e0/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'end2end',
        client_secret: 'end2end',
        scope: 'https://management.azure.com/.default',
      }),
    });
    if (!res.ok) throw new Error(`emulator token: ${res.status} ${await res.text()}`);
    return (await res.json()).access_token;
  })();
  return armToken;
}

/**
 * A write straight to the emulator's ARM API, past the portal (as the Azure portal or the az
 * CLI would make it): `PUT` creates the replica named after `region` there, `DELETE` removes it.
 * Returns the HTTP status.
 */
export async function armReplicationWrite(method, key, region, properties = {}) {
  requireEmulator();
  const url =
    `${EMULATOR_URL}/subscriptions/${key.subscriptionId}/resourceGroups/${key.resourceGroup}` +
    `/providers/Microsoft.ContainerRegistry/registries/${key.name}/replications/${region}?api-version=${ARM_API_VERSION}`;
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${await emulatorToken()}`, 'content-type': 'application/json' },
    body: method === 'PUT' ? JSON.stringify({ location: region, properties }) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`ARM ${method} ${url}: ${res.status} ${text}`);
  return res.status;
}

/** A call to the emulator's admin API (`/_emulator/...`); returns the JSON answer or null. */
export async function emulatorAdmin(method, path, body) {
  requireEmulator();
  const res = await fetch(`${EMULATOR_URL}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    const err = new Error(`emulator ${method} ${path}: ${res.status} ${text}`);
    err.status = res.status;
    throw err;
  }
  return text ? JSON.parse(text) : null;
}

/** Adds a fault rule to the embedded ARM emulator (see crates/arm-emulator/src/faults.rs). */
export async function injectFault(rule) {
  await emulatorAdmin('POST', '/faults', rule);
}

export async function clearFaults() {
  await fetch(`${EMULATOR_URL}/_emulator/faults`, { method: 'DELETE' });
}

/** The ARM document of a replica as the emulator holds it (null when absent). */
export async function armReplica(registry, name) {
  const state = await emulatorAdmin('GET', '/state');
  const reg = state.registries.find((r) => r.registry.name.toLowerCase() === registry.toLowerCase());
  if (!reg) throw new Error(`registry ${registry} not in the emulator`);
  return reg.replications.find((r) => r.name === name) ?? null;
}

/** The emulator's ARM request log (`recent`: last 1000 `{method, path, status}`). */
export const emulatorRequests = () => emulatorAdmin('GET', '/requests');
export const resetEmulatorRequests = () => emulatorAdmin('POST', '/requests/reset');

/**
 * Out of band, as if made in the Azure portal: adds or replaces a replica at once (no LRO).
 * `replica` is a seed replica: `{name, location, provisioningState?, regionEndpointEnabled?, zoneRedundancy?, tags?}`.
 */
export async function oobPutReplica(registry, replica) {
  await emulatorAdmin('POST', `/registries/${registry}/replications`, { location: replica.name, ...replica });
}

/** Out of band: the replica vanishes at once (no error when it is already gone). */
export async function oobRemoveReplica(registry, name) {
  try {
    await emulatorAdmin('DELETE', `/registries/${registry}/replications/${name}`);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
}

/** Out of band: sets a replica's provisioning state (`Failed`, `Succeeded`, …). */
export async function oobSetState(registry, name, provisioningState, message) {
  await emulatorAdmin('PATCH', `/registries/${registry}/replications/${name}`, { provisioningState, message });
}

/// Keys for `PortalPage.pressQueued`, as CDP's `Input.dispatchKeyEvent` wants them.
const CDP_KEYS = {
  Escape: { key: 'Escape', code: 'Escape', windowsVirtualKeyCode: 27 },
  Enter: { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, text: '\r' },
  ' ': { key: ' ', code: 'Space', windowsVirtualKeyCode: 32, text: ' ' },
};

/** The portal page, with every console error, page error and failed request recorded. */
export class PortalPage {
  /**
   * `ignore`: regular expressions of errors that the test provokes on purpose (matched
   * against the recorded line, which names the URL).
   */
  constructor(context, page, { ignore = [] } = {}) {
    this.context = context;
    this.page = page;
    this.ignore = ignore;
    /** Console errors, uncaught exceptions and failed requests seen so far. */
    this.errors = [];
    const record = (line) => {
      if (!this.ignore.some((re) => re.test(line))) this.errors.push(line);
    };
    page.on('console', (msg) => {
      if (msg.type() === 'error') record(`console: ${msg.text()} (${msg.location().url || 'no url'})`);
    });
    page.on('pageerror', (err) => record(`pageerror: ${err.message}`));
    page.on('requestfailed', (req) => {
      // The status stream is aborted on purpose when the page closes or navigates.
      if (!req.url().includes('/api/v1/events')) record(`requestfailed: ${req.url()} ${req.failure()?.errorText}`);
    });
  }

  /**
   * Opens `path` in a new context (1280×720 unless `viewport` says otherwise) and waits until
   * the page is live (`ready`: true = the normal view with a home marker, 'kiosk', 'any' =
   * markers and stream only, false = not at all). `setup(page)` runs before navigation.
   */
  static async open(browser, path = '/', { viewport = { width: 1280, height: 720 }, ready = true, ignore = [], setup } = {}) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const portal = new PortalPage(context, page, { ignore });
    if (setup) await setup(page);
    await page.goto(`${BASE_URL}${path}`);
    if (ready) await portal.ready(ready);
    return portal;
  }

  /**
   * Hydrated, the markers drawn and answering keys and clicks (the page's own signal,
   * `#map[data-ready="true"]`, set once every marker has its handlers) and the live stream
   * connected.
   */
  async ready(kind = true) {
    const opts = { timeout: LOAD_MS };
    if (kind === 'kiosk') {
      await this.page.locator('main#kiosk[data-registry]').waitFor(opts);
      await this.page.locator('#map[data-ready="true"]').waitFor({ ...opts, state: 'attached' });
      await this.page.locator('#kiosk-counts li[data-state]').first().waitFor(opts);
      return;
    }
    await this.page.locator('#map[data-ready="true"]').waitFor({ ...opts, state: 'attached' });
    await this.page.locator('#stream-status[data-state="live"]').waitFor(opts);
    if (kind === true) {
      await this.page.locator('.region-marker[data-state="home"]').first().waitFor(opts);
      await this.page.locator('#replications tbody tr[data-replication]').first().waitFor(opts);
    }
  }

  /** Asserts that no error was recorded since the last call, then forgets them. */
  assertNoErrors() {
    const seen = this.errors.splice(0);
    assert.deepEqual(seen, [], 'no console errors, page errors or failed requests');
  }

  /** `data-registry` of the header (the registry shown). */
  registryName() {
    return this.page.locator('#registry').getAttribute('data-registry');
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

  /** `{region: state}` of every marker on the map. */
  async markerStates() {
    return this.markers().evaluateAll((els) => Object.fromEntries(els.map((el) => [el.dataset.region, el.dataset.state])));
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

  /** Waits until `selector` matches an element whose `attr` equals `value` (null: attribute absent). */
  async waitForAttr(selector, attr, value, timeout = SETTLE_MS) {
    await this.page.waitForFunction(
      ([sel, a, v]) => {
        const el = document.querySelector(sel);
        return el && el.getAttribute(a) === v;
      },
      [selector, attr, value],
      { timeout, polling: 50 },
    );
  }

  /**
   * Starts recording every `data-state` the marker of `region` takes, and its `aria-busy`
   * with it (a MutationObserver, so no state is missed between two polls); read them with
   * `markerHistory` and `markerBusyLog`.
   */
  async recordMarker(region) {
    await this.page.evaluate((r) => {
      const el = document.querySelector(`.region-marker[data-region="${r}"]`);
      window.__markerOld ??= {};
      window.__markerLog ??= {};
      window.__markerOld[r] = [];
      window.__markerLog[r] = [[el.dataset.state, el.getAttribute('aria-busy')]];
      new MutationObserver((records) => {
        for (const rec of records) if (rec.attributeName === 'data-state') window.__markerOld[r].push(rec.oldValue);
        window.__markerLog[r].push([el.dataset.state, el.getAttribute('aria-busy')]);
      }).observe(el, { attributes: true, attributeFilter: ['data-state', 'aria-busy'], attributeOldValue: true });
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

  /** `[state, aria-busy]` of the marker after every change since `recordMarker`. */
  async markerBusyLog(region) {
    return this.page.evaluate((r) => window.__markerLog?.[r] ?? [], region);
  }

  /**
   * Starts recording which markers and rows ever carry `data-flash="true"` (checked on every
   * DOM mutation, so a flash of a few hundred ms is not missed); read with `flashesSeen`.
   */
  async recordFlashes() {
    await this.page.evaluate(() => {
      window.__flashes = new Set();
      const scan = () => {
        for (const el of document.querySelectorAll('[data-flash="true"]')) {
          if (el.dataset.region) window.__flashes.add(`marker:${el.dataset.region}`);
          else if (el.dataset.replication) window.__flashes.add(`row:${el.dataset.replication}`);
          else window.__flashes.add(`other:${el.id || el.tagName.toLowerCase()}`);
        }
      };
      window.__flashObserver?.disconnect();
      window.__flashObserver = new MutationObserver(scan);
      window.__flashObserver.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-flash'] });
      scan();
    });
  }

  /** Sorted `marker:<region>` / `row:<name>` entries that flashed since `recordFlashes`. */
  async flashesSeen() {
    return this.page.evaluate(() => [...(window.__flashes ?? [])].sort());
  }

  row(name) {
    return this.page.locator(`#replications tr[data-replication="${name}"]`);
  }

  /** The `data-replication` of every body row, in table order. */
  async rowNames() {
    return this.page.locator('#replications tbody tr[data-replication]').evaluateAll((rows) => rows.map((r) => r.dataset.replication));
  }

  /**
   * Cell texts of a replica's row keyed by the header's `data-sort` (name, location,
   * provisioning, status, endpoint, zone, since); columns without one are `col<i>`.
   */
  async rowCells(name) {
    return this.page.evaluate(rowCellsInPage, name);
  }

  /** Waits until the row's cells satisfy every `{key: text}` of `want` (exact, trimmed). */
  async waitForRowCells(name, want, timeout = SETTLE_MS) {
    await this.page.waitForFunction(
      ([n, w]) => {
        const table = document.querySelector('#replications');
        const tr = table?.querySelector(`tr[data-replication="${n}"]`);
        if (!tr) return false;
        const keys = [...table.querySelectorAll('thead th')].map((th, i) => th.dataset.sort || `col${i}`);
        const cells = Object.fromEntries([...tr.cells].map((c, i) => [keys[i], c.innerText.trim()]));
        return Object.entries(w).every(([k, v]) => cells[k] === v);
      },
      [name, want],
      { timeout, polling: 100 },
    );
  }

  get dialog() {
    return this.page.locator('dialog#region-dialog');
  }

  get alert() {
    return this.page.locator('#alert[role="alert"]');
  }

  get createForm() {
    return this.dialog.locator('form#create-form');
  }

  get updateForm() {
    return this.dialog.locator('form#update-form');
  }

  get confirmStep() {
    return this.dialog.locator('[data-step="confirm-delete"]');
  }

  /** A button of the dialog by its accessible name. */
  button(name) {
    return this.dialog.getByRole('button', { name, exact: true });
  }

  /** The command line the dialog shows (`pre.cli code` of the visible step). */
  async cli() {
    const code = this.dialog.locator('pre.cli code').filter({ visible: true });
    return (await code.first().innerText()).trim().replace(/\s+/g, ' ');
  }

  /** Waits until the dialog's command line equals `want`. */
  async waitForCli(want, timeout = 5_000) {
    await this.page.waitForFunction(
      (w) => {
        const codes = [...document.querySelectorAll('dialog#region-dialog pre.cli code')].filter((c) => c.offsetParent !== null);
        return codes[0] && codes[0].innerText.trim().replace(/\s+/g, ' ') === w;
      },
      want,
      { timeout, polling: 50 },
    ).catch(async (err) => {
      throw new Error(`command line: want "${want}", have "${await this.cli().catch(() => '(none)')}" (${err.message.split('\n')[0]})`);
    });
  }

  /**
   * Presses `keys` (`Escape`, `Enter`, `' '`) as they reach a busy page: its main thread is
   * held for `busyMs` while the keys arrive, so they wait in its input queue and the browser,
   * which serves input before other tasks, handles them back to back, ahead of whatever the
   * first key queued (a dialog's `close` event, say). Someone typing on a loaded machine gets
   * this order; `keyboard.press` one at a time almost never does.
   */
  async pressQueued(keys, busyMs = 300) {
    const cdp = await this.context.newCDPSession(this.page);
    try {
      await this.page.evaluate((ms) => {
        setTimeout(() => {
          const end = performance.now() + ms;
          while (performance.now() < end);
        }, 0);
      }, busyMs);
      // Sent without waiting for each other: they are all on their way while the page is busy.
      const sent = [];
      for (const name of keys) {
        const { text, ...key } = CDP_KEYS[name];
        sent.push(cdp.send('Input.dispatchKeyEvent', { type: text ? 'keyDown' : 'rawKeyDown', text, ...key }));
        sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key }));
      }
      await Promise.all(sent);
    } finally {
      await cdp.detach();
    }
  }

  /** Whether the native dialog is open as a modal. */
  async dialogIsModal() {
    return this.dialog.evaluate((d) => d.open && d.matches(':modal'));
  }

  /** Clicks a marker and waits for its dialog. */
  async openRegion(region) {
    await this.ensureDialogClosed();
    await this.marker(region).click();
    await this.dialog.waitFor({ state: 'visible' });
  }

  /** Opens the dialog of a table row through its action button (`edit` or `delete`). */
  async openRowAction(name, action) {
    await this.ensureDialogClosed();
    await this.row(name).locator(`button[data-action="${action}"]`).click();
    await this.dialog.waitFor({ state: 'visible' });
  }

  /** Closes the dialog with Escape when it is open (after a submit it may stay open). */
  async ensureDialogClosed() {
    if (await this.dialog.isVisible()) {
      await this.page.keyboard.press('Escape');
      await this.dialog.waitFor({ state: 'hidden' });
    }
  }

  /** Leaves `region` of the shown registry without a replica and waits for the map to say so. */
  async ensureAvailable(region) {
    const registry = await this.registryName();
    await removeReplica(registry, region);
    await this.waitForMarker(region, ['available']);
  }

  /** Saves a PNG of the viewport (or of `locator`) under end2end/artifacts/. */
  async screenshot(name, locator) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    if (locator) await locator.screenshot({ path });
    else await this.page.screenshot({ path });
    return path;
  }

  async close() {
    await this.context.close();
  }
}

/** In the page: `{key: text}` of a row's cells, keys from the header (see `rowCells`). */
function rowCellsInPage(n) {
  const table = document.querySelector('#replications');
  const tr = table?.querySelector(`tr[data-replication="${n}"]`);
  if (!tr) return null;
  const keys = [...table.querySelectorAll('thead th')].map((th, i) => th.dataset.sort || `col${i}`);
  return Object.fromEntries([...tr.cells].map((c, i) => [keys[i], c.innerText.trim()]));
}

/// The release binary the suite runs against (scripts/build builds it before the tests).
export const PORTAL_BINARY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'release', 'replimap');

/**
 * Starts a portal of its own (embedded emulator, docs seed) on loopback `port` with extra
 * settings in `env`, for journeys that need a start-up setting or to stop the process. The
 * suite's own portal settings (addresses, seed) are not passed on. Resolves once /healthz
 * answers; returns `{ url, process }`.
 */
export async function spawnPortal(port, env = {}) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('REPLIMAP_') && !k.startsWith('LEPTOS_')),
  );
  const child = spawn(PORTAL_BINARY, [], {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...inherited,
      LEPTOS_OUTPUT_NAME: 'replimap',
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      REPLIMAP_LISTEN: `127.0.0.1:${port}`,
      RUST_LOG: 'warn',
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, { what: `portal on ${port}`, timeout: 60_000 });
  return { url, process: child };
}

/**
 * Pages a suite opens per test: `open` as `PortalPage.open`, and `closeAll` (for afterEach)
 * closes them and fails on any error one of them recorded.
 */
export function pagePool() {
  const pages = [];
  return {
    async open(browser, path, options) {
      const portal = await PortalPage.open(browser, path, options);
      pages.push(portal);
      return portal;
    },
    async closeAll() {
      for (const p of pages.splice(0)) {
        const errors = p.errors.splice(0);
        await p.close();
        assert.deepEqual(errors, [], 'no console errors, page errors or failed requests');
      }
    },
  };
}

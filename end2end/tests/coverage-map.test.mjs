// Coverage on the map (issue 12): where myACR0007's images run. A portal of its own with the
// zero-setup demo seed (its workloads: served at home in East US, gaps in West Europe, Japan
// East and Australia East, an unattributed AKS cluster in Brazil South) shows each gap as a
// crimson diamond with its accessible name, an idle replica ringed, the figure "N of M workload
// regions served locally" in the header and on the wall screen, the workloads with their
// evidence and portal links in the card, and the gap rows in the table. A replica created in a
// gap turns it served once Ready and the figure goes up; a workload added out of band appears
// as a new gap, live, without a reload.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { LOAD_MS, PORTAL_BINARY, PortalPage, SETTLE_MS, launch, spawnPortal, until } from './helpers.mjs';

const PORT = 3340;
const EMULATOR = 'http://127.0.0.1:3341';
const REGISTRY = 'myACR0007';
const SERVER = 'myacr0007.azurecr.io';
const SUB = '00000000-0000-0000-0000-000000000000';
const RG = 'myresourcegroup';
/// An idle replica: a region where nothing of the demo runs.
const IDLE = 'norwayeast';
/// The gap filled through the API.
const FILLED = 'japaneast';
/// Where a workload is added out of band.
const NEW_GAP = 'koreacentral';

const base = `/api/v1/registries/${SUB}/${RG}/${REGISTRY}`;

describe('coverage on the map', { skip: existsSync(PORTAL_BINARY) ? false : `${PORTAL_BINARY} not built` }, () => {
  let portal;
  let browser;
  let dataDir;
  /** The map page (a `PortalPage`) and its Playwright page. */
  let map;
  let page;

  /** `PortalPage.open` against this suite's own portal. */
  const open = async (path, { viewport = { width: 1280, height: 720 }, ready = true } = {}) => {
    const context = await browser.newContext({ viewport });
    const p = new PortalPage(context, await context.newPage());
    await p.page.goto(`${portal.url}${path}`);
    await p.ready(ready);
    return p;
  };

  const api = async (path) => {
    const res = await fetch(`${portal.url}${path}`, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const write = async (method, path, body) => {
    const res = await fetch(`${portal.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-replimap-csrf': '1' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status;
  };
  const admin = async (method, path, body) => {
    const res = await fetch(`${EMULATOR}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status} ${await res.text()}`);
  };
  const report = () => api(`${base}/coverage`);
  /** Discovery has read the workloads: the report says when. */
  const discovered = () => until(async () => ((await report()).discoveredAt ? report() : null), { timeout: 60_000, every: 500, what: 'discovery' });
  const figureOf = async () => {
    const el = page.locator('#coverage-figure');
    return { served: Number(await el.getAttribute('data-served')), regions: Number(await el.getAttribute('data-regions')), text: await el.innerText() };
  };
  const label = (region) => page.locator(`.region-marker[data-region="${region}"]`).getAttribute('aria-label');

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'replimap-coverage-'));
    // The demo seed (no REPLIMAP_EMULATOR_SEED): the zero-setup demo's workloads.
    portal = await spawnPortal(PORT, { REPLIMAP_EMULATOR_LISTEN: EMULATOR.replace('http://', ''), REPLIMAP_DATA_DIR: dataDir });
    await discovered();
    // An idle replica, unless the seed has one already.
    if (!(await report()).idle.length) {
      assert.equal(await write('PUT', `${base}/replications/${IDLE}`, { location: IDLE }), 202);
    }
    await until(async () => ((await report()).idle.length ? true : null), { timeout: SETTLE_MS * 2, what: 'an idle replica' });
    browser = await launch();
  });

  afterEach(() => map?.assertNoErrors());

  after(async () => {
    await map?.close();
    await browser?.close();
    portal?.process.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('gaps, an idle replica, unattributed workloads and the figure', async () => {
    map = await open(`/?registry=${REGISTRY}`);
    page = map.page;
    const r = await report();
    assert.ok(r.gaps.length >= 2, `the demo has gaps: ${r.gaps}`);
    for (const gap of r.gaps) {
      const marker = page.locator(`.region-marker[data-region="${gap}"]`);
      await page.locator(`.region-marker[data-region="${gap}"][data-coverage="gap"]`).waitFor({ state: 'attached', timeout: LOAD_MS });
      assert.match(await marker.getAttribute('aria-label'), /^Gap: .+, \d+ [^,]+, no replica$/, gap);
      // A gap opens the create dialog, like any free region.
      assert.equal(await marker.getAttribute('data-state'), 'available');
      assert.match(await marker.locator('.marker-count').innerText(), /^\d+$/);
    }
    assert.match(await label('westeurope'), /^Gap: West Europe, \d+ AKS cluster.* · \d+ container app.*, no replica$/);
    const idle = r.idle[0];
    await page.locator(`.region-marker[data-region="${idle}"][data-coverage="idle"]`).waitFor({ state: 'attached', timeout: SETTLE_MS });
    assert.match(await label(idle), /; idle: nothing pulls here$/);
    for (const u of r.unattributed) {
      await page.locator(`.region-marker[data-region="${u}"][data-coverage="unattributed"]`).waitFor({ state: 'attached' });
      assert.match(await label(u), /registry unknown$/);
    }
    await page.locator('.region-marker[data-region="eastus"][data-coverage="served"]').waitFor({ state: 'attached' });

    const f = await figureOf();
    assert.deepEqual([f.served, f.regions], [r.figure.served, r.figure.regions]);
    assert.match(f.text, new RegExp(`^${r.figure.served} of ${r.figure.regions} workload regions served locally`));
    assert.match(await page.locator('#coverage-figure').getAttribute('title'), /^\d+% of workload regions served locally$/);
    const fill = page.locator('a#fill-gaps');
    assert.equal(await fill.getAttribute('href'), `/fill?registry=${REGISTRY}`);
    assert.equal(await fill.innerText(), `Fill ${r.figure.regions - r.figure.served} gaps…`);
    assert.equal(await page.locator('a#fleet-link').getAttribute('href'), '/fleet');

    // The legend names every cue.
    const cues = await page.locator('#legend li[data-coverage]').evaluateAll((lis) => lis.map((li) => li.dataset.coverage));
    assert.deepEqual(cues, ['gap', 'idle', 'unattributed', 'count']);
    await page.screenshot({ path: `${process.cwd()}/artifacts/coverage-map.png` }).catch(() => {});
  });

  test('the card lists the workloads with evidence and a portal link; the table is the twin', async () => {
    const card = page.locator('#region-card');
    await page.locator('.region-marker[data-region="westeurope"]').focus();
    await card.locator('.card-workloads li[data-workload]').first().waitFor({ timeout: LOAD_MS });
    assert.match(await card.locator('.card-coverage').innerText(), /^Gap: images run here/);
    const aks = card.locator('.card-workloads li[data-workload="aks-shop-weu"]');
    assert.match(await aks.innerText(), /AKS cluster/);
    assert.match(await aks.locator('ul.evidence').innerText(), /kubelet identity has AcrPull at \/subscriptions\//);
    const link = aks.locator('a').first();
    assert.match(await link.getAttribute('href'), /^https:\/\/portal\.azure\.com\/#@\/resource\/subscriptions\/.+\/managedClusters\/aks-shop-weu$/);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    await page.screenshot({ path: `${process.cwd()}/artifacts/coverage-card.png` }).catch(() => {});

    const r = await report();
    if (r.unattributed.length) {
      await page.locator(`.region-marker[data-region="${r.unattributed[0]}"]`).focus();
      await card.locator('.card-workloads h4', { hasText: 'Unattributed' }).waitFor();
      assert.match(await card.locator('.card-workloads .note').innerText(), /image pull secrets are invisible to ARM/);
    }

    // The table: a coverage cell per replica, and a row per gap and unattributed region.
    const home = page.locator('#replications tr[data-replication="eastus"] td.coverage');
    assert.equal(await home.getAttribute('data-coverage'), 'served');
    assert.match(await home.innerText(), /^served · /);
    assert.match(await page.locator(`#replications tr[data-replication="${r.idle[0]}"] td.coverage`).innerText(), /idle: nothing pulls here/);
    const rows = await page.locator('#coverage-rows tr[data-region]').evaluateAll((trs) => trs.map((t) => [t.dataset.region, t.dataset.coverage]));
    for (const gap of r.gaps) assert.ok(rows.some(([reg, c]) => reg === gap && c === 'gap'), `a gap row for ${gap}: ${rows}`);
    for (const u of r.unattributed) assert.ok(rows.some(([reg, c]) => reg === u && c === 'unattributed'), `a row for ${u}`);
    // "Add replica…" on a gap row opens the usual create dialog for that region.
    await page.locator(`#coverage-rows button[data-action="add"][data-region="${r.gaps[0]}"]`).click();
    await page.locator('#region-dialog form#create-form').waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
    await page.locator('#region-dialog form#create-form').waitFor({ state: 'detached', timeout: 5_000 });
  });

  test('a replica created in a gap serves it once Ready, and the figure goes up', async () => {
    const before = await figureOf();
    await page.evaluate(() => (window.__sameDocument = true));
    assert.equal(await write('PUT', `${base}/replications/${FILLED}`, { location: FILLED }), 202);
    // Creating: still a gap (it serves nothing yet).
    await page.waitForFunction(
      (r) => {
        const el = document.querySelector(`.region-marker[data-region="${r}"]`);
        return el && el.dataset.state !== 'available' && el.dataset.coverage === 'gap';
      },
      FILLED,
      { timeout: SETTLE_MS, polling: 50 },
    ).catch(() => {}); // the emulator may provision faster than a poll; Ready is what counts
    await map.waitForMarker(FILLED, ['ready'], SETTLE_MS * 2);
    await page.locator(`.region-marker[data-region="${FILLED}"][data-coverage="served"]`).waitFor({ state: 'attached', timeout: SETTLE_MS });
    assert.match(await label(FILLED), /; served locally: /);
    await until(async () => (await figureOf()).served === before.served + 1, { what: 'the figure to go up' });
    assert.equal((await figureOf()).regions, before.regions);
    assert.equal(await page.locator(`#coverage-rows tr[data-region="${FILLED}"]`).count(), 0, 'no gap row any more');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  });

  test('a workload added out of band appears as a new gap, live', async () => {
    const before = await figureOf();
    const id = `/subscriptions/${SUB}/resourceGroups/e2e-coverage/providers/Microsoft.ContainerInstance/containerGroups/oob-${NEW_GAP}`;
    await admin('PUT', '/workloads', {
      id,
      type: 'Microsoft.ContainerInstance/containerGroups',
      location: NEW_GAP,
      properties: {
        provisioningState: 'Succeeded',
        osType: 'Linux',
        sku: 'Standard',
        restartPolicy: 'Always',
        containers: [{ name: 'web', properties: { image: `${SERVER}/oob:1.0`, resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }],
        imageRegistryCredentials: [{ server: SERVER, username: REGISTRY.toLowerCase() }],
        instanceView: { state: 'Running' },
      },
    });
    await write('POST', '/api/v1/coverage/refresh');
    await page.locator(`.region-marker[data-region="${NEW_GAP}"][data-coverage="gap"]`).waitFor({ state: 'attached', timeout: 60_000 });
    assert.match(await label(NEW_GAP), /^Gap: Korea Central, 1 container group, no replica$/);
    await until(async () => (await figureOf()).regions === before.regions + 1, { what: 'one more workload region' });
    assert.equal((await figureOf()).served, before.served);
    await page.locator(`#coverage-rows tr[data-region="${NEW_GAP}"][data-coverage="gap"]`).waitFor({ state: 'attached' });
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  });

  test('the wall screen shows the figure large', async () => {
    const kiosk = await open(`/?kiosk&registry=${REGISTRY}`, { ready: 'kiosk', viewport: { width: 1920, height: 1080 } });
    try {
      const r = await report();
      const figure = kiosk.page.locator('#kiosk-coverage #coverage-figure');
      await figure.waitFor({ timeout: LOAD_MS });
      assert.match(await figure.innerText(), new RegExp(`^${r.figure.served} of ${r.figure.regions} workload regions served locally`));
      const font = await kiosk.page.locator('#kiosk-coverage').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(font >= 24, `readable from a distance: ${font}px`);
      assert.match(await kiosk.page.locator('#kiosk-coverage .kiosk-gaps').innerText(), /^\d+ gaps?$/);
      await kiosk.page.screenshot({ path: `${process.cwd()}/artifacts/coverage-kiosk.png` }).catch(() => {});
      kiosk.assertNoErrors();
    } finally {
      await kiosk.close();
    }
  });
});

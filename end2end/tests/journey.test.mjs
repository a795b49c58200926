// The main user journey against the real portal + embedded ARM emulator:
// see the map, replicate to Japan East, watch it become ready live, delete it again.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  BASE_URL,
  EMULATOR_SKIP,
  IN_PROGRESS,
  PortalPage,
  SETTLE_MS,
  api,
  armReplicationWrite,
  launch,
  registryKey,
  requireEmulator,
} from './helpers.mjs';

const DOCS_SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshot.png');
const TARGET = 'japaneast';

describe('server-rendered page', () => {
  test('has the skeleton and loads Leaflet before the WASM', async () => {
    const res = await fetch(`${BASE_URL}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<link rel="icon" href="data:,"/);
    assert.match(html, /<div id="map"/);
    assert.match(html, /<table id="replications"/);
    assert.match(html, /Loading replications/);
    assert.match(html, /<ul id="legend"/);
    const leaflet = html.indexOf('/leaflet/leaflet.js');
    const wasm = html.indexOf('/pkg/replimap');
    assert.ok(leaflet > 0 && wasm > leaflet, 'leaflet.js must come before the hydration script');
  });
});

describe('map journey', () => {
  let browser;
  let portal;
  let registry;
  let regions;

  before(async () => {
    regions = await api('/api/v1/locations');
    browser = await launch();
    portal = await PortalPage.open(browser);
    registry = await portal.page.locator('#registry').getAttribute('data-registry');
  });

  after(async () => {
    await portal?.close();
    await browser?.close();
  });

  test('shows the selected registry and its home region', async () => {
    assert.ok(registry, 'header names the registry');
    const header = await portal.page.locator('#registry').innerText();
    for (const word of ['Registry', 'Resource group', 'Home region', 'SKU', registry]) assert.ok(header.includes(word), header);
    assert.equal(await portal.markerState('eastus'), 'home');
    assert.match(await portal.marker('eastus').getAttribute('aria-label'), /^East US — home replica/);
    assert.ok(await portal.row('eastus').isVisible());
    // No credentials configured: the page says the demo runs against the emulator.
    await portal.page.locator('#arm-mode').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await portal.page.locator('#arm-mode').innerText()).trim(), 'Emulator');
  });

  test('every visible marker is a named button with its display name and state', async () => {
    const offered = regions.filter((r) => r.acceptsReplicas);
    assert.ok(offered.length < regions.length, 'some regions are not offered');
    assert.equal(await portal.markers().count(), offered.length);
    const markers = await portal.markers().evaluateAll((els) =>
      els.map((el) => ({
        region: el.dataset.region,
        state: el.dataset.state,
        label: el.getAttribute('aria-label'),
        role: el.getAttribute('role'),
        tabindex: el.getAttribute('tabindex'),
      })),
    );
    const byName = new Map(regions.map((r) => [r.name, r]));
    for (const m of markers) {
      const region = byName.get(m.region);
      assert.ok(region?.acceptsReplicas, `${m.region} is offered`);
      assert.equal(m.role, 'button', m.region);
      assert.equal(m.tabindex, '0', m.region);
      assert.ok(m.label.startsWith(`${region.displayName} — `), `${m.region}: ${m.label}`);
      assert.ok(m.label.includes(m.state), `${m.region}: "${m.label}" names state ${m.state}`);
    }
    for (const r of regions.filter((r) => !r.acceptsReplicas)) assert.equal(await portal.marker(r.name).count(), 0, r.name);
  });

  test('the legend names every state', async () => {
    const legend = await portal.page.locator('#legend').innerText();
    for (const word of ['Home replica', 'Replica ready', 'Creating', 'Syncing', 'Deleting', 'Failed', 'Available']) {
      assert.ok(legend.includes(word), `legend has ${word}`);
    }
  });

  test('keyboard: Enter on a focused marker opens its dialog, Escape closes it', async () => {
    const marker = portal.marker('westeurope');
    await marker.focus();
    await portal.page.keyboard.press('Enter');
    await portal.dialog.waitFor({ state: 'visible' });
    assert.equal(await portal.dialog.getAttribute('aria-modal'), 'true');
    assert.equal(await portal.dialog.getByRole('heading').innerText(), `Replicate ${registry} to West Europe?`);
    await portal.page.waitForFunction(() => document.querySelector('#region-dialog').contains(document.activeElement));
    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.page.waitForFunction(() => document.activeElement?.dataset?.region === 'westeurope');
    await portal.page.keyboard.press(' ');
    await portal.dialog.waitFor({ state: 'visible' });
    await portal.button('Cancel').click();
    await portal.dialog.waitFor({ state: 'hidden' });
  });

  test('the home replica cannot be deleted', async () => {
    await portal.openRegion('eastus');
    const text = await portal.dialog.innerText();
    assert.match(text, /home replica/i);
    assert.match(text, /cannot be deleted/);
    assert.equal(await portal.button('Delete replica').count(), 0);
    await portal.button('Close').click();
    await portal.dialog.waitFor({ state: 'hidden' });
  });

  test(`create a replica in ${TARGET} and watch it become ready without reload`, async () => {
    await portal.ensureAvailable(TARGET);
    const navigations = [];
    portal.page.on('framenavigated', (f) => f === portal.page.mainFrame() && navigations.push(f.url()));

    await portal.openRegion(TARGET);
    assert.equal(await portal.dialog.getByRole('heading').innerText(), `Replicate ${registry} to Japan East?`);
    assert.equal(
      await portal.dialog.locator('pre.cli').innerText(),
      `az acr replication create --registry ${registry} --location ${TARGET}`,
    );
    await portal.button('Create replica').click();
    await portal.dialog.waitFor({ state: 'hidden' });

    const busy = await portal.waitForMarker(TARGET, [...IN_PROGRESS, 'ready']);
    assert.ok(IN_PROGRESS.includes(busy), `in progress first, saw ${busy}`);
    await portal.waitForMarker(TARGET, ['ready'], SETTLE_MS);
    assert.equal(await portal.marker(TARGET).getAttribute('aria-label'), 'Japan East — replica ready');

    await portal.row(TARGET).waitFor();
    await portal.page.waitForFunction(
      (name) => {
        const cells = [...document.querySelectorAll(`#replications tr[data-replication="${name}"] td`)].map((td) => td.innerText.trim());
        return cells[2] === 'Succeeded' && cells[3] === 'Ready';
      },
      TARGET,
      { timeout: SETTLE_MS },
    );
    const cells = await portal.rowCells(TARGET);
    assert.deepEqual(cells.slice(0, 4).map((c) => c.trim()), [TARGET, TARGET, 'Succeeded', 'Ready']);
    const names = await portal.page.locator('#replications tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.replication));
    assert.deepEqual(names, [...names].sort(), 'rows sorted by name');
    assert.deepEqual(navigations, [], 'no reload');

    const shot = await portal.screenshot('replicated-japaneast');
    mkdirSync(dirname(DOCS_SCREENSHOT), { recursive: true });
    if (process.env.REPLIMAP_UPDATE_SCREENSHOT) copyFileSync(shot, DOCS_SCREENSHOT);
  });

  test(`delete the replica in ${TARGET} again`, async () => {
    await portal.openRegion(TARGET);
    assert.equal(await portal.dialog.getByRole('heading').innerText(), `Delete the replica of ${registry} in Japan East?`);
    await portal.button('Delete replica').click();
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.waitForMarker(TARGET, ['available'], SETTLE_MS);
    await portal.row(TARGET).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.equal(await portal.marker(TARGET).getAttribute('aria-label'), 'Japan East — available');
    assert.equal(await portal.alert.innerText(), '');
  });

  test('changes made elsewhere show up live', { skip: EMULATOR_SKIP }, async () => {
    // Written straight to ARM (the emulator), past the portal: only the portal's poller and
    // the status stream can bring these changes to the page.
    requireEmulator();
    const region = 'koreacentral';
    await portal.ensureAvailable(region);
    const navigations = [];
    portal.page.on('framenavigated', (f) => f === portal.page.mainFrame() && navigations.push(f.url()));
    const key = await registryKey(registry);

    assert.ok([200, 201].includes(await armReplicationWrite('PUT', key, region)));
    await portal.waitForMarker(region, ['ready'], SETTLE_MS);
    assert.equal(await portal.marker(region).getAttribute('aria-label'), 'Korea Central — replica ready');
    await portal.row(region).waitFor({ timeout: SETTLE_MS });
    assert.deepEqual((await portal.rowCells(region)).slice(0, 2).map((c) => c.trim()), [region, region]);

    assert.ok([200, 202, 204].includes(await armReplicationWrite('DELETE', key, region)));
    await portal.waitForMarker(region, ['available'], SETTLE_MS);
    await portal.row(region).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.deepEqual(navigations, [], 'no reload');
  });

  test('no console errors or page errors', () => {
    assert.deepEqual(portal.errors, []);
  });
});

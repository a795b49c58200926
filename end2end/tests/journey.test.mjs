// The main journeys against the real portal + embedded ARM emulator: see the map, create a
// replica in West Europe with options (zone redundancy, routing off, tags) and watch it become
// ready live, change its routing and tags, delete it after a confirmation that names it.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  BASE_URL,
  DEMO_PATH,
  EMULATOR_URL,
  IN_PROGRESS,
  MARKER_STATES,
  PortalPage,
  SEED,
  SETTLE_MS,
  api,
  armReplica,
  emulatorRequests,
  expectedMarkerState,
  launch,
  removeReplica,
  replications,
  resetEmulatorRequests,
} from './helpers.mjs';

const DOCS_SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshot.png');
const REGISTRY = SEED.demo.name;
/// A region with availability zones, never replicated by the seed.
const TARGET = 'westeurope';
const TARGET_NAME = 'West Europe';

describe('server-rendered page', () => {
  test('has the data and loads Leaflet before the WASM', async () => {
    const res = await fetch(`${BASE_URL}${DEMO_PATH}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<link rel="icon" href="data:,"/);
    assert.match(html, /<table id="replications"/);
    assert.match(html, /data-replication="eastus"/, 'rows rendered on the server');
    assert.match(html, new RegExp(`id="registry"[^>]*data-registry="${REGISTRY}"|data-registry="${REGISTRY}"[^>]*id="registry"`));
    assert.match(html, /<ul id="legend"/);
    const leaflet = html.indexOf('/leaflet/leaflet.js');
    const wasm = html.indexOf('/pkg/replimap');
    assert.ok(leaflet > 0 && wasm > leaflet, 'leaflet.js must come before the hydration script');
  });
});

describe('map journey', () => {
  let browser;
  let portal;
  let regions;

  before(async () => {
    regions = await api('/api/v1/locations');
    browser = await launch();
    portal = await PortalPage.open(browser, DEMO_PATH);
    await portal.ensureAvailable(TARGET);
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    await removeReplica(REGISTRY, TARGET).catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  test('shows the selected registry and its home region', async () => {
    assert.equal(await portal.registryName(), REGISTRY);
    assert.equal(await portal.page.locator('select#registry-picker').inputValue(), REGISTRY);
    const header = await portal.page.locator('header').first().innerText();
    assert.ok(header.includes(REGISTRY), `the header names ${REGISTRY}: ${header}`);
    assert.equal(await portal.markerState('eastus'), 'home');
    assert.match(await portal.marker('eastus').getAttribute('aria-label'), /^East US\b/);
    assert.ok(await portal.row('eastus').isVisible());
    // No credentials configured: the page says the demo runs against the emulator.
    await portal.page.locator('#arm-mode').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await portal.page.locator('#arm-mode').innerText()).trim(), 'Emulator');
  });

  test('every marker is a focusable named button in a known state', async () => {
    const markers = await portal.markers().evaluateAll((els) =>
      els.map((el) => ({
        region: el.dataset.region,
        state: el.dataset.state,
        reason: el.dataset.reason ?? null,
        label: el.getAttribute('aria-label'),
        role: el.getAttribute('role'),
        tabIndex: el.tabIndex,
      })),
    );
    const byName = new Map(regions.map((r) => [r.name, r]));
    const reps = await replications(REGISTRY);
    const seen = new Set(markers.map((m) => m.region));
    for (const r of regions.filter((r) => r.acceptsReplicas)) assert.ok(seen.has(r.name), `marker for ${r.name}`);
    for (const m of markers) {
      const region = byName.get(m.region);
      assert.ok(region, `${m.region} is a known region`);
      assert.equal(m.role, 'button', m.region);
      assert.ok(m.tabIndex >= 0, `${m.region} is focusable`);
      assert.ok(MARKER_STATES.includes(m.state), `${m.region}: state ${m.state}`);
      assert.ok(m.label?.startsWith(region.displayName), `${m.region}: "${m.label}" starts with ${region.displayName}`);
      if (!region.acceptsReplicas) {
        assert.equal(m.state, 'unavailable', m.region);
        assert.equal(m.reason, 'region', m.region);
      } else {
        const rep = reps.find((r) => r.location === m.region);
        assert.equal(m.state, rep ? expectedMarkerState(rep) : 'available', m.region);
      }
    }
  });

  test('the legend has one entry per state', async () => {
    const states = await portal.page.locator('#legend li[data-state]').evaluateAll((lis) => lis.map((li) => li.dataset.state));
    assert.deepEqual([...states].sort(), [...MARKER_STATES].sort());
    for (const text of await portal.page.locator('#legend li[data-state]').allInnerTexts()) assert.ok(text.trim(), 'entry has a text');
  });

  test('keyboard: Enter on a marker opens a modal dialog, Escape and Cancel close it and focus returns', async () => {
    await portal.marker(TARGET).focus();
    await portal.page.keyboard.press('Enter');
    await portal.dialog.waitFor({ state: 'visible' });
    assert.ok(await portal.dialogIsModal(), 'native modal dialog');
    assert.ok(await portal.createForm.isVisible(), 'create form for an available region');
    assert.match(await portal.dialog.innerText(), new RegExp(TARGET_NAME));
    await portal.page.waitForFunction(() => document.querySelector('#region-dialog').contains(document.activeElement));
    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.page.waitForFunction((r) => document.activeElement?.dataset?.region === r, TARGET);

    await portal.page.keyboard.press(' ');
    await portal.dialog.waitFor({ state: 'visible' });
    await portal.button('Cancel').click();
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.page.waitForFunction((r) => document.activeElement?.dataset?.region === r, TARGET);
    assert.equal(await portal.markerState(TARGET), 'available', 'closing created nothing');
  });

  test('keyboard: Enter on the marker straight after Escape opens the dialog again, fresh, and it stays open', async () => {
    await portal.marker(TARGET).focus();
    await portal.page.keyboard.press('Enter');
    await portal.createForm.waitFor();
    const zone = portal.createForm.locator('input[name="zone-redundancy"][type="checkbox"]');
    await zone.focus();
    await portal.page.keyboard.press(' ');
    assert.equal(await zone.isChecked(), true, 'a change to throw away');
    // The browser fires `close` for the Escape as a task of its own, after the queued Enter:
    // count it, so the check below runs once it has been handled.
    await portal.page.evaluate(() => {
      window.__dialogCloses = 0;
      document.querySelector('#region-dialog').addEventListener('close', () => window.__dialogCloses++);
    });
    await portal.pressQueued(['Escape', 'Enter']);
    await portal.page.waitForFunction(() => window.__dialogCloses > 0, undefined, { timeout: 5_000 });
    assert.ok(await portal.dialogIsModal(), 'the late close event of the first dialog did not shut the second');
    assert.ok(await portal.createForm.isVisible());
    assert.equal(await zone.isChecked(), false, 'a fresh form: Escape threw the change away');
    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.page.waitForFunction((r) => document.activeElement?.dataset?.region === r, TARGET);
    assert.equal(await portal.markerState(TARGET), 'available', 'nothing was created');
  });

  test('the home replica can be updated but not deleted', async () => {
    await portal.openRegion('eastus');
    await portal.updateForm.waitFor();
    assert.equal(await portal.button('Delete replica…').count(), 0, 'no delete in the dialog');
    assert.equal(await portal.confirmStep.count(), 0);
    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    assert.equal(await portal.row('eastus').locator('button[data-action="edit"]').count(), 1, 'home row has edit');
    assert.equal(await portal.row('eastus').locator('button[data-action="delete"]').count(), 0, 'home row has no delete');
  });

  test(`create a replica in ${TARGET} with zone redundancy, routing off and tags`, async () => {
    const navigations = [];
    portal.page.on('framenavigated', (f) => f === portal.page.mainFrame() && navigations.push(f.url()));
    await portal.openRegion(TARGET);
    const form = portal.createForm;
    await form.waitFor();
    const zone = form.locator('input[name="zone-redundancy"][type="checkbox"]');
    const endpoint = form.locator('input[name="region-endpoint-enabled"][type="checkbox"]');
    const tags = form.locator('input[name="tags"]');
    assert.ok(await zone.isEnabled(), `${TARGET} has zones`);
    assert.equal(await zone.isChecked(), false, 'zone redundancy off by default');
    assert.equal(await endpoint.isChecked(), true, 'routing on by default');
    const base = `az acr replication create --registry ${REGISTRY} --location ${TARGET}`;
    await portal.waitForCli(base);
    // The command follows every change.
    await zone.check();
    await portal.waitForCli(`${base} --zone-redundancy Enabled`);
    await endpoint.uncheck();
    await portal.waitForCli(`${base} --zone-redundancy Enabled --region-endpoint-enabled false`);
    await tags.fill('team=web');
    const command = `${base} --zone-redundancy Enabled --region-endpoint-enabled false --tags team=web`;
    await portal.waitForCli(command);
    await portal.screenshot('dialog-create');

    if (EMULATOR_URL) await resetEmulatorRequests();
    await portal.recordMarker(TARGET);
    await form.getByRole('button', { name: 'Create replica', exact: true }).click();
    // Ready with its region endpoint disabled.
    await portal.waitForMarker(TARGET, ['routing-off'], SETTLE_MS);
    const history = await portal.markerHistory(TARGET);
    assert.equal(history[0], 'available', history.join(' → '));
    assert.ok(history.some((s) => IN_PROGRESS.includes(s)), `in progress on the way: ${history.join(' → ')}`);
    assert.match(await portal.marker(TARGET).getAttribute('aria-label'), new RegExp(`^${TARGET_NAME}`));

    // What the dialog promised is what ARM got.
    const rep = (await replications(REGISTRY)).find((r) => r.name === TARGET);
    assert.equal(rep.zoneRedundancy, 'Enabled');
    assert.equal(rep.regionEndpointEnabled, false);
    assert.deepEqual(rep.tags, { team: 'web' });
    if (EMULATOR_URL) {
      const arm = await armReplica(REGISTRY, TARGET);
      assert.equal(arm.properties.zoneRedundancy, 'Enabled');
      assert.equal(arm.properties.regionEndpointEnabled, false);
      assert.deepEqual(arm.tags, { team: 'web' });
      const { recent } = await emulatorRequests();
      const puts = recent.filter((r) => r.method === 'PUT' && r.path.includes(`/registries/${REGISTRY}/replications/${TARGET}?`));
      assert.equal(puts.length, 1, JSON.stringify(recent.filter((r) => r.method !== 'GET')));
    }

    await portal.waitForRowCells(TARGET, { name: TARGET, location: TARGET, provisioning: 'Succeeded', status: 'Ready', endpoint: 'False', zone: 'Enabled' });
    assert.equal(await portal.row(TARGET).getAttribute('data-phase'), 'ready');
    assert.deepEqual(navigations, [], 'no reload');
    await portal.ensureDialogClosed();

    const shot = await portal.screenshot(`replicated-${TARGET}`);
    mkdirSync(dirname(DOCS_SCREENSHOT), { recursive: true });
    if (process.env.REPLIMAP_UPDATE_SCREENSHOT) copyFileSync(shot, DOCS_SCREENSHOT);

    // aria-busy="true" for as long as the marker shows the create in progress, and not after.
    const busy = await portal.markerBusyLog(TARGET);
    const notBusy = busy.filter(([st, b]) => IN_PROGRESS.includes(st) && b !== 'true');
    assert.deepEqual(notBusy, [], `aria-busy while in progress: ${JSON.stringify(busy)}`);
    assert.notEqual(busy.at(-1)[1], 'true', 'not busy once ready');
  });

  test(`turn routing back on and change the tags of ${TARGET}`, async () => {
    await portal.openRowAction(TARGET, 'edit');
    const form = portal.updateForm;
    await form.waitFor();
    assert.match(await portal.dialog.innerText(), new RegExp(TARGET_NAME));
    const endpoint = form.locator('input[name="region-endpoint-enabled"][type="checkbox"]');
    const tags = form.locator('input[name="tags"]');
    assert.equal(await endpoint.isChecked(), false, 'shows the current routing');
    assert.equal((await tags.inputValue()).trim(), 'team=web', 'shows the current tags');
    await endpoint.check();
    await tags.fill('team=web env=prod');
    // Tags in any order (a map): `--tags env=prod team=web` or `--tags team=web env=prod`.
    await portal.page.waitForFunction(
      () => {
        const m = / --tags (.*)$/.exec(document.querySelector('#region-dialog pre.cli code')?.innerText.trim() ?? '');
        return m && m[1].split(/\s+/).sort().join(' ') === 'env=prod team=web';
      },
      undefined,
      { timeout: 5_000 },
    );
    const cli = await portal.cli();
    assert.ok(cli.startsWith(`az acr replication update --registry ${REGISTRY} --name ${TARGET} `), cli);
    assert.match(cli, / --region-endpoint-enabled true\b/);
    await portal.screenshot('dialog-update');

    await portal.recordMarker(TARGET);
    await form.getByRole('button', { name: 'Save changes', exact: true }).click();
    await portal.waitForMarker(TARGET, ['ready'], SETTLE_MS);
    const history = await portal.markerHistory(TARGET);
    assert.equal(history[0], 'routing-off', history.join(' → '));
    const busy = await portal.markerBusyLog(TARGET);
    assert.deepEqual(busy.filter(([st, b]) => IN_PROGRESS.includes(st) && b !== 'true'), [], `aria-busy while in progress: ${JSON.stringify(busy)}`);
    await portal.waitForRowCells(TARGET, { endpoint: 'True', zone: 'Enabled', status: 'Ready' });
    const rep = (await replications(REGISTRY)).find((r) => r.name === TARGET);
    assert.equal(rep.regionEndpointEnabled, true);
    assert.deepEqual(rep.tags, { team: 'web', env: 'prod' });
    if (EMULATOR_URL) assert.deepEqual((await armReplica(REGISTRY, TARGET)).tags, { team: 'web', env: 'prod' });
    await portal.ensureDialogClosed();
  });

  test(`delete the replica in ${TARGET} after a confirmation naming registry and region`, async () => {
    // From the marker: details first, then the confirmation step.
    await portal.openRegion(TARGET);
    await portal.updateForm.waitFor();
    await portal.button('Delete replica…').click();
    await portal.confirmStep.waitFor();
    const headings = await portal.dialog.getByRole('heading').filter({ visible: true }).allInnerTexts();
    assert.ok(
      headings.some((h) => h.includes(REGISTRY) && (h.includes(TARGET_NAME) || h.includes(TARGET))),
      `a heading names ${REGISTRY} and ${TARGET_NAME}: ${JSON.stringify(headings)}`,
    );
    const danger = portal.button('Delete replica');
    assert.match(await danger.getAttribute('class'), /\bdanger\b/);
    await portal.waitForCli(`az acr replication delete --registry ${REGISTRY} --name ${TARGET}`);
    await portal.screenshot('dialog-delete-confirm');
    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.page.waitForFunction((r) => document.activeElement?.dataset?.region === r, TARGET);
    assert.equal(await portal.markerState(TARGET), 'ready', 'Escape deleted nothing');

    // From the row: straight to the confirmation; Cancel returns focus to the row's button.
    await portal.openRowAction(TARGET, 'delete');
    await portal.confirmStep.waitFor();
    assert.equal(await portal.updateForm.isVisible(), false);
    await portal.button('Cancel').click();
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.page.waitForFunction(
      (r) => document.activeElement?.matches(`#replications tr[data-replication="${r}"] button[data-action="delete"]`),
      TARGET,
      { timeout: 5_000 },
    );
    await portal.openRowAction(TARGET, 'delete');
    await portal.confirmStep.waitFor();
    await portal.recordMarker(TARGET);
    await portal.button('Delete replica').click();
    await portal.waitForMarker(TARGET, ['available'], SETTLE_MS);
    assert.ok((await portal.markerHistory(TARGET)).includes('deleting'), 'showed deleting on the way');
    const busy = await portal.markerBusyLog(TARGET);
    assert.deepEqual(busy.filter(([st, b]) => IN_PROGRESS.includes(st) && b !== 'true'), [], `aria-busy while in progress: ${JSON.stringify(busy)}`);
    assert.notEqual(busy.at(-1)[1], 'true', 'not busy once gone');
    await portal.row(TARGET).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.equal((await replications(REGISTRY)).find((r) => r.name === TARGET), undefined);
    assert.equal((await portal.alert.innerText()).trim(), '', 'no alert');
    await portal.ensureDialogClosed();
  });
});

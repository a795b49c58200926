// The region dialog stays truthful and keeps keyboard focus while the status stream runs:
// unrelated events leave its DOM (and the table's unchanged rows) alone, a replica that goes
// away while its dialog is open is reported as deleted, "ARM accepted" waits for the 202, and
// a table row whose region is not on the map opens a small dialog rather than an empty one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BASE_URL,
  EMULATOR_SKIP,
  EMULATOR_URL,
  PortalPage,
  SETTLE_MS,
  apiWrite,
  clearFaults,
  injectFault,
  launch,
  registryKey,
  requireEmulator,
} from './helpers.mjs';

/// Dialog kept open (never replicated here).
const QUIET = 'southafricanorth';
/// Where the replicas come and go.
const BUSY = 'canadacentral';
const BUSY_NAME = 'Canada Central';

describe('region dialog', () => {
  let browser;
  let portal;
  let registry;
  let path;

  before(async () => {
    browser = await launch();
    portal = await PortalPage.open(browser);
    registry = await portal.page.locator('#registry').getAttribute('data-registry');
    const key = await registryKey(registry);
    path = `/api/v1/registries/${key.subscriptionId}/${key.resourceGroup}/${key.name}/replications/${BUSY}`;
    await portal.ensureAvailable(QUIET);
    await portal.ensureAvailable(BUSY);
  });

  after(async () => {
    if (EMULATOR_URL) await clearFaults().catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  /** Whether the element focused now is the one tagged `data-e2e-focus="{token}"`. */
  const focusIsTagged = (token) =>
    portal.page.evaluate((t) => document.activeElement?.getAttribute('data-e2e-focus') === t, token);

  test('events about another region keep focus on the dialog button and the table rows in place', async () => {
    await portal.openRegion(QUIET);
    const heading = await portal.dialog.getByRole('heading').innerText();
    assert.equal(heading, `Replicate ${registry} to South Africa North?`);
    await portal.page.waitForFunction(() => document.activeElement?.matches('#region-dialog button.primary'));
    // Tag the focused button and the home row: a re-rendered node would not carry the tag.
    await portal.page.evaluate(() => {
      document.activeElement.setAttribute('data-e2e-focus', 'create');
      document.querySelector('#replications tr[data-replication="eastus"]').setAttribute('data-e2e-row', 'home');
    });

    assert.equal(await apiWrite('PUT', path, { location: BUSY }), 202);
    await portal.row(BUSY).waitFor({ timeout: SETTLE_MS });
    await portal.waitForMarker(BUSY, ['ready'], SETTLE_MS);
    assert.ok(await portal.dialog.isVisible(), 'dialog still open');
    assert.equal(await portal.dialog.getByRole('heading').innerText(), heading);
    assert.ok(await focusIsTagged('create'), 'focus stayed on the same Create button');
    assert.equal(await portal.row('eastus').getAttribute('data-e2e-row'), 'home', 'unchanged row kept its node');

    assert.equal(await apiWrite('DELETE', path), 202);
    await portal.waitForMarker(BUSY, ['available'], SETTLE_MS);
    await portal.row(BUSY).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.ok(await focusIsTagged('create'), 'focus still on the same Create button');
    assert.equal(await portal.row('eastus').getAttribute('data-e2e-row'), 'home');

    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    assert.equal(await portal.markerState(QUIET), 'available', 'Escape did not create anything');
  });

  test('a replica deleted while its dialog is open is reported as deleted, not offered again', async () => {
    assert.equal(await apiWrite('PUT', path, { location: BUSY }), 202);
    await portal.waitForMarker(BUSY, ['ready'], SETTLE_MS);
    await portal.openRegion(BUSY);
    await portal.button('Delete replica').click();
    await portal.dialog.waitFor({ state: 'hidden' });
    // Reopen while the delete is in flight (the emulator takes a few seconds).
    await portal.openRegion(BUSY);
    assert.equal(await portal.dialog.getByRole('heading').innerText(), `Delete the replica of ${registry} in ${BUSY_NAME}?`);
    assert.ok(await portal.button('Deleting…').isDisabled());

    await portal.page.waitForFunction(
      (text) => document.querySelector('#region-dialog h2')?.innerText === text,
      `The replica of ${registry} in ${BUSY_NAME} was deleted`,
      { timeout: SETTLE_MS },
    );
    assert.equal(await portal.markerState(BUSY), 'available');
    assert.equal(await portal.button('Create replica').count(), 0, 'no Create form under the cursor');
    // Focus moved to the new body's Close button, not to <body> behind the modal.
    await portal.page.waitForFunction(() => document.activeElement?.matches('#region-dialog button[data-autofocus]'));
    await portal.button('Close').click();
    await portal.dialog.waitFor({ state: 'hidden' });
  });

  test('"ARM accepted" appears only after the portal answered', { skip: EMULATOR_SKIP }, async () => {
    requireEmulator();
    await portal.ensureAvailable(BUSY);
    // ARM takes its time to answer the PUT: the request is in flight, not accepted.
    await injectFault({ method: 'PUT', pathContains: `/replications/${BUSY}`, delayMs: 4_000, times: 1 });
    await portal.openRegion(BUSY);
    await portal.button('Create replica').click();
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.openRegion(BUSY);
    assert.equal(await portal.dialog.getByRole('heading').innerText(), `Creating a replica of ${registry} in ${BUSY_NAME}`);
    const sending = await portal.dialog.innerText();
    assert.match(sending, /Sending the request/);
    assert.doesNotMatch(sending, /accepted/);

    // Once answered: accepted, or already the replica itself.
    await portal.page.waitForFunction(
      () => !document.querySelector('#region-dialog').innerText.includes('Sending the request'),
      undefined,
      { timeout: SETTLE_MS },
    );
    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    await portal.waitForMarker(BUSY, ['ready'], SETTLE_MS);
    assert.equal(await apiWrite('DELETE', path), 202);
    await portal.waitForMarker(BUSY, ['available'], SETTLE_MS);
  });

  test('a table row whose region is not on the map opens a dialog with a heading and Close', async () => {
    // The page learns its regions from /api/v1/locations; hide the home region from it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const other = new PortalPage(context, page);
    try {
      await page.route('**/api/v1/locations', async (route) => {
        const response = await route.fetch();
        const regions = await response.json();
        await route.fulfill({ response, json: regions.filter((r) => r.name !== 'eastus') });
      });
      await page.goto(`${BASE_URL}/`);
      await page.locator('#stream-status[data-state="live"]').waitFor({ timeout: 30_000 });
      await page.locator('.region-marker').first().waitFor({ timeout: 30_000 });
      assert.equal(await other.marker('eastus').count(), 0);

      await other.row('eastus').getByRole('button', { name: 'eastus' }).click();
      await other.dialog.waitFor({ state: 'visible' });
      assert.equal(await other.dialog.getByRole('heading').innerText(), 'eastus');
      assert.match(await other.dialog.innerText(), /not among the regions that accept replicas/);
      assert.equal(await other.dialog.getByRole('button').count(), 1, 'only Close');
      await page.waitForFunction(() => document.activeElement?.matches('#region-dialog button[data-autofocus]'));
      await other.button('Close').click();
      await other.dialog.waitFor({ state: 'hidden' });
      assert.deepEqual(other.errors, []);
    } finally {
      await other.close();
    }
  });

  test('no console errors or page errors', () => {
    assert.deepEqual(portal.errors, []);
  });
});

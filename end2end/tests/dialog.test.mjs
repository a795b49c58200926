// The region dialog stays truthful and keeps keyboard focus while the status stream runs:
// unrelated events leave its DOM (and the table's unchanged rows) alone, a replica that goes
// away while its dialog is open is no longer offered for update or delete, a region without
// availability zones cannot be asked for zone redundancy, and a bad tag is refused in the
// form without a request.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  DEMO_PATH,
  EMULATOR_URL,
  PortalPage,
  SEED,
  SETTLE_MS,
  apiWrite,
  emulatorRequests,
  launch,
  registryKey,
  removeReplica,
  replicationsPath,
  resetEmulatorRequests,
} from './helpers.mjs';

const REGISTRY = SEED.demo.name;
/// Dialog kept open (never replicated here).
const QUIET = 'southafricanorth';
/// Where the replicas come and go.
const BUSY = 'canadacentral';
/// A region without availability zones.
const ZONELESS = 'westus';

describe('region dialog', () => {
  let browser;
  let portal;
  let path;

  before(async () => {
    browser = await launch();
    portal = await PortalPage.open(browser, DEMO_PATH);
    path = `${replicationsPath(await registryKey(REGISTRY))}/${BUSY}`;
    await portal.ensureAvailable(QUIET);
    await portal.ensureAvailable(BUSY);
    await portal.ensureAvailable(ZONELESS);
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    await removeReplica(REGISTRY, BUSY).catch(() => {});
    await removeReplica(REGISTRY, ZONELESS).catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  /** Whether the element focused now is the one tagged `data-e2e-focus="{token}"`. */
  const focusIsTagged = (token) =>
    portal.page.evaluate((t) => document.activeElement?.getAttribute('data-e2e-focus') === t, token);

  test('events about another region keep the dialog, its focus and the unchanged table rows in place', async () => {
    await portal.openRegion(QUIET);
    await portal.createForm.waitFor();
    const before = await portal.dialog.innerText();
    await portal.page.waitForFunction(() => document.querySelector('#region-dialog').contains(document.activeElement));
    // Tag the focused control and the home row: a re-rendered node would not carry the tag.
    await portal.page.evaluate(() => {
      document.activeElement.setAttribute('data-e2e-focus', 'create');
      document.querySelector('#replications tr[data-replication="eastus"]').setAttribute('data-e2e-row', 'home');
    });

    assert.equal(await apiWrite('PUT', path, { location: BUSY }), 202);
    await portal.row(BUSY).waitFor({ timeout: SETTLE_MS });
    await portal.waitForMarker(BUSY, ['ready'], SETTLE_MS);
    assert.ok(await portal.dialog.isVisible(), 'dialog still open');
    assert.ok(await portal.createForm.isVisible(), 'still the create form');
    assert.equal(await portal.dialog.innerText(), before, 'dialog text unchanged');
    assert.ok(await focusIsTagged('create'), 'focus stayed on the same control');
    assert.equal(await portal.row('eastus').getAttribute('data-e2e-row'), 'home', 'unchanged row kept its node');

    assert.equal(await apiWrite('DELETE', path), 202);
    await portal.waitForMarker(BUSY, ['available'], SETTLE_MS);
    await portal.row(BUSY).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.ok(await focusIsTagged('create'), 'focus still on the same control');
    assert.equal(await portal.row('eastus').getAttribute('data-e2e-row'), 'home');

    await portal.page.keyboard.press('Escape');
    await portal.dialog.waitFor({ state: 'hidden' });
    assert.equal(await portal.markerState(QUIET), 'available', 'Escape did not create anything');
  });

  test('a replica deleted elsewhere while its dialog is open is no longer offered for update or delete', async () => {
    assert.equal(await apiWrite('PUT', path, { location: BUSY }), 202);
    await portal.waitForMarker(BUSY, ['ready'], SETTLE_MS);
    await portal.openRegion(BUSY);
    await portal.updateForm.waitFor();
    assert.equal(await portal.button('Delete replica…').count(), 1);

    assert.equal(await apiWrite('DELETE', path), 202);
    await portal.waitForMarker(BUSY, ['available'], SETTLE_MS);
    await portal.updateForm.waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.equal(await portal.button('Delete replica…').count(), 0, 'no delete for a replica that is gone');
    assert.equal(await portal.button('Save changes').count(), 0, 'no update for a replica that is gone');
    if (await portal.dialog.isVisible()) {
      // Still open: focus must stay inside the modal, not fall to <body> behind it.
      await portal.page.waitForFunction(() => document.querySelector('#region-dialog').contains(document.activeElement));
    }
    await portal.ensureDialogClosed();
  });

  test('a region without availability zones offers no zone redundancy and says why', async () => {
    await portal.openRegion(ZONELESS);
    await portal.createForm.waitFor();
    const zone = portal.createForm.locator('input[name="zone-redundancy"][type="checkbox"]');
    assert.ok(await zone.isDisabled(), 'zone redundancy disabled');
    assert.equal(await zone.isChecked(), false);
    assert.match(await portal.createForm.innerText(), /(no|without|has no|does not have|doesn.t have|lacks)( any)? availability zones/i);
    await portal.waitForCli(`az acr replication create --registry ${REGISTRY} --location ${ZONELESS}`);
    await portal.ensureDialogClosed();
  });

  test('a bad tag shows a field error and sends nothing', async () => {
    const writes = [];
    const onRequest = (req) => req.method() !== 'GET' && req.url().includes('/api/v1/') && writes.push(`${req.method()} ${req.url()}`);
    portal.page.on('request', onRequest);
    try {
      if (EMULATOR_URL) await resetEmulatorRequests();
      await portal.openRegion(ZONELESS);
      await portal.createForm.waitFor();
      await portal.createForm.locator('input[name="tags"]').fill('=web');
      await portal.createForm.getByRole('button', { name: 'Create replica', exact: true }).click();
      await portal.dialog.locator('.field-error').first().waitFor({ state: 'visible', timeout: 5_000 });
      assert.ok((await portal.dialog.locator('.field-error').first().innerText()).trim(), 'the error says something');
      assert.ok(await portal.createForm.isVisible(), 'form still there to fix');
      // Let any request the click might have started reach the network before looking.
      await portal.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.deepEqual(writes, [], 'no write request');
      assert.equal(await portal.markerState(ZONELESS), 'available');
      if (EMULATOR_URL) {
        const { recent } = await emulatorRequests();
        assert.deepEqual(recent.filter((r) => r.method !== 'GET'), [], 'nothing reached ARM');
      }
      await portal.ensureDialogClosed();
      assert.equal(await portal.markerState(ZONELESS), 'available');
    } finally {
      portal.page.off('request', onRequest);
    }
  });
});

// ARM errors reach the user: a refused PUT shows ARM's message in the alert and the marker
// returns to the truth ("available"); a replica that fails provisioning shows as failed and
// can still be deleted. Needs the embedded emulator's own address for fault injection
// (REPLIMAP_EMULATOR_URL, with the portal started with a matching REPLIMAP_EMULATOR_LISTEN):
// skipped without it, except under CI (`CI` set), where a missing address fails the suite.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  DEMO_PATH,
  EMULATOR_SKIP,
  IN_PROGRESS,
  PortalPage,
  SEED,
  SETTLE_MS,
  clearFaults,
  injectFault,
  launch,
  removeReplica,
  replications,
  requireEmulator,
} from './helpers.mjs';

const REGISTRY = SEED.demo.name;
const REGION = 'brazilsouth';
const MESSAGE = 'Quota exceeded for replications in this subscription (injected by the end-to-end test).';

describe('ARM errors', { skip: EMULATOR_SKIP }, () => {
  let browser;
  let portal;

  before(async () => {
    requireEmulator();
    browser = await launch();
    portal = await PortalPage.open(browser, DEMO_PATH, {
      // The portal answers the refused create with ARM's 409, which Chromium logs by itself.
      ignore: [new RegExp(`Failed to load resource: the server responded with a status of 409 .*/replications/${REGION}\\b`)],
    });
    await portal.ensureAvailable(REGION);
  });

  afterEach(async () => {
    await clearFaults().catch(() => {});
    portal?.assertNoErrors();
  });

  after(async () => {
    await removeReplica(REGISTRY, REGION).catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  test('a refused create shows ARM’s message in the alert and the marker returns to available', async () => {
    await injectFault({ method: 'PUT', pathContains: `/replications/${REGION}`, status: 409, code: 'QuotaExceeded', message: MESSAGE, times: 1 });
    assert.equal(await portal.markerState(REGION), 'available');
    assert.equal((await portal.alert.innerText()).trim(), '', 'no alert before');
    await portal.recordMarker(REGION);
    await portal.openRegion(REGION);
    await portal.createForm.getByRole('button', { name: 'Create replica', exact: true }).click();
    await portal.page.waitForFunction(
      (m) => document.querySelector('#alert[role="alert"]')?.innerText.includes(m),
      MESSAGE,
      { timeout: SETTLE_MS },
    );
    await portal.ensureDialogClosed();
    // Back to available, after having left it: the marker showed the create in flight
    // (or its failure) first, so the wait below cannot pass on the untouched marker.
    await portal.waitForMarker(REGION, ['available'], SETTLE_MS);
    const history = await portal.markerHistory(REGION);
    assert.equal(history[0], 'available', history.join(' → '));
    assert.ok(
      history.slice(1, -1).some((s) => IN_PROGRESS.includes(s) || s === 'failed'),
      `marker left 'available' for an in-progress or failed state first: ${history.join(' → ')}`,
    );
    assert.equal(history.at(-1), 'available', history.join(' → '));
    assert.equal(await portal.marker(REGION).getAttribute('aria-busy'), null, 'no longer busy');
    assert.equal(await portal.row(REGION).count(), 0);
    // `refresh: true` asks ARM itself rather than the hub's last poll.
    assert.equal((await replications(REGISTRY, { refresh: true })).find((r) => r.name === REGION), undefined, 'ARM has none either');
  });

  test('a replica that fails provisioning shows as failed and can be deleted', async () => {
    await injectFault({ failReplicaIn: REGION, message: 'Injected provisioning failure.' });
    await portal.openRegion(REGION);
    await portal.createForm.getByRole('button', { name: 'Create replica', exact: true }).click();
    await portal.ensureDialogClosed();
    await portal.waitForMarker(REGION, ['failed'], SETTLE_MS);
    const label = await portal.marker(REGION).getAttribute('aria-label');
    assert.match(label, /^Brazil South\b/);
    assert.match(label, /fail/i);
    await portal.row(REGION).waitFor();
    assert.equal(await portal.row(REGION).getAttribute('data-phase'), 'failed');

    await portal.openRowAction(REGION, 'delete');
    await portal.confirmStep.waitFor();
    await portal.button('Delete replica').click();
    await portal.waitForMarker(REGION, ['available'], SETTLE_MS);
    await portal.row(REGION).waitFor({ state: 'detached', timeout: SETTLE_MS });
    await portal.ensureDialogClosed();
  });
});

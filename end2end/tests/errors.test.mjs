// ARM errors reach the user: a refused PUT shows its message in the alert, and the marker
// returns to "available". Needs the embedded emulator's own address for fault injection
// (REPLIMAP_EMULATOR_URL, with the portal started with a matching REPLIMAP_EMULATOR_LISTEN):
// skipped without it, except under CI (`CI` set), where a missing address fails the suite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { EMULATOR_SKIP, IN_PROGRESS, PortalPage, SETTLE_MS, clearFaults, injectFault, launch, requireEmulator } from './helpers.mjs';

const REGION = 'brazilsouth';
const MESSAGE = 'Quota exceeded for replications in this subscription (injected by the end-to-end test).';

describe('ARM errors', { skip: EMULATOR_SKIP }, () => {
  let browser;
  let portal;

  before(async () => {
    requireEmulator();
    browser = await launch();
    portal = await PortalPage.open(browser);
    await portal.ensureAvailable(REGION);
  });

  after(async () => {
    await clearFaults().catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  test('a refused create shows ARM’s message in the alert', async () => {
    await injectFault({ method: 'PUT', pathContains: `/replications/${REGION}`, status: 409, code: 'QuotaExceeded', message: MESSAGE, times: 1 });
    assert.equal(await portal.markerState(REGION), 'available');
    await portal.recordMarker(REGION);
    await portal.openRegion(REGION);
    await portal.button('Create replica').click();
    await portal.page.waitForFunction(
      (m) => document.querySelector('#alert[role="alert"]')?.innerText.includes(m),
      MESSAGE,
      { timeout: SETTLE_MS },
    );
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
    assert.equal(await portal.row(REGION).count(), 0);
    await portal.alert.getByRole('button', { name: 'Dismiss' }).click();
    assert.equal((await portal.alert.innerText()).trim(), '');
  });

  test('a replica that fails provisioning shows as failed and can be deleted', async () => {
    await injectFault({ failReplicaIn: REGION, message: 'Injected provisioning failure.' });
    await portal.openRegion(REGION);
    await portal.button('Create replica').click();
    await portal.waitForMarker(REGION, ['failed'], SETTLE_MS);
    assert.match(await portal.marker(REGION).getAttribute('aria-label'), /^Brazil South — replica failed$/);
    await portal.openRegion(REGION);
    await portal.button('Delete replica').click();
    await portal.waitForMarker(REGION, ['available'], SETTLE_MS);
  });
});

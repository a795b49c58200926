// ARM errors reach the user: a refused PUT shows its message in the alert, and the marker
// returns to "available". Needs the embedded emulator's own address for fault injection
// (REPLIMAP_EMULATOR_URL, with the portal started with a matching REPLIMAP_EMULATOR_LISTEN).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { EMULATOR_URL, PortalPage, SETTLE_MS, clearFaults, injectFault, launch } from './helpers.mjs';

const REGION = 'brazilsouth';
const MESSAGE = 'Quota exceeded for replications in this subscription (injected by the end-to-end test).';

describe('ARM errors', { skip: EMULATOR_URL ? false : 'REPLIMAP_EMULATOR_URL is not set' }, () => {
  let browser;
  let portal;

  before(async () => {
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
    await portal.openRegion(REGION);
    await portal.button('Create replica').click();
    await portal.page.waitForFunction(
      (m) => document.querySelector('#alert[role="alert"]')?.innerText.includes(m),
      MESSAGE,
      { timeout: SETTLE_MS },
    );
    await portal.waitForMarker(REGION, ['available'], SETTLE_MS);
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

// Changes made elsewhere (Azure portal, az, Terraform, another browser tab) show up live and
// flash on the marker and the row (`data-flash="true"` for a few seconds); a change the tab
// made itself does not flash there. Two tabs on the same registry.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  DEMO_PATH,
  EMULATOR_SKIP,
  PortalPage,
  SEED,
  SETTLE_MS,
  armReplicationWrite,
  launch,
  oobPutReplica,
  oobRemoveReplica,
  registryKey,
  removeReplica,
  requireEmulator,
} from './helpers.mjs';

const REGISTRY = SEED.demo.name;
/// Written straight to ARM, past the portal.
const ELSEWHERE = 'koreacentral';
/// Written through tab A.
const FROM_TAB = 'koreasouth';
/// Longest a flash may last ("a few seconds").
const FLASH_MAX_MS = 15_000;

describe('live changes', () => {
  let browser;
  let a;
  let b;

  before(async () => {
    browser = await launch();
    a = await PortalPage.open(browser, DEMO_PATH);
    b = await PortalPage.open(browser, DEMO_PATH);
    await a.ensureAvailable(ELSEWHERE);
    await a.ensureAvailable(FROM_TAB);
    await b.waitForMarker(ELSEWHERE, ['available']);
    await b.waitForMarker(FROM_TAB, ['available']);
  });

  afterEach(() => {
    a?.assertNoErrors();
    b?.assertNoErrors();
  });

  after(async () => {
    await removeReplica(REGISTRY, ELSEWHERE).catch(() => {});
    await removeReplica(REGISTRY, FROM_TAB).catch(() => {});
    await a?.close();
    await b?.close();
    await browser?.close();
  });

  test('a replica created and removed outside the portal appears live and flashes', { skip: EMULATOR_SKIP }, async () => {
    requireEmulator();
    const navigations = [];
    a.page.on('framenavigated', (f) => f === a.page.mainFrame() && navigations.push(f.url()));
    await a.recordFlashes();
    const key = await registryKey(REGISTRY);

    // Through ARM (as `az acr replication create` would): Creating, then Ready.
    assert.ok([200, 201].includes(await armReplicationWrite('PUT', key, ELSEWHERE)));
    await a.waitForMarker(ELSEWHERE, ['ready'], SETTLE_MS);
    await a.row(ELSEWHERE).waitFor({ timeout: SETTLE_MS });
    const flashed = await a.flashesSeen();
    assert.ok(flashed.includes(`marker:${ELSEWHERE}`), `marker flashed: ${flashed}`);
    assert.ok(flashed.includes(`row:${ELSEWHERE}`), `row flashed: ${flashed}`);
    // The flash ends by itself.
    await a.page.waitForFunction(
      (r) => !document.querySelector(`[data-flash="true"][data-region="${r}"], tr[data-flash="true"][data-replication="${r}"]`),
      ELSEWHERE,
      { timeout: FLASH_MAX_MS },
    );

    // A tag change made elsewhere flashes the row again.
    await a.recordFlashes();
    await oobPutReplica(REGISTRY, { name: ELSEWHERE, tags: { changed: 'elsewhere' } });
    await a.page.waitForFunction(() => window.__flashes.size > 0, undefined, { timeout: SETTLE_MS });
    const again = await a.flashesSeen();
    assert.ok(again.includes(`marker:${ELSEWHERE}`) || again.includes(`row:${ELSEWHERE}`), `flashed on a tag change: ${again}`);

    // Gone at once (as after a delete in the Azure portal).
    await a.recordFlashes();
    await oobRemoveReplica(REGISTRY, ELSEWHERE);
    await a.waitForMarker(ELSEWHERE, ['available'], SETTLE_MS);
    await a.row(ELSEWHERE).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.ok((await a.flashesSeen()).includes(`marker:${ELSEWHERE}`), 'marker flashed on removal');
    assert.deepEqual(navigations, [], 'no reload');
  });

  test('a change made in one tab flashes in the other tab only', async () => {
    await a.recordFlashes();
    await b.recordFlashes();
    await a.openRegion(FROM_TAB);
    await a.createForm.getByRole('button', { name: 'Create replica', exact: true }).click();
    await a.ensureDialogClosed();
    await a.waitForMarker(FROM_TAB, ['ready'], SETTLE_MS);
    await b.waitForMarker(FROM_TAB, ['ready'], SETTLE_MS);
    await a.row(FROM_TAB).waitFor();
    await b.row(FROM_TAB).waitFor();
    const inB = await b.flashesSeen();
    assert.ok(inB.includes(`marker:${FROM_TAB}`), `other tab: marker flashed: ${inB}`);
    assert.ok(inB.includes(`row:${FROM_TAB}`), `other tab: row flashed: ${inB}`);
    const inA = (await a.flashesSeen()).filter((f) => f.endsWith(`:${FROM_TAB}`));
    assert.deepEqual(inA, [], 'own change does not flash');

    await a.openRowAction(FROM_TAB, 'delete');
    await a.confirmStep.waitFor();
    await a.button('Delete replica').click();
    await a.ensureDialogClosed();
    await a.waitForMarker(FROM_TAB, ['available'], SETTLE_MS);
    await b.waitForMarker(FROM_TAB, ['available'], SETTLE_MS);
    assert.deepEqual((await a.flashesSeen()).filter((f) => f.endsWith(`:${FROM_TAB}`)), [], 'own delete does not flash');
  });
});

// Create and delete a replica with the keyboard alone, through the table, without the map:
// Tab to the "Add replica…" form, pick the region (arrow keys in the select), Enter, Tab to
// "Create replica", Enter; then Tab to the row's delete action, Space, Tab to "Delete
// replica", Enter. No mouse event is sent.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { DEMO_PATH, PortalPage, SEED, SETTLE_MS, launch, removeReplica, replications } from './helpers.mjs';

const REGISTRY = SEED.demo.name;
const REGION = 'francecentral';
/// Enough presses to go round the whole page (every marker, the table, the header) twice.
const MAX_TABS = 500;

describe('keyboard only', () => {
  let browser;
  let portal;

  before(async () => {
    browser = await launch();
    portal = await PortalPage.open(browser, DEMO_PATH);
    await portal.ensureAvailable(REGION);
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    await removeReplica(REGISTRY, REGION).catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  /** Presses Tab until the focused element matches `selector`; returns the number of presses. */
  async function tabTo(selector, max = MAX_TABS) {
    for (let i = 0; i <= max; i++) {
      if (await portal.page.evaluate((s) => !!document.activeElement?.matches(s), selector)) return i;
      await portal.page.keyboard.press('Tab');
    }
    const at = await portal.page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
    throw new Error(`Tab never reached ${selector} in ${max} presses (focus on ${at})`);
  }

  test(`create a replica in ${REGION} from the table's "Add replica…" form`, async () => {
    // Any mouse event would be a test bug: record them.
    await portal.page.evaluate(() => {
      window.__mouse = 0;
      for (const t of ['mousedown', 'click', 'pointerdown']) {
        document.addEventListener(t, (e) => e.isTrusted && e.detail > 0 && window.__mouse++, true);
      }
    });
    await tabTo('select#add-region');
    const { index, target } = await portal.page.evaluate((r) => {
      const sel = document.querySelector('select#add-region');
      return { index: sel.selectedIndex, target: [...sel.options].findIndex((o) => o.value === r) };
    }, REGION);
    assert.ok(target >= 0, `${REGION} is offered in #add-region`);
    for (let i = 0; i < Math.abs(target - index); i++) await portal.page.keyboard.press(target > index ? 'ArrowDown' : 'ArrowUp');
    assert.equal(await portal.page.locator('select#add-region').inputValue(), REGION);

    await tabTo('form#add-replica button[type="submit"], form#add-replica button:not([type])', 10);
    assert.equal((await portal.page.evaluate(() => document.activeElement.innerText)).trim(), 'Add replica…');
    await portal.page.keyboard.press('Enter');
    await portal.dialog.waitFor({ state: 'visible' });
    await portal.createForm.waitFor();
    assert.match(await portal.cli(), new RegExp(`--location ${REGION}\\b`));
    await portal.page.waitForFunction(() => document.querySelector('#region-dialog').contains(document.activeElement));

    await tabTo('#region-dialog form#create-form button[type="submit"], #region-dialog form#create-form button:not([type])', 20);
    assert.equal((await portal.page.evaluate(() => document.activeElement.innerText)).trim(), 'Create replica');
    await portal.page.keyboard.press('Enter');
    if (await portal.dialog.isVisible()) {
      await portal.page.keyboard.press('Escape');
      await portal.dialog.waitFor({ state: 'hidden' });
    }
    await portal.waitForMarker(REGION, ['ready'], SETTLE_MS);
    await portal.row(REGION).waitFor();
    assert.ok((await replications(REGISTRY)).some((r) => r.name === REGION));
    assert.equal(await portal.page.evaluate(() => window.__mouse), 0, 'no mouse used');
  });

  test(`delete the replica in ${REGION} from its row`, async () => {
    await tabTo(`#replications tr[data-replication="${REGION}"] button[data-action="delete"]`);
    await portal.page.keyboard.press(' ');
    await portal.dialog.waitFor({ state: 'visible' });
    await portal.confirmStep.waitFor();
    await tabTo('#region-dialog button.danger', 20);
    assert.equal((await portal.page.evaluate(() => document.activeElement.innerText)).trim(), 'Delete replica');
    await portal.page.keyboard.press('Enter');
    if (await portal.dialog.isVisible()) {
      await portal.page.keyboard.press('Escape');
      await portal.dialog.waitFor({ state: 'hidden' });
    }
    await portal.waitForMarker(REGION, ['available'], SETTLE_MS);
    await portal.row(REGION).waitFor({ state: 'detached', timeout: SETTLE_MS });
    assert.ok(!(await replications(REGISTRY)).some((r) => r.name === REGION));
    assert.equal(await portal.page.evaluate(() => window.__mouse), 0, 'no mouse used');
  });
});

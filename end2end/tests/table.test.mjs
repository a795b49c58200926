// The replica table: every column sorts from its header button (aria-sort says how), the
// filter box narrows the rows by any text, selecting a row selects its marker and back, and a
// replica syncing for longer than `ui.stuck_after_secs` is flagged `data-stuck`. The extra
// replicas are put in place out of band through the emulator's admin API.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  DEMO_PATH,
  EMULATOR_SKIP,
  PortalPage,
  SEED,
  SETTLE_MS,
  STUCK_AFTER_SECS,
  launch,
  oobPutReplica,
  oobRemoveReplica,
  requireEmulator,
} from './helpers.mjs';

const REGISTRY = SEED.demo.name;
/// Out-of-band replicas: one plain, one with routing off, one zone redundant.
const EXTRA = [
  { name: 'australiaeast' },
  { name: 'japanwest', regionEndpointEnabled: false, tags: { team: 'search' } },
  { name: 'norwayeast', zoneRedundancy: 'Enabled' },
];
const STUCK = 'uksouth';
const SORTED_KEYS = ['name', 'location', 'provisioning', 'status', 'endpoint', 'zone'];

const compare = (a, b) => a.localeCompare(b, 'en', { sensitivity: 'base', numeric: true });

describe('replica table', { skip: EMULATOR_SKIP }, () => {
  let browser;
  let portal;

  before(async () => {
    requireEmulator();
    browser = await launch();
    portal = await PortalPage.open(browser, DEMO_PATH);
    for (const r of [...EXTRA, { name: STUCK }]) await portal.ensureAvailable(r.name);
    for (const r of EXTRA) await oobPutReplica(REGISTRY, r);
    for (const r of EXTRA) await portal.row(r.name).waitFor({ timeout: SETTLE_MS });
    await portal.waitForMarker('japanwest', ['routing-off'], SETTLE_MS);
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    for (const r of [...EXTRA, { name: STUCK }]) await oobRemoveReplica(REGISTRY, r.name).catch(() => {});
    await portal?.close();
    await browser?.close();
  });

  /** The values of column `key` for the rows shown, in order. */
  const column = (key) =>
    portal.page.evaluate((k) => {
      const table = document.querySelector('#replications');
      const idx = [...table.querySelectorAll('thead th')].findIndex((th) => th.dataset.sort === k);
      return [...table.querySelectorAll('tbody tr[data-replication]')]
        .filter((tr) => tr.checkVisibility())
        // The name cell also holds a "home" badge: take the replica's name itself.
        .map((tr) => (k === 'name' ? tr.dataset.replication : tr.cells[idx].innerText.trim()));
    }, key);

  test('has the columns of `az acr replication list` plus zone redundancy, time in state and actions', async () => {
    const headers = await portal.page.locator('#replications thead th').allInnerTexts();
    const upper = headers.map((h) => h.trim().toUpperCase());
    for (const h of ['NAME', 'LOCATION', 'PROVISIONING STATE', 'STATUS', 'REGION ENDPOINT ENABLED', 'ZONE REDUNDANCY', 'IN STATE FOR']) {
      assert.ok(upper.includes(h), `column ${h} in ${JSON.stringify(headers)}`);
    }
    const sorts = await portal.page.locator('#replications thead th[data-sort]').evaluateAll((ths) => ths.map((th) => th.dataset.sort));
    assert.deepEqual(sorts, [...SORTED_KEYS, 'since']);
    assert.equal(headers.length, 9, 'plus the coverage and actions columns');
    assert.deepEqual(await portal.rowCells('japanwest').then((c) => [c.endpoint, c.zone]), ['False', 'Disabled']);
    assert.deepEqual(await portal.rowCells('norwayeast').then((c) => [c.endpoint, c.zone]), ['True', 'Enabled']);
    await portal.screenshot('table', portal.page.locator('#replications'));
  });

  for (const key of [...SORTED_KEYS, 'since']) {
    test(`sorts by ${key}, both ways`, async () => {
      const th = portal.page.locator(`#replications thead th[data-sort="${key}"]`);
      const directions = [];
      for (let click = 0; click < 2; click++) {
        const before = await th.getAttribute('aria-sort');
        await th.locator('button').click();
        await portal.page.waitForFunction(
          ([k, b]) => {
            const v = document.querySelector(`#replications thead th[data-sort="${k}"]`)?.getAttribute('aria-sort');
            return (v === 'ascending' || v === 'descending') && v !== b;
          },
          [key, before],
          { timeout: 5_000 },
        );
        const dir = await th.getAttribute('aria-sort');
        directions.push(dir);
        const others = await portal.page
          .locator(`#replications thead th:not([data-sort="${key}"])`)
          .evaluateAll((ths) => ths.map((t) => t.getAttribute('aria-sort')).filter((v) => v && v !== 'none'));
        assert.deepEqual(others, [], 'only one column is sorted');
        if (key !== 'since') {
          const values = await column(key);
          const want = [...values].sort(compare);
          if (dir === 'descending') want.reverse();
          assert.deepEqual(values.map((v) => v.toLowerCase()), want.map((v) => v.toLowerCase()), `${key} ${dir}`);
        }
      }
      assert.deepEqual([...directions].sort(), ['ascending', 'descending']);
    });
  }

  test('the filter narrows the rows by any text', async () => {
    const filter = portal.page.locator('input#replica-filter');
    const all = await portal.rowNames();
    const texts = Object.fromEntries(
      await Promise.all(all.map(async (n) => [n, (await portal.row(n).innerText()).toLowerCase()])),
    );
    for (const q of ['japan', 'NORWAY', 'False', 'Enabled']) {
      await filter.fill(q);
      const want = all.filter((n) => texts[n].includes(q.toLowerCase())).sort();
      assert.ok(want.length > 0 && want.length < all.length, `"${q}" narrows (${want})`);
      await portal.page.waitForFunction(
        (w) =>
          JSON.stringify(
            [...document.querySelectorAll('#replications tbody tr[data-replication]')]
              .filter((tr) => tr.checkVisibility())
              .map((tr) => tr.dataset.replication)
              .sort(),
          ) === JSON.stringify(w),
        want,
        { timeout: 5_000 },
      ).catch((err) => {
        throw new Error(`filter "${q}": want rows ${want} (${err.message.split('\n')[0]})`);
      });
    }
    await filter.fill('');
    await portal.page.waitForFunction(
      (n) => [...document.querySelectorAll('#replications tbody tr[data-replication]')].filter((tr) => tr.checkVisibility()).length === n,
      all.length,
      { timeout: 5_000 },
    );
  });

  test('selecting a row selects and shows its marker; selecting a marker marks its row', async () => {
    const name = 'australiaeast';
    await portal.row(name).locator('button:not([data-action])').first().click();
    await portal.waitForAttr(`#replications tr[data-replication="${name}"]`, 'aria-current', 'true', 5_000);
    await portal.waitForAttr(`.region-marker[data-region="${name}"]`, 'data-selected', 'true', 5_000);
    const selected = await portal.page.locator('.region-marker[data-selected="true"]').evaluateAll((els) => els.map((e) => e.dataset.region));
    assert.deepEqual(selected, [name], 'one selected marker');
    const rows = await portal.page.locator('#replications tr[aria-current="true"]').evaluateAll((els) => els.map((e) => e.dataset.replication));
    assert.deepEqual(rows, [name], 'one selected row');
    // The map moved there: the marker is inside the map's visible area.
    await portal.page.waitForFunction(
      (r) => {
        const m = document.querySelector('.leaflet-container').getBoundingClientRect();
        const b = document.querySelector(`.region-marker[data-region="${r}"]`).getBoundingClientRect();
        return b.left >= m.left && b.right <= m.right && b.top >= m.top && b.bottom <= m.bottom;
      },
      name,
      { timeout: 5_000 },
    );

    const other = 'japanwest';
    await portal.openRegion(other);
    await portal.waitForAttr(`#replications tr[data-replication="${other}"]`, 'aria-current', 'true', 5_000);
    await portal.waitForAttr(`.region-marker[data-region="${other}"]`, 'data-selected', 'true', 5_000);
    assert.notEqual(await portal.row(name).getAttribute('aria-current'), 'true');
    await portal.ensureDialogClosed();
  });

  test('a replica syncing for too long is flagged stuck', { skip: STUCK_AFTER_SECS ? false : 'REPLIMAP_STUCK_AFTER_SECS is not set for the tests' }, async () => {
    // Succeeded without a Ready status is "syncing" to the portal; the emulator's admin API
    // writes the provisioning state verbatim, and status.displayStatus then says Provisioning.
    // The replica cannot have started syncing before t0, so no flag before t0 + threshold.
    await portal.page.evaluate((r) => {
      window.__stuckAt = null;
      const check = () => {
        if (!window.__stuckAt && document.querySelector(`.region-marker[data-region="${r}"]`)?.dataset.stuck === 'true') window.__stuckAt = Date.now();
      };
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stuck'] });
    }, STUCK);
    const t0 = Date.now();
    await oobPutReplica(REGISTRY, { name: STUCK, provisioningState: 'Syncing' });
    await portal.waitForMarker(STUCK, ['syncing'], SETTLE_MS);
    await portal.waitForAttr(`.region-marker[data-region="${STUCK}"]`, 'data-stuck', 'true', SETTLE_MS + STUCK_AFTER_SECS * 1000);
    const after = ((await portal.page.evaluate(() => window.__stuckAt)) - t0) / 1000;
    assert.ok(after >= STUCK_AFTER_SECS - 0.5, `flagged ${after.toFixed(1)} s after the replica started syncing, threshold ${STUCK_AFTER_SECS} s`);
    assert.match(await portal.marker(STUCK).getAttribute('aria-label'), /stuck/i, 'the accessible name says so');
    assert.equal(await portal.row(STUCK).getAttribute('data-phase'), 'syncing');
    const notStuck = await portal.page.locator('.region-marker[data-stuck="true"]').evaluateAll((els) => els.map((e) => e.dataset.region));
    assert.deepEqual(notStuck, [STUCK], 'only the syncing replica');

    await oobPutReplica(REGISTRY, { name: STUCK });
    await portal.waitForMarker(STUCK, ['ready'], SETTLE_MS);
    assert.notEqual(await portal.marker(STUCK).getAttribute('data-stuck'), 'true');
    await oobRemoveReplica(REGISTRY, STUCK);
    await portal.waitForMarker(STUCK, ['available'], SETTLE_MS);
  });
});

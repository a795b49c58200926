// The audit trail in the browser: a replica created through the console carries an
// Idempotency-Key and arrives live on the activity page (`/activity`), accepted and then
// succeeded in place; the page filters by outcome and region, links each entry to its region's
// card on the map, whose "Recent actions here" lists it, and exports CSV and JSON Lines. A
// double click on "Create replica" creates once, and an answer lost on the way is re-sent with
// the same key, so the portal acts once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  BASE_URL,
  DEMO_PATH,
  PortalPage,
  SEED,
  SETTLE_MS,
  api,
  audit,
  launch,
  pagePool,
  registryKey,
  removeReplica,
} from './helpers.mjs';

const REGISTRY = SEED.demo.name;
/// Regions no other journey touches: the main journey's, the double click's, the lost answer's.
const TARGET = 'swedencentral';
const TARGET_NAME = 'Sweden Central';
const DOUBLE = 'polandcentral';
const LOST = 'italynorth';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The `Idempotency-Key` of every replica write `page` sends, in order (`{method, url, key}`). */
function recordWrites(page) {
  const writes = [];
  page.on('request', (req) => {
    if (req.url().includes('/replications/') && req.method() !== 'GET') {
      writes.push({ method: req.method(), url: req.url(), key: req.headers()['idempotency-key'] });
    }
  });
  return writes;
}

/** Waits until the activity page has loaded its first page of records. */
async function activityReady(portal) {
  await portal.page.locator('#stream-status[data-state="live"]').waitFor({ timeout: SETTLE_MS });
  await portal.page.waitForFunction(() => document.querySelector('#activity-empty')?.textContent !== 'Loading…', null, {
    timeout: SETTLE_MS,
  });
}

/** Opens `path` (an activity page) and waits until it is loaded and live. */
async function openActivity(pool, browser, path, options = {}) {
  const portal = await pool.open(browser, path, { ...options, ready: false });
  await activityReady(portal);
  return portal;
}

/** The id of the newest audit record (0 for none): records of earlier runs are older. */
async function lastId() {
  return (await audit({ limit: 1 })).items[0]?.id ?? 0;
}

/** The audit records of the demo registry in `region` newer than `after` (an id), newest first. */
async function recordsIn(region, after) {
  const key = await registryKey(REGISTRY);
  const { items } = await audit({ registry: `${key.subscriptionId}/${key.resourceGroup}/${key.name}`, region });
  return items.filter((r) => r.id > after);
}

/** The portal's operations for the audit records `records`. */
async function operationsOf(records) {
  const ids = new Set(records.map((r) => r.id));
  return (await api('/api/v1/operations')).filter((o) => ids.has(o.auditId));
}

describe('activity', () => {
  let browser;
  const pool = pagePool();
  /// The create of the main journey, once made.
  let created;

  before(async () => {
    for (const region of [TARGET, DOUBLE, LOST]) await removeReplica(REGISTRY, region);
    browser = await launch();
  });

  afterEach(() => pool.closeAll());

  after(async () => {
    for (const region of [TARGET, DOUBLE, LOST]) await removeReplica(REGISTRY, region).catch(() => {});
    await browser?.close();
  });

  test('a create through the console arrives live, accepted and then succeeded in place, with its key', async () => {
    const log = await openActivity(pool, browser, `/activity?registry=${REGISTRY}`);
    // Every version of every row, as the page shows it (rows are replaced when a record moves on).
    await log.page.evaluate(() => {
      window.__outcomes = {};
      window.__flashed = new Set();
      const scan = () => {
        for (const tr of document.querySelectorAll('#activity-rows tr[data-audit-id]')) {
          const seen = (window.__outcomes[tr.dataset.auditId] ??= []);
          if (seen.at(-1) !== tr.dataset.outcome) seen.push(tr.dataset.outcome);
          if (tr.dataset.flash === 'true') window.__flashed.add(tr.dataset.auditId);
        }
      };
      new MutationObserver(scan).observe(document.querySelector('#activity-rows'), { subtree: true, childList: true, attributes: true });
    });
    const map = await pool.open(browser, DEMO_PATH);
    const writes = recordWrites(map.page);
    const since = await lastId();
    await map.openRegion(TARGET);
    await map.button('Create replica').click();
    await map.waitForMarker(TARGET, ['ready'], SETTLE_MS);

    assert.equal(writes.length, 1, `one write: ${JSON.stringify(writes)}`);
    assert.equal(writes[0].method, 'PUT');
    assert.match(writes[0].key ?? '', UUID, 'a fresh random Idempotency-Key (crypto.randomUUID)');
    const records = await recordsIn(TARGET, since);
    assert.equal(records.length, 1, 'one audit record');
    created = records[0];
    assert.equal(created.action, 'create_replication');

    const row = log.page.locator(`#audit-${created.id}`);
    await log.page.locator(`#audit-${created.id}[data-outcome="succeeded"]`).waitFor({ timeout: SETTLE_MS });
    const { outcomes, flashed } = await log.page.evaluate((id) => ({ outcomes: window.__outcomes[id], flashed: window.__flashed.has(id) }), String(created.id));
    assert.ok(outcomes.includes('accepted') && outcomes.at(-1) === 'succeeded', `accepted, then succeeded: ${outcomes}`);
    assert.ok(flashed, 'the live entry is highlighted as the map highlights changes');
    assert.equal(await log.page.locator(`#activity-rows tr[data-audit-id="${created.id}"]`).count(), 1, 'updated in place, not added again');
    assert.match(await log.page.locator('#activity-status').innerText(), /^1 new entry$/);
    assert.equal(await log.page.locator('#activity-status').getAttribute('role'), 'status');
    const cells = await row.locator('td').allInnerTexts();
    assert.match(cells[0], / ago$/, `when: ${cells[0]}`);
    assert.match(cells[1], /^local\b/, `who: ${cells[1]}`);
    assert.equal(cells[2], created.clientIp, 'from where');
    assert.equal(cells[3], 'Create replica');
    assert.equal(cells[4], REGISTRY);
    assert.equal(cells[5], TARGET_NAME);
    assert.match(cells[6], /^Succeeded/);
    assert.notEqual(cells[7], '—', `how long it took: ${cells[7]}`);
    // The ids are behind a disclosure.
    await row.locator('details summary').click();
    const details = await row.locator('details dl').innerText();
    for (const id of [created.requestId, created.correlationId]) assert.ok(details.includes(id), `${id} in ${details}`);
    const headers = await log.page.locator('#activity-log thead th').allTextContents();
    assert.deepEqual(headers, ['When', 'Who', 'From', 'Action', 'Registry', 'Region', 'Outcome', 'Duration']);
    await log.screenshot('activity');
  });

  test('the filters narrow the list by outcome and region, in the query string', async (t) => {
    if (!created) return t.skip('needs the create of the first test');
    const log = await openActivity(pool, browser, `/activity?registry=${REGISTRY}`);
    const form = log.page.locator('form#activity-filters');
    await form.getByLabel('Region').selectOption(TARGET);
    await form.getByLabel('Outcome').selectOption('succeeded');
    await Promise.all([log.page.waitForURL(/outcome=succeeded/), form.getByRole('button', { name: 'Apply filters' }).click()]);
    await activityReady(log);
    const url = new URL(log.page.url());
    assert.equal(url.pathname, '/activity');
    assert.deepEqual(Object.fromEntries(url.searchParams), { registry: REGISTRY, region: TARGET, outcome: 'succeeded' });
    assert.equal(await form.getByLabel('Region').inputValue(), TARGET, 'the form shows the filters');
    // Earlier runs against the same portal may have left records here too.
    const rows = await log.page.locator('#activity-rows tr').evaluateAll((trs) =>
      trs.map((tr) => ({ id: tr.dataset.auditId, outcome: tr.dataset.outcome, region: tr.querySelector('a.region-link')?.getAttribute('href') })),
    );
    assert.ok(rows.some((r) => r.id === String(created.id)), `the create is listed: ${JSON.stringify(rows)}`);
    for (const r of rows) {
      assert.equal(r.outcome, 'succeeded', JSON.stringify(r));
      assert.ok(r.region.endsWith(`&region=${TARGET}`), JSON.stringify(r));
    }

    await form.getByLabel('Outcome').selectOption('failed');
    await Promise.all([log.page.waitForURL(/outcome=failed/), form.getByRole('button', { name: 'Apply filters' }).click()]);
    await activityReady(log);
    assert.equal(await log.page.locator('#activity-rows tr').count(), 0);
    assert.match(await log.page.locator('#activity-empty').innerText(), /No recorded action matches/);
  });

  test("an entry's region opens the map with that region's card, listing it under Recent actions here", async (t) => {
    if (!created) return t.skip('needs the create of the first test');
    const log = await openActivity(pool, browser, `/activity?registry=${REGISTRY}&region=${TARGET}`);
    const link = log.page.locator(`#audit-${created.id} a.region-link`);
    assert.equal(await link.getAttribute('href'), `/?registry=${REGISTRY}&region=${TARGET}`);
    await Promise.all([log.page.waitForURL(/\/\?registry=/), link.click()]);
    await log.ready();
    const card = log.page.locator('#region-card');
    await card.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await card.locator('[data-field="display-name"]').innerText()).trim(), TARGET_NAME);
    assert.equal(await log.page.evaluate(() => document.activeElement?.dataset?.region), TARGET, 'the marker has focus');
    const recent = card.locator('[data-field="recent"]');
    await recent.locator('li[data-outcome="succeeded"]').first().waitFor({ timeout: 10_000 });
    assert.match(await recent.locator('h4').innerText(), /Recent actions here/);
    assert.match(await recent.locator('li').first().innerText(), /^Succeeded Create replica · local · .* ago$/);
    const all = recent.locator('a.all-activity');
    assert.equal(await all.innerText(), `All activity in ${TARGET_NAME}`);
    assert.equal(await all.getAttribute('href'), `/activity?registry=${REGISTRY}&region=${TARGET}`);
    await log.screenshot('card-recent', card);
    // The console links to the activity page and back.
    assert.equal(await log.page.locator('a#activity-link').getAttribute('href'), `/activity?registry=${REGISTRY}`);
  });

  test('the card opened by the pointer stays under it, so its link can be followed', async (t) => {
    if (!created) return t.skip('needs the create of the first test');
    const map = await pool.open(browser, DEMO_PATH);
    await map.marker(TARGET).hover();
    const card = map.page.locator('#region-card');
    await card.locator('[data-field="recent"] li[data-outcome="succeeded"]').first().waitFor({ timeout: 10_000 });
    const all = card.locator('a.all-activity');
    await Promise.all([map.page.waitForURL(/\/activity\?/), all.click()]);
    assert.equal(new URL(map.page.url()).search, `?registry=${REGISTRY}&region=${TARGET}`);
    await activityReady(map);
    await map.page.locator('a#map-link').waitFor();
    assert.equal(await map.page.locator('a#map-link').getAttribute('href'), `/?registry=${REGISTRY}`);
  });

  test('the export links download every matching record as CSV and JSON Lines', async (t) => {
    if (!created) return t.skip('needs the create of the first test');
    const log = await openActivity(pool, browser, `/activity?registry=${REGISTRY}&region=${TARGET}`);
    const jsonl = await log.page.locator('a#export-jsonl').getAttribute('href');
    assert.match(jsonl, /^\/api\/v1\/audit\/export\?format=jsonl&registry=[^&]+%2FmyACR0007&region=swedencentral$/);
    const [download] = await Promise.all([log.page.waitForEvent('download'), log.page.locator('a#export-csv').click()]);
    assert.equal(await download.failure(), null, 'the download completes');
    assert.match(download.suggestedFilename(), /\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.ok(csv.includes(created.correlationId) && csv.includes(TARGET), `the record in the CSV:\n${csv}`);
    const lines = (await (await log.page.request.get(new URL(jsonl, BASE_URL).href)).text()).trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), [created.id], 'JSON Lines: the one matching record');
  });

  test('a double click on "Create replica" sends one create: one audit record, one operation', async () => {
    const map = await pool.open(browser, DEMO_PATH);
    const writes = recordWrites(map.page);
    const since = await lastId();
    await map.openRegion(DOUBLE);
    // Both clicks reach the button before the page reacts to the first (a fast double click on
    // a busy page).
    await map.button('Create replica').evaluate((b) => {
      b.click();
      b.click();
    });
    await map.waitForMarker(DOUBLE, ['ready'], SETTLE_MS);
    assert.equal(writes.length, 1, `one PUT: ${JSON.stringify(writes)}`);
    const records = await recordsIn(DOUBLE, since);
    assert.equal(records.length, 1, 'one audit record');
    assert.equal((await operationsOf(records)).length, 1, 'one operation');
  });

  test('a create whose answer is lost is sent again with the same key, and the portal acts once', async () => {
    // The first PUT reaches the portal, which creates the replica, but its answer never reaches
    // the page (a dropped connection).
    const map = await pool.open(browser, DEMO_PATH, {
      ignore: [/requestfailed: .*\/replications\//, /console: Failed to load resource: net::ERR_FAILED/],
    });
    const writes = recordWrites(map.page);
    let first = true;
    const replayed = [];
    await map.page.route(`**/replications/${LOST}`, async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      const response = await route.fetch();
      if (first) {
        first = false;
        return route.abort('failed');
      }
      replayed.push(response.headers()['idempotent-replayed']);
      return route.fulfill({ response });
    });
    const since = await lastId();
    await map.openRegion(LOST);
    await map.button('Create replica').click();
    await map.waitForMarker(LOST, ['ready'], SETTLE_MS);
    await map.page.waitForFunction(() => !document.querySelector('.region-marker[aria-busy="true"]'), null, { timeout: SETTLE_MS });
    assert.equal(writes.length, 2, `sent twice: ${JSON.stringify(writes)}`);
    assert.match(writes[0].key ?? '', UUID);
    assert.equal(writes[1].key, writes[0].key, 'the retry carries the same Idempotency-Key');
    assert.deepEqual(replayed, ['true'], 'the portal answered the retry with the first answer');
    const records = await recordsIn(LOST, since);
    assert.equal(records.length, 1, 'one audit record');
    assert.equal((await operationsOf(records)).length, 1, 'one operation');
    assert.equal(await map.alert.innerText(), '', 'no error shown: the retry got the answer');
  });
});

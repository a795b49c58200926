// The fleet page (/fleet): one row per registry, sorted from the column heads (links; aria-sort
// says how), filtered by a GET form, and each row opening that registry's map. Server HTML
// only: every step is a page load, so it works the same without the WASM.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { BASE_URL, LOAD_MS, PortalPage, SEED, launch } from './helpers.mjs';

const compare = (a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' });

describe('fleet', () => {
  let browser;
  let portal;

  before(async () => {
    browser = await launch();
    portal = await PortalPage.open(browser, '/fleet', { ready: false });
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    await portal?.close();
    await browser?.close();
  });

  /** The registries of the rows shown, in order. */
  const names = () => portal.page.locator('#fleet-rows tr[data-registry]').evaluateAll((rows) => rows.map((r) => r.dataset.registry));
  /** The `aria-sort` of each column head, by its `data-sort`. */
  const sorts = () =>
    portal.page.locator('#fleet thead th[data-sort]').evaluateAll((ths) => Object.fromEntries(ths.map((th) => [th.dataset.sort, th.getAttribute('aria-sort')])));
  /** The numbers of a column (`.count` or the cell's text). */
  const numbers = (cls) =>
    portal.page
      .locator(`#fleet-rows tr[data-registry] td.${cls}`)
      .evaluateAll((tds) => tds.map((td) => Number((td.querySelector('.count') || td).textContent.trim())));

  test('every registry, by name, with the totals and the price basis', async () => {
    const shown = await names();
    for (const r of Object.values(SEED)) assert.ok(shown.includes(r.name), `${r.name} listed: ${shown}`);
    assert.deepEqual(shown, [...shown].sort(compare), 'by name by default');
    assert.equal((await sorts()).name, 'ascending');
    const totals = await portal.page.locator('#fleet-totals').innerText();
    assert.match(totals, new RegExp(`Total: ${shown.length} registries`));
    const basis = await portal.page.locator('#price-basis').innerText();
    assert.match(basis, /Prices of \d{4}-\d{2}-\d{2}, [A-Z]{3}, .+ — estimates, not a quote/);
    assert.equal(
      await portal.page.locator('a#pricing-link').getAttribute('href'),
      'https://azure.microsoft.com/pricing/details/container-registry/',
    );
    const demo = portal.page.locator(`#fleet-rows tr[data-registry="${SEED.demo.name}"]`);
    assert.match(await demo.locator('td.sku').innerText(), /Premium/);
    assert.match(await demo.locator('td.group').innerText(), new RegExp(SEED.demo.resourceGroup));
  });

  test('a column head sorts by it, and again the other way', async () => {
    await portal.page.locator('#fleet thead th[data-sort="name"] a').click();
    await portal.page.waitForURL(/sort=name&dir=desc/);
    const desc = await names();
    assert.deepEqual(desc, [...desc].sort(compare).reverse());
    assert.equal((await sorts()).name, 'descending');

    await portal.page.locator('#fleet thead th[data-sort="replicas"] a').click();
    await portal.page.waitForURL(/sort=replicas&dir=desc/);
    const counts = await numbers('replicas');
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a), `replicas high first: ${counts}`);
    assert.equal((await sorts()).replicas, 'descending');
    assert.equal((await sorts()).name, 'none');
    await portal.page.locator('#fleet thead th[data-sort="replicas"] a').click();
    await portal.page.waitForURL(/sort=replicas&dir=asc/);
    const up = await numbers('replicas');
    assert.deepEqual(up, [...up].sort((a, b) => a - b), `then low first: ${up}`);
  });

  test('the filter narrows the rows by name or group and keeps the sort', async () => {
    await portal.page.locator('#fleet-filters input[name=q]').fill('platform');
    await portal.page.locator('#fleet-filters button[type=submit]').click();
    await portal.page.waitForURL(/q=platform/);
    assert.match(portal.page.url(), /sort=replicas/, 'the sort survives the filter');
    const shown = await names();
    assert.deepEqual([...shown].sort(compare), [SEED.dev.name, SEED.prod.name], 'the two registries in platform-* groups');
    await portal.page.locator('#fleet-filters input[name=q]').fill('no-such-registry');
    await portal.page.locator('#fleet-filters button[type=submit]').click();
    await portal.page.locator('#fleet-empty').waitFor({ timeout: LOAD_MS });
    assert.deepEqual(await names(), []);
    assert.match(await portal.page.locator('#fleet-empty').innerText(), /No registry matches these filters/);
    await portal.page.goto(`${BASE_URL}/fleet?show=gaps`);
    for (const gaps of await portal.page.locator('#fleet-rows tr[data-registry]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.gaps)))) {
      assert.ok(gaps > 0, 'only registries with gaps');
    }
    assert.equal(await portal.page.locator('#fleet-filters select[name=show]').inputValue(), 'gaps');
  });

  test("a row opens that registry's map", async () => {
    await portal.page.goto(`${BASE_URL}/fleet`);
    await portal.page.locator(`#fleet-rows tr[data-registry="${SEED.prod.name}"] a.registry-link`).click();
    await portal.page.waitForURL(new RegExp(`/\\?registry=${SEED.prod.name}$`));
    await portal.ready();
    assert.equal(await portal.registryName(), SEED.prod.name);
  });
});

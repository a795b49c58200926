// The server renders the page with its data: with JavaScript disabled the header names the
// registry and the table already holds the replicas.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, PortalPage, SEED, launch } from './helpers.mjs';

describe('server-side rendering (JavaScript disabled)', () => {
  let browser;
  let context;

  before(async () => {
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 720 }, javaScriptEnabled: false });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
  });

  /** Registry shown and the table's rows (name → cell texts) of a page loaded without JS. */
  async function load(path) {
    const page = await context.newPage();
    // Records failed requests (a missing stylesheet, say); no script runs to log anything else.
    // With JavaScript off Chromium blocks script preloads itself (error text "csp").
    const recorder = new PortalPage(context, page, { ignore: [/^requestfailed: \S+\.js csp$/] });
    try {
      await page.goto(`${BASE_URL}${path}`);
      // Playwright's own evaluate still works; the page's scripts (Leaflet, the WASM) must not have run.
      assert.equal(await page.evaluate(() => typeof window.L), 'undefined', 'page scripts did not run');
      assert.equal(await page.locator('.region-marker').count(), 0, 'no markers without JavaScript');
      const registry = await page.locator('#registry').getAttribute('data-registry');
      const rows = await page.locator('#replications tbody tr[data-replication]').evaluateAll((trs) =>
        Object.fromEntries(trs.map((tr) => [tr.dataset.replication, [...tr.cells].map((c) => c.textContent.trim())])),
      );
      const phases = await page.locator('#replications tbody tr[data-replication]').evaluateAll((trs) => trs.map((tr) => tr.dataset.phase));
      recorder.assertNoErrors();
      return { registry, rows, phases };
    } finally {
      await page.close();
    }
  }

  test(`?registry=${SEED.demo.name}: header and the home replica's row`, async () => {
    const { registry, rows, phases } = await load(`/?registry=${SEED.demo.name}`);
    assert.equal(registry, SEED.demo.name);
    assert.ok(rows.eastus, `row eastus in ${JSON.stringify(Object.keys(rows))}`);
    assert.ok(rows.eastus[0].startsWith('eastus'), `name cell: ${rows.eastus}`);
    assert.ok(rows.eastus.includes('Succeeded'), `provisioning state: ${rows.eastus}`);
    assert.ok(phases.every((p) => p), 'every row has its phase');
  });

  test(`?registry=${SEED.prod.name}: both replicas`, async () => {
    const { registry, rows } = await load(`/?registry=${SEED.prod.name}`);
    assert.equal(registry, SEED.prod.name);
    assert.deepEqual(Object.keys(rows).sort(), ['northeurope', 'westeurope']);
  });

  test('/: the first replicable registry by name', async () => {
    const { registry, rows } = await load('/');
    assert.equal(registry, SEED.prod.name);
    assert.ok(rows.westeurope);
  });
});

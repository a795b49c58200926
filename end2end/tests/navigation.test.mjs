// The registry is part of the URL: `/?registry=<name>` restores it (header, picker, markers),
// the picker changes the URL (pushState, no reload) and Back returns; `/` alone shows the
// first replicable registry by name; an unknown name says so; a non-Premium registry shows
// every region unavailable because of its SKU.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { BASE_URL, SEED, launch, pagePool } from './helpers.mjs';

const { demo, prod, dev } = SEED;

describe('registry in the URL', () => {
  let browser;
  const pool = pagePool();

  before(async () => {
    browser = await launch();
  });

  afterEach(() => pool.closeAll());

  after(async () => {
    await browser?.close();
  });

  async function open(path, ready = true) {
    return pool.open(browser, path, { ready });
  }

  /** Header, picker and home marker show `reg`. */
  async function assertShows(portal, reg) {
    await portal.waitForAttr('#registry', 'data-registry', reg.name, 10_000);
    assert.equal(await portal.page.locator('select#registry-picker').inputValue(), reg.name, 'picker value');
    await portal.waitForMarker(reg.home, ['home'], 10_000);
    const homes = await portal.page.locator('.region-marker[data-state="home"]').evaluateAll((els) => els.map((e) => e.dataset.region));
    assert.deepEqual(homes, [reg.home], 'one home marker');
    await portal.row(reg.home).waitFor({ timeout: 10_000 });
  }

  test('/ shows the first replicable registry by name', async () => {
    const portal = await open('/');
    await assertShows(portal, prod);
  });

  test(`?registry=${prod.name} restores it, its replicas and the picker`, async () => {
    const portal = await open(`/?registry=${prod.name}`);
    await assertShows(portal, prod);
    await portal.waitForMarker('northeurope', ['ready']);
    assert.equal(await portal.markerState('eastus'), 'available', `${prod.name} has no replica in eastus`);
    assert.deepEqual((await portal.rowNames()).sort(), ['northeurope', 'westeurope']);
  });

  test('the name is matched case-insensitively', async () => {
    const portal = await open(`/?registry=${prod.name.toUpperCase()}`);
    await assertShows(portal, prod);
  });

  test('the picker groups registries by subscription and resource group and explains the disabled ones', async () => {
    const portal = await open(`/?registry=${demo.name}`);
    const groups = await portal.page.locator('select#registry-picker optgroup').evaluateAll((gs) =>
      gs.map((g) => ({
        label: g.label,
        options: [...g.querySelectorAll('option')].map((o) => ({ value: o.value, disabled: o.disabled, text: o.textContent.trim() })),
      })),
    );
    const group = (reg) => groups.find((g) => g.label === `${reg.subscriptionId} / ${reg.resourceGroup}`);
    for (const reg of [demo, prod, dev]) {
      const g = group(reg);
      assert.ok(g, `optgroup "${reg.subscriptionId} / ${reg.resourceGroup}" in ${JSON.stringify(groups.map((x) => x.label))}`);
      const option = g.options.find((o) => o.value === reg.name);
      assert.ok(option, `${reg.name} in its group`);
      assert.equal(option.disabled, reg === dev, `${reg.name} disabled: ${reg === dev}`);
    }
    const standard = group(dev).options.find((o) => o.value === dev.name);
    assert.ok(standard.text.includes(dev.name), standard.text);
    assert.match(standard.text, /Standard/);
    assert.match(standard.text, /Premium/);
  });

  test('changing the picker updates the URL without a reload, and Back returns', async () => {
    const portal = await open(`/?registry=${prod.name}`);
    const page = portal.page;
    await page.evaluate(() => {
      window.__samePage = true;
    });
    const historyLength = await page.evaluate(() => history.length);

    await page.locator('select#registry-picker').selectOption(demo.name);
    await page.waitForURL((url) => url.searchParams.get('registry') === demo.name, { timeout: 10_000 });
    await assertShows(portal, demo);
    assert.equal(await portal.markerState('westeurope'), 'available');
    assert.equal(await page.evaluate(() => history.length), historyLength + 1, 'pushState, not replaceState');
    assert.equal(await page.evaluate(() => window.__samePage), true, 'no reload');

    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('registry') === prod.name, { timeout: 10_000 });
    await assertShows(portal, prod);
    await portal.waitForMarker('northeurope', ['ready']);
    assert.equal(await page.evaluate(() => window.__samePage), true, 'Back did not reload');

    await page.goForward();
    await page.waitForURL((url) => url.searchParams.get('registry') === demo.name, { timeout: 10_000 });
    await assertShows(portal, demo);
  });

  test('an unknown registry is named in a message', async () => {
    const portal = await open('/?registry=nosuchregistry', false);
    const missing = portal.page.locator('#registry-missing');
    await missing.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await missing.innerText(), /nosuchregistry/);
  });

  test(`a Standard registry (${dev.name}) shows every region unavailable because of its SKU`, async () => {
    const portal = await open(`/?registry=${dev.name}`, 'any');
    await portal.waitForAttr('#registry', 'data-registry', dev.name, 10_000);
    // Wait for the map to reflect the registry, then look at every marker.
    await portal.page.waitForFunction(() => document.querySelector('.region-marker[data-state="unavailable"][data-reason="sku"]'), undefined, {
      timeout: 30_000,
    });
    const markers = await portal.markers().evaluateAll((els) => els.map((e) => ({ r: e.dataset.region, s: e.dataset.state, why: e.dataset.reason })));
    const offered = markers.filter((m) => m.r !== dev.home && m.why !== 'region');
    assert.ok(offered.length > 40, `${offered.length} markers`);
    for (const m of offered) assert.deepEqual([m.s, m.why], ['unavailable', 'sku'], m.r);
  });
});

test('the page is served for any ?registry value', async () => {
  const res = await fetch(`${BASE_URL}/?registry=${encodeURIComponent('<nosuch>')}`);
  assert.ok([200, 404].includes(res.status), `status ${res.status}`);
  assert.ok(!(await res.text()).includes('<nosuch>'), 'the name is escaped');
});

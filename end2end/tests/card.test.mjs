// Hovering or focusing a marker shows the region card (`#region-card[role=tooltip]`) with the
// region's facts and its replica's state; leaving hides it.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { DEMO_PATH, PortalPage, SEED, launch, api } from './helpers.mjs';

const FIELDS = [
  'display-name', 'geography', 'physical-location', 'paired-region', 'zones', 'status', 'timestamp', 'zone-redundancy', 'routing', 'last-event',
];

describe('region card', () => {
  let browser;
  let portal;
  let regions;

  before(async () => {
    regions = new Map((await api('/api/v1/locations')).map((r) => [r.name, r]));
    browser = await launch();
    portal = await PortalPage.open(browser, DEMO_PATH);
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    await portal?.close();
    await browser?.close();
  });

  const card = () => portal.page.locator('#region-card');

  /** `{field: text}` of the card. */
  const fields = () =>
    card().evaluate((el, names) => Object.fromEntries(names.map((n) => [n, el.querySelector(`[data-field="${n}"]`)?.innerText.trim() ?? null])), FIELDS);

  test('is hidden until a marker is hovered or focused', async () => {
    assert.equal(await card().getAttribute('role'), 'tooltip');
    assert.notEqual(await card().getAttribute('hidden'), null, 'hidden attribute set');
    assert.equal(await card().isVisible(), false);
  });

  test('hovering the home marker shows every field of the home region', async () => {
    const home = SEED.demo.home;
    const region = regions.get(home);
    await portal.marker(home).hover();
    await card().waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await card().getAttribute('hidden'), null);
    const f = await fields();
    for (const name of FIELDS) assert.ok(f[name], `field ${name} filled: ${JSON.stringify(f)}`);
    assert.equal(f['display-name'], region.displayName);
    assert.ok(f.geography.includes(region.geography), `geography ${f.geography}`);
    assert.ok(f['physical-location'].includes(region.physicalLocation), `physical location ${f['physical-location']}`);
    const pair = regions.get(region.pairedRegion);
    assert.ok(f['paired-region'].includes(pair.displayName) || f['paired-region'].includes(pair.name), `paired ${f['paired-region']}`);
    assert.match(f.zones, new RegExp(String(region.availabilityZones.length)));
    assert.match(f.status, /ready|home/i);
    assert.match(f['zone-redundancy'], /disabled/i);
    assert.match(f.routing, /enabled|on\b/i);
    await portal.screenshot('card');

    // Moving away hides it.
    await portal.page.mouse.move(2, 715);
    await card().waitFor({ state: 'hidden', timeout: 5_000 });
  });

  test('focusing a marker shows its card, blurring hides it', async () => {
    const name = 'japaneast';
    await portal.marker(name).focus();
    await card().waitFor({ state: 'visible', timeout: 5_000 });
    await portal.page.waitForFunction(
      (n) => document.querySelector('#region-card [data-field="display-name"]')?.innerText.trim() === n,
      regions.get(name).displayName,
      { timeout: 5_000 },
    );
    const f = await fields();
    assert.match(f.zones, /3/);
    assert.ok(f.status, 'status says something about a region without a replica');
    assert.ok(!/ready/i.test(f.status), `no replica, not ready: ${f.status}`);
    await portal.page.evaluate(() => document.activeElement.blur());
    await card().waitFor({ state: 'hidden', timeout: 5_000 });
  });
});

// Wall-screen mode (`/?kiosk`): read-only, large counts per state that match the replicas, the
// map fitted to the replicas, no horizontal scroll at 4K and at 1280×720; `&cycle=N` rotates
// through the replicable registries (or the ones listed in `&registries=`).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { SEED, expectedMarkerState, launch, pagePool, replications } from './helpers.mjs';

/// `/` without `registry` shows the first replicable registry by name (contosodev is Standard).
const FIRST = SEED.prod.name;

/** Replica counts by marker state, from the portal API. */
async function expectedCounts(registry) {
  const counts = {};
  for (const rep of await replications(registry)) {
    const s = expectedMarkerState(rep);
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}

/** `{state: number}` shown in `#kiosk-counts`. */
function shownCounts(page) {
  return page.locator('#kiosk-counts li[data-state]').evaluateAll((lis) =>
    Object.fromEntries(lis.map((li) => [li.dataset.state, li.querySelector('.count')?.innerText.trim()])),
  );
}

/** Records in the page whether the region dialog (or any dialog) ever opens. */
function watchDialogs(page) {
  return page.evaluate(() => {
    window.__dialogOpened = false;
    const check = () => {
      if (document.querySelector('#region-dialog[open], dialog[open]')) window.__dialogOpened = true;
    };
    new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['open'] });
    check();
  });
}

/// `&cycle=2` asks for 2 s; allow for a minimum rotation time the UI may impose (a few s).
const CYCLE_MS = 15_000;

const twoFrames = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

describe('kiosk mode', () => {
  let browser;
  const pool = pagePool();

  before(async () => {
    browser = await launch();
  });

  afterEach(() => pool.closeAll());

  after(async () => {
    await browser?.close();
  });

  async function open(path, viewport) {
    return pool.open(browser, path, { viewport, ready: 'kiosk' });
  }

  test('shows counts per state that match the replicas, read-only', async () => {
    const kiosk = await open('/?kiosk');
    const page = kiosk.page;
    assert.equal(await page.locator('main#kiosk').getAttribute('data-registry'), FIRST);
    const want = await expectedCounts(FIRST);
    await page.waitForFunction(
      (w) => {
        const lis = [...document.querySelectorAll('#kiosk-counts li[data-state]')];
        const shown = Object.fromEntries(lis.map((li) => [li.dataset.state, Number(li.querySelector('.count')?.innerText.trim())]));
        return Object.entries(w).every(([s, n]) => shown[s] === n);
      },
      want,
      { timeout: 30_000 },
    );
    const shown = await shownCounts(page);
    for (const [state, text] of Object.entries(shown)) {
      assert.match(text ?? '', /^\d+$/, `${state}: a plain number`);
      assert.equal(Number(text), want[state] ?? 0, `${state}: ${text}, want ${want[state] ?? 0}`);
    }
    // The counts agree with the map.
    const states = await kiosk.markerStates();
    for (const [state, n] of Object.entries(want)) {
      assert.equal(Object.values(states).filter((s) => s === state).length, n, `${n} ${state} marker(s)`);
    }

    // Read-only.
    for (const sel of ['#add-replica', '#registry-picker', '#replications button[data-action]', '#region-dialog form']) {
      assert.equal(await page.locator(sel).count(), 0, `${sel} absent`);
    }
    await watchDialogs(page);
    const home = kiosk.marker(SEED.prod.home);
    await home.click({ force: true });
    await twoFrames(page);
    await home.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press(' ');
    await twoFrames(page);
    const other = kiosk.marker('northeurope');
    await other.click({ force: true });
    await twoFrames(page);
    assert.equal(await page.evaluate(() => window.__dialogOpened), false, 'no dialog opened');
    assert.equal(await page.locator('#region-dialog[open]').count(), 0);
  });

  test('fits the map to the replicas', async () => {
    const kiosk = await open('/?kiosk', { width: 1280, height: 720 });
    // Replicas in West Europe and North Europe: fitted, they are far apart on screen (at
    // world zoom they would be a few pixels apart) and both inside the map.
    const map = await kiosk.page.locator('.leaflet-container').first().boundingBox();
    const boxes = [];
    for (const region of ['westeurope', 'northeurope']) {
      await kiosk.page.waitForFunction(
        ([r, m]) => {
          const b = document.querySelector(`.region-marker[data-region="${r}"]`)?.getBoundingClientRect();
          return b && b.left >= m.x && b.right <= m.x + m.width && b.top >= m.y && b.bottom <= m.y + m.height;
        },
        [region, map],
        { timeout: 10_000 },
      );
      boxes.push(await kiosk.marker(region).boundingBox());
    }
    const [a, b] = boxes;
    const distance = Math.hypot(a.x - b.x, a.y - b.y);
    assert.ok(distance > 100, `markers ${distance.toFixed(0)} px apart: the map is fitted to the replicas`);
  });

  for (const [width, height, minFont] of [[3840, 2160, 32], [1280, 720, 0]]) {
    test(`renders at ${width}×${height} without horizontal scroll (screenshot)`, async () => {
      const kiosk = await open('/?kiosk', { width, height });
      const page = kiosk.page;
      await page.locator('.leaflet-container').first().waitFor({ state: 'visible' });
      const scroll = await page.evaluate(() => ({ sw: document.scrollingElement.scrollWidth, iw: innerWidth }));
      assert.ok(scroll.sw <= scroll.iw, `no horizontal scroll: scrollWidth ${scroll.sw} > innerWidth ${scroll.iw}`);
      const counts = page.locator('#kiosk-counts');
      assert.ok(await counts.isVisible());
      const box = await counts.boundingBox();
      assert.ok(box.y + box.height <= height && box.x + box.width <= width, 'counts within the screen');
      if (minFont) {
        const font = await page.locator('#kiosk-counts .count').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
        assert.ok(font >= minFont, `counts are large on a wall screen: ${font}px`);
      }
      await kiosk.screenshot(`kiosk-${width}x${height}`);
    });
  }

  test('cycles through the replicable registries', async () => {
    const kiosk = await open('/?kiosk&cycle=2');
    const page = kiosk.page;
    await page.evaluate(() => {
      const el = document.querySelector('main#kiosk');
      window.__registries = [el.dataset.registry];
      new MutationObserver(() => {
        const r = document.querySelector('main#kiosk')?.dataset.registry;
        if (r && r !== window.__registries.at(-1)) window.__registries.push(r);
      }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-registry'] });
    });
    // Two changes: first → second → first again (only two registries are replicable).
    await page.waitForFunction(() => window.__registries.length >= 3, undefined, { timeout: 2 * CYCLE_MS });
    const seen = await page.evaluate(() => window.__registries);
    assert.deepEqual(seen.slice(0, 3), [FIRST, SEED.demo.name, FIRST], `rotation: ${seen.join(' → ')}`);
    assert.ok(!seen.includes(SEED.dev.name), 'the Standard registry is not shown');
    // The counts follow the registry.
    const want = await expectedCounts(SEED.demo.name);
    await page
      .waitForFunction(
        ([r, w, home]) => {
          if (document.querySelector('main#kiosk')?.dataset.registry !== r) return false;
          const lis = [...document.querySelectorAll('#kiosk-counts li[data-state]')];
          const shown = Object.fromEntries(lis.map((li) => [li.dataset.state, Number(li.querySelector('.count')?.innerText.trim())]));
          const homes = [...document.querySelectorAll('.region-marker[data-state="home"]')].map((m) => m.dataset.region);
          return Object.entries(w).every(([s, n]) => shown[s] === n) && homes.length === 1 && homes[0] === home;
        },
        [SEED.demo.name, want, SEED.demo.home],
        { timeout: CYCLE_MS, polling: 50 },
      )
      .catch(async (err) => {
        throw new Error(`counts and map of ${SEED.demo.name} (want ${JSON.stringify(want)}, shown ${JSON.stringify(await shownCounts(page))}): ${err.message.split('\n')[0]}`);
      });
  });

  test('cycles through the registries listed in &registries=', async () => {
    const list = [SEED.demo.name, SEED.prod.name];
    const kiosk = await open(`/?kiosk&cycle=2&registries=${list.join(',')}`);
    const page = kiosk.page;
    const first = await page.locator('main#kiosk').getAttribute('data-registry');
    assert.ok(list.includes(first), `starts on a listed registry: ${first}`);
    const other = list.find((r) => r !== first);
    await page.waitForFunction((r) => document.querySelector('main#kiosk')?.dataset.registry === r, other, { timeout: CYCLE_MS });

    // A single listed registry is the one shown, from the start.
    const single = await open(`/?kiosk&cycle=2&registries=${SEED.demo.name}`);
    assert.equal(await single.page.locator('main#kiosk').getAttribute('data-registry'), SEED.demo.name);
  });
});

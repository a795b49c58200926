// At 1280×720 the map and the replica table are both on the first screen with no horizontal
// scroll; screenshots of the overview for review.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEMO_PATH, PortalPage, SEED, launch } from './helpers.mjs';

describe('layout at 1280×720', () => {
  let browser;

  before(async () => {
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
  });

  for (const [name, path] of [['overview', DEMO_PATH], [`overview-${SEED.prod.name}`, `/?registry=${SEED.prod.name}`]]) {
    test(`${path}: map and table visible, no horizontal scroll (screenshot ${name})`, async () => {
      const portal = await PortalPage.open(browser, path);
      try {
        const page = portal.page;
        const layout = await page.evaluate(() => {
          const rect = (el) => el && el.getBoundingClientRect().toJSON();
          return {
            scrollWidth: document.scrollingElement.scrollWidth,
            innerWidth,
            innerHeight,
            map: rect(document.querySelector('.leaflet-container')),
            table: rect(document.querySelector('#replications')),
            header: rect(document.querySelector('#replications thead')),
            firstRow: rect(document.querySelector('#replications tbody tr[data-replication]')),
          };
        });
        assert.ok(layout.scrollWidth <= layout.innerWidth, `no horizontal scroll: scrollWidth ${layout.scrollWidth} > innerWidth ${layout.innerWidth}`);
        const onScreen = (r) => r && r.width > 0 && r.height > 0 && r.top < layout.innerHeight && r.bottom > 0 && r.left < layout.innerWidth && r.right > 0;
        assert.ok(onScreen(layout.map), `map on the first screen: ${JSON.stringify(layout.map)}`);
        assert.ok(layout.map.height >= 200 && layout.map.width >= 400, `map is usable: ${JSON.stringify(layout.map)}`);
        assert.ok(onScreen(layout.table), `table on the first screen: ${JSON.stringify(layout.table)}`);
        assert.ok(layout.firstRow && layout.firstRow.bottom <= layout.innerHeight, `first row fully on the first screen: ${JSON.stringify(layout.firstRow)}`);
        assert.ok(layout.table.right <= layout.innerWidth + 0.5, `table fits the width: ${JSON.stringify(layout.table)}`);
        await portal.screenshot(name);
        portal.assertNoErrors();
      } finally {
        await portal.close();
      }
    });
  }
});

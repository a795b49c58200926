// A stream that goes quiet without an error (a proxy holding a dead connection, a frozen
// server) must not pass for live: after three missed heartbeats the page says its data is
// stale and reconnects, and recovers on its own once the server answers again. The journey
// freezes a portal of its own with SIGSTOP, which is exactly such a silent stream.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { PORTAL_BINARY, PortalPage, launch, spawnPortal } from './helpers.mjs';

describe('stale stream', { skip: existsSync(PORTAL_BINARY) ? false : `${PORTAL_BINARY} not built` }, () => {
  let portal;
  let browser;

  before(async () => {
    portal = await spawnPortal(3320, { REPLIMAP_HEARTBEAT_SECS: '1' });
    browser = await launch();
  });

  after(async () => {
    portal?.process.kill('SIGCONT');
    portal?.process.kill();
    await browser?.close();
  });

  for (const [path, frame] of [['/', '#console'], ['/?kiosk', 'main#kiosk']]) {
    test(`${path}: a frozen server makes the page say stale, and it recovers by itself`, async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await context.newPage();
      const p = new PortalPage(context, page);
      await page.goto(`${portal.url}${path}`);
      await page.locator('#stream-status[data-state="live"]').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#stream-banner').count(), 0, 'no banner while live');

      portal.process.kill('SIGSTOP');
      try {
        // Heartbeat 1 s: stale after 3 s without one.
        await page.locator('#stream-banner[data-state="stale"]').waitFor({ timeout: 10_000 });
        await page.locator('#stream-status[data-state="stale"]').waitFor({ timeout: 1_000 });
        assert.match(await page.locator('#stream-banner').innerText(), /out of date/);
        if (frame === 'main#kiosk') {
          assert.equal(await page.locator('main#kiosk').getAttribute('data-stale'), 'true');
        }
      } finally {
        portal.process.kill('SIGCONT');
      }
      await page.locator('#stream-status[data-state="live"]').waitFor({ timeout: 15_000 });
      await page.locator('#stream-banner').waitFor({ state: 'detached', timeout: 5_000 });
      p.assertNoErrors();
      await context.close();
    });
  }
});

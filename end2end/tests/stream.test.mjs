// When the status stream cannot connect, the page says so in a status banner that promises an
// automatic reconnect, and the banner goes away once the stream is back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEMO_PATH, PortalPage, launch } from './helpers.mjs';

/// How long the page may take to notice the stream is down, and to be back after.
const NOTICE_MS = 30_000;
const RECONNECT_MS = 60_000;

describe('status stream down', () => {
  let browser;
  let portal;

  before(async () => {
    browser = await launch();
  });

  after(async () => {
    await portal?.close();
    await browser?.close();
  });

  test('a banner says the stream is down and that it reconnects; it goes once connected', async () => {
    let aborted = 0;
    const abort = (route) => {
      aborted++;
      return route.abort();
    };
    portal = await PortalPage.open(browser, DEMO_PATH, {
      ready: false,
      // The aborted stream requests are the point of this test.
      ignore: [/\/api\/v1\/events/],
      setup: (page) => page.route('**/api/v1/events', abort),
    });
    const page = portal.page;
    await page.locator('.region-marker').first().waitFor({ timeout: NOTICE_MS });
    const banner = page.locator('#stream-banner[role="status"]');
    await banner.waitFor({ state: 'visible', timeout: NOTICE_MS });
    assert.ok(aborted >= 1, 'the page asked for the stream');
    assert.equal(await banner.getAttribute('data-state'), 'down');
    assert.match(await banner.innerText(), /reconnect/i);
    assert.match(await banner.innerText(), /automatic/i);
    const status = await page.locator('#stream-status').getAttribute('data-state');
    assert.ok(['connecting', 'reconnecting', 'stale'].includes(status), `stream status ${status}`);
    await portal.screenshot('stream-down');

    await page.unroute('**/api/v1/events', abort);
    await page.locator('#stream-status[data-state="live"]').waitFor({ timeout: RECONNECT_MS });
    await page.locator('#stream-banner').waitFor({ state: 'detached', timeout: 5_000 });
    portal.assertNoErrors();
  });
});

// Clickjacking: a page on another origin (a loopback server of this test, on a free port) frames
// the console. The portal answers with `frame-ancestors 'none'` and `X-Frame-Options: DENY`, so
// the browser shows none of it in the frame, while the same URL opened on its own is the console.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, DEMO_PATH, PortalPage, launch, until } from './helpers.mjs';

describe('framed by another origin', () => {
  let server;
  let elsewhere;
  let browser;

  before(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>another site</title><h1>Win a prize</h1>` +
          `<iframe id="framed" src="${BASE_URL}${DEMO_PATH}" width="1000" height="700"></iframe>`,
      );
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    elsewhere = `http://127.0.0.1:${server.address().port}`;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r) ?? r());
  });

  test('the frame gets no portal content; the console itself opens as usual', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse((r) => r.url().startsWith(BASE_URL) && r.request().resourceType() === 'document');
      await page.goto(`${elsewhere}/`);
      const answer = await answered;
      assert.equal(answer.status(), 200, 'the portal answered the frame');
      assert.match(answer.headers()['content-security-policy'], /frame-ancestors 'none'/);
      assert.equal(answer.headers()['x-frame-options'], 'DENY');

      const frame = await (await page.locator('#framed').elementHandle()).contentFrame();
      // The browser replaces the refused document with its own error page.
      await until(() => frame.url() && !frame.url().startsWith(BASE_URL), { timeout: 10_000, what: 'the frame to be refused' });
      const shown = await frame
        .evaluate(() => ({ console: !!document.querySelector('#console, #map, #replications'), text: document.body?.innerText ?? '' }))
        .catch(() => ({ console: false, text: '' }));
      assert.equal(shown.console, false, `no portal content in the frame (${frame.url()})`);
      assert.doesNotMatch(shown.text, /myACR0007|replimap/i, 'nothing of the portal is readable in the frame');
      assert.equal(await page.locator('h1').innerText(), 'Win a prize', 'the framing page itself loaded');
    } finally {
      await context.close();
    }

    // The control: the same URL on its own is the live console, with no CSP violation.
    const direct = await PortalPage.open(browser, DEMO_PATH);
    try {
      direct.assertNoErrors();
    } finally {
      await direct.close();
    }
  });
});

// Sign-in and roles in the console, against the suite's portal in local mode (the local user is
// an admin): the header names who is signed in and their role; the admin creates a viewer token
// on /admin/tokens and sees its secret once; a second browser enrolls as a wall screen with it on
// /enroll (the secret goes in a form body, never into a URL; the session is an HttpOnly cookie),
// sees the viewer role, every write control disabled with the reason, and the kiosk; the portal
// refuses its writes and /admin/tokens refuses it in words; revoking the token ends its session.
//
// The tests run in order and build on each other (the token, the enrolled browser).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { BASE_URL, DEMO_PATH, PortalPage, SEED, api, launch, pagePool, registryKey, replicationsPath } from './helpers.mjs';

/// `/` without `registry` shows contosoprod; the enrolled screen is looked at on it.
const REGISTRY = SEED.prod.name;
/// A name no earlier run used, so the row is this run's token.
const NAME = `wall screen e2e ${Date.now()}`;

/** Waits until the token page has its list (or its refusal). */
async function tokensLoaded(page) {
  await page.waitForFunction(
    () => document.querySelector('#tokens-empty')?.textContent !== 'Loading…' || !document.querySelector('#tokens-refused')?.hidden,
    null,
    { timeout: 30_000 },
  );
}

describe('sign-in and roles in the console', () => {
  let browser;
  const pool = pagePool();
  /// What the admin created: the secret (shown once) and the token's id.
  let secret;
  let tokenId;
  /// The enrolled wall screen: its context, the URLs it requested, the pages it opened.
  let screen;
  const screenUrls = [];
  const screenPages = [];

  /** A page of the enrolled screen at `path`, its errors recorded. */
  async function screenPage(path) {
    const portal = new PortalPage(screen, await screen.newPage());
    screenPages.push(portal);
    await portal.page.goto(`${BASE_URL}${path}`);
    return portal;
  }

  before(async () => {
    browser = await launch();
  });

  afterEach(async () => {
    await pool.closeAll();
    for (const p of screenPages.splice(0)) {
      const errors = p.errors.splice(0);
      await p.page.close();
      assert.deepEqual(errors, [], 'no console errors, page errors or failed requests on the screen');
    }
  });

  after(async () => {
    await screen?.close();
    await browser?.close();
  });

  test('the header names the local admin, with the way to the API tokens', async () => {
    const me = await api('/api/v1/me');
    assert.equal(me.role, 'admin', 'the suite runs in local mode');
    const page = (await pool.open(browser, DEMO_PATH)).page;
    const box = page.locator('#me');
    assert.equal(await box.getAttribute('data-role'), 'admin');
    assert.equal((await box.locator('.me-name').innerText()).trim(), me.displayName ?? me.actor);
    assert.equal((await box.locator('.me-role').innerText()).trim(), 'admin');
    assert.ok(await page.locator('a#tokens-link[href="/admin/tokens"]').isVisible());
    // Nothing is disabled for want of a role.
    assert.equal(await page.locator('#add-replica button[type="submit"]').isDisabled(), false);
    assert.equal(await page.locator('#write-denied').isVisible(), false);
    assert.equal(await page.locator('#replications button[data-action="edit"]').first().isDisabled(), false);
  });

  test('a write refused after the page loaded (the role changed) shows the portal\'s words', async () => {
    // The page thinks its user may write; the portal, asked, says otherwise (as after a
    // demotion): the console shows its answer, not a bare status.
    const region = 'switzerlandnorth';
    const message = `Creating, changing or deleting replicas of '${SEED.demo.name}' needs the operator role; local has viewer on it.`;
    const portal = await pool.open(browser, DEMO_PATH, {
      ignore: [new RegExp(`status of 403 .*/replications/${region}\\b`)],
      setup: (page) =>
        page.route(`**/replications/${region}`, (route) =>
          route.request().method() === 'PUT'
            ? route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ code: 'forbidden', message, requestId: 'r-e2e' }) })
            : route.continue(),
        ),
    });
    await portal.openRegion(region);
    await portal.button('Create replica').click();
    await portal.alert.locator('.alert-message').waitFor();
    assert.equal((await portal.alert.locator('.alert-message').innerText()).trim(), `${message} (request r-e2e)`);
    await portal.waitForMarker(region, ['available']);
  });

  test('the admin creates a viewer token and sees its secret once', async () => {
    const portal = await pool.open(browser, '/admin/tokens', { ready: false });
    const page = portal.page;
    await portal.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
    await tokensLoaded(page);
    assert.equal(await page.locator('#tokens-refused').isVisible(), false);
    const form = page.locator('form#token-form');
    await form.locator('input[name="name"]').fill(NAME);
    await form.locator('select[name="role"]').selectOption('viewer');
    await form.locator('input[name="registries"]').fill('*');
    await form.locator('input[name="days"]').fill('1');
    await form.getByRole('button', { name: 'Create token' }).click();

    const created = page.locator('#token-created');
    await created.waitFor({ state: 'visible' });
    assert.match(await created.innerText(), /it will not be shown again/);
    secret = await page.locator('#token-secret').inputValue();
    assert.match(secret, /^rmp_[0-9a-f]{16}_\S{32,}$/);
    const row = page.locator('#token-rows tr', { hasText: NAME });
    await row.waitFor();
    tokenId = await row.getAttribute('data-token-id');
    assert.ok(secret.startsWith(`rmp_${tokenId}_`), `${tokenId} is the secret's id`);
    assert.equal(await row.getAttribute('data-state'), 'active');
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[0], 'viewer');
    assert.equal(cells[1], '*');
    assert.equal(cells[2], (await api('/api/v1/me')).actor, 'created by the local user');

    await page.locator('#copy-secret').click();
    await page.waitForFunction(() => /copied/i.test(document.querySelector('#tokens-status')?.textContent ?? ''));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    // Once: neither the page again nor the API shows it.
    await page.reload();
    await tokensLoaded(page);
    await page.locator(`#token-${tokenId}[data-state="active"]`).waitFor();
    assert.equal(await page.locator('#token-created').isVisible(), false);
    assert.equal(await page.locator('#token-secret').inputValue(), '');
    assert.ok(!(await page.content()).includes(secret.slice(4)), 'the secret is not in the page');
    assert.ok(!JSON.stringify(await api('/api/v1/tokens')).includes(secret.slice(4)), 'nor in the list');
  });

  test('a wall screen enrolls with it: no secret in a URL, an HttpOnly session, the kiosk', async () => {
    screen = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    screen.on('request', (req) => screenUrls.push(req.url()));
    const portal = await screenPage('/enroll');
    const page = portal.page;
    const input = page.locator('form#enroll-form[method="post"][action="/auth/enroll"] input[name="token"]');
    assert.equal(await input.getAttribute('type'), 'password', 'the token is not shown as it is typed');
    assert.match(await page.locator('#enroll-help').innerText(), /device session .* no secret ever goes into a URL/);
    await input.fill(secret);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/' && url.searchParams.has('kiosk')),
      page.getByRole('button', { name: 'Enroll this browser' }).click(),
    ]);
    await portal.ready('kiosk');
    await page.locator('#stream-status[data-state="live"]').waitFor();

    const secretPart = secret.slice(`rmp_${tokenId}_`.length);
    const leaked = [page.url(), ...screenUrls].filter((u) => u.includes(secretPart) || u.includes(encodeURIComponent(secretPart)));
    assert.deepEqual(leaked, [], 'no URL the screen requested holds the secret');
    const cookies = await screen.cookies(BASE_URL);
    assert.ok(cookies.length > 0, 'a session cookie');
    assert.ok(cookies.every((c) => c.httpOnly && !c.value.includes(secretPart)), JSON.stringify(cookies.map((c) => c.name)));
    assert.equal(await page.evaluate(() => document.cookie), '', 'no script can read the session');

    const me = await (await screen.request.get(`${BASE_URL}/api/v1/me`)).json();
    assert.equal(me.role, 'viewer');
    assert.equal(me.tokenId, tokenId);
    // The wall screen is read-only: no write control at all.
    assert.equal(await page.locator('#add-replica, #replications button[data-action], #region-dialog').count(), 0);
  });

  test('the screen sees its viewer role and every write control disabled with the reason', async () => {
    const portal = await screenPage(`/?registry=${REGISTRY}`);
    const page = portal.page;
    await portal.ready();
    const box = page.locator('#me');
    assert.equal(await box.getAttribute('data-role'), 'viewer');
    assert.equal((await box.locator('.me-role').innerText()).trim(), 'viewer');
    assert.match(await box.locator('.me-name').innerText(), new RegExp(NAME));
    assert.equal(await page.locator('#tokens-link').count(), 0, 'no way to the admin page');

    const why = (doing) => `Your role on ${REGISTRY} is viewer: ${doing} needs operator.`;
    assert.equal((await page.locator('#write-denied').innerText()).trim(), why('adding, changing or deleting a replica'));
    assert.ok(await page.locator('#add-region').isDisabled());
    assert.ok(await page.locator('#add-replica button[type="submit"]').isDisabled());
    const actions = await page.locator('#replications button[data-action]').all();
    assert.ok(actions.length > 0);
    for (const button of actions) assert.ok(await button.isDisabled(), await button.getAttribute('aria-label'));

    // A free region's marker opens its create form read-only, with the reason in the dialog.
    const free = await page.locator('.region-marker[data-state="available"]').first().getAttribute('data-region');
    await portal.openRegion(free);
    assert.ok(await portal.button('Create replica').isDisabled());
    assert.ok(await page.locator('#create-routing').isDisabled());
    assert.equal((await page.locator('#dialog-denied').innerText()).trim(), why('adding a replica'));
    assert.ok(await portal.button('Cancel').isEnabled());
    await portal.ensureDialogClosed();
    // The home replica's dialog shows its status; nothing can be saved.
    await portal.openRegion(SEED.prod.home);
    assert.ok(await portal.button('Save changes').isDisabled());
    assert.ok(await page.locator('#update-tags').isDisabled());
    assert.equal((await page.locator('#dialog-denied').innerText()).trim(), why('changing or deleting a replica'));
    await portal.ensureDialogClosed();

    // The portal agrees: the same write from this browser is refused, naming the role it needs.
    const key = await registryKey(REGISTRY);
    const res = await screen.request.patch(`${BASE_URL}${replicationsPath(key)}/${SEED.prod.home}`, {
      headers: { 'x-replimap-csrf': '1' },
      data: { tags: { e2e: 'viewer' } },
    });
    assert.equal(res.status(), 403);
    const body = await res.json();
    assert.equal(body.code, 'forbidden');
    assert.match(body.message, /operator/);
  });

  test('/admin/tokens tells a non-admin it needs admin', async () => {
    const portal = await screenPage('/admin/tokens');
    const page = portal.page;
    await tokensLoaded(page);
    const refused = page.locator('#tokens-refused');
    assert.ok(await refused.isVisible());
    assert.match(await refused.innerText(), /admin/);
    assert.equal(await page.locator('#token-form').isVisible(), false);
    assert.equal(await page.locator('#token-rows tr').count(), 0);
    assert.equal((await screen.request.get(`${BASE_URL}/api/v1/tokens`)).status(), 403, 'and so does the API');
  });

  test('revoking the token ends the screen\'s session', async () => {
    const portal = await pool.open(browser, '/admin/tokens', { ready: false });
    const page = portal.page;
    await tokensLoaded(page);
    const row = page.locator(`#token-${tokenId}`);
    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      return dialog.accept();
    });
    await row.locator('button[data-revoke]').click();
    await page.locator(`#token-${tokenId}[data-state="revoked"]`).waitFor();
    assert.match(question, new RegExp(`Revoke the token ${NAME}\\?`));
    assert.equal(await row.locator('button[data-revoke]').count(), 0, 'nothing left to revoke');
    assert.match(await row.innerText(), /revoked[\s\S]*by local/);

    // The token no longer opens anything, and the screen is no longer that token.
    const bearer = await fetch(`${BASE_URL}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(bearer.status, 401);
    assert.equal((await bearer.json()).code, 'unauthenticated');
    const res = await screen.request.get(`${BASE_URL}/api/v1/me`);
    if (res.status() !== 401) {
      // Local mode names every loopback caller: the screen is the local user again, not the token.
      assert.equal(res.status(), 200);
      assert.notEqual((await res.json()).tokenId, tokenId);
    }
    const map = await screenPage(`/?registry=${REGISTRY}`);
    await map.page.locator('#me').waitFor();
    assert.notEqual(await map.page.locator('#me').getAttribute('data-role'), 'viewer');
  });
});

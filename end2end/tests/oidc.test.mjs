// Signing in with OpenID Connect (auth.mode = "oidc"), against a real OpenID provider
// (end2end/oidc/provider.mjs: panva's oidc-provider) and a portal of its own started here in oidc
// mode, acting as the user in Azure through the embedded emulator's on-behalf-of exchange. Both
// run on free loopback ports with their own data directory, and are stopped at the end.
//
// Journeys: sign-in through the provider's form and back to the page asked for; roles from the
// roles claim and from a group binding; an Entra ID group overage explained; the session cookie's
// flags; acting as the user (the replica alice creates is hers in Azure's systemData); sign-out
// at the portal and the provider; an idle session expiring. And what a security review of a
// sign-in asks: cross-origin writes, a forged, replayed or foreign-browser callback, a refused
// sign-in, the ID token's nonce, audience, issuer, expiry and signature (an unknown key after a
// rotation, an unpublished key, alg none), and open redirects.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { ARTIFACTS, PORTAL_BINARY, SEED, launch, until } from './helpers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT_ID = 'replimap-portal';
const CLIENT_SECRET = 'oidc-test-secret-4f1c9a7e2b';
const TENANT = 'replimap-test-tenant';
const IDLE_MINUTES = 1;
const REG = SEED.demo;
const REGION = 'westus';
const armPath = `/subscriptions/${REG.subscriptionId}/resourceGroups/${REG.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${REG.name}/replications/${REGION}`;
const apiPath = `/api/v1/registries/${REG.subscriptionId}/${REG.resourceGroup}/${REG.name}/replications/${REGION}`;

/** A free loopback port (bound and released: the child binds it a moment later). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Spawns `cmd` with its output in artifacts/`log`; resolves once `ready()` holds. */
async function start(cmd, args, env, log, ready) {
  const { createWriteStream, mkdirSync } = await import('node:fs');
  mkdirSync(ARTIFACTS, { recursive: true });
  const out = createWriteStream(join(ARTIFACTS, log));
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  await until(async () => {
    if (exited !== null) throw new Error(`${cmd} exited with ${exited} (see artifacts/${log})`);
    return ready();
  }, { timeout: 60_000, what: `${cmd} to be ready` });
  return child;
}

const ok = async (url) => (await fetch(url).catch(() => null))?.ok;

describe('sign-in with OpenID Connect', { skip: existsSync(PORTAL_BINARY) ? false : `${PORTAL_BINARY} not built` }, () => {
  let op; // { url, process }
  let portal; // { url, process }
  let emulator;
  let evil; // another origin, for the cross-origin requests
  let browser;
  let dataDir;
  let idle; // { context, cookie, at }: a session left alone until the end

  before(async () => {
    const [opPort, portalPort, emuPort, evilPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const portalUrl = `http://127.0.0.1:${portalPort}`;
    op = { url: `http://127.0.0.1:${opPort}` };
    emulator = `http://127.0.0.1:${emuPort}`;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('REPLIMAP_') && !k.startsWith('LEPTOS_')),
    );
    op.process = await start(process.execPath, [join(ROOT, 'end2end/oidc/provider.mjs'), String(opPort)], {
      ...inherited,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URIS: `${portalUrl}/auth/callback`,
      OIDC_POST_LOGOUT_REDIRECT_URIS: `${portalUrl}/auth/signed-out`,
    }, 'oidc-provider.log', () => ok(`${op.url}/.well-known/openid-configuration`));

    dataDir = mkdtempSync(join(tmpdir(), 'replimap-oidc-'));
    const config = join(dataDir, 'portal.toml');
    writeFileSync(config, `
[http]
public_url = "${portalUrl}"

[auth]
mode = "oidc"
session_idle_minutes = ${IDLE_MINUTES}

[auth.oidc]
issuer = "${op.url}"
client_id = "${CLIENT_ID}"
act_as_user = true
obo_token_url = "${emulator}/${TENANT}/oauth2/v2.0/token"

[[rbac.bind]]
claim = "replimap.operator"
role = "operator"

[[rbac.bind]]
group = "ops-readers"
role = "viewer"

[[rbac.bind]]
claim = "replimap.admin"
role = "admin"
`);
    portal = { url: portalUrl };
    portal.process = await start(PORTAL_BINARY, [], {
      ...inherited,
      LEPTOS_OUTPUT_NAME: 'replimap',
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      REPLIMAP_CONFIG: config,
      REPLIMAP_DATA_DIR: join(dataDir, 'data'),
      REPLIMAP_LISTEN: `127.0.0.1:${portalPort}`,
      REPLIMAP_EMULATOR_LISTEN: `127.0.0.1:${emuPort}`,
      REPLIMAP_EMULATOR_DELAY_MS: '300',
      REPLIMAP_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      RUST_LOG: 'info,tower_http=warn',
    }, 'oidc-portal.log', () => ok(`${portalUrl}/healthz`));

    // Another origin (same site: 127.0.0.1), whose pages try requests on the portal.
    evil = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><body>
        <form id="f" method="post" action="${portalUrl}/auth/logout"></form>
        <script>
          window.tryPut = () => fetch('${portalUrl}${apiPath}', {
            method: 'PUT', credentials: 'include',
            headers: { 'content-type': 'application/json', 'x-replimap-csrf': '1' },
            body: JSON.stringify({ location: '${REGION}' }),
          }).then((r) => 'answered ' + r.status, (e) => 'blocked: ' + e.message);
        </script></body>`);
    });
    await new Promise((r) => evil.listen(evilPort, '127.0.0.1', r));
    evil.url = `http://127.0.0.1:${evilPort}`;
    browser = await launch();
    // Signed in first and left alone: it must have expired by the last test.
    const context = await browser.newContext();
    await signIn(context, 'bob');
    idle = { context, cookie: await sessionCookie(context), at: Date.now() };
  });

  after(async () => {
    await browser?.close();
    portal?.process?.kill();
    op?.process?.kill();
    evil?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The provider's login form, filled in for `user` (any password). */
  async function fillLogin(page, user) {
    await page.locator('input[name="login"]').waitFor({ timeout: 15_000 });
    assert.ok(page.url().startsWith(op.url), `at the provider: ${page.url()}`);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
  }

  /** Signs `user` in through the provider in `context`; resolves on the page at `returnTo`. */
  async function signIn(context, user, returnTo = '/') {
    const page = await context.newPage();
    await page.goto(`${portal.url}/auth/login?return_to=${encodeURIComponent(returnTo)}`);
    await fillLogin(page, user);
    await page.waitForURL((u) => u.href.startsWith(portal.url) && !u.pathname.startsWith('/auth/'), { timeout: 15_000 });
    return page;
  }

  /** A sign-in whose ID token the provider is told to spoil: the page it ends on. */
  async function spoiledSignIn(change, user = 'alice') {
    const res = await fetch(`${op.url}/_test/next-id-token`, { method: 'POST', body: JSON.stringify(change) });
    assert.equal(res.status, 204);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${portal.url}/auth/login?return_to=%2F`);
    await fillLogin(page, user);
    await page.waitForURL((u) => u.href.startsWith(`${portal.url}/`), { timeout: 15_000 });
    await page.locator('#auth-page, #me').first().waitFor();
    return { context, page };
  }

  async function sessionCookie(context) {
    return (await context.cookies(portal.url)).find((c) => c.name === 'replimap_session');
  }

  /** `GET path` with a session cookie value, from outside the browser. */
  const withCookie = (path, cookie, init = {}) =>
    fetch(`${portal.url}${path}`, { ...init, headers: { ...(init.headers || {}), cookie: `replimap_session=${cookie.value}` }, redirect: 'manual' });

  /**
   * A sign-in driven outside any browser (an attacker's own client): starts it at the portal,
   * signs `user` in at the provider's form, and returns the callback URL it would be sent to.
   */
  async function attackerCallback(user) {
    const jar = new Map();
    const call = async (url, init = {}) => {
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(url, { redirect: 'manual', ...init, headers: { ...(init.headers || {}), cookie } });
      for (const c of res.headers.getSetCookie()) {
        const [kv] = c.split(';');
        const i = kv.indexOf('=');
        jar.set(kv.slice(0, i), kv.slice(i + 1));
      }
      return res;
    };
    let res = await call(`${portal.url}/auth/login`);
    let next = res.headers.get('location');
    while (next && !next.startsWith(`${portal.url}/auth/callback`)) {
      res = await call(new URL(next, op.url));
      if (res.status === 200) {
        const action = (await res.text()).match(/action="([^"]+)"/)[1];
        res = await call(new URL(action, op.url), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ prompt: 'login', login: user, password: 'x' }),
        });
      }
      next = res.headers.get('location');
    }
    assert.ok(next, 'the provider sent the attacker to the callback');
    return next;
  }

  /** `/api/v1/me` as the page sees it. */
  const me = (page) => page.evaluate(async () => {
    const r = await fetch('/api/v1/me');
    return { status: r.status, body: await r.json() };
  });

  async function armToken() {
    const res = await fetch(`${emulator}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'oidc-test', client_secret: 'x', scope: 'https://management.azure.com/.default' }),
    });
    return (await res.json()).access_token;
  }

  async function armReplica() {
    const res = await fetch(`${emulator}${armPath}?api-version=2025-04-01`, { headers: { authorization: `Bearer ${await armToken()}` } });
    return res.status === 404 ? null : res.json();
  }

  test('alice signs in at the provider and lands back on the page she asked for, as an operator', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const asked = `/?registry=${REG.name}`;
    await page.goto(`${portal.url}${asked}`);
    await fillLogin(page, 'alice');
    await page.waitForURL(`${portal.url}${asked}`, { timeout: 15_000 });
    await page.locator('#me[data-role="operator"]').waitFor({ timeout: 30_000 });
    assert.equal((await page.locator('#me .me-name').innerText()).trim(), 'Alice Operator');
    assert.ok(await page.locator('#me form#sign-out').count(), 'a sign-out button');
    const { status, body } = await me(page);
    assert.equal(status, 200);
    assert.equal(body.actor, 'alice');
    assert.equal(body.displayName, 'Alice Operator');
    assert.equal(body.source, 'session');
    assert.equal(body.mode, 'oidc');
    assert.equal(body.role, 'operator');
    assert.equal(body.canSignOut, true);
    assert.equal(body.actingAsUser, true);
    assert.deepEqual(body.notes ?? [], []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the session cookie is HttpOnly and SameSite=Lax, not Secure on http, and the sign-in cookie is gone', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'alice');
    const cookies = await context.cookies(portal.url);
    const session = cookies.find((c) => c.name === 'replimap_session');
    assert.ok(session, `a session cookie among ${cookies.map((c) => c.name)}`);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.secure, false, 'http on loopback: Secure would drop it');
    assert.equal(session.path, '/');
    assert.equal(await page.evaluate(() => document.cookie.includes('replimap_session')), false, 'not readable by script');
    assert.deepEqual(cookies.filter((c) => c.name.startsWith('replimap_login')).map((c) => c.name), [], 'the sign-in binding cookie is cleared');
    await context.close();
  });

  test('admin is an admin through the roles claim; bob a viewer through his group, refused writes', async () => {
    const a = await browser.newContext();
    const adminPage = await signIn(a, 'admin');
    assert.equal((await me(adminPage)).body.role, 'admin');
    await a.close();

    const b = await browser.newContext();
    const page = await signIn(b, 'bob');
    const { body } = await me(page);
    assert.equal(body.actor, 'bob');
    assert.equal(body.role, 'viewer');
    assert.ok(body.groups.includes('ops-readers'), JSON.stringify(body.groups));
    const put = await page.evaluate(async (path) => {
      const r = await fetch(path, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-replimap-csrf': '1' }, body: JSON.stringify({ location: 'westus' }) });
      return { status: r.status, body: await r.json() };
    }, apiPath);
    assert.equal(put.status, 403, JSON.stringify(put.body));
    assert.equal(await armReplica(), null, 'nothing reached ARM');
    await b.close();
  });

  test('carol’s Entra ID group overage is explained, not silent', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'carol');
    const { body } = await me(page);
    assert.equal(body.actor, 'carol');
    assert.deepEqual(body.groups ?? [], []);
    assert.equal(body.role ?? null, null, 'no group binding could apply');
    assert.equal(body.notes.length, 1, JSON.stringify(body.notes));
    assert.match(body.notes[0], /more groups than fit in a sign-in token/);
    // The console shows the note where it shows who is signed in.
    const note = page.locator('#me .me-note');
    await note.first().waitFor({ timeout: 30_000 });
    assert.match(await note.first().innerText(), /groups/);
    await context.close();
  });

  test('acting as alice: the replica she creates is hers in Azure, and the audit trail names her', async () => {
    assert.equal(await armReplica(), null, `no ${REGION} replica yet`);
    const context = await browser.newContext();
    const page = await signIn(context, 'alice');
    const write = (method) => page.evaluate(async ({ path, method }) => {
      const init = { method, headers: { 'content-type': 'application/json', 'x-replimap-csrf': '1' } };
      if (method === 'PUT') init.body = JSON.stringify({ location: 'westus' });
      const r = await fetch(path, init);
      return { status: r.status, text: await r.text() };
    }, { path: apiPath, method });
    const created = await write('PUT');
    assert.equal(created.status, 202, created.text);
    const replica = await until(armReplica, { what: 'the replica at ARM' });
    assert.equal(replica.systemData.createdBy, 'alice', JSON.stringify(replica.systemData));
    assert.equal(replica.systemData.createdByType, 'User');
    const audit = await page.evaluate(async () => (await fetch('/api/v1/audit')).json());
    const record = audit.items.find((r) => r.region === REGION && r.action === 'create_replication');
    assert.ok(record, JSON.stringify(audit));
    assert.equal(record.actor, 'alice');
    assert.equal(record.actorSource, 'session');
    await until(async () => (await armReplica())?.properties?.provisioningState === 'Succeeded', { what: 'the create to finish' });
    const deleted = await write('DELETE');
    assert.equal(deleted.status, 202, deleted.text);
    await until(async () => (await armReplica()) === null, { what: 'the delete to finish' });
    await context.close();
  });

  test('sign-out ends the session here and at the provider; the old cookie is refused', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'alice', `/?registry=${REG.name}`);
    const cookie = await sessionCookie(context);
    assert.equal((await withCookie('/api/v1/me', cookie)).status, 200);
    await page.locator('#me form#sign-out button').waitFor({ timeout: 30_000 });
    await page.click('#me form#sign-out button');
    // The portal's page goes on to the provider, which asks to confirm, then sends us back.
    const confirm = page.locator('button[name="logout"][value="yes"]');
    await confirm.waitFor({ timeout: 15_000 });
    assert.ok(page.url().startsWith(op.url), page.url());
    await confirm.click();
    await page.waitForURL(`${portal.url}/auth/signed-out`, { timeout: 15_000 });
    assert.match(await page.locator('#signed-out').innerText(), /signed out/);
    assert.equal(await sessionCookie(context), undefined, 'the cookie is cleared');
    const old = await withCookie('/api/v1/me', cookie);
    assert.equal(old.status, 401, 'the ended session no longer works, even with a copy of the cookie');
    // Signed out at the provider too: signing in again asks for the login form.
    await page.goto(`${portal.url}/auth/login`);
    await page.locator('input[name="login"]').waitFor({ timeout: 15_000 });
    await context.close();
  });

  test('cross-origin requests with the session cookie are refused', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'alice');
    const cookie = await sessionCookie(context);
    const attacker = await context.newPage();
    await attacker.goto(evil.url);
    // A fetch with the CSRF header needs a CORS preflight the portal never allows.
    assert.match(await attacker.evaluate(() => window.tryPut()), /^blocked/);
    // A form post (no preflight, cookie sent: same site) is refused by its Origin.
    const [answer] = await Promise.all([
      attacker.waitForResponse((r) => r.url() === `${portal.url}/auth/logout`),
      attacker.evaluate(() => { setTimeout(() => document.getElementById('f').submit(), 0); }),
    ]);
    assert.equal(answer.status(), 403);
    assert.equal((await withCookie('/api/v1/me', cookie)).status, 200, 'the session survived');
    // And outside a browser: the portal's origin rule, whatever the headers.
    const put = await withCookie(apiPath, cookie, {
      method: 'PUT',
      headers: { origin: evil.url, 'content-type': 'application/json', 'x-replimap-csrf': '1' },
      body: JSON.stringify({ location: REGION }),
    });
    assert.equal(put.status, 403);
    assert.equal((await put.json()).code, 'csrf_rejected');
    assert.equal(await armReplica(), null, 'nothing reached ARM');
    await page.close();
    await context.close();
  });

  test('a forged or replayed callback, or one finished in another browser, gets a readable page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const forged = await page.goto(`${portal.url}/auth/callback?code=stolen&state=forged`);
    assert.equal(forged.status(), 400);
    assert.match(await page.locator('#auth-error').innerText(), /expired or was already used/);
    assert.match(await page.locator('#try-again').getAttribute('href'), /^\/auth\/login\?return_to=/);

    // A real callback, replayed after it worked.
    let callback;
    page.on('request', (r) => { if (r.url().startsWith(`${portal.url}/auth/callback`)) callback = r.url(); });
    await page.goto(`${portal.url}/auth/login`);
    await fillLogin(page, 'alice');
    await page.waitForURL(`${portal.url}/`);
    assert.ok(callback, 'saw the callback');
    const replay = await page.goto(callback);
    assert.equal(replay.status(), 400);
    assert.match(await page.locator('#auth-error').innerText(), /already used/);
    assert.equal((await me(page)).status, 200, 'the session it made still works');

    // Login CSRF: an attacker starts a sign-in with their own account in their own client and
    // lures the victim's browser to the callback. It was not started there: refused.
    const stolen = await attackerCallback('bob');
    const victim = await browser.newContext();
    const p2 = await victim.newPage();
    const across = await p2.goto(stolen);
    assert.equal(across.status(), 400);
    assert.match(await p2.locator('#auth-error').innerText(), /not started in this browser/);
    assert.equal(await sessionCookie(victim), undefined);
    await Promise.all([victim.close(), context.close()]);
  });

  test('a sign-in the person cancels at the provider gets a readable page with a way back', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${portal.url}/auth/login?return_to=%2Factivity`);
    await page.locator('input[name="login"]').waitFor();
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${portal.url}/auth/callback`)),
      page.locator('a', { hasText: 'Cancel' }).click(),
    ]);
    assert.equal(resp.status(), 403);
    assert.match(await page.locator('#auth-error').innerText(), /did not sign you in/);
    assert.match(await page.locator('#provider-said').innerText(), /access_denied/);
    assert.equal(await page.locator('#try-again').getAttribute('href'), '/auth/login?return_to=%2Factivity');
    assert.equal(await sessionCookie(context), undefined);
    await context.close();
  });

  for (const [what, change] of [
    ['a nonce that is not the one sent', { claims: { nonce: 'not-the-one' } }],
    ['an ID token for another audience', { claims: { aud: 'another-client' } }],
    ['an ID token naming another issuer', { claims: { iss: 'http://127.0.0.1:1' } }],
    ['an expired ID token', { claims: { exp: Math.floor(Date.now() / 1000) - 600 } }],
    ['an ID token for another audience too', { claims: { aud: [CLIENT_ID, 'another-client'] } }],
    ['an ID token authorized for another party', { claims: { azp: 'another-client' } }],
    ['an ID token signed with a key the provider never published', { key: 'unpublished' }],
    ['an unsigned ID token (alg none)', { key: 'none' }],
  ]) {
    test(`the portal refuses ${what}`, async () => {
      const { context, page } = await spoiledSignIn(change);
      assert.match(page.url(), /\/auth\/callback\?/);
      assert.match(await page.locator('#auth-error').innerText(), /did not pass the portal’s checks|did not pass the portal's checks/);
      assert.equal(await sessionCookie(context), undefined, 'no session');
      await context.close();
    });
  }

  test('a key rotation the portal has not seen yet: it fetches the keys again and signs in', async () => {
    const { context, page } = await spoiledSignIn({ key: 'rotated' });
    assert.equal((await me(page)).body.actor, 'alice');
    await context.close();
  });

  test('return_to is a path on the portal, never another site', async () => {
    for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example', '/%09/evil.example']) {
      const context = await browser.newContext();
      const page = await signIn(context, 'bob', target);
      assert.equal(new URL(page.url()).origin, portal.url, `${target} → ${page.url()}`);
      await context.close();
    }
  });

  test('an idle session expires', async () => {
    const wait = idle.at + IDLE_MINUTES * 60_000 + 2_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    assert.equal((await withCookie('/api/v1/me', idle.cookie)).status, 401);
    // A page with the expired cookie is sent to sign in again, back to where it was.
    const page = await withCookie('/activity', idle.cookie);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/auth/login?return_to=%2Factivity');
    await idle.context.close();
  });
});

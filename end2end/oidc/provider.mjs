#!/usr/bin/env node
// A real OpenID provider for the sign-in tests: panva's oidc-provider (certified), on loopback only.
//
//   node end2end/oidc/provider.mjs PORT      (the issuer names the port, so it must be given)
//
// Environment:
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET        the portal's confidential client (defaults below)
//   OIDC_REDIRECT_URIS                        comma-separated; the portal's /auth/callback (required)
//   OIDC_POST_LOGOUT_REDIRECT_URIS            comma-separated; where sign-out may return to
//
// Prints `oidc provider ready at http://127.0.0.1:PORT` once it listens, and exits when its parent
// process dies (so a crashed test leaves nothing behind).
//
// What it plays, Entra ID-style: users with app roles (`roles`), groups (`groups`), a group
// overage (`_claim_names`/`_claim_sources` instead of `groups`) and `hasgroups`; no consent screen
// (a first-party app an admin consented to); the access token asked for with the portal's own
// scope (`api://<client id>/user_impersonation`) is a JWT for the resource `api://<client id>`,
// naming the user, so the ARM emulator's on-behalf-of exchange can read who it is for.
//
// Test hooks (loopback only, like everything here), for the misbehaving-provider cases:
//   POST /_test/next-id-token  {"claims": {...}, "key": "rotated" | "unpublished" | "none"}
//     the next token response's ID token gets `claims` merged in and is re-signed: with the
//     provider's key (default), with a second key that is published in /jwks from then on
//     ("rotated": a key rotation the portal has not seen), with a key never published, or not
//     at all (alg none).
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 0);
const clientId = process.env.OIDC_CLIENT_ID || 'replimap-portal';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'replimap-test-secret-0123456789abcdef';
const list = (v) => (v || '').split(',').map((s) => s.trim()).filter(Boolean);
const redirectUris = list(process.env.OIDC_REDIRECT_URIS);
const postLogoutRedirectUris = list(process.env.OIDC_POST_LOGOUT_REDIRECT_URIS);
if (!Number.isInteger(port) || port <= 0 || redirectUris.length === 0) {
  console.error('usage: OIDC_REDIRECT_URIS=http://127.0.0.1:P/auth/callback node provider.mjs PORT');
  process.exit(2);
}
/// The portal's API, as an Entra ID application id URI.
const resource = `api://${clientId}`;
const userScope = `${resource}/user_impersonation`;

/// The test users. Any password signs in (oidc-provider's development login form).
const USERS = {
  alice: { name: 'Alice Operator', email: 'alice@example.test', roles: ['replimap.operator'] },
  bob: { name: 'Bob Reader', email: 'bob@example.test', groups: ['ops-readers'] },
  // More than 200 groups: Entra ID leaves `groups` out and points at Microsoft Graph instead.
  carol: {
    name: 'Carol Overage',
    email: 'carol@example.test',
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/carol/getMemberObjects' } },
  },
  // The implicit-flow form of the overage.
  erin: { name: 'Erin Hasgroups', email: 'erin@example.test', hasgroups: true },
  admin: { name: 'Ada Admin', email: 'admin@example.test', roles: ['replimap.admin'] },
  nobody: { name: 'No Body', email: 'nobody@example.test' },
};

const rsaJwk = (kid) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
};
const mainKey = rsaJwk('main');
const rotatedKey = rsaJwk('rotated');
const unpublishedKey = rsaJwk('unpublished');
const publicPart = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });
let rotatedPublished = false;
let nextIdToken = null;

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
function signJwt(header, claims, jwk) {
  const input = `${b64(header)}.${b64(claims)}`;
  if (!jwk) return `${input}.`;
  const { kid, alg, use, ...key } = jwk; // node wants the bare JWK
  return `${input}.${sign('sha256', Buffer.from(input), { key, format: 'jwk' }).toString('base64url')}`;
}
function tamper(idToken, { claims = {}, key }) {
  const merged = { ...claimsOf(idToken), ...claims };
  if (key === 'none') return signJwt({ alg: 'none', typ: 'JWT' }, merged, null);
  const jwk = { rotated: rotatedKey, unpublished: unpublishedKey }[key] || mainKey;
  if (key === 'rotated') rotatedPublished = true;
  return signJwt({ alg: 'RS256', typ: 'JWT', kid: jwk.kid }, merged, jwk);
}

const issuer = `http://127.0.0.1:${port}`;
const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [mainKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: {
    // The directory's claims come with `openid`, as Entra ID puts them in every ID token.
    openid: ['sub', 'roles', 'groups', 'hasgroups'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  // With a code flow, put the scopes' claims in the ID token too (not only at userinfo), as
  // Entra ID does.
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...user };
      },
    };
  },
  // A first-party application an administrator consented to: no consent screen.
  async loadExistingGrant(ctx) {
    const { provider, client, session, params } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return provider.Grant.find(grantId);
    const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope((params.scope || 'openid').split(' ').filter((s) => !s.includes('://')).join(' '));
    grant.addResourceScope(resource, userScope);
    await grant.save();
    return grant;
  },
  // The user's name in their access token for the portal, as Entra ID's v2 tokens carry it.
  async extraTokenClaims(_ctx, token) {
    const user = USERS[token.accountId];
    if (token.kind !== 'AccessToken' || !user) return undefined;
    return { preferred_username: token.accountId, name: user.name };
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The portal asks by scope, as with Entra ID, not with a `resource` parameter.
      async defaultResource(ctx, _client, oneOf) {
        if (oneOf) return oneOf;
        return (ctx.oidc.params?.scope || '').split(' ').includes(userScope) ? resource : undefined;
      },
      async useGrantedResource() {
        return true;
      },
      async getResourceServerInfo(_ctx, indicator) {
        if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
        return { scope: userScope, audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 3600 };
      },
    },
  },
};

const provider = new Provider(issuer, configuration);

// The test hooks, and the rotated key in /jwks once it is in use.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/_test/next-id-token') {
    let text = '';
    for await (const chunk of ctx.req) text += chunk;
    nextIdToken = JSON.parse(text || '{}');
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/jwks' && rotatedPublished && ctx.body?.keys) {
    ctx.body = { keys: [...ctx.body.keys, publicPart(rotatedKey)] };
  }
  if (ctx.path === '/token' && ctx.status === 200 && nextIdToken && ctx.body?.id_token) {
    const change = nextIdToken;
    nextIdToken = null;
    ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, change) };
  }
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc provider ready at ${issuer}`));

// Exit with the parent (the test runner): no provider outlives a crashed test.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
    if (process.ppid !== parent) process.exit(0);
  } catch {
    process.exit(0);
  }
}, 500).unref();
process.on('SIGTERM', () => process.exit(0));

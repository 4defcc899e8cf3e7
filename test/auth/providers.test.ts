import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import {
  generateKeys,
  type JwksServer,
  type MintProfile,
  mintToken,
  startJwksServer,
  type TestKeys,
  type TestSettingsOverrides,
  testSettings,
} from '../../src/testing/index.js';
import { authGet } from './helpers.js';

/**
 * One test per provider token shape, end to end over HTTP: a loopback issuer serving its discovery document
 * and keys, the exact settings docs/auth.md gives for that provider, and a token laid out like the provider's.
 */
interface Provider {
  readonly profile: Exclude<MintProfile, 'fa-auth-m8'>;
  readonly issuerPath: string;
  readonly audience: string;
  /** The settings of docs/auth.md, beyond TOKEN_ISSUER (the loopback issuer) and OIDC_DISCOVERY=true. */
  readonly settings: TestSettingsOverrides;
  /** Claims giving the caller `writer` and the scope `items:write`. */
  readonly claims: Record<string, unknown>;
}

const PROVIDERS: readonly Provider[] = [
  {
    profile: 'auth0',
    issuerPath: '/',
    audience: 'https://api.example.com',
    settings: { ROLES_CLAIM: 'https://example.com/roles' },
    claims: { 'https://example.com/roles': ['writer'], permissions: ['items:write'] },
  },
  {
    profile: 'keycloak',
    issuerPath: '/realms/test',
    audience: 'express-m8-api',
    settings: { ROLES_CLAIM: 'realm_access.roles' },
    claims: { realm_access: { roles: ['offline_access', 'writer'] }, scope: 'openid email items:write' },
  },
  {
    profile: 'entra',
    issuerPath: '/0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f/v2.0',
    audience: 'api://express-m8-api',
    settings: { ROLES_CLAIM: 'roles' },
    claims: { roles: ['writer'], scp: 'items:write' },
  },
  {
    profile: 'cognito',
    issuerPath: '/us-east-1_Test123',
    audience: '1example23456789',
    settings: { ROLES_CLAIM: 'cognito:groups', TOKEN_AUDIENCE_CLAIM: 'client_id' },
    claims: { 'cognito:groups': ['writer'], scope: 'aws.cognito.signin.user.admin items:write' },
  },
  {
    profile: 'google',
    issuerPath: '',
    audience: '1234567890-abc.apps.googleusercontent.com',
    settings: {},
    claims: { roles: ['writer'], scope: 'items:write' },
  },
];

let keys: TestKeys;
const servers: JwksServer[] = [];
const deps: AuthDeps[] = [];
beforeAll(async () => {
  keys = await generateKeys('RS256');
});
afterAll(async () => {
  await Promise.all(deps.map((d) => d.close()));
  await Promise.all(servers.map((s) => s.close()));
});

async function setUp(p: Provider) {
  const server = await startJwksServer(keys, { issuerPath: p.issuerPath });
  servers.push(server);
  const settings = testSettings({
    TOKEN_PROFILE: 'oidc',
    ACCESS_TOKEN_ALGORITHM: 'RS256',
    ACCESS_SECRET_KEY: undefined,
    OIDC_DISCOVERY: true,
    TOKEN_ISSUER: server.issuer,
    TOKEN_AUDIENCE: p.audience,
    ...p.settings,
  });
  const auth = buildAuthDeps(settings);
  deps.push(auth);
  await auth.start();
  const app = express();
  app.get('/user', auth.requireUser, (req, res) => void res.json(req.user));
  app.get(
    '/write',
    auth.requireWriter,
    auth.requireScopes('items:write'),
    (_req, res) => void res.json({ ok: true }),
  );
  app.get('/admin', auth.requireAdmin, (_req, res) => void res.json({ ok: true }));
  const mint = (claims: Record<string, unknown> = {}, audience: string | null = p.audience) =>
    mintToken(keys, { ...p.claims, ...claims }, { profile: p.profile, issuer: server.issuer, audience });
  return { app, server, mint };
}

describe.each(PROVIDERS)('$profile token shape', (p) => {
  it('is verified end to end with the documented settings (discovery, roles, scopes)', async () => {
    const { app, server, mint } = await setUp(p);
    expect(server.discoveryCount).toBe(1);
    const res = await authGet(app, '/user', mint());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      role: 'writer',
      issuer: server.issuer,
      authMethod: 'jwt',
      isSuperuser: false,
      isActive: true,
    });
    expect(res.body.roles).toContain('writer');
    expect(res.body.scopes).toContain('items:write');
    expect(res.body.id.length).toBeGreaterThan(0);
    expect((await authGet(app, '/write', mint())).status).toBe(200);
    const admin = await authGet(app, '/admin', mint());
    expect(admin.status).toBe(403);
  });

  it('refuses the same shape for another audience and from another issuer', async () => {
    const { app, mint } = await setUp(p);
    const other = await startJwksServer(keys, { issuerPath: p.issuerPath });
    servers.push(other);
    const wrongAudience = await authGet(app, '/user', mint({}, 'someone-else'));
    expect(wrongAudience.status).toBe(401);
    const foreign = mintToken(keys, p.claims, {
      profile: p.profile,
      issuer: other.issuer,
      audience: p.audience,
    });
    expect((await authGet(app, '/user', foreign)).status).toBe(401);
    expect(other.requestCount).toBe(0);
  });
});

describe('provider specifics', () => {
  it('Cognito: the ID token of the same app client (aud, no client_id) is refused with TOKEN_AUDIENCE_CLAIM=client_id', async () => {
    const cognito = PROVIDERS.find((p) => p.profile === 'cognito')!;
    const { app, mint } = await setUp(cognito);
    const idToken = mint({ client_id: undefined, token_use: 'id', aud: cognito.audience });
    const res = await authGet(app, '/user', idToken);
    expect(res.status).toBe(401);
  });

  it('Entra: tid becomes tenantId; Keycloak client roles are reachable by a dot path', async () => {
    const entra = PROVIDERS.find((p) => p.profile === 'entra')!;
    const { app, mint } = await setUp(entra);
    const res = await authGet(app, '/user', mint({ tid: '0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f' }));
    expect(res.body.tenantId).toBe('0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f');
    const keycloak = PROVIDERS.find((p) => p.profile === 'keycloak')!;
    const kc = await setUp({
      ...keycloak,
      settings: { ROLES_CLAIM: 'resource_access.express-m8-api.roles' },
      claims: { resource_access: { 'express-m8-api': { roles: ['admin'] } } },
    });
    const kcRes = await authGet(kc.app, '/admin', kc.mint());
    expect(kcRes.status).toBe(200);
  });

  it('Google: email, email_verified and name are read from the ID token', async () => {
    const google = PROVIDERS.find((p) => p.profile === 'google')!;
    const { app, mint } = await setUp(google);
    const res = await authGet(app, '/user', mint());
    expect(res.body).toMatchObject({ email: 'user@example.com', emailVerified: true, fullName: 'Test User' });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_ENV, issuesFor, load, messagesAbout, PROD_ENV, STRONG, STRONG_2 } from './helpers.js';

describe('token rules', () => {
  it('requires TOKEN_ISSUER and TOKEN_AUDIENCE under strict validation', () => {
    const issues = issuesFor({
      TOKEN_STRICT_VALIDATION: 'true',
      TOKEN_ISSUER: undefined,
      TOKEN_AUDIENCE: undefined,
    });
    expect(issues.map((i) => i.variable)).toEqual(['TOKEN_ISSUER', 'TOKEN_AUDIENCE']);
    expect(issues[0]?.message).toContain('TOKEN_STRICT_VALIDATION=true');
  });

  it('does not require them under permissive validation', () => {
    const s = load({ TOKEN_STRICT_VALIDATION: 'false', TOKEN_ISSUER: undefined, TOKEN_AUDIENCE: undefined });
    expect(s.TOKEN_ISSUER).toBeUndefined();
  });

  it('requires ACCESS_SECRET_KEY for HS256', () => {
    expect(messagesAbout(issuesFor({ ACCESS_SECRET_KEY: undefined }), 'ACCESS_SECRET_KEY')).toEqual([
      'is required when ACCESS_TOKEN_ALGORITHM=HS256',
    ]);
  });

  it.each(['RS256', 'ES256'])('requires ACCESS_PUBLIC_KEY_FILE or JWKS_URI for %s', (alg) => {
    const issues = issuesFor({ ACCESS_TOKEN_ALGORITHM: alg, ACCESS_SECRET_KEY: undefined });
    expect(issues).toEqual([
      {
        variable: 'ACCESS_PUBLIC_KEY_FILE',
        message: `(or JWKS_URI, or OIDC_DISCOVERY=true) is required when ACCESS_TOKEN_ALGORITHM=${alg}; none is set`,
      },
    ]);
  });

  it('accepts RS256 with a JWKS_URI alone', () => {
    const s = load({
      ACCESS_TOKEN_ALGORITHM: 'RS256',
      JWKS_URI: 'https://auth.example.com/.well-known/jwks.json',
    });
    expect(s.JWKS_URI).toBe('https://auth.example.com/.well-known/jwks.json');
  });

  it('requires INTROSPECTION_URL and PRIVATE_API_SECRET when stateful', () => {
    const issues = issuesFor({ TOKEN_MODE: 'stateful' });
    expect(issues.map((i) => i.variable)).toEqual(['INTROSPECTION_URL', 'PRIVATE_API_SECRET']);
  });

  it('accepts stateful with both set, and hybrid without them', () => {
    const s = load({
      TOKEN_MODE: 'stateful',
      INTROSPECTION_URL: 'http://auth:8000/internal/introspect',
      PRIVATE_API_SECRET: 'internal-secret',
    });
    expect(s.TOKEN_MODE).toBe('stateful');
    expect(load({ TOKEN_MODE: 'hybrid' }).TOKEN_MODE).toBe('hybrid');
  });

  it('does not require EVENT_SIGNING_KEY for EVENT_SIGNING_ENABLED alone (no stream)', () => {
    expect(load({ EVENT_SIGNING_ENABLED: 'true' }).EVENT_SIGNING_ENABLED).toBe(true);
    expect(load({ EVENT_SIGNING_ENABLED: 'true', EVENT_SIGNING_KEY: STRONG_2 }).EVENT_SIGNING_KEY).toBe(
      STRONG_2,
    );
  });

  it('EVENT_STREAM_ENABLED defaults to false and, when on, names every missing variable', () => {
    expect(load({}).EVENT_STREAM_ENABLED).toBe(false);
    expect(load({}).EVENT_SIGNING_ACCEPT_UNSIGNED).toBe(false);
    const issues = issuesFor({ EVENT_STREAM_ENABLED: 'true' });
    for (const name of [
      'INTROSPECTION_URL',
      'PRIVATE_API_SECRET',
      'INTERNAL_CLIENT_ID',
      'EVENT_SIGNING_KEY',
    ]) {
      expect(messagesAbout(issues, name)).toEqual([expect.stringContaining('EVENT_STREAM_ENABLED=true')]);
    }
    const s = load({
      EVENT_STREAM_ENABLED: 'true',
      INTROSPECTION_URL: 'http://auth:8000/private/v1/jti-status',
      PRIVATE_API_SECRET: 'internal-secret',
      INTERNAL_CLIENT_ID: 'orders',
      EVENT_SIGNING_KEY: STRONG_2,
    });
    expect(s.EVENT_STREAM_ENABLED).toBe(true);
  });
});

describe('credential rules', () => {
  it.each(['HEALTH_DETAIL_CREDENTIAL', 'METRICS_SCRAPE_CREDENTIAL'])(
    'requires %s to differ from PRIVATE_API_SECRET',
    (name) => {
      const issues = issuesFor({ PRIVATE_API_SECRET: 'shared-value', [name]: 'shared-value' });
      expect(issues).toEqual([
        { variable: name, message: expect.stringContaining('must differ from PRIVATE_API_SECRET') },
      ]);
    },
  );

  it('accepts distinct credentials', () => {
    const s = load({
      PRIVATE_API_SECRET: 'a-internal',
      HEALTH_DETAIL_CREDENTIAL: 'b-health',
      METRICS_SCRAPE_CREDENTIAL: 'c',
    });
    expect(s.HEALTH_DETAIL_CREDENTIAL).toBe('b-health');
  });
});

describe('production rules', () => {
  it('accepts a clean production configuration', () => {
    expect(load({}, PROD_ENV).ENVIRONMENT).toBe('production');
  });

  it.each([
    ['BACKEND_CORS_ORIGINS', 'http://localhost:3000'],
    ['BACKEND_CORS_ORIGINS', 'http://127.0.0.1:3000'],
    ['FRONTEND_HOST', 'http://localhost:5173'],
  ])('rejects a loopback CORS origin from %s in production', (name, value) => {
    expect(messagesAbout(issuesFor({ [name]: value }, PROD_ENV), name)).toEqual([
      `a loopback CORS origin is not allowed in production or strict mode, got "${value}"`,
    ]);
  });

  it('rejects "*" in ALLOWED_HOSTS in production', () => {
    expect(
      messagesAbout(issuesFor({ ALLOWED_HOSTS: 'api.example.com,*' }, PROD_ENV), 'ALLOWED_HOSTS'),
    ).toEqual([expect.stringContaining('"*" is not allowed in production')]);
  });

  it.each(['JWKS_URI', 'INTROSPECTION_URL'])('rejects an http:// %s in production', (name) => {
    expect(messagesAbout(issuesFor({ [name]: 'http://auth.example.com/x' }, PROD_ENV), name)).toEqual([
      'must use https:// in production or strict mode, got "http://auth.example.com/x"',
    ]);
    expect(load({ [name]: 'https://auth.example.com/x' }, PROD_ENV)[name as 'JWKS_URI']).toBe(
      'https://auth.example.com/x',
    );
  });

  it('applies the same rules under STRICT_PRODUCTION_MODE outside production', () => {
    const issues = issuesFor({
      STRICT_PRODUCTION_MODE: 'true',
      ALLOWED_HOSTS: '*',
      JWKS_URI: 'http://auth/jwks',
    });
    expect(issues.map((i) => i.variable).sort()).toEqual([
      'ALLOWED_HOSTS',
      'BACKEND_CORS_ORIGINS',
      'FRONTEND_HOST',
      'JWKS_URI',
    ]);
  });

  it('allows loopback origins, "*" hosts and http:// URLs outside production', () => {
    const s = load({ ALLOWED_HOSTS: '*', JWKS_URI: 'http://auth/jwks', INTROSPECTION_URL: 'http://auth/i' });
    expect(s.ALLOWED_ORIGINS).toEqual(['http://localhost:3000', 'http://localhost:5173']);
  });
});

// PROD_ENV without its database server.
const { SELECTED_DB: _selected, DATABASE_URL: _url, ...PROD_NO_DB } = PROD_ENV;

describe('database rules', () => {
  it.each([
    ['Postgres', 5432],
    ['Mysql', 3306],
  ])(
    'requires DB_HOST, DB_DATABASE and DB_USER for %s without DATABASE_URL, DB_PORT defaulting to %i',
    (db, port) => {
      const issues = issuesFor({ SELECTED_DB: db });
      expect(issues.map((i) => i.variable)).toEqual(['DB_HOST', 'DB_DATABASE', 'DB_USER']);
      expect(issues[0]?.message).toBe(`is required when SELECTED_DB=${db} and DATABASE_URL is not set`);
      const s = load({
        SELECTED_DB: db,
        DB_HOST: 'db',
        DB_DATABASE: 'app',
        DB_USER: 'app',
        DB_PASSWORD: 'pw',
      });
      expect(s.DB_PORT).toBe(port);
      expect(
        load({ SELECTED_DB: db, DB_HOST: 'db', DB_DATABASE: 'app', DB_USER: 'u', DB_PORT: '6000' }).DB_PORT,
      ).toBe(6000);
    },
  );

  it.each([
    ['Postgres', 'postgres://u:p@db/app'],
    ['Postgres', 'postgresql://u:p@db/app'],
    ['Mysql', 'mysql://u:p@db/app'],
    ['Mysql', 'mariadb://u:p@db/app'],
  ])('accepts %s with DATABASE_URL %s and no DB_* parts', (db, url) => {
    expect(load({ SELECTED_DB: db, DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it.each([
    ['Postgres', 'mysql://u:p@db/app', '"mysql:"'],
    ['Mysql', 'postgres://u:p@db/app', '"postgres:"'],
  ])('rejects a DATABASE_URL whose scheme does not fit SELECTED_DB=%s', (db, url, scheme) => {
    const messages = messagesAbout(issuesFor({ SELECTED_DB: db, DATABASE_URL: url }), 'DATABASE_URL');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`got scheme ${scheme}`);
  });

  it('rejects a DATABASE_URL that is not a URL without echoing it', () => {
    const messages = messagesAbout(
      issuesFor({ SELECTED_DB: 'Postgres', DATABASE_URL: 'hunter2-db' }),
      'DATABASE_URL',
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).not.toContain('hunter2');
  });

  it('rejects a DATABASE_URL with SELECTED_DB=Pglite, pointing at PGLITE_DATA_DIR', () => {
    expect(
      messagesAbout(issuesFor({ SELECTED_DB: 'Pglite', DATABASE_URL: 'postgres://db/app' }), 'DATABASE_URL'),
    ).toEqual([expect.stringContaining('PGLITE_DATA_DIR')]);
  });

  it.each([
    ['DB_HOST', { DB_HOST: 'db.internal' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://app@db.internal/app' }],
    ['SQLALCHEMY_DATABASE_URI', { SQLALCHEMY_DATABASE_URI: 'postgresql+psycopg://app@db.internal/app' }],
  ])('rejects SELECTED_DB left unset while %s names a server, saying what to set', (name, env) => {
    const issues = issuesFor(env);
    expect(issues.map((i) => i.variable)).toEqual(['SELECTED_DB']);
    expect(issues[0]?.message).toContain(`is not set but ${name} is`);
    expect(issues[0]?.message).toContain('set SELECTED_DB=Postgres or SELECTED_DB=Mysql');
  });

  it.each([
    ['unset', {}],
    ['Pglite', { SELECTED_DB: 'Pglite' }],
  ])(
    'rejects production on an in-memory database (SELECTED_DB %s, no PGLITE_DATA_DIR), naming SELECTED_DB',
    (_, env) => {
      const issues = issuesFor(env, PROD_NO_DB);
      expect(issues.map((i) => i.variable)).toEqual(['SELECTED_DB']);
      expect(issues[0]?.message).toContain('ENVIRONMENT=production');
      expect(issues[0]?.message).toContain('set PGLITE_DATA_DIR');
    },
  );

  it('accepts production on Pglite with PGLITE_DATA_DIR, and in-memory Pglite outside production', () => {
    expect(load({ PGLITE_DATA_DIR: '/var/lib/app' }, PROD_NO_DB).SELECTED_DB).toBe('Pglite');
    expect(load({ SELECTED_DB: 'Pglite', PGLITE_DATA_DIR: '/var/lib/app' }, PROD_NO_DB).SELECTED_DB).toBe(
      'Pglite',
    );
    expect(load({ ENVIRONMENT: 'staging' }).SELECTED_DB).toBe('Pglite');
  });

  it('reads SQLALCHEMY_DATABASE_URI as DATABASE_URL, dropping the +driver suffix of the scheme', () => {
    expect(
      load({ SELECTED_DB: 'Postgres', SQLALCHEMY_DATABASE_URI: 'postgresql+psycopg://app:pw@db/app' })
        .DATABASE_URL,
    ).toBe('postgresql://app:pw@db/app');
    expect(load({ SELECTED_DB: 'Mysql', SQLALCHEMY_DATABASE_URI: 'mysql://app@db/app' }).DATABASE_URL).toBe(
      'mysql://app@db/app',
    );
  });

  it('prefers DATABASE_URL over SQLALCHEMY_DATABASE_URI when both are set', () => {
    const s = load({
      SELECTED_DB: 'Postgres',
      DATABASE_URL: 'postgres://app@primary/app',
      SQLALCHEMY_DATABASE_URI: 'mysql://app@other/app',
    });
    expect(s.DATABASE_URL).toBe('postgres://app@primary/app');
  });

  it('reads SQLALCHEMY_DATABASE_URI_FILE like any X_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'm8-alias-'));
    try {
      const file = join(dir, 'uri');
      writeFileSync(file, 'postgresql://app@db/app\n');
      expect(load({ SELECTED_DB: 'Postgres', SQLALCHEMY_DATABASE_URI_FILE: file }).DATABASE_URL).toBe(
        'postgresql://app@db/app',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names SQLALCHEMY_DATABASE_URI when its scheme does not fit SELECTED_DB', () => {
    const issues = issuesFor({ SELECTED_DB: 'Mysql', SQLALCHEMY_DATABASE_URI: 'postgresql://app@db/app' });
    expect(issues.map((i) => i.variable)).toEqual(['SQLALCHEMY_DATABASE_URI']);
  });

  it('accepts DB_STATEMENT_TIMEOUT_MS of 0 (off) and rejects a negative one', () => {
    expect(load({ DB_STATEMENT_TIMEOUT_MS: '0' }).DB_STATEMENT_TIMEOUT_MS).toBe(0);
    expect(load({ DB_STATEMENT_TIMEOUT_MS: '2500' }).DB_STATEMENT_TIMEOUT_MS).toBe(2500);
    expect(messagesAbout(issuesFor({ DB_STATEMENT_TIMEOUT_MS: '-1' }), 'DB_STATEMENT_TIMEOUT_MS')).toEqual([
      expect.stringContaining('expected a whole number between 0 and'),
    ]);
  });

  it('keeps PGLITE_DATA_DIR and leaves DB_PORT unset for Pglite', () => {
    expect(load({ PGLITE_DATA_DIR: './data' })).toMatchObject({
      PGLITE_DATA_DIR: './data',
      DB_PORT: undefined,
    });
  });
});

describe('rules over fields that failed', () => {
  it('does not pile a rule error on a field that already failed', () => {
    const issues = issuesFor({ ACCESS_TOKEN_ALGORITHM: 'XX256', ACCESS_SECRET_KEY: 'weak' });
    expect(issues.map((i) => i.variable)).toEqual(['ACCESS_TOKEN_ALGORITHM', 'ACCESS_SECRET_KEY']);
  });

  it('still runs the rules of fields that parsed', () => {
    const issues = issuesFor(
      { DB_POOL_MAX: 'x', TOKEN_STRICT_VALIDATION: 'true', TOKEN_ISSUER: undefined },
      { ...BASE_ENV, ACCESS_SECRET_KEY: STRONG },
    );
    expect(issues.map((i) => i.variable)).toEqual(['DB_POOL_MAX', 'TOKEN_ISSUER']);
  });
});

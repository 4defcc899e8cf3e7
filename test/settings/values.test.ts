import { describe, expect, it } from 'vitest';
import { issuesFor, load, messagesAbout } from './helpers.js';

describe('booleans', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['On', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
    [' yes ', true],
  ])('reads %j as %s', (raw, value) => {
    expect(load({ METRICS_ENABLED: raw }).METRICS_ENABLED).toBe(value);
  });

  it('rejects anything else, naming the accepted spellings and what arrived', () => {
    expect(messagesAbout(issuesFor({ HSTS_ENABLED: 'maybe' }), 'HSTS_ENABLED')).toEqual([
      'expected a boolean (true/false, 1/0, yes/no, on/off), got "maybe"',
    ]);
  });
});

describe('numbers', () => {
  it('reads whole numbers', () => {
    expect(load({ DB_POOL_MAX: '25', HSTS_MAX_AGE: '0', ACCESS_TOKEN_EXPIRE_MINUTES: '+15' })).toMatchObject({
      DB_POOL_MAX: 25,
      HSTS_MAX_AGE: 0,
      ACCESS_TOKEN_EXPIRE_MINUTES: 15,
    });
  });

  it.each([
    ['JWKS_CACHE_TTL_SECONDS', '0', 'between 1 and 2147483'],
    ['JWKS_CACHE_TTL_SECONDS', '1.5', 'whole number'],
    ['DB_POOL_MAX', '0', 'between 1 and 10000'],
    ['DB_POOL_MAX', 'ten', 'whole number'],
    ['DB_PORT', '0', 'between 1 and 65535'],
    ['DB_PORT', '65536', 'between 1 and 65535'],
    ['METRICS_PORT', '70000', 'between 1 and 65535'],
    ['REVOCATION_CACHE_TTL_SECONDS', '-1', 'between 0 and 2147483'],
    ['INTROSPECTION_MAX_SOCKETS', '0', 'between 1 and 1024'],
    ['INTROSPECTION_MAX_SOCKETS', '1025', 'between 1 and 1024'],
    ['INTROSPECTION_MAX_SOCKETS', '8.5', 'whole number'],
    ['HSTS_MAX_AGE', '-5', '>= 0'],
    ['ACCESS_TOKEN_EXPIRE_MINUTES', '0', '>= 1'],
    ['SHUTDOWN_TIMEOUT_SECONDS', '-0.5', 'between 0 and 2147483'],
    ['SHUTDOWN_DELAY_SECONDS', 'soon', 'number'],
    ['REQUEST_TIMEOUT_SECONDS', '-1', 'between 0 and 2147483'],
    ['REQUEST_TIMEOUT_SECONDS', 'long', 'number'],
  ])('rejects %s=%s, saying it must be %s', (name, raw, expectation) => {
    const messages = messagesAbout(issuesFor({ [name]: raw }), name);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expectation);
    expect(messages[0]).toContain(`got "${raw}"`);
  });

  it('accepts ports at both ends of the range and JWKS_CACHE_TTL_SECONDS=1', () => {
    expect(load({ METRICS_PORT: '1', DB_PORT: '65535', JWKS_CACHE_TTL_SECONDS: '1' })).toMatchObject({
      METRICS_PORT: 1,
      DB_PORT: 65535,
      JWKS_CACHE_TTL_SECONDS: 1,
    });
  });

  it('accepts fractional shutdown and request timeout seconds and zero', () => {
    expect(
      load({ SHUTDOWN_TIMEOUT_SECONDS: '0.5', SHUTDOWN_DELAY_SECONDS: '0', REQUEST_TIMEOUT_SECONDS: '0' }),
    ).toMatchObject({
      SHUTDOWN_TIMEOUT_SECONDS: 0.5,
      SHUTDOWN_DELAY_SECONDS: 0,
      REQUEST_TIMEOUT_SECONDS: 0,
    });
  });
});

describe('enumerations', () => {
  it('matches case-insensitively and returns the canonical spelling', () => {
    expect(
      load({
        SELECTED_DB: 'pglite',
        LOG_LEVEL: 'DEBUG',
        ENVIRONMENT: 'Staging',
        ACCESS_TOKEN_ALGORITHM: 'hs256',
      }),
    ).toMatchObject({
      SELECTED_DB: 'Pglite',
      LOG_LEVEL: 'debug',
      ENVIRONMENT: 'staging',
      ACCESS_TOKEN_ALGORITHM: 'HS256',
    });
  });

  it.each([
    ['ENVIRONMENT', 'prod', 'local, development, staging, production'],
    ['TOKEN_MODE', 'stateful2', 'stateless, hybrid, stateful'],
    ['ACCESS_TOKEN_ALGORITHM', 'none', 'RS256, RS384, RS512, PS256, ES256, ES384, EdDSA, HS256'],
    ['ACCESS_REVOCATION_FAILURE_MODE', 'open', 'fail_closed, fail_open'],
    ['SELECTED_DB', 'sqlite', 'Pglite, Postgres, Mysql'],
    ['LOG_LEVEL', 'verbose', 'fatal, error, warn, info, debug, trace, silent'],
  ])('rejects %s=%s and lists the allowed values', (name, raw, allowed) => {
    expect(messagesAbout(issuesFor({ [name]: raw }), name)).toEqual([
      `expected one of: ${allowed}, got "${raw}"`,
    ]);
  });

  it('rejects AUTH_SERVICE_ROLE=issuer because this library only consumes tokens', () => {
    const [message] = messagesAbout(issuesFor({ AUTH_SERVICE_ROLE: 'issuer' }), 'AUTH_SERVICE_ROLE');
    expect(message).toMatch(/only consumes .*tokens.*never issues/);
  });

  it('accepts AUTH_SERVICE_ROLE=consumer', () => {
    expect(load({ AUTH_SERVICE_ROLE: 'consumer' }).AUTH_SERVICE_ROLE).toBe('consumer');
  });
});

describe('path prefixes', () => {
  it.each([
    ['/api', '/api'],
    ['api', '/api'],
    ['/api/', '/api'],
    ['//api//v1///', '/api/v1'],
    ['/', ''],
  ])('normalises API_PREFIX %j to %j', (raw, value) => {
    expect(load({ API_PREFIX: raw }).API_PREFIX).toBe(value);
  });

  it('normalises AUTH_PREFIX the same way', () => {
    expect(load({ AUTH_PREFIX: 'login/' }).AUTH_PREFIX).toBe('/login');
  });

  it('rejects a prefix with spaces or a query', () => {
    expect(messagesAbout(issuesFor({ API_PREFIX: '/my api' }), 'API_PREFIX')).toHaveLength(1);
    expect(messagesAbout(issuesFor({ API_PREFIX: '/api?x=1' }), 'API_PREFIX')).toHaveLength(1);
  });
});

describe('lists', () => {
  it('splits on commas, trims entries and drops empty ones', () => {
    const s = load({
      ALLOWED_HOSTS: ' api.example.com , ,*.example.com,',
      BACKEND_CORS_ORIGINS: 'http://a.test, ',
    });
    expect(s.ALLOWED_HOSTS).toEqual(['api.example.com', '*.example.com']);
    expect(s.BACKEND_CORS_ORIGINS).toEqual(['http://a.test']);
  });

  it('reads a set-but-empty list as an empty list (BACKEND_CORS_ORIGINS is then satisfied)', () => {
    const s = load({ BACKEND_CORS_ORIGINS: '', ALLOWED_HOSTS: '' });
    expect(s.BACKEND_CORS_ORIGINS).toEqual([]);
    expect(s.ALLOWED_HOSTS).toEqual([]);
    expect(s.ALLOWED_ORIGINS).toEqual(['http://localhost:5173']);
  });

  it('lower-cases ALLOWED_HOSTS and rejects entries with a scheme or port', () => {
    expect(load({ ALLOWED_HOSTS: 'API.Example.com' }).ALLOWED_HOSTS).toEqual(['api.example.com']);
    const issues = issuesFor({ ALLOWED_HOSTS: 'https://a.example.com,b.example.com:8080' });
    expect(messagesAbout(issues, 'ALLOWED_HOSTS')).toEqual([
      expect.stringContaining('got "https://a.example.com"'),
      expect.stringContaining('got "b.example.com:8080"'),
    ]);
  });

  it('accepts IPv6 literals in ALLOWED_HOSTS, bare or bracketed, and rejects malformed ones or ones with a port', () => {
    expect(load({ ALLOWED_HOSTS: '::1,[::1],[2001:DB8::7]' }).ALLOWED_HOSTS).toEqual([
      '::1',
      '[::1]',
      '[2001:db8::7]',
    ]);
    const issues = issuesFor({ ALLOWED_HOSTS: '[:::],[::1]:8080,fe80::1%eth0' });
    expect(messagesAbout(issues, 'ALLOWED_HOSTS')).toEqual([
      expect.stringContaining('got "[:::]"'),
      expect.stringContaining('got "[::1]:8080"'),
      expect.stringContaining('got "fe80::1%eth0"'),
    ]);
  });

  it('accepts "*" in ALLOWED_HOSTS outside production', () => {
    expect(load({ ALLOWED_HOSTS: '*' }).ALLOWED_HOSTS).toEqual(['*']);
  });
});

describe('ALLOWED_ORIGINS', () => {
  it('is BACKEND_CORS_ORIGINS plus FRONTEND_HOST, trailing slashes stripped, de-duplicated', () => {
    const s = load({
      BACKEND_CORS_ORIGINS: 'http://localhost:5173/,https://admin.example.com//,https://admin.example.com',
      FRONTEND_HOST: 'http://localhost:5173/',
    });
    expect(s.ALLOWED_ORIGINS).toEqual(['http://localhost:5173', 'https://admin.example.com']);
    expect(s.BACKEND_CORS_ORIGINS).toEqual([
      'http://localhost:5173/',
      'https://admin.example.com//',
      'https://admin.example.com',
    ]);
  });

  it('uses the origin of FRONTEND_HOST when it carries a path', () => {
    expect(load({ FRONTEND_HOST: 'https://example.com/app/' }).ALLOWED_ORIGINS).toContain(
      'https://example.com',
    );
  });

  it('rejects "*" with an error naming BACKEND_CORS_ORIGINS', () => {
    const issues = issuesFor({ BACKEND_CORS_ORIGINS: 'https://a.example.com,*' });
    expect(messagesAbout(issues, 'BACKEND_CORS_ORIGINS')).toEqual([
      expect.stringContaining('"*" is not allowed'),
    ]);
  });

  it('rejects entries that are not http(s) origins', () => {
    const issues = issuesFor({ BACKEND_CORS_ORIGINS: 'example.com,ftp://x.test,https://x.test/path' });
    expect(messagesAbout(issues, 'BACKEND_CORS_ORIGINS')).toHaveLength(3);
  });
});

describe('METRICS_GROUPS', () => {
  it('expands "all" to every group', () => {
    expect(load({ METRICS_GROUPS: 'all' }).METRICS_GROUPS).toEqual([
      'traffic',
      'performance',
      'reliability',
      'health',
      'auth',
      'db',
      'process',
    ]);
  });

  it('keeps only the listed groups, case-insensitively, without duplicates', () => {
    expect(load({ METRICS_GROUPS: 'auth, Traffic,auth' }).METRICS_GROUPS).toEqual(['traffic', 'auth']);
  });

  it('rejects an unknown group and lists the known ones', () => {
    expect(messagesAbout(issuesFor({ METRICS_GROUPS: 'traffic,latency' }), 'METRICS_GROUPS')).toEqual([
      'expected "all" or groups among: traffic, performance, reliability, health, auth, db, process, got "latency"',
    ]);
  });
});

describe('URLs and strings', () => {
  it.each(['BACKEND_HOST', 'FRONTEND_HOST', 'JWKS_URI', 'INTROSPECTION_URL'])(
    'validates %s as an http(s) URL',
    (name) => {
      expect(messagesAbout(issuesFor({ [name]: 'not a url' }), name)).toEqual([
        'expected an absolute http(s) URL, got "not a url"',
      ]);
      expect(messagesAbout(issuesFor({ [name]: 'ftp://x.test' }), name)).toEqual([
        expect.stringContaining('http:// or https://'),
      ]);
    },
  );

  it('validates REFERRER_POLICY tokens', () => {
    expect(load({ REFERRER_POLICY: 'no-referrer, strict-origin' }).REFERRER_POLICY).toBe(
      'no-referrer, strict-origin',
    );
    expect(messagesAbout(issuesFor({ REFERRER_POLICY: 'sometimes' }), 'REFERRER_POLICY')).toHaveLength(1);
  });

  it('keeps CONTENT_SECURITY_POLICY and PERMISSIONS_POLICY as given, without control characters', () => {
    const s = load({ CONTENT_SECURITY_POLICY: "default-src 'self'", PERMISSIONS_POLICY: 'camera=()' });
    expect(s.CONTENT_SECURITY_POLICY).toBe("default-src 'self'");
    expect(s.PERMISSIONS_POLICY).toBe('camera=()');
    expect(
      messagesAbout(issuesFor({ PERMISSIONS_POLICY: 'camera=()\r\nX-Evil: 1' }), 'PERMISSIONS_POLICY'),
    ).toEqual(['expected a header value without control characters']);
  });

  it('requires TABLES_PREFIX to be an SQL identifier', () => {
    expect(load({ TABLES_PREFIX: 'shop_v2' }).TABLES_PREFIX).toBe('shop_v2');
    expect(messagesAbout(issuesFor({ TABLES_PREFIX: 'drop table;' }), 'TABLES_PREFIX')).toHaveLength(1);
  });

  it('trims plain strings', () => {
    expect(load({ PROJECT_NAME: '  items  ', SERVICE_VERSION: ' 1.2.3\n' })).toMatchObject({
      PROJECT_NAME: 'items',
      SERVICE_VERSION: '1.2.3',
    });
  });
});

describe('messages about URLs', () => {
  it('mask credentials inside a URL they quote', () => {
    expect(messagesAbout(issuesFor({ JWKS_URI: 'https://user:pa55word@bad host/jwks' }), 'JWKS_URI')).toEqual(
      ['expected an absolute http(s) URL, got "https://***:***@bad host/jwks"'],
    );
    const prod = issuesFor({
      INTROSPECTION_URL: 'http://svc:pa55word@auth.example.com/i',
      ENVIRONMENT: 'production',
    });
    expect(JSON.stringify(prod)).not.toContain('pa55word');
    expect(messagesAbout(prod, 'INTROSPECTION_URL')).toEqual([
      'must use https:// in production or strict mode, got "http://***:***@auth.example.com/i"',
    ]);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertCompatible,
  assertDriverCompatible,
  CAPABILITIES,
  COMPAT_MATRIX,
  type CompatRow,
  checkCompat,
  installedVersion,
  satisfies,
  VERSION,
} from '../../src/compat/index.js';
import { CompatError, M8Error } from '../../src/errors.js';

const pkg = createRequire(import.meta.url)('../../package.json') as {
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

const ROW: CompatRow = {
  node: '>=20.19',
  express: '^4.21 || ^5',
  kysely: '^0.28',
  pg: '^8.11',
  mysql2: '^3.9',
  '@electric-sql/pglite': '>=0.2',
};
const MATRIX = { '0.1': ROW };

function thrown(fn: () => void): CompatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CompatError) return error;
    throw error;
  }
  throw new Error('expected a CompatError, nothing was thrown');
}

describe('VERSION and COMPAT_MATRIX', () => {
  it('VERSION equals the version in package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('has a row for the running minor that agrees with engines and peerDependencies', () => {
    const key = VERSION.split('.').slice(0, 2).join('.');
    const row = COMPAT_MATRIX[key];
    expect(row).toBeDefined();
    expect(row?.node).toBe(pkg.engines.node);
    expect(row?.express).toBe(pkg.peerDependencies['express']);
    expect(row?.pg).toBe(pkg.peerDependencies['pg']);
    expect(row?.mysql2).toBe(pkg.peerDependencies['mysql2']);
    expect(row?.['@electric-sql/pglite']).toBe(pkg.peerDependencies['@electric-sql/pglite']);
    // kysely is a dependency: the lowest version it allows, and the installed one, must be in the row.
    expect(satisfies(pkg.dependencies['kysely']?.replace(/^[\^~]/, '') ?? '', row?.kysely ?? '')).toBe(true);
    expect(satisfies(installedVersion('kysely') ?? '', row?.kysely ?? '')).toBe(true);
  });

  it('freezes the matrix, its rows and the capabilities', () => {
    expect(Object.isFrozen(COMPAT_MATRIX)).toBe(true);
    for (const row of Object.values(COMPAT_MATRIX)) expect(Object.isFrozen(row)).toBe(true);
    expect(Object.isFrozen(CAPABILITIES)).toBe(true);
  });

  it('lists the capabilities of this build as true', () => {
    expect(CAPABILITIES).toMatchObject({
      db_optional: true,
      health_detail_gating: true,
      jwks: true,
      hs256: true,
      revocation: true,
      metrics: true,
      cluster_metrics: true,
      tracing: true,
      pglite: true,
      mysql: true,
      postgres: true,
    });
  });
});

describe('checkCompat with an injected version table', () => {
  it('reports Node 18.20 with the installed version, the range and the fix', () => {
    const problems = checkCompat({
      versions: { node: '18.20.4', express: '5.1.0' },
      matrix: MATRIX,
      version: '0.1.0',
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'ERR_COMPAT_NODE',
      component: 'node',
      installed: '18.20.4',
      range: '>=20.19',
      fix: 'nvm install 22',
    });
    expect(problems[0]?.message).toContain('18.20.4');
    expect(problems[0]?.message).toContain('>=20.19');
    expect(problems[0]?.message).toContain('nvm install 22');
  });

  it('reports express 4.17 with the installed version, the range and the fix', () => {
    const [problem] = checkCompat({
      versions: { node: '22.3.0', express: '4.17.3' },
      matrix: MATRIX,
      version: '0.1.0',
    });
    expect(problem).toMatchObject({ code: 'ERR_COMPAT_EXPRESS', installed: '4.17.3', range: '^4.21 || ^5' });
    expect(problem?.message).toMatch(/express 4\.17\.3 is installed/);
    expect(problem?.message).toContain('npm install express@^5');
  });

  it.each(['4.21.2', '5.0.0', '5.1.0'])('accepts express %s on Node 20.19', (express) => {
    expect(checkCompat({ versions: { node: '20.19.0', express }, matrix: MATRIX, version: '0.1.0' })).toEqual(
      [],
    );
  });

  it('tells how to install express when it is missing', () => {
    const [problem] = checkCompat({
      versions: { node: '22.3.0', express: null },
      matrix: MATRIX,
      version: '0.1.0',
    });
    expect(problem).toMatchObject({
      code: 'ERR_COMPAT_EXPRESS',
      installed: null,
      fix: 'npm install express',
    });
    expect(problem?.message).toContain('express is not installed');
  });

  it('reports every problem at once, node first', () => {
    const problems = checkCompat({
      versions: { node: '18.0.0', express: '3.0.0' },
      matrix: MATRIX,
      version: '0.1.0',
    });
    expect(problems.map((p) => p.code)).toEqual(['ERR_COMPAT_NODE', 'ERR_COMPAT_EXPRESS']);
  });

  it('uses the row of the given express-m8 minor', () => {
    const matrix = { ...MATRIX, '0.2': { ...ROW, node: '>=22' } };
    expect(
      checkCompat({ versions: { node: '20.19.0', express: '5.0.0' }, matrix, version: '0.1.4' }),
    ).toEqual([]);
    const [problem] = checkCompat({
      versions: { node: '20.19.0', express: '5.0.0' },
      matrix,
      version: '0.2.0',
    });
    expect(problem?.range).toBe('>=22');
  });

  it('throws a TypeError when the matrix has no row for the version', () => {
    expect(() =>
      checkCompat({ versions: { node: '22.0.0', express: '5.0.0' }, matrix: MATRIX, version: '0.9.0' }),
    ).toThrow(/no row "0\.9"/);
  });

  it('passes on the running Node.js and the installed express', () => {
    expect(checkCompat()).toEqual([]);
    expect(() => assertCompatible()).not.toThrow();
  });
});

describe('assertCompatible', () => {
  it('throws a CompatError ERR_COMPAT_NODE naming 18.20 and >=20.19', () => {
    const error = thrown(() =>
      assertCompatible({ versions: { node: '18.20.0', express: '5.1.0' }, matrix: MATRIX }),
    );
    expect(error).toBeInstanceOf(M8Error);
    expect(error.name).toBe('CompatError');
    expect(error.code).toBe('ERR_COMPAT_NODE');
    expect(error.message).toContain('Node.js 18.20.0');
    expect(error.message).toContain('>=20.19');
    expect(error.message).toContain('nvm install 22');
  });

  it('throws ERR_COMPAT_EXPRESS for express 4.17', () => {
    const error = thrown(() =>
      assertCompatible({ versions: { node: '22.3.0', express: '4.17.1' }, matrix: MATRIX }),
    );
    expect(error.code).toBe('ERR_COMPAT_EXPRESS');
    expect(error.message).toContain('4.17.1');
    expect(error.message).toContain('^4.21 || ^5');
  });

  it('lists every problem in one message', () => {
    const error = thrown(() =>
      assertCompatible({ versions: { node: '18.0.0', express: null }, matrix: MATRIX }),
    );
    expect(error.code).toBe('ERR_COMPAT_NODE');
    expect(error.message.split('\n')).toHaveLength(2);
    expect(error.message).toContain('npm install express');
  });
});

describe('assertDriverCompatible', () => {
  it.each([
    ['pg', '8.11.0'],
    ['pg', '8.16.3'],
    ['mysql2', '3.9.0'],
    ['mysql2', '3.14.1'],
    ['@electric-sql/pglite', '0.2.0'],
    ['@electric-sql/pglite', '0.5.16'],
  ] as const)('accepts %s %s', (name, version) => {
    expect(() => assertDriverCompatible(name, version, { matrix: MATRIX, version: '0.1.0' })).not.toThrow();
  });

  it('rejects pg 8.5 with ERR_COMPAT_DRIVER and the npm install command', () => {
    const error = thrown(() => assertDriverCompatible('pg', '8.5.1', { matrix: MATRIX, version: '0.1.0' }));
    expect(error.code).toBe('ERR_COMPAT_DRIVER');
    expect(error.message).toContain('pg 8.5.1 is installed');
    expect(error.message).toContain('npm install pg@"^8.11"');
  });

  it.each([
    ['mysql2', '2.3.3', 'npm install mysql2@"^3.9"'],
    ['mysql2', '4.0.0', 'npm install mysql2@"^3.9"'],
    ['@electric-sql/pglite', '0.1.5', 'npm install @electric-sql/pglite@">=0.2"'],
  ] as const)('rejects %s %s and tells `%s`', (name, version, fix) => {
    const error = thrown(() => assertDriverCompatible(name, version, { matrix: MATRIX, version: '0.1.0' }));
    expect(error.code).toBe('ERR_COMPAT_DRIVER');
    expect(error.message).toContain(fix);
  });

  it('accepts the drivers installed in this repository', () => {
    for (const name of ['pg', 'mysql2', '@electric-sql/pglite'] as const) {
      const version = installedVersion(name);
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
      expect(() => assertDriverCompatible(name, version ?? '')).not.toThrow();
    }
  });
});

describe('installedVersion', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'm8-compat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prefers the express of the consumer's working directory", () => {
    mkdirSync(path.join(dir, 'node_modules', 'express'), { recursive: true });
    writeFileSync(
      path.join(dir, 'node_modules', 'express', 'package.json'),
      JSON.stringify({ name: 'express', version: '4.17.1' }),
    );
    expect(installedVersion('express', dir)).toBe('4.17.1');
  });

  it('answers null for a package that is not installed', () => {
    expect(installedVersion('express-m8-no-such-package', dir)).toBeNull();
  });

  it('falls back to the express this module resolves', () => {
    const own = createRequire(import.meta.url)('express/package.json') as { version: string };
    expect(installedVersion('express', path.parse(dir).root)).toBe(own.version);
  });
});

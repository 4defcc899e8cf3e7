import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { numberOption, parseCommandArgs } from '../../src/cli/args.js';
import { checkConfigCommand } from '../../src/cli/check-config.js';
import { devTokenCommand } from '../../src/cli/dev-token.js';
import { CliExit, codeOf, messageOf, UsageError } from '../../src/cli/io.js';
import { main, USAGE } from '../../src/cli/main.js';
import { createMigration, migrationStamp, migrationTemplate } from '../../src/cli/migrate-create.js';
import { openApiCommand } from '../../src/cli/openapi.js';
import { VERSION } from '../../src/compat/index.js';
import { ROOT } from './build.js';
import { SECRET } from './helpers.js';
import { cli, recordingIo, tempDir } from './in-process.js';

const KEYS = path.join(ROOT, 'test/fixtures/keys');
const OPENAPI = path.join(ROOT, 'test/fixtures/openapi');
/** Valid production settings (HS256 in production is a configuration warning). */
const PROD = {
  ENVIRONMENT: 'production',
  BACKEND_CORS_ORIGINS: 'https://app.example.com',
  FRONTEND_HOST: 'https://app.example.com',
  BACKEND_HOST: 'https://api.example.com',
  PGLITE_DATA_DIR: '/nonexistent/m8-never-opened',
};

let scratch: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  scratch = await tempDir();
});
afterAll(() => scratch.cleanup());

describe('runCli dispatcher (in process)', () => {
  it('prints the usage for no command, --help, -h and help, and the version for -v / --version', async () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      expect(await cli(argv)).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    }
    for (const argv of [['-v'], ['--version']]) {
      expect(await cli(argv)).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });

  it('exits 2 for an unknown command (also an inherited property name), with the usage', async () => {
    for (const name of ['frobnicate', 'toString']) {
      const run = await cli([name]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`express-m8: unknown command "${name}"\n\n${USAGE}`);
    }
  });

  it("turns a UsageError into exit 2 with the command's usage, and CliExit into its code", async () => {
    const bad = await cli(['check-config', '--nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^express-m8 check-config: Unknown option '--nope'/);
    expect(bad.stderr).toContain('Usage: express-m8 check-config [--json]');
    const invalid = await cli(['check-config'], { ACCESS_SECRET_KEY: undefined, TOKEN_MODE: 'nonsense' });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toMatch(/^express-m8 check-config: .*TOKEN_MODE/s);
  });

  it('lets an unexpected error through (main() reports it as exit 1)', async () => {
    const io = recordingIo();
    // A --extend module that throws a non-SettingsError while the settings load is not swallowed.
    await expect(runThrowing(io)).rejects.toThrow('boom from extend');
  });
});

async function throwingExtend(): Promise<string> {
  const file = path.join(scratch.dir, 'throwing-extend.mjs');
  await writeFile(
    file,
    "export const extend = { shape: {}, safeParse() { throw new Error('boom from extend'); }, extend() { throw new Error('boom from extend'); } };\n",
  );
  return file;
}

async function runThrowing(io: ReturnType<typeof recordingIo>): Promise<number> {
  const file = await throwingExtend();
  const { runCli } = await import('../../src/cli/main.js');
  return runCli(['check-config', '--extend', file], io);
}

describe('main (in process, through its io and exit seams)', () => {
  async function runMain(argv: readonly string[]) {
    const io = recordingIo();
    const exits: number[] = [];
    const before = process.exitCode;
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      await main(argv, io, (code) => exits.push(code));
      const exitCode = process.exitCode;
      expect(exits).toEqual([]);
      vi.advanceTimersByTime(1000);
      return { exitCode, exits, stdout: io.stdoutText(), stderr: io.stderrText() };
    } finally {
      vi.useRealTimers();
      process.exitCode = before;
    }
  }

  it('sets the exit code and exits with it one second later', async () => {
    expect(await runMain(['--version'])).toEqual({
      exitCode: 0,
      exits: [0],
      stdout: `${VERSION}\n`,
      stderr: '',
    });
    const bad = await runMain(['nope']);
    expect(bad.exitCode).toBe(2);
    expect(bad.exits).toEqual([2]);
  });

  it('reports an unexpected error on stderr and exits 1', async () => {
    const file = await throwingExtend();
    expect(await runMain(['check-config', '--extend', file])).toEqual({
      exitCode: 1,
      exits: [1],
      stdout: '',
      stderr: 'express-m8: unexpected error: boom from extend\n',
    });
  });
});

describe('args helpers', () => {
  it('numberOption: fallback, accepted values and every rejected form', () => {
    const parse = (value: string) => parseCommandArgs(['--n', value], { n: { type: 'string' } }, false);
    expect(
      numberOption(parseCommandArgs([], { n: { type: 'string' } }, false), 'n', 7, { min: 1, integer: true }),
    ).toBe(7);
    expect(numberOption(parse('2.5'), 'n', 0, { min: 0, integer: false })).toBe(2.5);
    expect(() => numberOption(parse('2.5'), 'n', 0, { min: 0, integer: true })).toThrow(
      new UsageError('--n must be a whole number >= 0 (got "2.5")'),
    );
    expect(() => numberOption(parse(' '), 'n', 0, { min: 0, integer: false })).toThrow(
      new UsageError('--n must be a number >= 0 (got " ")'),
    );
    expect(() => numberOption(parse('-1'), 'n', 0, { min: 0, integer: false })).toThrow(UsageError);
    expect(() => parseCommandArgs(['stray'], {}, false)).toThrow(UsageError);
  });

  it('messageOf and codeOf describe any thrown value', () => {
    expect(messageOf(new Error(''))).toBe('Error');
    expect(messageOf('plain')).toBe('plain');
    expect(codeOf(Object.assign(new Error('x'), { code: 'E1' }))).toBe('E1');
    expect(codeOf({ code: 5 })).toBeUndefined();
    expect(codeOf(null)).toBeUndefined();
  });
});

describe('check-config (in process)', () => {
  it('--help prints the usage', async () => {
    const io = recordingIo();
    expect(await checkConfigCommand(['--help'], io)).toBe(0);
    expect(io.stdoutText()).toMatch(/^Usage: express-m8 check-config/);
  });

  it('prints the aligned redacted summary, every kind of value, and the warning count', async () => {
    const run = await cli(['check-config'], { BACKEND_CORS_ORIGINS: 'http://a.test,http://b.test' });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const width = lines[0]!.indexOf(' = ');
    expect(lines.every((l) => l.indexOf(' = ') === width)).toBe(true);
    const value = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.slice(width + 3);
    expect(value('ACCESS_SECRET_KEY')).toBe('***');
    expect(value('DOMAIN')).toBe('localhost');
    expect(value('BACKEND_CORS_ORIGINS')).toBe('http://a.test,http://b.test');
    expect(value('API_PREFIX')).toBe('/api');
    expect(value('CORS_ALLOW_HEADERS')).toBe('(empty)');
    expect(value('JWKS_URI')).toBe('(unset)');
    expect(value('ACCESS_TOKEN_EXPIRE_MINUTES')).toBe('30');
    expect(run.stdout).not.toContain(SECRET);
    expect(run.stderr).toMatch(/express-m8 check-config: the settings are valid \(\d+ warnings?\)\n$/);
  });

  it('--json prints {settings, warnings}', async () => {
    const run = await cli(['check-config', '--json']);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as { settings: Record<string, unknown>; warnings: unknown[] };
    expect(parsed.settings['ACCESS_SECRET_KEY']).toBe('***');
    expect(parsed.settings['PROJECT_NAME']).toBe('cli-test');
    expect(Array.isArray(parsed.warnings)).toBe(true);
    expect(run.stdout).not.toContain(SECRET);
  });

  it('prints one "warning:" line per configuration warning, counted in the last line', async () => {
    const run = await cli(['check-config', '--json'], PROD);
    expect(run.stderr).toBe('');
    const warnings = (JSON.parse(run.stdout) as { warnings: { variable: string; message: string }[] })
      .warnings;
    expect(warnings.map((w) => w.variable)).toContain('ACCESS_TOKEN_ALGORITHM');
    const text = await cli(['check-config'], PROD);
    expect(text.code).toBe(0);
    const expected = warnings.map((w) => `warning: ${w.variable}: ${w.message}\n`).join('');
    const n = warnings.length;
    expect(text.stderr).toBe(
      `${expected}express-m8 check-config: the settings are valid (${n} warning${n === 1 ? '' : 's'})\n`,
    );
  });
});

describe('check-config one warning (in process)', () => {
  it('counts a single warning in the singular', async () => {
    const run = await cli(['check-config'], { ...PROD, ALLOWED_HOSTS: 'api.example.com' });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'warning: ACCESS_TOKEN_ALGORITHM: HS256 in production: every service holding the secret can mint tokens; prefer RS256 or ES256\n' +
        'express-m8 check-config: the settings are valid (1 warning)\n',
    );
  });
});

describe('check-config --extend (in process)', () => {
  it('validates extension fields from the extend or default export', async () => {
    const named = path.join(ROOT, 'test/cli/.tmp-inproc-extend-named.mjs');
    const dflt = path.join(ROOT, 'test/cli/.tmp-inproc-extend-default.mjs');
    await writeFile(
      named,
      "import { z } from 'zod';\nexport const extend = z.object({ SHOP_PORT: z.coerce.number().int() });\n",
    );
    await writeFile(dflt, "import { z } from 'zod';\nexport default z.object({ SHOP_NAME: z.string() });\n");
    try {
      const ok = await cli(['check-config', '--json', '--extend', named], { SHOP_PORT: '8080' });
      expect(ok.code).toBe(0);
      expect((JSON.parse(ok.stdout) as { settings: Record<string, unknown> }).settings['SHOP_PORT']).toBe(
        8080,
      );
      const bad = await cli(['check-config', '--extend', named], { SHOP_PORT: 'abc' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('SHOP_PORT');
      const missing = await cli(['check-config', '--extend', dflt]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('SHOP_NAME');
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(named, { force: true });
      await rm(dflt, { force: true });
    }
  });

  it('exit 2 for a module without a zod object, a missing module, a missing package', async () => {
    const nothing = path.join(scratch.dir, 'nothing.mjs');
    await writeFile(nothing, 'export const answer = 42;\n');
    const empty = path.join(scratch.dir, 'empty.mjs');
    await writeFile(empty, '\n');

    const a = await cli(['check-config', '--extend', nothing]);
    expect(a).toEqual({
      code: 2,
      stdout: '',
      stderr: `express-m8 check-config: --extend ${nothing}: expected a zod object (z.object({...})) as its "extend" or default export; exports: answer\n`,
    });
    const b = await cli(['check-config', '--extend', empty]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/exports: none\n$/);
    const c = await cli(['check-config', '--extend', path.join(scratch.dir, 'absent.mjs')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/absent\.mjs: cannot be imported \(/);
    const d = await cli(['check-config', '--extend', 'no-such-package-m8-xyz']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(
      /^express-m8 check-config: --extend no-such-package-m8-xyz: cannot be imported \(/,
    );
  });
});

describe('dev-token (in process)', () => {
  const hs = new TextEncoder().encode(SECRET);

  it('--help prints the usage', async () => {
    const io = recordingIo();
    expect(await devTokenCommand(['-h'], io)).toBe(0);
    expect(io.stdoutText()).toMatch(/^Usage: express-m8 dev-token/);
  });

  it('mints an HS256 token with the given claims, kid and lifetime', async () => {
    const sub = '0b7c2d3e-1f20-4a5b-8c9d-0e1f2a3b4c5d';
    const tenant = '1b7c2d3e-1f20-4a5b-8c9d-0e1f2a3b4c5d';
    const run = await cli([
      'dev-token',
      '--role',
      'admin',
      '--email',
      'a@b.test',
      '--sub',
      sub,
      '--tenant',
      tenant,
      '--name',
      'Ann',
      '--expires-minutes',
      '3',
      '--kid',
      'k1',
    ]);
    expect(run.code).toBe(0);
    const token = run.stdout.trimEnd();
    const { payload } = await jwtVerify(token, hs, {
      issuer: 'https://auth.cli.invalid',
      audience: 'cli-test',
    });
    expect(payload).toMatchObject({
      sub,
      email: 'a@b.test',
      role: 'admin',
      tenant_id: tenant,
      full_name: 'Ann',
    });
    expect(payload.exp! - payload.iat!).toBe(180);
    expect(decodeProtectedHeader(token).kid).toBe('k1');
    expect(run.stderr).toBe(`note: HS256 token for a@b.test (role admin, sub ${sub}), expires in 3 min\n`);
  });

  it('defaults: role user, dev@example.com, random sub, no kid', async () => {
    const run = await cli(['dev-token']);
    expect(run.code).toBe(0);
    const token = run.stdout.trimEnd();
    const { payload } = await jwtVerify(token, hs);
    expect(payload).toMatchObject({
      email: 'dev@example.com',
      role: 'user',
      tenant_id: null,
      full_name: 'Dev User',
    });
    expect(decodeProtectedHeader(token).kid).toBeUndefined();
  });

  it('bad arguments are usage errors (exit 2 with the usage)', async () => {
    for (const [argv, message] of [
      [['--role', 'god'], '--role must be one of user, reader, writer, admin, superadmin (got "god")'],
      [['--email', 'nope'], '--email must look like name@domain (got "nope")'],
      [['--sub', 'x'], '--sub must be a UUID (got "x")'],
      [['--tenant', 'y'], '--tenant must be a UUID (got "y")'],
      [['--expires-minutes', '0'], '--expires-minutes must be a whole number >= 1 (got "0")'],
    ] as const) {
      const run = await cli(['dev-token', ...argv]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        new RegExp(`^express-m8 dev-token: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n\nUsage:`),
      );
    }
  });

  it('is refused in production and under STRICT_PRODUCTION_MODE', async () => {
    const prod = recordingIo(PROD);
    const error = await devTokenCommand([], prod).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliExit);
    expect((error as CliExit).exitCode).toBe(2);
    expect(prod.stderrText()).toBe(
      'express-m8 dev-token: refused: ENVIRONMENT=production; dev tokens are for local development only\n',
    );
    expect(prod.stdoutText()).toBe('');
    const strict = await cli(['dev-token'], {
      ...PROD,
      ENVIRONMENT: 'staging',
      STRICT_PRODUCTION_MODE: 'true',
    });
    expect(strict).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'express-m8 dev-token: refused: ENVIRONMENT=staging, STRICT_PRODUCTION_MODE=true; dev tokens are for local development only\n',
    });
  });

  it('refuses --private-key under HS256', async () => {
    const run = await cli(['dev-token', '--private-key', path.join(KEYS, 'ec-private.pem')]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'express-m8 dev-token: --private-key is for RS256/ES256, but ACCESS_TOKEN_ALGORITHM=HS256 (omit it to sign with ACCESS_SECRET_KEY)\n',
    });
  });

  describe('ES256', () => {
    const es = {
      ACCESS_TOKEN_ALGORITHM: 'ES256',
      ACCESS_SECRET_KEY: undefined,
      ACCESS_PUBLIC_KEY_FILE: path.join(KEYS, 'ec-public.pem'),
    };

    it('signs with the matching private key, verifiable with the configured public key', async () => {
      const run = await cli(
        ['dev-token', '--private-key', path.join(KEYS, 'ec-private.pem'), '--kid', 'dev'],
        es,
      );
      expect(run.stderr).toMatch(/^note: ES256 token for dev@example.com/);
      expect(run.code).toBe(0);
      const pub = createPublicKey(readFileSync(path.join(KEYS, 'ec-public.pem'), 'utf8'));
      const { payload } = await jwtVerify(run.stdout.trimEnd(), pub);
      expect(payload.role).toBe('user');
      expect(decodeProtectedHeader(run.stdout.trimEnd())).toMatchObject({ alg: 'ES256', kid: 'dev' });
    });

    it('needs --private-key', async () => {
      const run = await cli(['dev-token'], es);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'express-m8 dev-token: ACCESS_TOKEN_ALGORITHM=ES256 needs --private-key <PEM> (the dev key matching ACCESS_PUBLIC_KEY_FILE)\n',
      );
    });

    it('rejects an unreadable key, a key of the wrong type and a key that does not match the service', async () => {
      const missing = path.join(scratch.dir, 'absent.pem');
      const a = await cli(['dev-token', '--private-key', missing], es);
      expect(a.code).toBe(2);
      expect(a.stderr).toMatch(
        new RegExp(`^express-m8 dev-token: --private-key "${missing}" is not a readable PEM private key \\(`),
      );
      const b = await cli(['dev-token', '--private-key', path.join(KEYS, 'rsa-private.pem')], es);
      expect(b.code).toBe(2);
      expect(b.stderr).toMatch(/^express-m8 dev-token: ACCESS_TOKEN_ALGORITHM=/);
      expect(b.stdout).toBe('');
      const other = path.join(scratch.dir, 'other-ec.pem');
      const { generateKeyPairSync } = await import('node:crypto');
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await writeFile(other, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const c = await cli(['dev-token', '--private-key', other], es);
      expect(c.code).toBe(2);
      expect(c.stderr).toContain('--private-key does not match ACCESS_PUBLIC_KEY_FILE');
    });
  });
});

describe('openapi (in process)', () => {
  it('--help, missing module and extra arguments', async () => {
    const io = recordingIo();
    expect(await openApiCommand(['--help'], io)).toBe(0);
    expect(io.stdoutText()).toMatch(/^Usage: express-m8 openapi/);
    const none = await cli(['openapi']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /^express-m8 openapi: missing <module>: the file that exports your app\n\nUsage: express-m8 openapi/,
    );
    const two = await cli(['openapi', 'a.mjs', 'b.mjs']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/^express-m8 openapi: one module expected \(got also b\.mjs\)/);
  });

  it('prints the document of the default export, a CommonJS module.exports.app and a named --export', async () => {
    const esm = await cli(['openapi', path.join(OPENAPI, 'default-export.mjs')]);
    expect(esm.code).toBe(0);
    expect((JSON.parse(esm.stdout) as { info: unknown }).info).toEqual({
      title: 'from default',
      version: '1',
    });
    const cjs = await cli(['openapi', path.join(OPENAPI, 'named.cjs')]);
    expect(cjs.code).toBe(0);
    expect((JSON.parse(cjs.stdout) as { info: { title: string } }).info.title).toBe('from cjs');
    const file = path.join(scratch.dir, 'promised.mjs');
    await writeFile(
      file,
      `import { fakeApp } from ${JSON.stringify(path.join(OPENAPI, 'fake-app.mjs'))};\nexport const later = Promise.resolve(fakeApp('promised'));\nexport const nothing = null;\n`,
    );
    const named = await cli(['openapi', file, '--export', 'later']);
    expect(named.code).toBe(0);
    expect((JSON.parse(named.stdout) as { info: { title: string } }).info.title).toBe('promised');
    const nul = await cli(['openapi', file, '--export', 'nothing']);
    expect(nul).toEqual({
      code: 1,
      stdout: '',
      stderr: `express-m8 openapi: ${file} exports no app made by createApp (looked at "nothing" (object))\n`,
    });
  });

  it('a TypeScript module: refused with the fix when this Node.js has no TypeScript loader, else printed', async () => {
    const run = await cli(['openapi', path.join(OPENAPI, 'app.ts')]);
    if ((process.features as { typescript?: unknown }).typescript) {
      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as { info: { title: string } }).info.title).toBe('cli-openapi');
    } else {
      // Node 20 (CI's coverage job): no type stripping, and vitest's workers run without tsx.
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('is TypeScript and no TypeScript loader is active: run the CLI under tsx');
    }
  });

  it('exit 1 for a module that is no app or fails to load, exit 2 for a missing file', async () => {
    const notApp = await cli(['openapi', path.join(OPENAPI, 'not-an-app.mjs')]);
    expect(notApp.code).toBe(1);
    expect(notApp.stderr).toContain(
      'exports no app made by createApp (looked at "app" (object), "default" (absent))',
    );
    const throws = await cli(['openapi', path.join(OPENAPI, 'throws.mjs')]);
    expect(throws.code).toBe(1);
    expect(throws.stderr).toMatch(/^express-m8 openapi: could not load .*throws\.mjs: /);
    const missing = await cli(['openapi', path.join(scratch.dir, 'nowhere.mjs')]);
    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr: `express-m8 openapi: no such file: ${path.join(scratch.dir, 'nowhere.mjs')}\n`,
    });
  });
});

describe('migrate create (in process)', () => {
  const now = new Date('2026-12-04T15:30:00.123Z');

  it('writes the stamped file for every extension, never over an existing one', async () => {
    const dir = path.join(scratch.dir, 'create-all');
    for (const ext of ['ts', 'mts', 'js', 'mjs', 'cjs']) {
      const io = recordingIo();
      expect(await createMigration('add_items', dir, ext, io, now)).toBe(0);
      const file = path.join(dir, `20261204153000_add_items.${ext}`);
      expect(io.stdoutText()).toBe(`created ${path.relative(process.cwd(), file)}\n`);
      expect(readFileSync(file, 'utf8')).toBe(migrationTemplate('20261204153000_add_items', ext as 'ts'));
    }
    expect(migrationTemplate('x', 'ts')).toContain('db: Kysely<any>');
    expect(migrationTemplate('x', 'cjs')).toContain('module.exports = {');
    expect(migrationTemplate('x', 'mjs')).toContain("/** @param {import('kysely').Kysely<any>} db */");
    const io = recordingIo();
    expect(await createMigration('add_items', dir, 'ts', io, now)).toBe(1);
    expect(io.stderrText()).toBe(
      `express-m8 migrate create: cannot write ${path.join(dir, '20261204153000_add_items.ts')} (EEXIST)\n`,
    );
    expect(migrationStamp(now)).toBe('20261204153000');
  });

  it('defaults the extension to that of the newest migration (cts counts as ts, .d.ts ignored)', async () => {
    const dir = path.join(scratch.dir, 'create-default');
    await mkdir(dir);
    await writeFile(path.join(dir, '001_a.cjs'), '');
    await writeFile(path.join(dir, '999_types.d.ts'), '');
    const io = recordingIo();
    expect(await createMigration('b', dir, undefined, io, now)).toBe(0);
    expect(io.stdoutText()).toMatch(/20261204153000_b\.cjs\n$/);
    const dir2 = path.join(scratch.dir, 'create-cts');
    await mkdir(dir2);
    await writeFile(path.join(dir2, '001_a.cts'), '');
    await writeFile(path.join(dir2, '000_readme.md'), '');
    const io2 = recordingIo();
    expect(await createMigration('c', dir2, undefined, io2, now)).toBe(0);
    expect(io2.stdoutText()).toMatch(/20261204153000_c\.ts\n$/);
  });

  it('with no migration yet: ts beside a tsconfig.json, js in an ES module package, else mjs', async () => {
    const cwd = process.cwd();
    const project = path.join(scratch.dir, 'project');
    await mkdir(project);
    const make = async (name: string) => {
      const io = recordingIo();
      expect(await createMigration(name, path.join(project, 'migrations', name), undefined, io, now)).toBe(0);
      return io.stdoutText();
    };
    try {
      process.chdir(project);
      expect(await make('none')).toBe(
        `created ${path.join('migrations', 'none', `20261204153000_none.mjs`)}\n`,
      );
      await writeFile(path.join(project, 'package.json'), '{"type":"module"}');
      expect(await make('esm')).toMatch(/_esm\.js\n$/);
      await writeFile(path.join(project, 'package.json'), '{"name":"x"}');
      expect(await make('cjs')).toMatch(/_cjs\.mjs\n$/);
      await writeFile(path.join(project, 'tsconfig.json'), '{}');
      expect(await make('typed')).toMatch(/_typed\.ts\n$/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('rejects a missing name, a bad name, a bad --ext and extra arguments as usage errors', async () => {
    const io = recordingIo();
    await expect(createMigration(undefined, scratch.dir, undefined, io)).rejects.toThrow(
      new UsageError('migrate create needs a name, e.g. migrate create add_items'),
    );
    await expect(createMigration('-x', scratch.dir, undefined, io)).rejects.toThrow(
      /migration name "-x": use letters/,
    );
    await expect(createMigration('ok', scratch.dir, 'py', io)).rejects.toThrow(
      new UsageError('--ext "py": expected one of ts, mts, js, mjs, cjs'),
    );
    const run = await cli(['migrate', 'create', 'a', 'b', '--dir', scratch.dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^express-m8 migrate: unexpected argument "b"\n\nUsage: express-m8 migrate/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, PRESTART_BIN } from './build.js';
import { collect, DB_PASSWORD, runCli, spawnCli, tryLines, useEmptyCwd } from './helpers.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const MARIA = 'mysql://root@127.0.0.1:3306/test';
const postgres = { SELECTED_DB: 'Postgres', DATABASE_URL: PG };
const closedPort = {
  SELECTED_DB: 'Postgres',
  DATABASE_URL: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:1/test`,
};
// PGlite boots a WebAssembly Postgres: tens of seconds on a loaded CI machine.
const SLOW = 180_000;

let cleanup: () => Promise<void>;
beforeAll(async () => {
  await ensureCliBuilt();
  cleanup = await useEmptyCwd();
}, SLOW);
afterAll(() => cleanup());

describe('express-m8 prestart', () => {
  it('says no database is configured and exits 0 at once, without starting an embedded one', async () => {
    const run = await runCli(['prestart', '--interval', '0.05']);
    expect(run.stderr).toContain('[prestart] no database configured; nothing to wait for');
    expect(run.stderr).not.toContain('waiting for');
    expect(tryLines(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('runs the command at once when no database is configured', async () => {
    const run = await runCli(['prestart', '--', process.execPath, '-e', 'process.exit(5)']);
    expect(run.stderr).toContain('no database configured');
    expect(run.code).toBe(5);
  });

  it(
    'exits 0 once the embedded PGlite chosen by SELECTED_DB=Pglite answers, with one "ready" progress line',
    async () => {
      const run = await runCli(['prestart', '--interval', '0.05'], { env: { SELECTED_DB: 'Pglite' } });
      expect(run.stderr).toContain('waiting for pglite:memory');
      expect(tryLines(run.stderr)).toEqual([
        expect.stringMatching(/^\[prestart\] try 1\/300: database ready \(\d+ ms\)$/),
      ]);
      expect(run.code).toBe(0);
    },
    SLOW,
  );

  it('exits 0 when PostgreSQL answers SELECT 1', async () => {
    const run = await runCli(['prestart'], { env: postgres });
    expect(tryLines(run.stderr)).toEqual([expect.stringContaining('try 1/300: database ready')]);
    expect(run.code).toBe(0);
  });

  it('exits 0 when MariaDB answers SELECT 1', async () => {
    const run = await runCli(['prestart'], { env: { SELECTED_DB: 'Mysql', DATABASE_URL: MARIA } });
    expect(tryLines(run.stderr)).toEqual([expect.stringContaining('try 1/300: database ready')]);
    expect(run.code).toBe(0);
  });

  it('exits 2 at the first try when PostgreSQL rejects the credentials, never printing the password', async () => {
    const run = await runCli(['prestart'], {
      // PostgreSQL here trusts local connections, so an unknown role is what makes the login fail.
      env: {
        ...postgres,
        DATABASE_URL: `postgres://m8_nobody_${process.pid}:${DB_PASSWORD}@127.0.0.1:5432/test`,
      },
    });
    expect(run.code).toBe(2);
    expect(tryLines(run.stderr)).toEqual([
      expect.stringMatching(/try 1\/300: permanent error \(ERR_DB_AUTH_FAILED, 28000\) — not retrying/),
    ]);
    expect(run.stderr).toContain(':***@127.0.0.1:5432/test');
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });

  it('exits 2 at the first try when the PostgreSQL database does not exist', async () => {
    const run = await runCli(['prestart'], {
      env: {
        ...postgres,
        DATABASE_URL: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:5432/m8_none_${process.pid}`,
      },
    });
    expect(run.code).toBe(2);
    expect(tryLines(run.stderr)).toEqual([
      expect.stringContaining('permanent error (ERR_DB_UNKNOWN_DATABASE, 3D000)'),
    ]);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });

  it('exits 2 at the first try when MariaDB rejects the password, never printing it', async () => {
    const run = await runCli(['prestart'], {
      env: { SELECTED_DB: 'Mysql', DATABASE_URL: `mysql://root:${DB_PASSWORD}@127.0.0.1:3306/test` },
    });
    expect(run.code).toBe(2);
    expect(tryLines(run.stderr)).toEqual([
      expect.stringContaining('(ERR_DB_AUTH_FAILED, ER_ACCESS_DENIED_ERROR)'),
    ]);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });

  it('exits 1 after --max-tries tries against a closed port, one progress line per try', async () => {
    const run = await runCli(['prestart', '--max-tries', '2', '--interval', '0.05'], { env: closedPort });
    expect(run.code).toBe(1);
    expect(tryLines(run.stderr)).toEqual([
      '[prestart] try 1/2: database not ready (ECONNREFUSED) — retrying in 0.05s',
      expect.stringMatching(/^\[prestart\] try 2\/2: database not ready \(ECONNREFUSED\) — giving up: /),
    ]);
    expect(run.stderr).toContain('postgres://postgres:***@127.0.0.1:1/test');
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('stops waiting at once on %s between tries and exits %i, saying so', async (signal, code) => {
    const child = spawnCli(['--max-tries', '1000', '--interval', '0.2'], {
      env: closedPort,
      bin: PRESTART_BIN,
    });
    const done = collect(child);
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stderr?.on('data', (chunk: string) => {
        seen += chunk;
        if (seen.includes('[prestart] try 1/1000')) resolve();
      });
    });
    const sent = performance.now();
    child.kill(signal);
    const run = await done;
    expect(run.signal).toBeNull();
    expect(run.code).toBe(code);
    expect(performance.now() - sent).toBeLessThan(2000);
    expect(run.stderr).toContain(
      `[prestart] received ${signal} while waiting for the database — stopped, exiting ${code}\n`,
    );
    expect(tryLines(run.stderr).length).toBeLessThan(10);
  });

  it('is also the express-m8-prestart executable, with the same options and exit codes', async () => {
    const run = await runCli(['--max-tries', '1'], { env: closedPort, bin: PRESTART_BIN });
    expect(run.code).toBe(1);
    expect(tryLines(run.stderr)).toEqual([
      expect.stringContaining('try 1/1: database not ready (ECONNREFUSED)'),
    ]);
    const help = await runCli(['--help'], { bin: PRESTART_BIN });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: express-m8 prestart');
  });

  it('exits 2 with every settings problem when the settings are invalid, without trying', async () => {
    const run = await runCli(['prestart'], {
      env: { ENVIRONMENT: 'staging', DOMAIN: undefined, ACCESS_SECRET_KEY: 'short' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DOMAIN');
    expect(run.stderr).toContain('ACCESS_SECRET_KEY');
    expect(run.stderr).not.toContain('short');
    expect(tryLines(run.stderr)).toEqual([]);
  });

  it.each([
    [['--max-tries', '0'], '--max-tries must be a whole number >= 1 (got "0")'],
    [['--interval', 'soon'], '--interval must be a number >= 0 (got "soon")'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [['--'], '"--" must be followed by a command'],
  ])('exits 2 with the usage for %j', async (args, message) => {
    const run = await runCli(['prestart', ...args], { env: postgres });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: express-m8 prestart');
    expect(tryLines(run.stderr)).toEqual([]);
  });
});

describe('express-m8 prestart -- command', () => {
  it('runs the command once the database is ready and exits with its exit code', async () => {
    const run = await runCli(
      ['prestart', '--', process.execPath, '-e', 'console.log("child ran"); process.exit(7)'],
      {
        env: postgres,
      },
    );
    expect(run.stdout).toBe('child ran\n');
    expect(run.code).toBe(7);
  });

  it('does not run the command when the database is not ready', async () => {
    const run = await runCli(
      ['prestart', '--max-tries', '1', '--', process.execPath, '-e', 'console.log("child ran")'],
      {
        env: closedPort,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });

  it('passes the environment to the command', async () => {
    const run = await runCli(
      ['prestart', '--', process.execPath, '-e', 'console.log(process.env.SELECTED_DB)'],
      {
        env: postgres,
      },
    );
    expect(run.stdout).toBe('Postgres\n');
    expect(run.code).toBe(0);
  });

  it('forwards SIGTERM to the command and exits with the code the command chose', async () => {
    const script = [
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(0); });",
      'console.log("child pid " + process.pid);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawnCli(['prestart', '--', process.execPath, '-e', script], { env: postgres });
    const done = collect(child);
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout?.on('data', (chunk: string) => {
        seen += chunk;
        if (seen.includes('child pid')) resolve();
      });
    });
    child.kill('SIGTERM');
    const run = await done;
    expect(run.stdout).toMatch(/^child pid \d+\nchild got SIGTERM\n$/);
    expect(run.code).toBe(0);
    expect(run.signal).toBeNull();
  });

  it('exits 128 + the signal number when a signal ends the command', async () => {
    const run = await runCli(
      ['prestart', '--', process.execPath, '-e', "process.kill(process.pid, 'SIGKILL')"],
      {
        env: postgres,
      },
    );
    expect(run.code).toBe(137);
  });

  it('exits 127 when the command does not exist', async () => {
    const run = await runCli(['prestart', '--', `m8-no-such-command-${process.pid}`], { env: postgres });
    expect(run.code).toBe(127);
    expect(run.stderr).toContain('command not found');
  });
});

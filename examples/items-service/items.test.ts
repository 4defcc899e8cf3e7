import { createConnection } from 'node:net';
import type { TestSettingsOverrides } from 'express-m8/testing';
import { describe, it } from 'vitest';
import { itemsSuite } from './items-suite.js';

interface Target {
  readonly name: string;
  readonly env: TestSettingsOverrides;
  readonly server?: { readonly host: string; readonly port: number };
}

// Override the servers with ITEMS_TEST_POSTGRES_URL / ITEMS_TEST_MYSQL_URL when yours live elsewhere.
const POSTGRES_URL = process.env.ITEMS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.ITEMS_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

function serverOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

const TARGETS: readonly Target[] = [
  { name: 'embedded PGlite', env: { SELECTED_DB: 'Pglite' } },
  {
    name: 'PostgreSQL',
    env: { SELECTED_DB: 'Postgres', DATABASE_URL: POSTGRES_URL },
    server: serverOf(POSTGRES_URL),
  },
  {
    name: 'MariaDB/MySQL',
    env: { SELECTED_DB: 'Mysql', DATABASE_URL: MYSQL_URL },
    server: serverOf(MYSQL_URL),
  },
];

/** Why the target's server cannot be reached, or undefined when it answers a TCP connection. */
function unreachable(target: Target): Promise<string | undefined> {
  const server = target.server;
  if (!server) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = createConnection(server.port, server.host);
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no answer from ${server.host}:${server.port} within 2 s`);
    });
    socket.once('error', (error) => resolve(`${server.host}:${server.port}: ${error.message}`));
  });
}

// Probed before collection, so a skipped database shows in the test names instead of passing silently.
const CASES = await Promise.all(TARGETS.map(async (target) => ({ target, why: await unreachable(target) })));

for (const { target, why } of CASES) {
  describe(`the items service on ${target.name}`, () => {
    if (why === undefined) {
      itemsSuite(target.env);
    } else if (process.env.CI) {
      it('has its database reachable, as CI requires', () => {
        throw new Error(`CI is set but ${target.name} is unreachable (${why}); the suite may not skip in CI`);
      });
    } else {
      it.skip(`is skipped: ${target.name} is unreachable (${why}); with CI set this fails`, () => {});
    }
  });
}

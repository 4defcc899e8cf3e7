import net from 'node:net';
import express from 'express';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/create-app.js';
import { createDbEngine } from '../../src/db/index.js';
import { DbError } from '../../src/errors.js';
import { testSettings } from '../../src/testing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { logSink } from './helpers/targets.js';

/** pino's number for `warn`. */
const WARN = 40;

const PASSWORD = 'Closed-Port-Pa55word-q7';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createDbEngine logging', () => {
  it.each([
    ['Postgres', 'postgres'],
    ['Mysql', 'mysql'],
  ] as const)(
    '%s: logs a refused connection, scrubbed, to the logger of an app created after the engine',
    async (kind, scheme) => {
      const port = await closedPort();
      const settings = testSettings({
        SELECTED_DB: kind,
        DATABASE_URL: `${scheme}://app:${PASSWORD}@127.0.0.1:${port}/app`,
      });
      const engine = createDbEngine(settings);
      const sink = createLogSink({ level: 'debug' });
      createApp(settings, express.Router(), { logger: sink.logger, lifecycle: { db: engine } });
      try {
        const error = await sql`select 1`.execute(engine.db).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DbError);
        expect((error as DbError).code).toBe('ERR_DB_CONNECTION');
        expect((error as DbError).message).toContain(`${scheme}://app:***@127.0.0.1:${port}/app`);
        expect(sink.lines()).toContainEqual(
          expect.objectContaining({ level: WARN, component: 'db', code: 'ERR_DB_CONNECTION' }),
        );
        expect(JSON.stringify(sink.lines())).not.toContain(PASSWORD);
      } finally {
        await engine.dispose();
      }
    },
  );

  it('keeps the logger given at creation when the app attaches its own', async () => {
    const port = await closedPort();
    const own = logSink();
    const app = createLogSink({ level: 'debug' });
    const settings = testSettings({
      SELECTED_DB: 'Postgres',
      DATABASE_URL: `postgres://app@127.0.0.1:${port}/app`,
    });
    const engine = createDbEngine(settings, { logger: own.logger });
    createApp(settings, express.Router(), { logger: app.logger, lifecycle: { db: engine } });
    try {
      expect((await engine.check()).status).toBe('fail');
      expect(own.lines.length).toBeGreaterThan(0);
      expect(app.lines().filter((line) => line['component'] === 'db')).toEqual([]);
    } finally {
      await engine.dispose();
    }
  });
});

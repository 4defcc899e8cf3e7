import net from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDbEngine, setDbLogger } from '../../src/db/index.js';
import { DbError } from '../../src/errors.js';
import { testSettings } from '../../src/testing/index.js';
import { logSink } from './helpers/targets.js';

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
    '%s: logs a refused connection, scrubbed, to a logger attached after creation',
    async (kind, scheme) => {
      const port = await closedPort();
      const engine = createDbEngine(
        testSettings({
          SELECTED_DB: kind,
          DATABASE_URL: `${scheme}://app:${PASSWORD}@127.0.0.1:${port}/app`,
        }),
      );
      const sink = logSink();
      setDbLogger(engine, sink.logger);
      try {
        const error = await sql`select 1`.execute(engine.db).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DbError);
        expect((error as DbError).code).toBe('ERR_DB_CONNECTION');
        expect((error as DbError).message).toContain(`${scheme}://app:***@127.0.0.1:${port}/app`);
        expect(sink.lines).toContainEqual(
          expect.objectContaining({ level: 'warn', code: 'ERR_DB_CONNECTION' }),
        );
        expect(JSON.stringify(sink.lines)).not.toContain(PASSWORD);
      } finally {
        await engine.dispose();
      }
    },
  );

  it('keeps the logger given at creation when the app attaches its own', async () => {
    const port = await closedPort();
    const own = logSink();
    const app = logSink();
    const engine = createDbEngine(
      testSettings({ SELECTED_DB: 'Postgres', DATABASE_URL: `postgres://app@127.0.0.1:${port}/app` }),
      { logger: own.logger },
    );
    setDbLogger(engine, app.logger);
    try {
      expect((await engine.check()).status).toBe('fail');
      expect(own.lines.length).toBeGreaterThan(0);
      expect(app.lines).toEqual([]);
    } finally {
      await engine.dispose();
    }
  });
});

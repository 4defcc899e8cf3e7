import { EventEmitter } from 'node:events';
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LifecycleError, SettingsError } from 'express-m8';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, type ServeOptions, serve, serveWith } from '../../src/lifecycle/index.js';
import { buildTestApp, closed, get, logged, type TestApp, tryConnect } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | undefined> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()?.catch(() => undefined);
});

/** Records exit codes; `next` resolves with the first one. */
function exitRecorder(): { exit: (code: number) => void; codes: number[]; next: Promise<number> } {
  const codes: number[] = [];
  let first: (code: number) => void = () => {};
  const next = new Promise<number>((resolve) => {
    first = resolve;
  });
  return {
    codes,
    next,
    exit(code) {
      codes.push(code);
      first(code);
    },
  };
}

async function serveForTest(
  testApp: TestApp,
  options: ServeOptions = {},
): Promise<{ running: RunningServer; signals: EventEmitter; exits: ReturnType<typeof exitRecorder> }> {
  const signals = new EventEmitter();
  const exits = exitRecorder();
  const running = await serveWith(
    testApp.app,
    { port: 0, host: '127.0.0.1', ...options },
    { signals, exit: exits.exit },
  );
  cleanups.push(() => running.close());
  return { running, signals, exits };
}

describe('serve()', () => {
  it('starts the app, listens, and logs one listening line with a usable URL', async () => {
    const testApp = buildTestApp();
    const { running } = await serveForTest(testApp);

    expect(testApp.app.ready).toBe(true);
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.url).toBe(`http://127.0.0.1:${(running.server.address() as AddressInfo).port}`);
    expect((await get(running.url, '/health')).status).toBe(200);
    const listening = testApp.lines.filter((l) => l.msg.startsWith('listening on'));
    expect(listening).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: `listening on ${running.url}`,
        obj: expect.objectContaining({ url: running.url }),
      }),
    ]);
  });

  it('keeps idle connections longer than a 60 s load-balancer idle timeout and bounds requests to 30 s', async () => {
    const { running } = await serveForTest(buildTestApp());
    expect(running.server.keepAliveTimeout).toBe(65_000);
    expect(running.server.requestTimeout).toBe(30_000);
    expect(running.server.headersTimeout).toBe(30_000);
  });

  it('accepts an app that was already started, without running startup again', async () => {
    let validatorRuns = 0;
    const countRun = (): void => {
      validatorRuns += 1;
    };
    const testApp = buildTestApp({ options: { startupValidators: [countRun] } });
    await testApp.app.start();
    await serveForTest(testApp);
    expect(validatorRuns).toBe(1);
  });

  it('shows an unspecified host as loopback in the URL', async () => {
    const { running } = await serveForTest(buildTestApp(), { host: '0.0.0.0' });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(running.url, '/fast')).body).toBe('fast');
  });

  it('reads the port from PORT when no port option is given', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const testApp = buildTestApp();
    const running = await serveWith(
      testApp.app,
      { host: '127.0.0.1' },
      { env: { PORT: String(port) }, signals: new EventEmitter(), exit: () => {} },
    );
    cleanups.push(() => running.close());
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
  });

  it('rejects a PORT that is not a port number with a SettingsError naming PORT', async () => {
    const testApp = buildTestApp();
    const error = await serveWith(testApp.app, {}, { env: { PORT: '80a' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).issues).toEqual([
      { variable: 'PORT', message: 'must be an integer from 0 to 65535 (got "80a")' },
    ]);
    expect(testApp.app.ready).toBe(false);
  });

  it('rejects an app that was not made with a lifecycle', async () => {
    const plain = express() as unknown as Parameters<typeof serve>[0];
    await expect(serve(plain, { port: 0 })).rejects.toBeInstanceOf(LifecycleError);
  });

  it('rejects when start() fails and does not listen', async () => {
    const testApp = buildTestApp({
      options: {
        startupValidators: [
          () => {
            throw new Error('bad');
          },
        ],
      },
    });
    await expect(serve(testApp.app, { port: 0, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'ERR_LIFECYCLE_STARTUP',
    });
    expect(testApp.lines.some((l) => l.msg.startsWith('listening'))).toBe(false);
  });

  it('rethrows a listen error (port in use) after stopping the app', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const steps: string[] = [];
    const testApp = buildTestApp({ options: { db: { dispose: () => void steps.push('db.dispose') } } });

    const error = await serve(testApp.app, {
      port: (taken.address() as AddressInfo).port,
      host: '127.0.0.1',
    }).catch((e: NodeJS.ErrnoException) => e);

    expect(error).toMatchObject({ code: 'EADDRINUSE' });
    expect(testApp.lifecycle.state).toBe('stopped');
    expect(steps).toEqual(['db.dispose']);
  });

  it('on SIGTERM finishes the in-flight request, stops the app and exits 0', async () => {
    const steps: string[] = [];
    const testApp = buildTestApp({ options: { db: { dispose: () => void steps.push('db.dispose') } } });
    const { running, signals, exits } = await serveForTest(testApp);
    const agent = new Agent({ keepAlive: true });
    cleanups.push(() => void agent.destroy());
    const slow = get(running.url, '/slow', agent);
    await testApp.started.promise;

    signals.emit('SIGTERM');
    await logged(testApp.lines, 'stopped accepting connections');
    expect(await tryConnect(running.url)).toBe('ECONNREFUSED');
    expect(exits.codes).toEqual([]);
    testApp.release.open();

    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(await exits.next).toBe(0);
    expect(exits.codes).toEqual([0]);
    expect(steps).toEqual(['db.dispose']);
    expect(testApp.lines.find((l) => l.msg === 'SIGTERM received: shutting down')).toBeDefined();
    await closed(reply.socket);
  });

  it('handles SIGINT like SIGTERM', async () => {
    const testApp = buildTestApp();
    const { signals, exits } = await serveForTest(testApp);
    signals.emit('SIGINT');
    expect(await exits.next).toBe(0);
    expect(testApp.lifecycle.state).toBe('stopped');
  });

  it('exits 1 when a teardown step fails', async () => {
    const testApp = buildTestApp({
      options: {
        auth: {
          close() {
            throw new Error('close failed');
          },
        },
      },
    });
    const { signals, exits } = await serveForTest(testApp);
    signals.emit('SIGTERM');
    expect(await exits.next).toBe(1);
  });

  it('exits 1 when the shutdown timeout destroys a request that never ends', async () => {
    const testApp = buildTestApp({ timeoutSeconds: 0.1 });
    const { running, signals, exits } = await serveForTest(testApp);
    const hang = get(running.url, '/hang').catch((e: NodeJS.ErrnoException) => e.code);
    await testApp.started.promise;

    signals.emit('SIGTERM');

    expect(await exits.next).toBe(1);
    expect(await hang).toBe('ECONNRESET');
    expect(
      testApp.lines.find((l) => l.msg === 'graceful shutdown failed; exiting')?.obj['err'],
    ).toMatchObject({
      code: 'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
    });
  });

  it('exits 1 at once on a second signal while the shutdown is still running', async () => {
    const testApp = buildTestApp({ timeoutSeconds: 30 });
    const { running, signals, exits } = await serveForTest(testApp);
    const slow = get(running.url, '/slow').catch(() => undefined);
    await testApp.started.promise;

    signals.emit('SIGTERM');
    await logged(testApp.lines, 'stopped accepting connections');
    expect(exits.codes).toEqual([]);
    signals.emit('SIGTERM');

    expect(exits.codes).toEqual([1]);
    expect(testApp.lifecycle.state).toBe('shutting_down');
    testApp.release.open();
    await slow;
  });

  it('close() stops the app without exiting and removes the signal handlers', async () => {
    const steps: string[] = [];
    const testApp = buildTestApp({ options: { db: { dispose: () => void steps.push('db.dispose') } } });
    const { running, signals, exits } = await serveForTest(testApp);
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    expect(signals.listenerCount('SIGINT')).toBe(1);

    const closing = running.close();
    expect(running.close()).toBe(closing);
    await closing;

    expect(testApp.lifecycle.state).toBe('stopped');
    expect(steps).toEqual(['db.dispose']);
    expect(exits.codes).toEqual([]);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(await tryConnect(running.url)).toBe('ECONNREFUSED');
  });
});

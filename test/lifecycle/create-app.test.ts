import { EventEmitter } from 'node:events';
import express from 'express';
import { createApp } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { describe, expect, it, vi } from 'vitest';
import { getLifecycle, LIFECYCLE, serveWith } from '../../src/lifecycle/index.js';
import { get, tryConnect } from './helpers.js';

describe('the lifecycle of an app made by createApp', () => {
  it('stores its controller under the LIFECYCLE symbol, with read-only readiness', () => {
    const app = createApp(testSettings(), express.Router());
    const lifecycle = getLifecycle(app);
    expect(lifecycle?.state).toBe('initializing');
    expect(Object.getOwnPropertySymbols(app)).toContain(LIFECYCLE);
    expect(Symbol.for('express-m8.lifecycle')).toBe(LIFECYCLE);
    expect(() => {
      (app as { ready: boolean }).ready = true;
    }).toThrow(TypeError);
    expect(app.ready).toBe(false);
    expect(getLifecycle({})).toBeUndefined();
  });

  it('answers readiness 503 while initializing, 200 once ready, 503 shutting_down during the delay', async () => {
    const settings = testSettings({ SHUTDOWN_DELAY_SECONDS: 0.3 });
    const app = createApp(settings, express.Router());
    const signals = new EventEmitter();
    const exits: number[] = [];
    const lifecycle = getLifecycle(app);

    const served = serveWith(
      app,
      { port: 0, host: '127.0.0.1' },
      { signals, exit: (code) => exits.push(code) },
    );
    const running = await served;
    expect((await get(running.url, '/api/health/ready')).status).toBe(200);

    signals.emit('SIGTERM');
    expect(lifecycle?.state).toBe('shutting_down');
    const during = await get(running.url, '/api/health/ready');
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toEqual({ status: 'shutting_down', ready: false });
    expect((await get(running.url, '/api/health/live')).status).toBe(200);

    await running.close();
    // The exit follows the (bounded) flush of the log destination.
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(await tryConnect(running.url)).toBe('ECONNREFUSED');
  });

  it('reports initializing before start()', async () => {
    const app = createApp(testSettings(), express.Router());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const reply = await get(`http://127.0.0.1:${port}`, '/api/health/ready');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({ status: 'initializing', ready: false });
    await new Promise((resolve) => server.close(resolve));
    await app.stop();
  });
});

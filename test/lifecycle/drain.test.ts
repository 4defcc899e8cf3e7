import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, closed, get, listenAttached, logged, tryConnect } from './helpers.js';

const agents: Agent[] = [];
function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}
afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
});

describe('graceful drain of attached servers', () => {
  it('lets an in-flight request finish with 200 and Connection: close, then closes its socket', async () => {
    const { app, lifecycle, release, started, lines } = buildTestApp();
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    const agent = keepAliveAgent();
    expect((await get(url, '/fast', agent)).headers.connection).toBe('keep-alive');

    const slow = get(url, '/slow', agent);
    await started.promise;
    const stopping = app.stop();
    await logged(lines, 'stopped accepting connections');
    release.open();
    const reply = await slow;

    expect(reply.status).toBe(200);
    expect(reply.body).toBe('slow');
    expect(reply.headers.connection).toBe('close');
    await closed(reply.socket);
    await stopping;
  });

  it('closes idle keep-alive sockets after the 1 s grace instead of waiting for the keep-alive timeout', async () => {
    const { app, lifecycle } = buildTestApp();
    await app.start();
    const { server, url } = await listenAttached(app, lifecycle);
    server.keepAliveTimeout = 60_000;
    const agent = keepAliveAgent();
    const reply = await get(url, '/fast', agent);
    expect(reply.headers.connection).toBe('keep-alive');
    expect(reply.socket.destroyed).toBe(false);

    const started = performance.now();
    await app.stop();

    await closed(reply.socket);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses new connections once draining has started, while the in-flight request still completes', async () => {
    const { app, lifecycle, release, started, lines } = buildTestApp();
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    const slow = get(url, '/slow', keepAliveAgent());
    await started.promise;

    const stopping = app.stop();
    await logged(lines, 'stopped accepting connections');
    expect(await tryConnect(url)).toBe('ECONNREFUSED');
    expect(lifecycle.state).toBe('shutting_down');

    release.open();
    expect((await slow).status).toBe(200);
    await stopping;
  });

  it('closes the socket of a streaming response whose headers were already sent once its body ends', async () => {
    const { app, lifecycle, release, started, lines } = buildTestApp();
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    const stream = get(url, '/stream', keepAliveAgent());
    await started.promise;

    const stopping = app.stop();
    await logged(lines, 'stopped accepting connections');
    release.open();
    const reply = await stream;

    expect(reply.status).toBe(200);
    expect(reply.body).toBe('part one;part two');
    expect(reply.headers.connection).toBe('keep-alive');
    await closed(reply.socket);
    await stopping;
  });

  it('answers a request still arriving on an open connection during the drain with Connection: close', async () => {
    const { app, lifecycle, lines } = buildTestApp();
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    // The request line is on the wire but the headers are not finished when the drain starts.
    socket.write('GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));

    const stopping = app.stop();
    await logged(lines, 'stopped accepting connections');
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.write('\r\n');
    await closed(socket);

    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(raw.endsWith('fast')).toBe(true);
    await stopping;
  });

  it('destroys sockets still busy at SHUTDOWN_TIMEOUT_SECONDS, still runs teardown, and rejects with the timeout', async () => {
    const steps: string[] = [];
    const { app, lifecycle, started } = buildTestApp({
      timeoutSeconds: 0.2,
      options: { db: { dispose: () => void steps.push('db.dispose') } },
    });
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    const hang = get(url, '/hang', keepAliveAgent()).catch((e: NodeJS.ErrnoException) => e.code);
    await started.promise;

    const begin = performance.now();
    const error = await app.stop().catch((e: unknown) => e);

    expect(await hang).toBe('ECONNRESET');
    expect(performance.now() - begin).toBeGreaterThanOrEqual(195);
    expect(error).toMatchObject({
      code: 'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
      message:
        'Shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS=0.2; remaining connections were destroyed',
    });
    expect(steps).toEqual(['db.dispose']);
    expect(await tryConnect(url)).toBe('ECONNREFUSED');
  });

  it('drains every attached server', async () => {
    const { app, lifecycle } = buildTestApp();
    await app.start();
    const one = await listenAttached(app, lifecycle);
    const two = await listenAttached(app, lifecycle);
    const agent = keepAliveAgent();
    const a = await get(one.url, '/fast', agent);
    const b = await get(two.url, '/fast', keepAliveAgent());

    await app.stop();

    await Promise.all([closed(a.socket), closed(b.socket)]);
    expect(await tryConnect(one.url)).toBe('ECONNREFUSED');
    expect(await tryConnect(two.url)).toBe('ECONNREFUSED');
  });
});

import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isMessage, killChildren, spawnFixture } from './child.js';
import { closed, get, tryConnect } from './helpers.js';

afterEach(killChildren);

// A spawned tsx process needs a few seconds to start on a loaded machine.
describe('serve() in a real process', { timeout: 60_000 }, () => {
  it('on SIGTERM refuses new connections, finishes the slow request with 200 and exits 0', async () => {
    const child = await spawnFixture();
    const agent = new Agent({ keepAlive: true });
    const slow = get(child.url, '/slow', agent);
    await child.waitFor((line) => line['event'] === 'started');

    child.process.kill('SIGTERM');
    await child.waitFor(isMessage('stopped accepting connections'));
    expect(await tryConnect(child.url)).toBe('ECONNREFUSED');
    child.process.stdin!.write('release\n');

    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('slow');
    expect(reply.headers.connection).toBe('close');
    await closed(reply.socket);
    expect(await child.exitCode).toBe(0);
    agent.destroy();
  });

  it('exits 1 at once on a second SIGTERM while a request is still in flight', async () => {
    const child = await spawnFixture({ SHUTDOWN_TIMEOUT_SECONDS: '30' });
    const slow = get(child.url, '/slow').catch((e: NodeJS.ErrnoException) => e.code);
    await child.waitFor((line) => line['event'] === 'started');

    child.process.kill('SIGTERM');
    await child.waitFor(isMessage('stopped accepting connections'));
    const second = performance.now();
    child.process.kill('SIGTERM');

    expect(await child.exitCode).toBe(1);
    // Far below SHUTDOWN_TIMEOUT_SECONDS=30: the second signal did not wait for the drain.
    expect(performance.now() - second).toBeLessThan(5000);
    expect(await slow).toBe('ECONNRESET');
  });

  it('exits 1 when a request never ends and SHUTDOWN_TIMEOUT_SECONDS passes', async () => {
    const child = await spawnFixture({ SHUTDOWN_TIMEOUT_SECONDS: '0.5' });
    const hang = get(child.url, '/hang').catch((e: NodeJS.ErrnoException) => e.code);
    await child.waitFor((line) => line['event'] === 'started');

    child.process.kill('SIGTERM');

    expect(await child.exitCode).toBe(1);
    expect(await hang).toBe('ECONNRESET');
    const failure = await child.waitFor(isMessage('graceful shutdown failed'));
    expect(failure['err']).toMatchObject({ code: 'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT' });
  });
});

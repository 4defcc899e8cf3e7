import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closed, get, tryConnect } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = 'test/fixtures/lifecycle/server.ts';

type Line = Record<string, unknown>;

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly exitCode: Promise<number | null>;
  /** Resolves with the first stdout JSON line (past or future) matching `predicate`. */
  waitFor(predicate: (line: Line) => boolean): Promise<Line>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Spawns the fixture and waits for its readiness line (never a fixed sleep). */
async function spawnFixture(env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines: Line[] = [];
  const waiters: Array<{ predicate: (line: Line) => boolean; resolve: (line: Line) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (predicate: (line: Line) => boolean): Promise<Line> => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    const found = new Promise<Line>((resolve) => waiters.push({ predicate, resolve }));
    const exited = exitCode.then((code) => {
      throw new Error(`fixture exited with ${code} before the expected line; got ${JSON.stringify(lines)}`);
    });
    return Promise.race([found, exited]);
  };
  const ready = await waitFor((line) => line['event'] === 'ready');
  return { process: child, url: String(ready['url']), exitCode, waitFor };
}

const isMessage = (prefix: string) => (line: Line) => String(line['msg'] ?? '').startsWith(prefix);

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

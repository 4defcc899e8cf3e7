import { afterEach, describe, expect, it } from 'vitest';
import { type Child, killChildren, spawnFixture } from './child.js';
import { get, tryConnect } from './helpers.js';

afterEach(killChildren);

/** About 10 MB of log lines: far more than the pipe holds, all left in the logger's buffer. */
const FLOOD_LINES = 30_000;

/** Resolves with the exit code, or `'alive'` when the process has not exited within `ms`. */
function exitWithin(child: Child, ms: number): Promise<number | null | 'alive'> {
  return Promise.race([
    child.exitCode,
    new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), ms).unref()),
  ]);
}

/** Spawns the service, stops reading its stdout, and has it log far more than the pipe can take. */
async function blockedStdout(): Promise<Child> {
  const child = await spawnFixture({ SHUTDOWN_TIMEOUT_SECONDS: '10' });
  child.process.stdout!.pause();
  expect((await get(child.url, `/flood?n=${FLOOD_LINES}`)).body).toBe('flooded');
  return child;
}

// Each case spawns a tsx process (a few seconds on a loaded machine).
describe('exit with a stdout nobody reads, in a real process', { timeout: 60_000 }, () => {
  it('exits 0 on SIGTERM after flushing the logs for at most 2 s', async () => {
    const child = await blockedStdout();

    const signalled = performance.now();
    child.process.kill('SIGTERM');
    const code = await exitWithin(child, 8000);

    expect(code).toBe(0);
    // Shutdown itself is immediate (no request in flight); the rest is the 2 s flush bound plus process exit.
    expect(performance.now() - signalled).toBeLessThan(5000);
  });

  it('exits 1 at once on a second SIGTERM, without waiting for the log flush', async () => {
    const child = await blockedStdout();

    child.process.kill('SIGTERM');
    // Signals sent back to back may merge into one: wait until the first is being handled (listener closed).
    while ((await tryConnect(child.url)) === 'connected');
    const second = performance.now();
    child.process.kill('SIGTERM');
    const code = await exitWithin(child, 8000);

    expect(code).toBe(1);
    expect(performance.now() - second).toBeLessThan(1500);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = 'test/fixtures/lifecycle/server.ts';

export type Line = Record<string, unknown>;

export interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly exitCode: Promise<number | null>;
  /** Resolves with the first stdout JSON line (past or future) matching `predicate`. */
  waitFor(predicate: (line: Line) => boolean): Promise<Line>;
}

const children: ChildProcess[] = [];

/** Kills (SIGKILL) every fixture still running; call from `afterEach`. */
export function killChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Spawns the fixture service and waits for its readiness line (never a fixed sleep). */
export async function spawnFixture(env: Record<string, string> = {}): Promise<Child> {
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

export const isMessage =
  (prefix: string) =>
  (line: Line): boolean =>
    String(line['msg'] ?? '').startsWith(prefix);

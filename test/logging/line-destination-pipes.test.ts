/**
 * LineDestination against real pipes and special files: a full non-blocking pipe (partial writes, EAGAIN
 * retries, the exit flush giving up), a reader that went away (EPIPE), a closed descriptor (EBADF), a full
 * device (ENOSPC), and closing a file it opened.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LineDestination } from '../../src/logging/line-destination.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const destinations: LineDestination[] = [];
afterEach(() => {
  for (const d of destinations.splice(0)) d.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'm8-linedest-pipes-'));
  dirs.push(dir);
  return join(dir, 'out.log');
}

function make(
  options: Partial<ConstructorParameters<typeof LineDestination>[0]> & { dest: number | string },
) {
  const d = new LineDestination({
    minLength: 0,
    maxWrite: 1 << 20,
    periodicFlush: 0,
    maxLength: 16 << 20,
    ...options,
  });
  destinations.push(d);
  return d;
}

/** The (non-blocking) descriptor of the parent's end of a child's stdin pipe. */
function pipeFd(child: ChildProcess): number {
  const fd = (child.stdin as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no pipe descriptor');
  return fd;
}

/** `cat` whose output is not read until asked: its stdin pipe fills up. */
function stalledCat(): { child: ChildProcess; fd: number; drain(): Promise<number> } {
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
  children.push(child);
  return {
    child,
    fd: pipeFd(child),
    drain: () =>
      new Promise((resolve) => {
        let bytes = 0;
        child.stdout?.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        child.stdout?.on('end', () => resolve(bytes));
      }),
  };
}

const LINE = `${'x'.repeat(1023)}\n`;
const waitFor = (d: LineDestination, event: string): Promise<unknown> =>
  new Promise((resolve) => d.once(event, resolve));

describe('LineDestination on a full pipe', () => {
  it('writes the rest of a partial write and retries EAGAIN until the reader catches up, losing nothing', async () => {
    const cat = stalledCat();
    let retries = 0;
    const d = make({
      dest: cat.fd,
      maxWrite: 256 << 10,
      retryEAGAIN: () => {
        retries++;
        return true;
      },
    });
    const count = 2048; // 2 MiB: more than the pipes and cat's buffer hold
    for (let i = 0; i < count; i++) expect(d.write(LINE)).toBe(true);
    const flushed = new Promise<void>((resolve) => d.flush(() => resolve()));
    // The pipe is full: the write waits for a retry.
    await expect.poll(() => retries, { timeout: 5000 }).toBeGreaterThan(0);
    const received = cat.drain();
    await flushed;
    cat.child.stdin?.destroy();
    expect(await received).toBe(count * LINE.length);
  });

  it('retries a full pipe by default (no retryEAGAIN given)', async () => {
    const cat = stalledCat();
    const d = make({ dest: cat.fd });
    const count = 2048;
    for (let i = 0; i < count; i++) d.write(LINE);
    let done = false;
    const flushed = new Promise<void>((resolve) => d.flush(() => resolve()));
    void flushed.then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false); // still waiting on the full pipe
    const received = cat.drain();
    await flushed;
    cat.child.stdin?.destroy();
    expect(await received).toBe(count * LINE.length);
  });

  it('flushSync gives up on a full pipe when retryEAGAIN says no, after the retries it allows', () => {
    const cat = stalledCat();
    let allowed = 2;
    let asked = 0;
    const d = make({
      dest: cat.fd,
      retryEAGAIN: () => {
        asked++;
        return allowed-- > 0;
      },
    });
    const big = 'y'.repeat(4 << 20);
    d.write(big);
    // The async write had a partial write, then a refused one: a retry is pending. flushSync takes it over.
    return expect
      .poll(() => asked, { timeout: 5000 })
      .toBeGreaterThan(0)
      .then(() => {
        allowed = 2;
        asked = 0;
        d.write('z\n');
        expect(() => d.flushSync()).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
        expect(asked).toBe(3);
      });
  });
});

describe('LineDestination write errors', () => {
  it('stops for good when the reader went away (EPIPE): error event, later lines dropped, flushSync a no-op', async () => {
    // A child that closes its end of the pipe and stays alive (so our end stays open).
    const child = spawn('sh', ['-c', 'exec <&-; echo closed; exec sleep 30'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(child);
    const fd = pipeFd(child);
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    const d = make({ dest: fd });
    const errored = waitFor(d, 'error');
    d.write('first\n');
    expect(await errored).toMatchObject({ code: 'EPIPE' });
    const dropped: string[] = [];
    d.on('drop', (line: string) => dropped.push(line));
    expect(d.write('second\n')).toBe(false);
    expect(dropped).toEqual(['second\n']);
    expect(() => d.flushSync()).not.toThrow();
  });

  it('stops for good on a closed descriptor (EBADF), also without an error listener', async () => {
    const d = make({ dest: 1 << 20 });
    const dropped: string[] = [];
    d.on('drop', (line: string) => dropped.push(line));
    d.write('first\n');
    await expect.poll(() => d.write('later\n'), { timeout: 2000 }).toBe(false);
    expect(dropped.at(-1)).toBe('later\n');
  });

  it('reports other errors (ENOSPC on /dev/full) but keeps taking lines', async () => {
    const d = make({ dest: '/dev/full' });
    const errors: NodeJS.ErrnoException[] = [];
    d.on('error', (e: NodeJS.ErrnoException) => errors.push(e));
    d.write('one\n');
    await new Promise<void>((resolve) => d.flush(() => resolve()));
    expect(errors.map((e) => e.code)).toEqual(['ENOSPC']);
    expect(d.write('two\n')).toBe(true);
    await new Promise<void>((resolve) => d.flush(() => resolve()));
    expect(errors.map((e) => e.code)).toEqual(['ENOSPC', 'ENOSPC']);
  });
});

describe('LineDestination end and destroy', () => {
  it('end() writes what is pending, then closes the file it opened and emits close once', async () => {
    const file = logFile();
    const d = make({ dest: file, minLength: 1 << 20 });
    d.write('a\n');
    d.write('b\n');
    let closes = 0;
    d.on('close', () => closes++);
    const closed = waitFor(d, 'close');
    d.end();
    await closed;
    d.destroy();
    expect(closes).toBe(1);
    expect(d.destroyed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('a\nb\n');
    expect(d.write('c\n')).toBe(false);
  });

  it('flush() on an idle destination calls back on the next tick; flush while writing waits for the write', async () => {
    const file = logFile();
    const d = make({ dest: file, minLength: 1 });
    let idle = false;
    d.flush(() => {
      idle = true;
    });
    expect(idle).toBe(false);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(idle).toBe(true);
    d.write('in flight\n'); // starts a write at once (minLength 1)
    d.write('queued\n');
    await new Promise<void>((resolve) => d.flush(() => resolve()));
    expect(readFileSync(file, 'utf8')).toBe('in flight\nqueued\n');
  });
});

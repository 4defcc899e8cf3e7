import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogDestination } from '../../src/index.js';

const dirs: string[] = [];
function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'm8-linedest-'));
  dirs.push(dir);
  return join(dir, 'out.log');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const SIZES = { minLength: 1024, maxWrite: 4096, periodicFlush: 0, maxLength: 1 << 20 };

function flushed(destination: { flush(cb: () => void): void }): Promise<void> {
  return new Promise((resolve) => destination.flush(resolve));
}

describe('createLogDestination', () => {
  it('writes every line once and in order, in batches no larger than maxWrite', async () => {
    const file = logFile();
    const destination = createLogDestination({ dest: file, ...SIZES });
    const logger = pino({ base: null, timestamp: false }, destination);
    for (let i = 0; i < 500; i++) logger.info({ i, text: 'é'.repeat(i % 7) }, 'line');
    await flushed(destination);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(500).keys()]);
    expect(JSON.parse(lines[6] ?? '{}')).toMatchObject({ text: 'éééééé' });
    destination.destroy();
  });

  it('holds lines below minLength until flushed, then writes them', async () => {
    const file = logFile();
    const destination = createLogDestination({ dest: file, ...SIZES });
    destination.write('{"a":1}\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readFileSync(file, 'utf8')).toBe('');
    await flushed(destination);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    destination.destroy();
  });

  it('writes pending lines after periodicFlush ms without any flush call', async () => {
    const file = logFile();
    const destination = createLogDestination({ dest: file, ...SIZES, periodicFlush: 10 });
    destination.write('{"quiet":true}\n');
    await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 2000 }).toBe('{"quiet":true}\n');
    destination.destroy();
  });

  it('drops lines past maxLength instead of holding more, and says so with a drop event', async () => {
    const file = logFile();
    const destination = createLogDestination({ dest: file, ...SIZES, minLength: 1 << 20, maxLength: 100 });
    const dropped: string[] = [];
    destination.on('drop', (line: string) => dropped.push(line));
    const line = `${'x'.repeat(39)}\n`;
    const kept = [0, 1, 2, 3].map(() => destination.write(line));
    expect(kept).toEqual([true, true, false, false]);
    expect(dropped).toHaveLength(2);
    await flushed(destination);
    expect(readFileSync(file, 'utf8')).toBe(line.repeat(2));
    destination.destroy();
  });

  it('writes what is pending synchronously with flushSync (the exit flush)', () => {
    const file = logFile();
    const destination = createLogDestination({ dest: file, ...SIZES, minLength: 1 << 20 });
    destination.write('{"b":1}\n');
    destination.write('{"b":2}\n');
    destination.flushSync();
    expect(readFileSync(file, 'utf8')).toBe('{"b":1}\n{"b":2}\n');
    destination.destroy();
  });

  it('ignores lines after destroy and emits close', () => {
    const destination = createLogDestination({ dest: logFile(), ...SIZES });
    let closed = false;
    destination.once('close', () => {
      closed = true;
    });
    destination.destroy();
    expect(closed).toBe(true);
    expect(destination.write('late\n')).toBe(false);
  });
});

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
// PGlite boots a WebAssembly Postgres: tens of seconds on a loaded CI machine.
const SLOW = 180_000;

let demo: ChildProcess;
let banner = '';

beforeAll(async () => {
  demo = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples/items-service/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  demo.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    demo.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      banner += chunk;
      if (banner.includes('API docs:')) resolve();
    });
    demo.once('exit', (code) => reject(new Error(`the demo exited ${code}: ${stderr}`)));
  });
}, SLOW);

afterAll(async () => {
  if (demo.exitCode !== null || demo.signalCode !== null) return;
  const exited = new Promise((resolve) => demo.once('exit', resolve));
  demo.kill('SIGTERM');
  await exited;
});

/** The `export NAME=value` lines of the banner. */
function exportsOf(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of text.matchAll(/^ {2}export ([A-Z_]+)=(\S+)$/gm)) {
    const [, name, value] = match;
    if (name !== undefined && value !== undefined) found[name] = value;
  }
  return found;
}

/** Each printed curl line with the comment above it. */
function triesOf(text: string): Array<{ note: string; command: string }> {
  const lines = text.split('\n');
  const tries: Array<{ note: string; command: string }> = [];
  lines.forEach((line, index) => {
    const previous = lines[index - 1] ?? '';
    if (line.startsWith('  curl '))
      tries.push({ note: previous.replace(/^ {2}# /, ''), command: line.trim() });
  });
  return tries;
}

describe('the items demo banner', () => {
  it('prints curl lines that use only exported variables and no placeholders', () => {
    const exported = exportsOf(banner);
    expect(Object.keys(exported).sort()).toEqual([
      'ADMIN_TOKEN',
      'API_KEY',
      'ITEM_ID',
      'OTHER_ITEM_ID',
      'USER_TOKEN',
    ]);
    const tries = triesOf(banner);
    expect(tries.length).toBeGreaterThan(10);
    for (const { command } of tries) {
      expect(command).not.toMatch(/[<>]/);
      for (const [, name] of command.matchAll(/\$([A-Z_]+)/g)) expect(Object.keys(exported)).toContain(name);
    }
  });

  it(
    'answers every curl line, run in order as printed, with the status its comment announces',
    async () => {
      const env = { PATH: process.env.PATH ?? '', ...exportsOf(banner) };
      for (const { note, command } of triesOf(banner)) {
        const { stdout } = await run('sh', ['-c', command], { env });
        const status = /^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1];
        const expected = /^(\d{3})\b/.exec(note)?.[1] ?? '200';
        expect({ command, status }).toEqual({ command, status: expected });
      }
    },
    SLOW,
  );
});

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
// PGlite boots a WebAssembly Postgres: tens of seconds on a loaded CI machine.
const SLOW = 180_000;

/** The ```text block under `<!-- stream-demo output -->` in this example's README. */
function readmeOutput(): string {
  const readme = readFileSync(path.join(import.meta.dirname, 'README.md'), 'utf8');
  const match = /<!-- stream-demo output -->\n```text\n([\s\S]*?)```/.exec(readme);
  if (match?.[1] === undefined) throw new Error('README.md has no stream-demo output block');
  return match[1];
}

it(
  'stream-demo.ts, run as the README says, prints the README block: 200, 200 from the cache, then 401 within 1 s of the pushed event',
  async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'examples/items-service/stream-demo.ts')],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('GET /items -> 401 "Token has been revoked." (within 1 s of the push)');
    expect(stdout).toBe(readmeOutput());
  },
  SLOW,
);

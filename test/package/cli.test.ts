import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/compat/index.js';

// The executable runs from source through tsx (a cold start loads every subcommand: generous timeouts);
// the tarball smoke test in .ci/run runs the built one by name.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const root = path.resolve(import.meta.dirname, '../..');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', tsx, 'src/cli/index.ts', ...args],
      { cwd: root, timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

describe('the express-m8 executable', () => {
  it('prints the usage with every subcommand and exits 0 with no arguments, --help or -h', async () => {
    const runs = await Promise.all([cli(), cli('--help'), cli('-h')]);
    for (const run of runs) {
      expect(run.status).toBe(0);
      for (const command of ['prestart', 'check-config', 'dev-token', 'migrate', 'openapi']) {
        expect(run.stdout).toContain(command);
      }
    }
  }, 60_000);

  it('prints the package version for --version and exits 2 with the usage for an unknown subcommand', async () => {
    const [version, unknown] = await Promise.all([cli('--version'), cli('frobnicate')]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(unknown.stderr).toContain('Usage: express-m8');
  }, 60_000);
});

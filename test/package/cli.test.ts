import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/compat/index.js';

// The executables run from source through tsx; test/package/smoke (in .ci/run) runs the built ones by name.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const root = path.resolve(import.meta.dirname, '../..');

function cli(file: 'index' | 'prestart', ...args: string[]) {
  return spawnSync(process.execPath, ['--import', tsx, `src/cli/${file}.ts`, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

describe('the express-m8 executable', () => {
  it.each([[], ['--help'], ['-h']])(
    'prints the usage with every subcommand and exits 0 for %j',
    (...args) => {
      const run = cli('index', ...args);
      expect(run.status).toBe(0);
      for (const command of ['prestart', 'check-config', 'dev-token', 'migrate'])
        expect(run.stdout).toContain(command);
    },
  );

  it('prints the package version for --version', () => {
    const run = cli('index', '--version');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(VERSION);
  });

  it('exits 2 with the usage on stderr for an unknown subcommand', () => {
    const run = cli('index', 'frobnicate');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"');
    expect(run.stderr).toContain('Usage: express-m8');
  });

  it('exits 2 for a subcommand that is not implemented yet, and so does express-m8-prestart', () => {
    const run = cli('index', 'check-config');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('express-m8 check-config: not implemented yet');
    const alias = cli('prestart', '--max-tries', '1');
    expect(alias.status).toBe(2);
    expect(alias.stderr).toContain('express-m8 prestart: not implemented yet');
  });
});

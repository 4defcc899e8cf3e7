import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, ROOT } from './build.js';
import { runCli, useEmptyCwd } from './helpers.js';

const COMMANDS = ['prestart', 'check-config', 'dev-token', 'migrate'];

let cleanup: () => Promise<void>;
beforeAll(async () => {
  await ensureCliBuilt();
  cleanup = await useEmptyCwd();
}, 180_000);
afterAll(() => cleanup());

describe('the built express-m8 binary', () => {
  it('starts with a shebang so npm can link it as the package bin', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    for (const file of Object.values(manifest.bin)) {
      expect(readFileSync(path.join(ROOT, file), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    }
  });

  it('lists every subcommand in --help and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toContain(`  ${command}`);
  });

  it.each(COMMANDS)('prints the %s usage with its exit codes for --help and -h', async (command) => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli([command, flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: express-m8 ${command}`);
      expect(run.stdout).toContain('Exit codes');
    }
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const run = await runCli(['deploy']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "deploy"');
    expect(run.stderr).toContain('Usage: express-m8 <command>');
  });

  it('exits 2 with the subcommand usage for an unknown option', async () => {
    const run = await runCli(['check-config', '--yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--yaml'");
    expect(run.stderr).toContain('Usage: express-m8 check-config');
    expect(run.stdout).toBe('');
  });
});

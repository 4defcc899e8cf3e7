import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { BASE_ENV, SECRET } from './helpers.js';

// The dispatcher in-process, with injected streams and environment (the spawned tests cover the binary).
function capture(env: Record<string, string | undefined>) {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
    env,
    envFile: false as const,
  };
  return { io, out };
}

describe('runCli with injected io', () => {
  it('reads the injected environment instead of process.env', async () => {
    const { io, out } = capture({ ...BASE_ENV, PROJECT_NAME: 'injected' });
    expect(await runCli(['check-config', '--json'], io)).toBe(0);
    const summary = JSON.parse(out.stdout) as { settings: Record<string, unknown> };
    expect(summary.settings.PROJECT_NAME).toBe('injected');
    expect(out.stdout).not.toContain(SECRET);
  });

  it('resolves 2 with the settings problems on the injected stderr', async () => {
    const { io, out } = capture({ ...BASE_ENV, LOG_LEVEL: 'loud' });
    expect(await runCli(['dev-token'], io)).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('express-m8 dev-token: Invalid settings (1 problem):\n  - LOG_LEVEL: ');
  });

  it('resolves 2 with the usage for a bad option, before reading any setting', async () => {
    const { io, out } = capture({});
    expect(await runCli(['migrate', 'up', '--dir'], io)).toBe(2);
    expect(out.stderr).toContain("Option '--dir <value>' argument missing");
    expect(out.stderr).toContain('Usage: express-m8 migrate');
  });
});

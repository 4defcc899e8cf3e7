import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the default log destination', () => {
  it('loses no line when the process exits right after logging', () => {
    const script = `
      import { createLogger } from './src/logging/index.ts';
      import { testSettings } from './src/testing/index.ts';
      const logger = createLogger(testSettings({ LOG_LEVEL: 'info', ENVIRONMENT: 'development' }));
      for (let i = 0; i < 2000; i++) logger.info({ i }, 'line');
      process.exit(0);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(0);
    const lines = child.stdout.split('\n').filter((line) => line.includes('"msg":"line"'));
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines[1999] ?? '{}')).toMatchObject({ i: 1999 });
  }, 60_000);

  it('shows a lone line of a quiet service within the flush interval, before the process exits', async () => {
    const script = `
      import { createLogger } from './src/logging/index.ts';
      import { testSettings } from './src/testing/index.ts';
      const logger = createLogger(testSettings({ LOG_LEVEL: 'info', ENVIRONMENT: 'development' }));
      logger.info('lonely line');
      setTimeout(() => process.exit(0), 10_000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const seen = await new Promise<boolean>((resolve) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += String(chunk);
          if (out.includes('lonely line')) resolve(true);
        });
        child.once('exit', () => resolve(out.includes('lonely line')));
      });
      // Seen while the child is still alive (it exits only after 10 s): the periodic flush wrote it.
      expect(seen).toBe(true);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});

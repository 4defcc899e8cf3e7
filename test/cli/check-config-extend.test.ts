import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, ROOT } from './build.js';
import { runCli, useEmptyCwd } from './helpers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

// Inside the repository, so the modules resolve the repository's zod like a consumer's own code would.
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  await ensureCliBuilt();
  cleanup = await useEmptyCwd();
  dir = await mkdtemp(path.join(ROOT, 'test/cli/.tmp-extend-'));
  await writeFile(
    path.join(dir, 'settings.mjs'),
    "import { z } from 'zod';\nexport const extend = z.object({ STRIPE_API_KEY: z.string().min(10), SHOP_PORT: z.coerce.number().int() });\n",
  );
  await writeFile(
    path.join(dir, 'default.mjs'),
    "import { z } from 'zod';\nexport default z.object({ SHOP_NAME: z.string() });\n",
  );
  await writeFile(path.join(dir, 'nothing.mjs'), 'export const answer = 42;\n');
  await writeFile(
    path.join(dir, 'settings.ts'),
    "import { z } from 'zod';\nexport const extend: z.ZodObject = z.object({ SHOP_NAME: z.string() });\n",
  );
}, 180_000);
afterAll(async () => {
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('express-m8 check-config --extend', () => {
  it("validates the consumer's own fields with the built-in ones, and masks secret-like ones", async () => {
    const ok = await runCli(['check-config', '--json', '--extend', path.join(dir, 'settings.mjs')], {
      env: { STRIPE_API_KEY: 'sk_live_0123456789', SHOP_PORT: '8080' },
    });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout) as { settings: Record<string, unknown> };
    expect(out.settings.SHOP_PORT).toBe(8080);
    expect(out.settings.STRIPE_API_KEY).toBe('***');
    expect(ok.stdout).not.toContain('sk_live_0123456789');

    const bad = await runCli(['check-config', '--extend', path.join(dir, 'settings.mjs')], {
      env: { STRIPE_API_KEY: 'short', SHOP_PORT: 'eighty', DOMAIN: undefined, ENVIRONMENT: 'staging' },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/- STRIPE_API_KEY: /);
    expect(bad.stderr).toMatch(/- SHOP_PORT: /);
    expect(bad.stderr).toMatch(/- DOMAIN: is required/);
  });

  it('takes the default export, and reads a relative path from the working directory', async () => {
    const missing = await runCli(['check-config', '--extend', './default.mjs'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/- SHOP_NAME: is required but not set/);
  });

  it('says which exports a module without a zod object has', async () => {
    const run = await runCli(['check-config', '--extend', path.join(dir, 'nothing.mjs')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/expected a zod object .* "extend" or default export; exports: answer/);
  });

  it('names a module that cannot be imported', async () => {
    const run = await runCli(['check-config', '--extend', './missing.mjs']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--extend \.\/missing\.mjs: cannot be imported \(ERR_MODULE_NOT_FOUND\)/);
  });

  it('tells how to load a .ts module with tsx, and loads it under tsx', async () => {
    const plain = await runCli(['check-config', '--extend', './settings.ts'], { cwd: dir });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(
      'NODE_OPTIONS="--import tsx" npx express-m8 check-config --extend ./settings.ts',
    );
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const withTsx = await runCli(['check-config', '--extend', './settings.ts'], {
      cwd: dir,
      nodeArgs: ['--import', tsx],
      env: { SHOP_NAME: 'Corner shop' },
    });
    expect(withTsx.stderr).toContain('the settings are valid');
    expect(withTsx.code).toBe(0);
  });
});

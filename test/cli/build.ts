import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The built executables the package's `bin` points at. */
export const BIN = path.join(ROOT, 'dist/cli/index.js');
export const PRESTART_BIN = path.join(ROOT, 'dist/cli/prestart.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const { mtimeMs } = await stat(path.join(entry.parentPath, entry.name));
    if (mtimeMs > newest) newest = mtimeMs;
  }
  return newest;
}

async function builtMtime(): Promise<number> {
  try {
    const [a, b] = await Promise.all([stat(BIN), stat(PRESTART_BIN)]);
    return Math.min(a.mtimeMs, b.mtimeMs);
  } catch {
    return 0;
  }
}

async function stale(): Promise<boolean> {
  return (await builtMtime()) < (await newestMtime(path.join(ROOT, 'src')));
}

async function lock(dir: string): Promise<() => Promise<void>> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(dir);
      return () => rmdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another test file is building; a lock older than a minute was left by a killed run.
      if (Date.now() - started > 60_000) await rmdir(dir).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Builds the two CLI entry points into dist/cli (the tsup CLI config: ESM, node20, shebang) when they are
 * missing or older than any file under src/, so `npm test` works on a clean clone. The library build in
 * dist/ is left alone; a lock directory keeps parallel test files from building at once.
 */
export async function ensureCliBuilt(): Promise<void> {
  if (!(await stale())) return;
  await mkdir(path.join(ROOT, 'dist'), { recursive: true });
  const release = await lock(path.join(ROOT, 'dist/.cli-build-lock'));
  try {
    if (!(await stale())) return;
    const { build } = await import('tsup');
    await build({
      config: false,
      entry: {
        'cli/index': path.join(ROOT, 'src/cli/index.ts'),
        'cli/prestart': path.join(ROOT, 'src/cli/prestart.ts'),
      },
      outDir: path.join(ROOT, 'dist'),
      format: ['esm'],
      target: 'node20',
      platform: 'node',
      splitting: false,
      sourcemap: true,
      clean: false,
      silent: true,
      banner: { js: '#!/usr/bin/env node' },
    });
  } finally {
    await release();
  }
}

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiErrors } from '../openapi/helpers.js';
import { ensureCliBuilt, ROOT } from './build.js';
import { runCli, useEmptyCwd } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/openapi');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let cleanup: () => Promise<void>;
beforeAll(async () => {
  await ensureCliBuilt();
  cleanup = await useEmptyCwd();
}, 120_000);
afterAll(async () => {
  await cleanup();
});

describe('express-m8 openapi <module>', () => {
  it('prints the valid document of a createApp app (under tsx for a .ts module) without starting it', async () => {
    const run = await runCli(['openapi', 'app.ts'], { cwd: FIXTURES, nodeArgs: ['--import', tsx] });
    expect(run.stderr).not.toContain('fixture app started');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(await openApiErrors(doc)).toEqual([]);
    expect(doc.info).toMatchObject({ title: 'cli-openapi', description: 'Widgets' });
    expect(doc.paths['/widgets/{id}'].get).toMatchObject({
      summary: 'One widget',
      security: [{ bearerAuth: [] }],
    });
    // Registered after createApp returned: listed, as start() would list it.
    expect(doc.paths['/widgets/{id}'].delete['x-required-role']).toBe('admin');
  }, 60_000);

  it('reads the default export of an .mjs module and module.exports.app of a .cjs one under plain node', async () => {
    const [esm, cjs] = await Promise.all([
      runCli(['openapi', path.join(FIXTURES, 'default-export.mjs')]),
      runCli(['openapi', path.join(FIXTURES, 'named.cjs')]),
    ]);
    expect(esm.code).toBe(0);
    // Built once more, as start() would.
    expect(JSON.parse(esm.stdout).info).toEqual({ title: 'from default', version: '1' });
    expect(cjs.code).toBe(0);
    expect(JSON.parse(cjs.stdout).info.title).toBe('from cjs');
  }, 30_000);

  it('says how to load a TypeScript module when no loader is active, instead of failing obscurely', async () => {
    const run = await runCli(['openapi', path.join(FIXTURES, 'app.ts')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('is TypeScript and no TypeScript loader is active: run the CLI under tsx');
  }, 30_000);

  it('exits 1 naming the exports it looked at when the module exports no app, or when it fails to load', async () => {
    const [notApp, throws] = await Promise.all([
      runCli(['openapi', path.join(FIXTURES, 'not-an-app.mjs')]),
      runCli(['openapi', path.join(FIXTURES, 'throws.mjs')]),
    ]);
    expect(notApp.code).toBe(1);
    expect(notApp.stderr).toContain(
      'exports no app made by createApp (looked at "app" (object), "default" (absent))',
    );
    expect(throws.code).toBe(1);
    expect(throws.stderr).toContain('could not load');
    expect(throws.stderr).toContain('DATABASE_URL is not set');
    expect(throws.stderr).not.toContain('    at ');
  }, 30_000);

  it('exits 2 for a missing file or a missing argument', async () => {
    const [missing, none] = await Promise.all([runCli(['openapi', 'nowhere.mjs']), runCli(['openapi'])]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file: .*nowhere\.mjs/);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('missing <module>');
    expect(none.stderr).toContain('Usage: express-m8 openapi');
  }, 30_000);
});

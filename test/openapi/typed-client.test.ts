/**
 * docs/contracts.md's recipe, run for real: the items example's document → `openapi-typescript` (its CLI, as
 * a consumer runs it in CI) → a small strict client file compiled by `tsc`. A client that reads a field the
 * document does not have must fail to compile, so the types really come from the document.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadSettings } from 'express-m8';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildItemsApp, demoEnv } from '../../examples/items-service/app.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const OPENAPI_TS = path.join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const SLOW = 120_000;

const CLIENT = `import type { paths } from './api.js';

type ListItems = paths['/items']['get'];
type Page = ListItems['responses'][200]['content']['application/json'];
type NewItem = NonNullable<paths['/items']['post']['requestBody']>['content']['application/json'];

export async function listTitles(baseUrl: string, token: string): Promise<string[]> {
  const res = await fetch(\`\${baseUrl}/items?limit=10\`, { headers: { Authorization: \`Bearer \${token}\` } });
  const page = (await res.json()) as Page;
  return (page.items ?? []).map((item) => item.title);
}

export const draft: NewItem = { title: 'Buy milk' };
`;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'm8-typed-client-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tsc(file: string) {
  return run(
    process.execPath,
    [TSC, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--skipLibCheck', file],
    { cwd: dir },
  ).then(
    () => ({ code: 0, out: '' }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, out: error.stdout ?? '' }),
  );
}

describe('a typed client from the generated document', () => {
  it(
    'generates types with openapi-typescript and compiles a strict client against them',
    async () => {
      const settings = loadSettings({ env: demoEnv({ LOG_LEVEL: 'silent' }), envFile: false });
      const { app } = buildItemsApp(settings);
      const doc = (await request(app).get('/api/openapi.json').expect(200)).body;
      await writeFile(path.join(dir, 'openapi.json'), JSON.stringify(doc));
      await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
      await run(process.execPath, [OPENAPI_TS, 'openapi.json', '-o', 'api.d.ts'], { cwd: dir });
      expect(await readFile(path.join(dir, 'api.d.ts'), 'utf8')).toContain('"/items/{id}"');

      await writeFile(path.join(dir, 'client.ts'), CLIENT);
      expect(await tsc('client.ts')).toEqual({ code: 0, out: '' });

      const wrong = CLIENT.replace('item.title', 'item.name');
      await writeFile(path.join(dir, 'wrong.ts'), wrong);
      const refused = await tsc('wrong.ts');
      expect(refused.code).not.toBe(0);
      expect(refused.out).toContain("Property 'name' does not exist");
    },
    SLOW,
  );
});

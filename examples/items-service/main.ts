/**
 * The items demo: serves the items service on http://127.0.0.1:8000 (PORT overrides) on embedded PGlite in
 * memory, and prints dev tokens, two seeded item ids and curl lines, each runnable as printed. Same code on a server database:
 *   SELECTED_DB=Postgres DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx examples/items-service/main.ts
 *   SELECTED_DB=Mysql DATABASE_URL=mysql://root@127.0.0.1:3306/test npx tsx examples/items-service/main.ts
 * PGLITE_DATA_DIR=./.pglite keeps the embedded data between runs.
 */
import { randomUUID } from 'node:crypto';
import { loadSettings, serve } from 'express-m8';
import { generateKeys, mintToken } from 'express-m8/testing';
import { buildItemsApp, demoEnv } from './app.js';

const settings = loadSettings({ env: demoEnv({ LOG_LEVEL: 'warn', ...process.env }), envFile: false });
const { app, engine, service, apiKeys } = buildItemsApp(settings);
const engineTarget = `${settings.SELECTED_DB} ${engine.target}`;
const port = Number(process.env.PORT ?? 8000);
const running = await serve(app, { port, host: '127.0.0.1' });

const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY });
const mintOptions = { issuer: settings.TOKEN_ISSUER ?? null, audience: settings.TOKEN_AUDIENCE ?? null };
const userId = randomUUID();
const user = mintToken(keys, { sub: userId, email: 'dev@example.com', role: 'user' }, mintOptions);
const admin = mintToken(keys, { email: 'admin@example.com', role: 'admin' }, mintOptions);
// One item of the dev user, so the get/update/delete lines work as printed, and one of another user for the
// admin delete line.
const seeded = await service.create(
  { id: userId, isAdmin: false },
  { title: 'Try the items demo', description: 'seeded at startup', done: false },
);
const other = await service.create(
  { id: randomUUID(), isAdmin: false },
  { title: 'Item of another user', description: 'seeded at startup for the admin delete', done: false },
);
// A writer API key for machine clients (the migration ran at start); printed once, like the CLI does.
const apiKey = apiKeys ? (await apiKeys.create({ name: 'demo key', role: 'writer' })).key : undefined;
const url = running.url;
const auth = (variable: string) => `-H "Authorization: Bearer $${variable}"`;
const json = `-H 'Content-Type: application/json'`;

// Each command with its expected answer as a shell comment above it (copy-paste safe).
const tries: Array<[string, string]> = [
  [`curl -i ${url}/items`, '401: no token'],
  [
    `curl -i ${auth('USER_TOKEN')} ${json} -d '{"title":"Buy milk","description":"two litres"}' ${url}/items`,
    '201',
  ],
  [`curl -i ${auth('USER_TOKEN')} ${url}/items`, 'your items, newest first'],
  [`curl -i ${auth('USER_TOKEN')} ${url}/items/$ITEM_ID`, '200'],
  [`curl -i -X PATCH ${auth('USER_TOKEN')} ${json} -d '{"done":true}' ${url}/items/$ITEM_ID`, '200'],
  [`curl -i ${auth('USER_TOKEN')} ${json} -d '{"title":""}' ${url}/items`, '400: errors names the field'],
  [`curl -i ${auth('ADMIN_TOKEN')} ${url}/items/$ITEM_ID`, "404: /items is the caller's own"],
  [`curl -i ${auth('USER_TOKEN')} ${url}/admin/items`, '403: role too low'],
  [`curl -i ${auth('ADMIN_TOKEN')} ${url}/admin/items`, "every owner's items"],
  [`curl -i -X DELETE ${auth('USER_TOKEN')} ${url}/items/$ITEM_ID`, '204: deleted by its owner'],
  [
    `curl -i -X DELETE ${auth('ADMIN_TOKEN')} ${url}/admin/items/$OTHER_ITEM_ID`,
    "204: an admin deletes another user's item",
  ],
  [`curl -i ${url}/api/health/ready`, 'readiness, with the database check'],
];
if (apiKey !== undefined) {
  const key = `-H "X-API-Key: $API_KEY"`;
  tries.splice(
    tries.length - 1,
    0,
    [`curl -i ${key} ${json} -d '{"title":"Nightly export"}' ${url}/items`, '201: created with an API key'],
    [`curl -i ${key} ${url}/items`, "200: the key's own items"],
    [`curl -i ${key} ${url}/admin/items`, '403: the key is a writer, not an admin'],
  );
}
const lines = tries.map(([command, note]) => `  # ${note}\n  ${command}`).join('\n');
const where =
  settings.SELECTED_DB === 'Pglite' && !settings.PGLITE_DATA_DIR ? 'Pglite, in memory' : engineTarget;

process.stdout.write(`
express-m8 items demo on ${url}  (${where}; Ctrl+C stops it gracefully)

Dev tokens (HS256, valid 30 minutes, signed with this run's secret) and two seeded items (yours, another
user's). Paste into your shell:
  export USER_TOKEN=${user}
  export ADMIN_TOKEN=${admin}
  export ITEM_ID=${seeded.id}
  export OTHER_ITEM_ID=${other.id}${apiKey === undefined ? '' : `\n  export API_KEY=${apiKey}`}

Then try:
${lines}
  API docs: ${url}/api/docs (Swagger UI) and ${url}/api/redoc
`);

/**
 * `npm run demo:minimal`: serves the minimal example on http://127.0.0.1:8000 with a printed dev token.
 */
import { loadSettings, serve } from 'express-m8';
import { generateKeys, mintToken } from 'express-m8/testing';
import { buildMinimalApp, demoEnv } from './app.js';

const settings = loadSettings({ env: demoEnv({ LOG_LEVEL: 'warn', ...process.env }), envFile: false });
const app = buildMinimalApp(settings);
const port = Number(process.env.PORT ?? 8000);
const running = await serve(app, { port, host: '127.0.0.1' });

const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY });
const mintOptions = { issuer: settings.TOKEN_ISSUER ?? null, audience: settings.TOKEN_AUDIENCE ?? null };
const user = mintToken(keys, { email: 'dev@example.com', role: 'user' }, mintOptions);
const admin = mintToken(keys, { email: 'admin@example.com', role: 'admin' }, mintOptions);
const url = running.url;

process.stdout.write(`
express-m8 minimal demo on ${url}  (Ctrl+C stops it gracefully)

Dev tokens (HS256, valid 30 minutes, signed with this run's secret). Paste into your shell:
  export USER_TOKEN=${user}
  export ADMIN_TOKEN=${admin}

Then try:
  curl -i ${url}/api/health/
  curl -i ${url}/api/ping
  curl -i ${url}/hello
  curl -i ${url}/me                                                  # 401: no token
  curl -i -H "Authorization: Bearer $USER_TOKEN" ${url}/me
  curl -i -X DELETE -H "Authorization: Bearer $USER_TOKEN" ${url}/admin/cache    # 403: role too low
  curl -i -X DELETE -H "Authorization: Bearer $ADMIN_TOKEN" ${url}/admin/cache   # 204
  curl -s ${url}/metrics | head
  API docs: ${url}/api/docs (Swagger UI) and ${url}/api/redoc
`);

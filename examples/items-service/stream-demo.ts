/**
 * Push revocation, end to end: the test kit's fake issuer (`startEventIssuer`) stands in for fa-auth-m8, the
 * items service runs `TOKEN_MODE=stateful` with a 300 s revocation cache and the event stream on, and a
 * `session-revoked` event turns a cached 200 into a 401 within a second. Run it from the repository root:
 *   npx tsx examples/items-service/stream-demo.ts
 * Every line it prints is what happened; examples/items-service/stream-demo.test.ts runs it and checks the
 * output against the README section that shows it.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { loadSettings, serve } from 'express-m8';
import { generateKeys, mintToken, startEventIssuer } from 'express-m8/testing';
import { buildItemsApp, demoEnv } from './app.js';

// Demo values only: a real service reads these from its environment.
const SIGNING_KEY = 'Demo-Event-Signing-Key-0123456789-abcXYZ!';
const INTERNAL_SECRET = 'Demo-Internal-Secret-0123456789-abcXYZ!';
const CLIENT_ID = 'items-demo';
/** How long the demo waits for the 401 after the push: the stream's promise is "within 1 s". */
const PROMISED_MS = 1000;

/**
 * Runs the walkthrough, printing each step with `print`; resolves with the status codes seen, in order
 * (`[200, 200, 401]` when push revocation works).
 * @example
 * const statuses = await runStreamDemo((line) => console.log(line));
 */
export async function runStreamDemo(print: (line: string) => void): Promise<readonly number[]> {
  const issuer = await startEventIssuer({
    signingKey: SIGNING_KEY,
    secret: INTERNAL_SECRET,
    clientId: CLIENT_ID,
  });
  const settings = loadSettings({
    envFile: false,
    env: demoEnv({
      LOG_LEVEL: 'error',
      TOKEN_MODE: 'stateful',
      REVOCATION_CACHE_TTL_SECONDS: '300',
      INTROSPECTION_URL: issuer.introspectionUrl,
      PRIVATE_API_SECRET: INTERNAL_SECRET,
      INTERNAL_CLIENT_ID: CLIENT_ID,
      EVENT_STREAM_ENABLED: 'true',
      EVENT_SIGNING_KEY: SIGNING_KEY,
    }),
  });
  const { app } = buildItemsApp(settings);
  const running = await serve(app, { port: 0, host: '127.0.0.1' });
  const statuses: number[] = [];
  try {
    await issuer.waitForStreams(1);
    print('fake issuer started; items service on TOKEN_MODE=stateful, REVOCATION_CACHE_TTL_SECONDS=300');
    print(
      `event stream connected (${issuer.tokensIssued} service token issued, ${issuer.openStreams} stream open)`,
    );

    const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY });
    const sub = randomUUID();
    const jti = randomUUID();
    const token = mintToken(
      keys,
      { sub, jti },
      { issuer: settings.TOKEN_ISSUER ?? null, audience: settings.TOKEN_AUDIENCE ?? null },
    );
    const getItems = async (): Promise<{ status: number; detail: string }> => {
      const res = await fetch(`${running.url}/items`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { detail?: string };
      return { status: res.status, detail: body.detail ?? '' };
    };

    const first = await getItems();
    statuses.push(first.status);
    print(
      `GET /items -> ${first.status} (revocation checked at the issuer: ${issuer.revocationChecks} check)`,
    );

    issuer.revoke(jti);
    const second = await getItems();
    statuses.push(second.status);
    print(
      `token revoked at the issuer; GET /items -> ${second.status} (answered from the 300 s cache: still ${issuer.revocationChecks} check)`,
    );

    const pushedAt = performance.now();
    await issuer.push('session-revoked', { user_id: sub, jti });
    print('issuer pushes event: session-revoked {user_id, jti}');
    let third = await getItems();
    while (third.status === 200 && performance.now() - pushedAt < PROMISED_MS) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      third = await getItems();
    }
    statuses.push(third.status);
    const within = performance.now() - pushedAt < PROMISED_MS ? 'within 1 s' : 'NOT within 1 s';
    print(`GET /items -> ${third.status} "${third.detail}" (${within} of the push)`);
  } finally {
    await running.close();
    await issuer.close();
  }
  return statuses;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const statuses = await runStreamDemo((line) => process.stdout.write(`${line}\n`));
  process.exitCode = statuses.join(',') === '200,200,401' ? 0 : 1;
}

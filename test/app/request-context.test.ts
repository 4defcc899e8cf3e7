// express-m8 keeps its per-request state in ONE object on the request: on Node 22 every property added to a
// request or response after Express swapped its prototype costs about 1.5 µs and a new hidden class, and nine
// such additions per request made the full stack 25 % dearer there (docs/architecture.md, speed techniques).
// This pins what the full stack adds, against a bare Express app answering the same route.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import { buildAuthDeps, createApp, type M8App } from 'express-m8';
import { generateKeys, mintToken, testSettings } from 'express-m8/testing';
import { afterAll, describe, expect, it } from 'vitest';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Seen {
  req: string[];
  res: string[];
}

/** Serves `app`, sends one request, and returns the own keys of its request and response once it closed. */
async function keysAfterOneRequest(
  app: Express | M8App,
  seen: Promise<Seen>,
  headers: Record<string, string>,
): Promise<Seen> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const answer = await fetch(`http://127.0.0.1:${port}/api/items`, { headers });
  expect(answer.status).toBe(200);
  await answer.arrayBuffer();
  return seen;
}

/** A handler that answers and records the own keys of `req` and `res` after the response closed. */
function recorder(): { handler: (req: Request, res: Response) => void; seen: Promise<Seen> } {
  let resolve: (value: Seen) => void = () => {};
  const seen = new Promise<Seen>((r) => {
    resolve = r;
  });
  const handler = (req: Request, res: Response): void => {
    res.once('close', () =>
      setImmediate(() =>
        resolve({ req: Reflect.ownKeys(req).map(String), res: Reflect.ownKeys(res).map(String) }),
      ),
    );
    res.json({ items: [] });
  };
  return { handler, seen };
}

describe('per-request state', () => {
  it('the full stack adds req.id, req.user and one context symbol to the request, and nothing to the response', async () => {
    const bare = recorder();
    const plain = express();
    plain.get('/api/items', bare.handler);
    const bareKeys = await keysAfterOneRequest(plain, bare.seen, {});

    const settings = testSettings({ METRICS_ENABLED: true });
    const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY as string });
    const auth = buildAuthDeps(settings);
    const full = recorder();
    const router = express.Router();
    router.get('/api/items', auth.requireUser, auth.requireUser, full.handler);
    const app = createApp(settings, router, { lifecycle: { auth } });
    await app.start();
    closers.push(() => app.stop());
    const m8Keys = await keysAfterOneRequest(app, full.seen, {
      Authorization: `Bearer ${mintToken(keys)}`,
      Origin: 'http://localhost:5173',
    });

    const added = (mine: string[], base: string[]): string[] => mine.filter((k) => !base.includes(k)).sort();
    expect(added(m8Keys.req, bareKeys.req)).toEqual(['Symbol(express-m8.requestContext)', 'id', 'user']);
    expect(added(m8Keys.res, bareKeys.res)).toEqual([]);
  });
});

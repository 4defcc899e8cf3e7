import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { createApp, type M8App, serve } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServer, serverClassesOf, useAppServerForListen } from '../../src/http/server.js';
import { EXPRESS_4 } from '../express-version.js';

// Express 4's app.listen has no error wiring (the Express 4 listen test below pins that behaviour).
const itExpress5 = it.skipIf(EXPRESS_4);

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Where the request and response of the next request were born: their prototype before Express ran. */
function recordBirth(server: Server): { protos: Array<[object | null, object | null]> } {
  const seen = { protos: [] as Array<[object | null, object | null]> };
  server.prependListener('request', (req, res) => {
    seen.protos.push([Object.getPrototypeOf(req), Object.getPrototypeOf(res)]);
  });
  return seen;
}

/** Listens on a free loopback port, closed after the test. */
async function listening(server: Server): Promise<Server> {
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

/** A port some other app is already listening on. */
async function takenPort(): Promise<number> {
  const taken = await listening(appWith(express.Router()).listen(0, '127.0.0.1'));
  return (taken.address() as AddressInfo).port;
}

function urlOf(server: Server, path: string): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
}

function appWith(router: express.Router): M8App {
  return createApp(testSettings(), router);
}

describe('app server: requests are born with the app prototypes', () => {
  it('app.listen() serves requests whose req/res already have app.request/app.response', async () => {
    const router = express.Router().get('/who', (req: Request, res: Response) => {
      res.json({
        incoming: req instanceof IncomingMessage,
        response: res instanceof ServerResponse,
        sameApp: req.app === app,
        ip: req.ip,
      });
    });
    const app = appWith(router);
    let listenCallbacks = 0;
    const server = await listening(app.listen(0, '127.0.0.1', () => listenCallbacks++));
    expect(listenCallbacks).toBe(1);
    const birth = recordBirth(server);
    const response = await fetch(urlOf(server, '/who'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ incoming: true, response: true, sameApp: true, ip: '127.0.0.1' });
    const proto = app as unknown as { request: object; response: object };
    expect(birth.protos).toEqual([[proto.request, proto.response]]);
  });

  it('serve() uses the same server classes', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.send('x')));
    const running = await serve(app, { port: 0, host: '127.0.0.1' });
    const birth = recordBirth(running.server);
    try {
      const response = await fetch(urlOf(running.server, '/x'));
      expect(await response.text()).toBe('x');
      const proto = app as unknown as { request: object; response: object };
      expect(birth.protos).toEqual([[proto.request, proto.response]]);
    } finally {
      await running.close();
    }
  });

  it('a sub-app mounted below the consumer router still gets its own prototypes, the app its own', async () => {
    const sub = express();
    sub.get('/inner', (req, res) => {
      res.json({ innerApp: req.app === sub });
    });
    const router = express.Router();
    router.use('/sub', sub);
    router.get('/outer', (req, res) => res.json({ outerApp: req.app === app }));
    const app = appWith(router);
    const server = await listening(createAppServer(app).listen(0, '127.0.0.1'));
    expect(await (await fetch(urlOf(server, '/sub/inner'))).json()).toEqual({ innerApp: true });
    expect(await (await fetch(urlOf(server, '/outer'))).json()).toEqual({ outerApp: true });
  });

  it('HEAD, 404 and keep-alive reuse behave as on a plain server', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.json({ a: 1 })));
    const server = await listening(createAppServer(app).listen(0, '127.0.0.1'));
    const head = await fetch(urlOf(server, '/x'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(head.headers.get('content-length')).toBe('7');
    for (let i = 0; i < 3; i++) {
      const missing = await fetch(urlOf(server, `/missing/${i}`));
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await missing.text();
    }
  });

  it('makes the classes once per app, different apps get different classes', () => {
    const a = appWith(express.Router());
    const b = appWith(express.Router());
    expect(serverClassesOf(a)).toBe(serverClassesOf(a));
    expect(serverClassesOf(a).IncomingMessage).not.toBe(serverClassesOf(b).IncomingMessage);
    expect(serverClassesOf(a).IncomingMessage.prototype).toBe((a as unknown as { request: object }).request);
  });

  itExpress5('app.listen() calls its callback once with the error when the port is taken', async () => {
    const port = await takenPort();
    const second = appWith(express.Router());
    const calls: unknown[][] = [];
    let server: Server | undefined;
    await new Promise<void>((resolve) => {
      server = second.listen(port, '127.0.0.1', (...args: unknown[]) => {
        calls.push(args);
        resolve();
      });
    });
    await new Promise((resolve) => setImmediate(resolve));
    if (server === undefined) throw new Error('listen returned nothing');
    expect(server.listening).toBe(false);
    expect(calls).toHaveLength(1);
    expect((calls[0]?.[0] as NodeJS.ErrnoException | undefined)?.code).toBe('EADDRINUSE');
  });

  it('mirrors an Express 4 listen: a listen error is an error event on the server, never the callback', async () => {
    const port = await takenPort();
    const legacy = express();
    // Express 4's app.listen, verbatim in behaviour: no error wiring.
    Object.defineProperty(legacy, 'listen', {
      configurable: true,
      writable: true,
      value: function listen(this: express.Express, ...args: unknown[]) {
        const server = createServer(this);
        return Reflect.apply(server.listen, server, args);
      },
    });
    useAppServerForListen(legacy);
    const calls: unknown[][] = [];
    const server = legacy.listen(port, '127.0.0.1', (...args: unknown[]) => calls.push(args));
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => server.once('error', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(error.code).toBe('EADDRINUSE');
    expect(calls).toEqual([]);
  });
});

import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import express, { type Request, type Response } from 'express';
import { createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appServerClasses,
  createAppServer,
  createAppServerWith,
  type ServerClasses,
  useAppServerForListen,
} from '../../src/http/server.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** V8 majors on either side of the decision, whatever Node runs the tests. */
const GAINS = 12;
const NO_GAIN = 13;
const RUNNING_V8 = Number.parseInt(process.versions.v8, 10);

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
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

/** A port some other app is already listening on. */
async function takenPort(): Promise<number> {
  const taken = await listening(createServer().listen(0, '127.0.0.1'));
  return (taken.address() as AddressInfo).port;
}

function urlOf(server: Server, path: string): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
}

function appWith(router: express.Router, options: { appServerClasses?: boolean } = {}): M8App {
  return createApp(testSettings(), router, options);
}

function protosOf(app: express.Application): [object, object] {
  const proto = app as unknown as { request: object; response: object };
  return [proto.request, proto.response];
}

/** A logger keeping warn lines. */
function warnings(): { logger: { warn(obj: object, msg: string): void }; lines: Array<[object, string]> } {
  const lines: Array<[object, string]> = [];
  return { lines, logger: { warn: (obj, msg) => void lines.push([obj, msg]) } };
}

describe('app server classes are an opt-in', () => {
  it('createApp leaves app.listen to Express: requests are plain IncomingMessage until Express runs', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.send('x')));
    const server = await listening(app.listen(0, '127.0.0.1'));
    const birth = recordBirth(server);
    expect(await (await fetch(urlOf(server, '/x'))).text()).toBe('x');
    expect(birth.protos).toEqual([[IncomingMessage.prototype, ServerResponse.prototype]]);
  });

  it('createApp({ appServerClasses: true }) makes app.listen use them where they pay (V8 < 13), else Express', async () => {
    const router = express.Router().get('/who', (req: Request, res: Response) => {
      res.json({
        incoming: req instanceof IncomingMessage,
        response: res instanceof ServerResponse,
        sameApp: req.app === app,
        ip: req.ip,
      });
    });
    const app = appWith(router, { appServerClasses: true });
    let listenCallbacks = 0;
    const server = await listening(app.listen(0, '127.0.0.1', () => listenCallbacks++));
    expect(listenCallbacks).toBe(1);
    const birth = recordBirth(server);
    const response = await fetch(urlOf(server, '/who'));
    expect(await response.json()).toEqual({ incoming: true, response: true, sameApp: true, ip: '127.0.0.1' });
    expect(birth.protos).toEqual([
      RUNNING_V8 < NO_GAIN ? protosOf(app) : [IncomingMessage.prototype, ServerResponse.prototype],
    ]);
  });

  it('createAppServer(app, { logger }) decides on the running V8: app prototypes before 13, stock from 13', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.send('x')));
    const { logger, lines } = warnings();
    const server = await listening(createAppServer(app, { logger }).listen(0, '127.0.0.1'));
    const birth = recordBirth(server);
    expect(await (await fetch(urlOf(server, '/x'))).text()).toBe('x');
    const gains = RUNNING_V8 < NO_GAIN;
    expect(birth.protos).toEqual([
      gains ? protosOf(app) : [IncomingMessage.prototype, ServerResponse.prototype],
    ]);
    expect(lines).toHaveLength(gains ? 0 : 1);
  });

  it('createAppServer builds requests with the app prototypes on V8 12', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.send('x')));
    const server = await listening(createAppServerWith(app, {}, { v8Major: GAINS }).listen(0, '127.0.0.1'));
    const birth = recordBirth(server);
    expect(await (await fetch(urlOf(server, '/x'))).text()).toBe('x');
    expect(birth.protos).toEqual([protosOf(app)]);
  });

  it('is ignored on V8 13 with one warning saying why, and the server is a stock one', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.send('x')));
    const { logger, lines } = warnings();
    const first = await listening(
      createAppServerWith(app, { logger }, { v8Major: NO_GAIN }).listen(0, '127.0.0.1'),
    );
    await listening(createAppServerWith(app, { logger }, { v8Major: NO_GAIN }).listen(0, '127.0.0.1'));
    const birth = recordBirth(first);
    expect(await (await fetch(urlOf(first, '/x'))).text()).toBe('x');
    expect(birth.protos).toEqual([[IncomingMessage.prototype, ServerResponse.prototype]]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.[1]).toMatch(/^appServerClasses ignored: on V8 13 .* slower/);
    expect(lines[0]?.[0]).toMatchObject({ code: 'EXPRESS_M8_APP_SERVER_CLASSES', v8: 13 });
  });

  it('makes the classes once per app, different apps get different classes', () => {
    const a = appWith(express.Router());
    const b = appWith(express.Router());
    const classesA = appServerClasses(a, {}, { v8Major: GAINS });
    expect(appServerClasses(a, {}, { v8Major: GAINS })).toBe(classesA);
    expect(classesA?.IncomingMessage).not.toBe(appServerClasses(b, {}, { v8Major: GAINS })?.IncomingMessage);
    expect(classesA?.IncomingMessage.prototype).toBe(protosOf(a)[0]);
  });
});

describe('app server classes: constructors and self-test', () => {
  it('forwards every constructor argument and keeps the instance the base constructor builds', () => {
    const received: unknown[][] = [];
    function RecordingResponse(this: ServerResponse, ...args: unknown[]): void {
      received.push(args);
      Reflect.apply(ServerResponse, this, args);
    }
    function PlainRequest(this: IncomingMessage, ...args: unknown[]): void {
      Reflect.apply(IncomingMessage, this, args);
    }
    const app = express();
    const classes = appServerClasses(
      app,
      {},
      {
        v8Major: GAINS,
        bases: {
          IncomingMessage: PlainRequest as unknown as ServerClasses['IncomingMessage'],
          ServerResponse: RecordingResponse as unknown as ServerClasses['ServerResponse'],
        },
      },
    );
    if (classes === undefined) throw new Error('self-test failed');
    const req = new classes.IncomingMessage(new Socket());
    const extra = { third: true };
    const Response3 = classes.ServerResponse as unknown as new (...args: unknown[]) => object;
    new Response3(req, { highWaterMark: 1024 }, extra);
    // The self-test built one pair with two arguments; this call passed three.
    expect(received.at(-1)).toEqual([req, { highWaterMark: 1024 }, extra]);
  });

  it('falls back to the stock classes, with a warning, when Node’s constructors are ES classes', async () => {
    class ClassRequest extends IncomingMessage {}
    class ClassResponse extends ServerResponse {}
    const app = appWith(express.Router().get('/x', (_req, res) => res.send('x')));
    const { logger, lines } = warnings();
    const classes = appServerClasses(
      app,
      { logger },
      {
        v8Major: GAINS,
        bases: {
          IncomingMessage: ClassRequest,
          ServerResponse: ClassResponse as unknown as ServerClasses['ServerResponse'],
        },
      },
    );
    expect(classes).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.[1]).toMatch(
      /^appServerClasses ignored: the start-up self-test failed \(Class constructor/,
    );
    // Nothing of the attempt is left on the app: Express's getters work as before.
    const server = await listening(
      createAppServerWith(app, { logger }, { v8Major: GAINS }).listen(0, '127.0.0.1'),
    );
    expect(await (await fetch(urlOf(server, '/x'))).text()).toBe('x');
    expect(Object.getOwnPropertyDescriptor(protosOf(app)[0], 'ip')).toBeUndefined();
  });

  it('falls back when a constructor returns another object than the one with the app prototype', () => {
    function Foreign(this: object): object {
      return new IncomingMessage(new Socket());
    }
    const { logger, lines } = warnings();
    const classes = appServerClasses(
      express(),
      { logger },
      {
        v8Major: GAINS,
        bases: {
          IncomingMessage: Foreign as unknown as ServerClasses['IncomingMessage'],
          ServerResponse,
        },
      },
    );
    expect(classes).toBeUndefined();
    expect(lines[0]?.[1]).toContain('a request was not built with the app request prototype');
  });
});

describe('app server classes: Express getters before and after Express takes the request', () => {
  it('before Express, reads give undefined and assignments stick, as on a plain request', async () => {
    const app = express();
    app.get('/x', (_req, res) => res.send('x'));
    const server = await listening(createAppServerWith(app, {}, { v8Major: GAINS }).listen(0, '127.0.0.1'));
    const seen: Record<string, unknown> = {};
    server.prependListener('request', (req: Request) => {
      seen['before'] = [req.ip, req.path, req.protocol, req.query, req.fresh, req.hostname];
      req.query = { early: '1' };
      (req as { ip: string }).ip = '203.0.113.9';
      seen['after'] = [req.query, req.ip];
    });
    expect((await fetch(urlOf(server, '/x'))).status).toBe(200);
    expect(seen).toEqual({
      before: [undefined, undefined, undefined, undefined, undefined, undefined],
      after: [{ early: '1' }, '203.0.113.9'],
    });
  });

  it('inside Express, the getters answer and assigning one throws as in strict mode', async () => {
    const app = express();
    app.get('/x', (req, res) => {
      let thrown = '';
      try {
        (req as { path: string }).path = '/other';
      } catch (error) {
        thrown = (error as Error).message;
      }
      res.json({ ip: req.ip, path: req.path, protocol: req.protocol, query: req.query, thrown });
    });
    const server = await listening(createAppServerWith(app, {}, { v8Major: GAINS }).listen(0, '127.0.0.1'));
    expect(await (await fetch(urlOf(server, '/x?a=1'))).json()).toEqual({
      ip: '127.0.0.1',
      path: '/x',
      protocol: 'http',
      query: { a: '1' },
      thrown: 'Cannot set property path of #<IncomingMessage> which has only a getter',
    });
  });
});

describe('app.listen with the app server classes', () => {
  it('calls its callback once with the error when the port is taken (Express 5 semantics)', async () => {
    const port = await takenPort();
    const second = express();
    useAppServerForListen(second, { errorsToCallback: true }, { v8Major: GAINS });
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

  it('with Express 4 semantics, a listen error is an error event on the server, never the callback', async () => {
    const port = await takenPort();
    const legacy = express();
    useAppServerForListen(legacy, { errorsToCallback: false }, { v8Major: GAINS });
    const calls: unknown[][] = [];
    const server = legacy.listen(port, '127.0.0.1', (...args: unknown[]) => calls.push(args));
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => server.once('error', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(error.code).toBe('EADDRINUSE');
    expect(calls).toEqual([]);
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
    const server = await listening(createAppServerWith(app, {}, { v8Major: GAINS }).listen(0, '127.0.0.1'));
    expect(await (await fetch(urlOf(server, '/sub/inner'))).json()).toEqual({ innerApp: true });
    expect(await (await fetch(urlOf(server, '/outer'))).json()).toEqual({ outerApp: true });
  });

  it('HEAD, 404 and keep-alive reuse behave as on a plain server', async () => {
    const app = appWith(express.Router().get('/x', (_req, res) => res.json({ a: 1 })));
    const server = await listening(createAppServerWith(app, {}, { v8Major: GAINS }).listen(0, '127.0.0.1'));
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
});

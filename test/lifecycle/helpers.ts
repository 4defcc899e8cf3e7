import {
  type Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import express, { type Application } from 'express';
import { testSettings } from 'express-m8/testing';
import {
  bindLifecycle,
  type CreateLifecycleConfig,
  createLifecycle,
  type LifecycleController,
  type LifecycleLogger,
  type LifecycleTimers,
  type M8App,
  type TimerHandle,
} from '../../src/lifecycle/index.js';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

/** A logger that keeps every line, for assertions. */
export function recordingLogger(): { logger: LifecycleLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg: string): void => {
      lines.push({ level, msg, obj: obj as Record<string, unknown> });
    };
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A promise the test resolves when it wants. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Timers the test fires by hand; `pending` lists what is scheduled. */
export interface ManualTimers extends LifecycleTimers {
  readonly pending: ReadonlyArray<{ ms: number; unrefed: boolean; fire(): void }>;
}

export function manualTimers(): ManualTimers {
  interface Entry {
    ms: number;
    unrefed: boolean;
    callback: () => void;
    fire(): void;
  }
  const pending: Entry[] = [];
  return {
    pending,
    setTimeout(callback, ms) {
      const entry: Entry = {
        ms,
        unrefed: false,
        callback,
        fire() {
          const index = pending.indexOf(entry);
          if (index >= 0) pending.splice(index, 1);
          callback();
        },
      };
      pending.push(entry);
      const handle: TimerHandle & { entry: Entry } = {
        entry,
        unref() {
          entry.unrefed = true;
        },
      };
      return handle;
    },
    clearTimeout(handle) {
      const entry = (handle as { entry?: Entry }).entry;
      const index = entry ? pending.indexOf(entry) : -1;
      if (index >= 0) pending.splice(index, 1);
    },
  };
}

/** An express app with slow, streaming and health routes, driven by a lifecycle controller. */
export interface TestApp {
  readonly app: M8App;
  readonly lifecycle: LifecycleController;
  readonly lines: LogLine[];
  /** Opened by the test to finish `/slow` and `/stream`. */
  readonly release: Gate;
  /** Resolved when `/slow`, `/stream` or `/hang` has started. */
  readonly started: Gate;
}

export function buildTestApp(
  config: Partial<Omit<CreateLifecycleConfig, 'app' | 'logger'>> & {
    delaySeconds?: number;
    timeoutSeconds?: number;
  } = {},
): TestApp {
  const { logger, lines } = recordingLogger();
  const release = gate();
  const started = gate();
  const base: Application = express();
  const settings = testSettings({
    SHUTDOWN_DELAY_SECONDS: config.delaySeconds ?? 0,
    SHUTDOWN_TIMEOUT_SECONDS: config.timeoutSeconds ?? 5,
  });
  const lifecycle = createLifecycle({ settings, ...config, app: base, logger });
  const app = bindLifecycle(base, lifecycle);
  app.get('/health', (_req, res) => {
    res.status(lifecycle.ready ? 200 : 503).json({ status: lifecycle.state });
  });
  app.get('/fast', (_req, res) => {
    res.send('fast');
  });
  app.get('/slow', async (_req, res) => {
    started.open();
    await release.promise;
    res.send('slow');
  });
  app.get('/stream', async (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('part one;');
    started.open();
    await release.promise;
    res.end('part two');
  });
  app.get('/hang', () => {
    started.open();
  });
  return { app, lifecycle, lines, release, started };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly socket: Socket;
}

/** One GET over a real socket (keep-alive when `agent` keeps alive). */
export function get(url: string, path: string, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { agent: agent ?? false }, (res) => {
      // Captured now: a keep-alive agent detaches the socket from the response once it ends.
      const socket = res.socket;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves `'connected'` or the error code of a fresh TCP connection attempt (e.g. `ECONNREFUSED`). */
export function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Resolves when the socket has closed (immediately when it already has). */
export function closed(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Creates a real server for `app`, attaches it to `lifecycle` and listens on 127.0.0.1:0. */
export async function listenAttached(
  app: Application,
  lifecycle: LifecycleController,
): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  lifecycle.attachServer(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Resolves once a line whose message starts with `prefix` has been logged (polled each event-loop turn). */
export async function logged(lines: readonly LogLine[], prefix: string): Promise<LogLine> {
  for (;;) {
    const line = lines.find((l) => l.msg.startsWith(prefix));
    if (line) return line;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

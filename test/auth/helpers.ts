import { Writable } from 'node:stream';
import express, { type Express } from 'express';
import { type Logger, pino } from 'pino';
import type {
  AuthDeps,
  AuthFailureReason,
  AuthObserver,
  JwksRefreshResult,
  RevocationResult,
} from '../../src/auth/index.js';

/** A settable clock for buildAuthDeps({ now }). */
export function manualClock(start = Date.now()): {
  now: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
} {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** A pino logger whose JSON lines land in `lines`. */
export function logSink(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, raw };
}

/** Records every observer call. */
export function recordingObserver(): AuthObserver & {
  failures: AuthFailureReason[];
  revocations: RevocationResult[];
  refreshes: JwksRefreshResult[];
} {
  const failures: AuthFailureReason[] = [];
  const revocations: RevocationResult[] = [];
  const refreshes: JwksRefreshResult[] = [];
  return {
    failures,
    revocations,
    refreshes,
    onAuthFailure: (r) => void failures.push(r),
    onRevocationCheck: (r) => void revocations.push(r),
    onJwksRefresh: (r) => void refreshes.push(r),
  };
}

/** A small express app with one route per guard; each answers `{ user }`. */
export function guardedApp(auth: AuthDeps): Express {
  const app = express();
  const send = (req: express.Request, res: express.Response): void => {
    res.json({ user: req.user ?? null });
  };
  app.get('/user', auth.requireUser, send);
  app.get('/optional', auth.optionalUser, send);
  app.get('/reader', auth.requireReader, send);
  app.get('/writer', auth.requireWriter, send);
  app.get('/admin', auth.requireAdmin, send);
  app.get('/superuser', auth.requireSuperuser, send);
  app.get('/role/user', auth.requireRole('user'), send);
  app.get('/role/superadmin', auth.requireRole('superadmin'), send);
  app.get('/stacked', auth.requireUser, auth.requireAdmin, send);
  return app;
}

export const bearer = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];

export const PRIVATE_API_SECRET = 'Internal-Secret-0123456789-abcdefXYZ!';

/** Sends a raw HTTP/1.1 request (exact header lines, duplicates kept) to `app` and returns status and body. */
export async function rawRequest(
  app: import('express').Express,
  path: string,
  headerLines: readonly string[],
): Promise<{ status: number; body: string }> {
  const { createServer } = await import('node:http');
  const { connect } = await import('node:net');
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`,
      );
    });
    const status = Number(text.slice(9, 12));
    return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

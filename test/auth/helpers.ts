import express, { type Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import type {
  AuthDeps,
  AuthFailureReason,
  AuthObserver,
  JwksRefreshResult,
  RevocationResult,
} from '../../src/auth/index.js';

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

/**
 * `GET path` on `app`, with `Authorization: Bearer <token>` when a token is given: the request most auth tests
 * send.
 */
export function authGet(app: Parameters<typeof request>[0], path: string, token?: string): request.Test {
  const req = request(app).get(path);
  return token === undefined ? req : req.set(...bearer(token));
}

/**
 * Asserts an RFC 9457 problem answer: the status (in the response and the body), the problem+json content type,
 * and, when given, the body's `code` and `detail` and the `WWW-Authenticate` challenge.
 */
export function expectProblem(
  res: request.Response,
  status: number,
  expected: { code?: string; detail?: string; challenge?: string } = {},
): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(res.body.status).toBe(status);
  if (expected.code !== undefined) expect(res.body.code).toBe(expected.code);
  if (expected.detail !== undefined) expect(res.body.detail).toBe(expected.detail);
  if (expected.challenge !== undefined) expect(res.headers['www-authenticate']).toBe(expected.challenge);
}

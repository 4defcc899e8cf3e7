import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { listenLoopback, readBody } from './loopback.js';

/** One introspection request as the fake issuer received it. */
export interface RevocationRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when it was not JSON). */
  readonly body:
    | { readonly jti?: unknown; readonly expected_user_id?: unknown; readonly schema_version?: unknown }
    | undefined;
}

/**
 * How the fake issuer answers a check: `active` (v2, `user_id` = the expected one), `revoked`
 * (`{"active": false}`), `mismatch` (active, another `user_id`), `unknown_schema` (`schema_version: "3"`),
 * `garbage` (200, not JSON), `hang` (never answers), `reset` (drops the connection), or
 * `{ status, body?, delayMs? }` (anything; `body` objects are JSON-encoded).
 */
export type RevocationReply =
  | 'active'
  | 'revoked'
  | 'mismatch'
  | 'unknown_schema'
  | 'garbage'
  | 'hang'
  | 'reset'
  | { readonly status: number; readonly body?: unknown; readonly delayMs?: number };

/** A fixed reply, or a function of the request. The default answers `revoked` for revoked jtis, else `active`. */
export type RevocationPolicy = RevocationReply | ((request: RevocationRequest) => RevocationReply);

/** An fa-auth-m8 introspection endpoint on loopback, see {@link startRevocationServer}. */
export interface RevocationServer {
  /** The `INTROSPECTION_URL` to configure: `http://127.0.0.1:<port>/private/v1/jti-status`. */
  readonly url: string;
  /** How many requests arrived so far. */
  readonly requestCount: number;
  /** How many TCP connections were opened to it (keep-alive reuse keeps this low). */
  readonly connectionCount: number;
  /** Every request received, oldest first. */
  readonly requests: readonly RevocationRequest[];
  /** Marks a `jti` revoked for the default policy. */
  revoke(jti: string): void;
  /** Changes the policy (`undefined` restores the default). */
  setPolicy(policy: RevocationPolicy | undefined): void;
  /** Stops the server, drops every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a fake fa-auth-m8 revocation endpoint (schema v2) on `127.0.0.1`. It records and counts requests
 * and answers per `policy`, so tests can drive every outcome: active, revoked, subject mismatch, unknown
 * schema, garbage, 5xx, 401/403, hangs and connection resets.
 *
 * @example
 * const issuer = await startRevocationServer();
 * const settings = testSettings({ TOKEN_MODE: 'stateful', INTROSPECTION_URL: issuer.url,
 *   PRIVATE_API_SECRET: 'Internal-Secret-0123456789-abcdefXYZ!' });
 * issuer.revoke(jti); // the next check of that token answers {"active": false}
 */
export async function startRevocationServer(policy?: RevocationPolicy): Promise<RevocationServer> {
  const revoked = new Set<string>();
  const requests: RevocationRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const defaultPolicy = (r: RevocationRequest): RevocationReply =>
    typeof r.body?.jti === 'string' && revoked.has(r.body.jti) ? 'revoked' : 'active';
  let current: RevocationPolicy = policy ?? defaultPolicy;
  let connections = 0;

  const loopback = await listenLoopback(
    (req, res) => {
      void readBody(req).then((text) => {
        let body: RevocationRequest['body'];
        try {
          body = JSON.parse(text) as RevocationRequest['body'];
        } catch {
          body = undefined;
        }
        const request: RevocationRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
        };
        requests.push(request);
        const reply = typeof current === 'function' ? current(request) : current;
        if (reply === 'hang') return;
        if (reply === 'reset') return void req.socket.destroy();
        const json = (status: number, payload: unknown): void => {
          const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
          res.writeHead(status, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        };
        const expected = body?.expected_user_id;
        const active = { active: true, user_id: expected, auth_generation: 1, schema_version: '2' };
        if (reply === 'active') return json(200, active);
        if (reply === 'revoked') return json(200, { active: false });
        if (reply === 'mismatch') return json(200, { ...active, user_id: randomUUID() });
        if (reply === 'unknown_schema') return json(200, { ...active, schema_version: '3' });
        if (reply === 'garbage') return json(200, 'this is not json');
        const send = (): void => json(reply.status, reply.body ?? '');
        if (reply.delayMs === undefined) return send();
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      });
    },
    () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  );

  loopback.server.on('connection', () => {
    connections++;
  });
  return {
    // fa-auth-m8's route (behind its service prefix in a real deployment, e.g. `/user/private/v1/jti-status`).
    url: `${loopback.origin}/private/v1/jti-status`,
    get requestCount() {
      return requests.length;
    },
    get connectionCount() {
      return connections;
    },
    requests,
    revoke(jti) {
      revoked.add(jti);
    },
    setPolicy(next) {
      current = next ?? defaultPolicy;
    },
    close: () => loopback.close(),
  };
}

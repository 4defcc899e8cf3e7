import type { IncomingHttpHeaders } from 'node:http';
import { listenLoopback, readBody } from './loopback.js';

/** One API key introspection request as the fake issuer received it. */
export interface ApiKeyIntrospectionRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when it was not JSON). */
  readonly body: { readonly api_key?: unknown; readonly schema_version?: unknown } | undefined;
}

/** The principal of an active key; every field has a default (a `read_write` `writer` key). */
export interface ApiKeyPrincipal {
  readonly user_id?: string;
  readonly role?: string;
  readonly is_superuser?: boolean;
  readonly access_mode?: 'read_only' | 'read_write';
  readonly auth_generation?: number;
}

/**
 * How the fake issuer answers: `active` (schema 1, for the configured audience), `inactive`
 * (`{"active": false}`), `garbage`, `hang`, `reset`, or `{ status, body?, headers?, delayMs? }`.
 */
export type ApiKeyReply =
  | 'active'
  | 'inactive'
  | 'garbage'
  | 'hang'
  | 'reset'
  | {
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
      readonly delayMs?: number;
    };

/** A fake fa-auth-m8 4.x API key introspection endpoint, see {@link startApiKeyServer}. */
export interface ApiKeyServer {
  /** The `INTROSPECTION_URL` to configure (`…/private/v1/jti-status`; it answers JWT checks as active too). */
  readonly url: string;
  /** The path keys are checked at: `/private/v1/api-keys/introspect` under that URL's base. */
  readonly introspectPath: string;
  /** Every API key request received, oldest first. */
  readonly requests: readonly ApiKeyIntrospectionRequest[];
  /** Registers an active key with its principal (merged over the defaults). */
  addKey(key: string, principal?: ApiKeyPrincipal, expiresAt?: string | null): void;
  /** Makes a registered key inactive. */
  revoke(key: string): void;
  /** Replaces the default policy (`undefined` restores it): registered keys active, others inactive. */
  setPolicy(policy: ((request: ApiKeyIntrospectionRequest) => ApiKeyReply) | ApiKeyReply | undefined): void;
  close(): Promise<void>;
}

/** A schema-1 active reply for `audienceId`, the principal's fields over the defaults. */
function activeReply(audienceId: string, p: ApiKeyPrincipal, expiresAt: string | null): object {
  return {
    active: true,
    audience_id: audienceId,
    principal: {
      user_id: p.user_id ?? '6f1c2a9e-3b7d-4c1a-9e2f-0a1b2c3d4e5f',
      role: p.role ?? 'writer',
      is_superuser: p.is_superuser ?? false,
      access_mode: p.access_mode ?? 'read_write',
      authentication_method: 'api_key',
      auth_generation: p.auth_generation ?? 1,
    },
    key_expires_at: expiresAt,
    schema_version: '1',
  };
}

/**
 * Starts a fake fa-auth-m8 issuer on `127.0.0.1` answering `POST {base}/private/v1/api-keys/introspect`
 * (schema 1) for the keys registered with `addKey`, with `audience_id` = `audienceId` (your
 * `INTERNAL_CLIENT_ID`). Its `jti-status` route answers every token as active (schema 2).
 * @example
 * const issuer = await startApiKeyServer('items-service');
 * issuer.addKey('m8_abcdefgh_' + 'x'.repeat(40), { role: 'writer' });
 * const settings = testSettings({ API_KEYS: 'introspect', INTROSPECTION_URL: issuer.url,
 *   PRIVATE_API_SECRET: 'Internal-Secret-0123456789-abcdefXYZ!', INTERNAL_CLIENT_ID: 'items-service' });
 */
export async function startApiKeyServer(audienceId: string): Promise<ApiKeyServer> {
  const keys = new Map<string, { principal: ApiKeyPrincipal; expiresAt: string | null; active: boolean }>();
  const requests: ApiKeyIntrospectionRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const defaultPolicy = (r: ApiKeyIntrospectionRequest): ApiKeyReply =>
    typeof r.body?.api_key === 'string' && keys.get(r.body.api_key)?.active === true ? 'active' : 'inactive';
  let policy: ((r: ApiKeyIntrospectionRequest) => ApiKeyReply) | ApiKeyReply = defaultPolicy;
  const introspectPath = '/private/v1/api-keys/introspect';

  const loopback = await listenLoopback(
    (req, res) => {
      void readBody(req).then((text) => {
        let body: Record<string, unknown> | undefined;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = undefined;
        }
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
          const out = typeof payload === 'string' ? payload : JSON.stringify(payload);
          res.writeHead(status, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(out),
            ...headers,
          });
          res.end(out);
        };
        if (req.url === '/private/v1/jti-status') {
          return send(200, {
            active: true,
            user_id: body?.expected_user_id,
            auth_generation: 1,
            schema_version: '2',
          });
        }
        if (req.url !== introspectPath) return send(404, { detail: 'Not Found' });
        const request: ApiKeyIntrospectionRequest = { path: req.url, headers: req.headers, body };
        requests.push(request);
        const reply = typeof policy === 'function' ? policy(request) : policy;
        if (reply === 'hang') return;
        if (reply === 'reset') return void req.socket.destroy();
        if (reply === 'garbage') return send(200, 'this is not json');
        if (reply === 'inactive') return send(200, { active: false, schema_version: '1' });
        if (reply === 'active') {
          const known = typeof body?.api_key === 'string' ? keys.get(body.api_key) : undefined;
          return send(200, activeReply(audienceId, known?.principal ?? {}, known?.expiresAt ?? null));
        }
        const answer = (): void => send(reply.status, reply.body ?? '', reply.headers);
        if (reply.delayMs === undefined) return answer();
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, reply.delayMs);
        timers.add(timer);
      });
    },
    () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  );
  return {
    url: `${loopback.origin}/private/v1/jti-status`,
    introspectPath,
    requests,
    addKey(key, principal = {}, expiresAt = null) {
      keys.set(key, { principal, expiresAt, active: true });
    },
    revoke(key) {
      const entry = keys.get(key);
      if (entry !== undefined) entry.active = false;
    },
    setPolicy(next) {
      policy = next ?? defaultPolicy;
    },
    close: () => loopback.close(),
  };
}

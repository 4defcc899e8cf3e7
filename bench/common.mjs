// What the bench scripts share: the repository root, the RS256 key pair and tokens the servers are measured
// with (made with node:crypto alone: the bench must not depend on the code it measures to make its input),
// and starting a bench server process and waiting for its `READY <port>` line.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The 6-field JSON body of the `POST /api/items` that `servers/m8-contract.mjs` answers, sent by
 * bench/contract.mjs and by the `m8-post` cases of bench/instructions.mjs (the same bytes in both).
 */
export const ITEM_BODY = JSON.stringify({
  title: 'Fountain pen',
  qty: 2,
  price: 19.5,
  done: false,
  tags: ['office', 'gift'],
  note: 'wrap it, please',
});

/** An RS256 access token with the fa-auth-m8 claim set. */
export function mintBenchToken(privateKey) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({
    sub: randomUUID(),
    type: 'access',
    email: 'bench@example.com',
    full_name: 'Bench',
    avatar: null,
    is_active: true,
    email_verified: true,
    is_superuser: false,
    role: 'user',
    tenant_id: null,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 3600,
    iss: 'https://auth.example.com',
    aud: 'bench',
  })}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/**
 * A scratch folder with the public key the express-m8 server reads, a good token and a forged one (signed
 * by another key), and the environment every bench server gets.
 */
export function benchInputs(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pemFile = join(work, 'public.pem');
  writeFileSync(pemFile, publicKey.export({ format: 'pem', type: 'spki' }));
  const logFile = join(work, 'requests.log');
  return {
    work,
    logFile,
    goodToken: mintBenchToken(privateKey),
    forgedToken: mintBenchToken(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    env: { PORT: '0', BENCH_PUBLIC_KEY_FILE: pemFile, BENCH_LOG_FILE: logFile },
  };
}

/**
 * The settings of the express-m8 full stack every m8 bench server runs (production tier, RS256 from the PEM
 * file of `benchInputs`, CORS, security headers with HSTS and CSP, trusted hosts, metrics), `overrides` last.
 */
export function m8StackEnv(overrides = {}) {
  return {
    DOMAIN: 'bench.example.com',
    ENVIRONMENT: 'production',
    PROJECT_NAME: 'bench',
    STACK_NAME: 'bench',
    API_PREFIX: '/api',
    BACKEND_HOST: 'https://api.example.com',
    FRONTEND_HOST: 'https://app.example.com',
    BACKEND_CORS_ORIGINS: 'https://app.example.com',
    ALLOWED_HOSTS: '127.0.0.1,api.example.com',
    TOKEN_MODE: 'stateless',
    ACCESS_TOKEN_ALGORITHM: 'RS256',
    ACCESS_PUBLIC_KEY_FILE: process.env.BENCH_PUBLIC_KEY_FILE,
    TOKEN_ISSUER: 'https://auth.example.com',
    TOKEN_AUDIENCE: 'bench',
    EVENT_SIGNING_ENABLED: 'false',
    HSTS_ENABLED: 'true',
    CONTENT_SECURITY_POLICY_ENABLED: 'true',
    METRICS_ENABLED: 'true',
    LOG_LEVEL: 'info',
    // Production refuses an in-memory database; a service that opens none never creates the directory.
    PGLITE_DATA_DIR: '/tmp/express-m8-bench-pglite',
    ...overrides,
  };
}

/** The batch sizes every bench server's request log is written with. */
const LOG_SIZES = {
  minLength: 16 * 1024,
  maxWrite: 64 * 1024,
  periodicFlush: 250,
  maxLength: 16 * 1024 * 1024,
};

/**
 * The request log of the m8 bench servers, to `BENCH_LOG_FILE`: the batched, bounded asynchronous
 * destination `createLogger` uses for stdout (`createLogDestination` of the build `m8` was loaded from; a
 * build from before it existed gets sonic-boom, `pino.destination`, with the same sizes).
 */
export function m8BenchLogger(m8, pino) {
  const dest = process.env.BENCH_LOG_FILE;
  if (typeof m8.createLogDestination !== 'function') return pinoBenchLogger(pino);
  return pino({ level: 'info' }, m8.createLogDestination({ dest, ...LOG_SIZES }));
}

/**
 * The request log of the non-express-m8 bench servers (fastify, the hand-made floor), to `BENCH_LOG_FILE`:
 * pino's own asynchronous destination, sonic-boom, with the same sizes as {@link m8BenchLogger}.
 */
export function pinoBenchLogger(pino) {
  return pino(
    { level: 'info' },
    pino.destination({ dest: process.env.BENCH_LOG_FILE, sync: false, ...LOG_SIZES }),
  );
}

/**
 * Runs `cmd argv` (a server of bench/servers, possibly wrapped) and resolves once it printed its port, as
 * `{ child, port, apiKey }` (`apiKey`: the key a server made at start, printed as `READY <port> <key>`).
 */
export function startServerProcess(name, cmd, argv, env, stderr = 'inherit') {
  const child = spawn(cmd, argv, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', stderr],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /READY (\d+)(?: (\S+))?\n/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), apiKey: match[2] });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before READY`)));
  });
}

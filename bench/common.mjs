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

/** Runs `cmd argv` (a server of bench/servers, possibly wrapped) and resolves once it printed its port. */
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
      const match = /READY (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before READY`)));
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN } from './build.js';

/** A strong HS256 secret made per run, so a test can prove it never reaches the output. */
export const SECRET = `Cli-Test-${randomBytes(12).toString('hex')}-Aa1!`;
/** A database password that must never be printed. */
export const DB_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

/** Valid settings as env variables (HS256, stateless, embedded PGlite in memory). */
export const BASE_ENV: Readonly<Record<string, string>> = {
  DOMAIN: 'localhost',
  ENVIRONMENT: 'local',
  PROJECT_NAME: 'cli-test',
  STACK_NAME: 'test',
  API_PREFIX: '/api',
  BACKEND_HOST: 'http://localhost:8000',
  FRONTEND_HOST: 'http://localhost:5173',
  BACKEND_CORS_ORIGINS: 'http://localhost:5173',
  TOKEN_MODE: 'stateless',
  ACCESS_TOKEN_ALGORITHM: 'HS256',
  ACCESS_SECRET_KEY: SECRET,
  TOKEN_ISSUER: 'https://auth.cli.invalid',
  TOKEN_AUDIENCE: 'cli-test',
  EVENT_SIGNING_ENABLED: 'false',
  LOG_LEVEL: 'silent',
};

/** Options of {@link runCli}: env overrides (`undefined` removes a base variable) and the working directory. */
export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly bin?: string;
  /** Flags for node itself, before the script (e.g. `--import tsx`). */
  readonly nodeArgs?: readonly string[];
}

/** The outcome of one CLI run. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function envFor(overrides: RunOptions['env']): Record<string, string> {
  // Only PATH and HOME from the runner: nothing else of the developer's environment leaks into settings.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  Object.assign(env, BASE_ENV);
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * Node flags for a plain `node`: Node 22.18+ strips TypeScript types by default, which would make the CLI read
 * `.ts` migrations; tests of the plain behaviour switch that off where the flag exists.
 */
export const PLAIN_NODE_ARGS: readonly string[] = (process.features as { typescript?: unknown }).typescript
  ? ['--no-experimental-strip-types']
  : [];

/** Spawns the built CLI (`node dist/cli/index.js …`) and collects its output. */
export function spawnCli(args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [...(options.nodeArgs ?? PLAIN_NODE_ARGS), options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? emptyDir,
    env: envFor(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves when the child exits, with everything it printed. */
export function collect(child: ChildProcess): Promise<RunResult> {
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started }),
    );
  });
}

/** Runs the built CLI to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return collect(spawnCli(args, options));
}

/** A scratch directory (removed by the returned cleanup). */
export async function scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'm8-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

let emptyDir = tmpdir();

/** Creates the default working directory (no .env in it); call in `beforeAll`. */
export async function useEmptyCwd(): Promise<() => Promise<void>> {
  const scratch = await scratchDir();
  emptyDir = scratch.dir;
  return scratch.cleanup;
}

/** The stderr lines that start with `[prestart] try`. */
export function tryLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('[prestart] try'));
}

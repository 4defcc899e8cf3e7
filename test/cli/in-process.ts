import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { BASE_ENV } from './helpers.js';

/** A CliIo that records what a command prints; settings come only from `env` (no .env file). */
export interface RecordingIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  readonly stdoutText: () => string;
  readonly stderrText: () => string;
}

/** BASE_ENV with overrides (`undefined` removes a variable). */
export function envWith(
  overrides: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const env: Record<string, string> = { ...BASE_ENV };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export function recordingIo(overrides: Readonly<Record<string, string | undefined>> = {}): RecordingIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => {
      out.push(text);
    },
    stderr: (text) => {
      err.push(text);
    },
    env: envWith(overrides),
    envFile: false,
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}

/** The outcome of one in-process `runCli`. */
export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `express-m8 <argv>` in this process through the dispatcher (exit codes as the executable has them). */
export async function cli(
  argv: readonly string[],
  overrides: Readonly<Record<string, string | undefined>> = {},
): Promise<InProcessResult> {
  const io = recordingIo(overrides);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** A scratch directory removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'm8-cli-inproc-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

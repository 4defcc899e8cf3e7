import { SettingsError } from '../errors.js';
import { type LoadedSettings, loadSettings, type SettingsExtension } from '../settings/index.js';

/** Where the CLI writes and what it reads; the entry points pass the process streams and environment. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The environment settings are read from; default `process.env` (plus `.env` of the working directory). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The `.env` file: default `.env` of the working directory (skipped when absent); `false` for none. */
  readonly envFile?: string | false | undefined;
}

/** A bad command line: the dispatcher prints the message and the command's usage, then exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the command has already explained: the dispatcher exits with `exitCode` and prints nothing. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/**
 * Loads the settings like the service does (`process.env` over `.env`, plus the consumer's `extend` fields
 * when given); on a `SettingsError` prints its
 * message (every problem, never a secret) on stderr and throws `CliExit(2)`.
 */
export function loadCliSettings(io: CliIo, command: string, extend?: SettingsExtension): LoadedSettings {
  try {
    return loadSettings({
      ...(io.env === undefined ? {} : { env: { ...io.env } }),
      ...(io.envFile === undefined ? {} : { envFile: io.envFile }),
      ...(extend === undefined ? {} : { extend }),
    });
  } catch (error) {
    if (error instanceof SettingsError) {
      io.stderr(`express-m8 ${command}: ${error.message}\n`);
      throw new CliExit(2);
    }
    throw error;
  }
}

/** The message of any thrown value, for one-line reports. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** The `code` of an error (ours or a driver's), when it has a string one. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

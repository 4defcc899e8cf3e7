/**
 * Where raw values come from: the environment (or the `env` option), a `.env` file read with Node's own
 * parser, and `X_FILE` indirections (Docker/Kubernetes secrets).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// A namespace import, not `{ parseEnv }`: on a Node without it (< 20.12) a named import fails at link time,
// before the compatibility check at import can say which Node is needed.
import * as nodeUtil from 'node:util';
import type { SettingsIssue } from '../errors.js';

/** A bag of env-style values. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

function errnoCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/**
 * Reads the `.env` file: `undefined` means `.env` in the working directory (silently skipped when absent),
 * `false` means none, a string names a file that must exist.
 */
export function readEnvFile(envFile: string | false | undefined, issues: SettingsIssue[]): EnvRecord {
  if (envFile === false) return {};
  const path = resolve(envFile ?? '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (envFile === undefined && code === 'ENOENT') return {};
    issues.push({
      variable: 'envFile',
      message: `cannot read the env file ${JSON.stringify(path)} (${code})`,
    });
    return {};
  }
  return nodeUtil.parseEnv(text);
}

/** Raw values by name, and the names whose source already produced an issue (not validated further). */
export interface ResolvedRaw {
  readonly values: Record<string, string | undefined>;
  readonly failed: ReadonlySet<string>;
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * Resolves the raw value of each name in `names`. The environment wins over the file as a whole per variable:
 * if it defines `X` or `X_FILE`, the file's `X`/`X_FILE` are not consulted. Within one source, setting both
 * `X` and `X_FILE` is an error; `X_FILE`'s trimmed content becomes the value of `X`.
 */
export function resolveRaw(
  names: readonly string[],
  env: EnvRecord,
  file: EnvRecord,
  issues: SettingsIssue[],
): ResolvedRaw {
  const values: Record<string, string | undefined> = {};
  const failed = new Set<string>();
  for (const name of names) {
    const fileName = `${name}_FILE`;
    const source = env[name] !== undefined || env[fileName] !== undefined ? env : file;
    const direct = source[name];
    const indirect = source[fileName];
    if (!isSet(indirect)) {
      values[name] = direct;
      continue;
    }
    if (isSet(direct)) {
      issues.push({
        variable: name,
        message: `both ${name} and ${fileName} are set; set only one (${fileName} names a file holding the value)`,
      });
      failed.add(name);
      continue;
    }
    try {
      values[name] = readFileSync(resolve(indirect.trim()), 'utf8').trim();
    } catch (err) {
      issues.push({
        variable: fileName,
        message: `cannot read the file ${JSON.stringify(indirect.trim())} holding ${name} (${errnoCode(err)})`,
      });
      failed.add(name);
    }
  }
  return { values, failed };
}

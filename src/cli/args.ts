import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: option values by name and the positionals. */
export interface ParsedCommandArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * `node:util` `parseArgs` in strict mode with `-h/--help` added; any parse problem (unknown option, missing
 * value) becomes a {@link UsageError}.
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: Options,
  allowPositionals: boolean,
): ParsedCommandArgs {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals,
    });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Reads a string option. */
export function stringOption(args: ParsedCommandArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads a number option: finite, `min` or more, whole when `integer`; else a {@link UsageError} naming the
 * option and what arrived.
 */
export function numberOption(
  args: ParsedCommandArgs,
  name: string,
  fallback: number,
  rule: { readonly min: number; readonly integer: boolean },
): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const ok = Number.isFinite(value) && value >= rule.min && (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const kind = rule.integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${name} must be ${kind} >= ${rule.min} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SettingsExtension } from '../settings/index.js';
import { CliExit, type CliIo, codeOf, messageOf } from './io.js';

const TS_FILE = /\.(?:c|m)?tsx?$/i;

function isZodObject(value: unknown): value is SettingsExtension {
  const v = value as { shape?: unknown; safeParse?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.safeParse === 'function' &&
    typeof v.shape === 'object' &&
    v.shape !== null
  );
}

function fail(io: CliIo, message: string): never {
  io.stderr(`express-m8 check-config: --extend ${message}\n`);
  throw new CliExit(2);
}

/**
 * Imports the module named by `check-config --extend` and returns its zod object: the `extend` export, else
 * the default export. A `.ts` module that Node cannot load gets the fix (run through tsx) instead of a stack.
 */
export async function loadExtendModule(specifier: string, io: CliIo): Promise<SettingsExtension> {
  const local = specifier.startsWith('.') || isAbsolute(specifier) || TS_FILE.test(specifier);
  const target = local ? pathToFileURL(resolve(specifier)).href : specifier;
  let module: Record<string, unknown>;
  try {
    module = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    const code = codeOf(error);
    if (
      TS_FILE.test(specifier) &&
      (code === 'ERR_UNKNOWN_FILE_EXTENSION' ||
        code === 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING' ||
        error instanceof SyntaxError)
    ) {
      fail(
        io,
        `${specifier}: Node cannot load TypeScript here; run the CLI through tsx: ` +
          `NODE_OPTIONS="--import tsx" npx express-m8 check-config --extend ${specifier} ` +
          '(or point --extend at the compiled .js)',
      );
    }
    fail(io, `${specifier}: cannot be imported (${code ?? messageOf(error)})`);
  }
  const candidate = module['extend'] ?? module['default'];
  if (!isZodObject(candidate)) {
    const names = Object.keys(module).join(', ') || 'none';
    fail(
      io,
      `${specifier}: expected a zod object (z.object({...})) as its "extend" or default export; exports: ${names}`,
    );
  }
  return candidate;
}

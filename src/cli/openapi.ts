import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type OpenApiSource, openApiSourceOf } from '../docs/index.js';
import { parseCommandArgs, stringOption } from './args.js';
import { CliExit, type CliIo, UsageError } from './io.js';

/** Whether this process can import TypeScript: Node's type stripping, or tsx registered as a loader. */
function typeScriptLoaderActive(): boolean {
  const features = process.features as { typescript?: unknown };
  if (features.typescript === 'strip' || features.typescript === 'transform') return true;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  return /\btsx\b/.test(flags);
}

/** The `express-m8 openapi --help` text. */
export const OPENAPI_USAGE = `Usage: express-m8 openapi <module> [--export name]

Imports <module> (a path from the working directory), takes the app it exports (the \`app\` export, else the
default export: the value createApp returned) and prints that app's OpenAPI 3.1 document as JSON on stdout,
as start() would build it, without starting or listening. For client generation in CI:
  express-m8 openapi dist/app.js > openapi.json && npx openapi-typescript openapi.json -o src/api.d.ts

The module must not listen or connect on import: export the app from one file and call serve(app) in another.
Settings come from the environment as in the service (createApp is usually called with loadSettings()).
.js, .mjs and .cjs modules load under plain node; for a .ts module run the CLI under tsx:
  npx tsx node_modules/express-m8/dist/cli/index.js openapi src/app.ts

Options:
  --export name   take this named export instead of \`app\` / default
  -h, --help      show this help

Exit codes: 0 printed; 1 the module failed to load or exports no createApp app; 2 bad usage, a missing file,
or a TypeScript module without a TypeScript loader.
`;

const TS = /\.(?:ts|mts|cts|tsx)$/;

function fail(io: CliIo, message: string, code: number): never {
  io.stderr(`express-m8 openapi: ${message}\n`);
  throw new CliExit(code);
}

/** The document source of the first candidate export that is a createApp app (awaiting a promised one). */
async function findSource(mod: Record<string, unknown>, name: string | undefined) {
  const names = name === undefined ? ['app', 'default'] : [name];
  const tried: string[] = [];
  for (const key of names) {
    let value = mod[key];
    if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') value = await value;
    // A CommonJS module's `module.exports = { app }` arrives as the default export.
    const source =
      openApiSourceOf(value) ??
      (key === 'default' ? openApiSourceOf((value as { app?: unknown } | undefined)?.app) : undefined);
    if (source !== undefined) return source;
    tried.push(`"${key}" (${value === undefined ? 'absent' : typeof value})`);
  }
  return tried;
}

/** `express-m8 openapi <module>`: prints the document of the app the module exports. */
export async function openApiCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { export: { type: 'string' } }, true);
  if (args.values.help === true) {
    io.stdout(OPENAPI_USAGE);
    return 0;
  }
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw new UsageError('missing <module>: the file that exports your app');
  if (extra.length > 0) throw new UsageError(`one module expected (got also ${extra.join(' ')})`);
  const file = path.resolve(target);
  if (!existsSync(file)) fail(io, `no such file: ${file}`, 2);
  if (TS.test(file) && !typeScriptLoaderActive())
    fail(
      io,
      `${target} is TypeScript and no TypeScript loader is active: run the CLI under tsx ` +
        `(npx tsx node_modules/express-m8/dist/cli/index.js openapi ${target}) or point it at the compiled .js`,
      2,
    );
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    fail(io, `could not load ${target}: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
  const found = await findSource(mod, stringOption(args, 'export'));
  if (Array.isArray(found))
    fail(io, `${target} exports no app made by createApp (looked at ${found.join(', ')})`, 1);
  const source = found as OpenApiSource;
  source.rebuild();
  io.stdout(`${JSON.stringify(source.document(), null, 2)}\n`);
  return 0;
}

import { VERSION } from '../compat/index.js';
import { API_KEY_USAGE, apiKeyCommand } from './api-key.js';
import { CHECK_CONFIG_USAGE, checkConfigCommand } from './check-config.js';
import { DEV_TOKEN_USAGE, devTokenCommand } from './dev-token.js';
import { CliExit, type CliIo, UsageError } from './io.js';
import { MIGRATE_USAGE, migrateCommand } from './migrate.js';
import { OPENAPI_USAGE, openApiCommand } from './openapi.js';
import { PRESTART_USAGE, prestartCommand } from './prestart-command.js';

export type { CliIo } from './io.js';

/** The `express-m8 --help` text. */
export const USAGE = `Usage: express-m8 <command> [options]

Commands:
  prestart [--max-tries 300] [--interval 5] [-- command...]
                      wait until the database answers SELECT 1, then run the command
  check-config [--json]
                      validate the settings and print the redacted summary
  dev-token [--role admin] [--email ...]
                      mint a local token for the configured HS256 secret or dev key (refused in production)
  migrate up|down|status|history [--dir migrations], migrate create <name> [--ext ts|js|…]
                      run kysely migrations (and the API keys table when API_KEYS=local)
  api-key create|list|revoke
                      manage local API keys (API_KEYS=local)
  openapi <module> [--export name]
                      print the OpenAPI document of the app the module exports, without listening

Options:
  -h, --help          show this help ("express-m8 <command> --help" for a command's options)
  -v, --version       print the express-m8 version

Settings come from process.env over the .env file of the working directory, as in the service.
express-m8-prestart is an alias of "express-m8 prestart".
`;

interface Command {
  readonly usage: string;
  readonly run: (argv: readonly string[], io: CliIo) => number | Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  prestart: { usage: PRESTART_USAGE, run: prestartCommand },
  'check-config': { usage: CHECK_CONFIG_USAGE, run: checkConfigCommand },
  'dev-token': { usage: DEV_TOKEN_USAGE, run: devTokenCommand },
  migrate: { usage: MIGRATE_USAGE, run: migrateCommand },
  'api-key': { usage: API_KEY_USAGE, run: apiKeyCommand },
  openapi: { usage: OPENAPI_USAGE, run: openApiCommand },
};

/**
 * Runs one CLI invocation (docs/cli.md) and resolves with its exit code: 0 for success, help and version, 2 for
 * a usage error, otherwise the subcommand's own code (see `docs/cli.md`). Never calls `process.exit`.
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo);
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`express-m8: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof UsageError) {
      io.stderr(`express-m8 ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}

/** The process streams, for the entry points. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * What the executables do: run, set the exit code, and exit even if a driver left a handle open (after the
 * streams had a moment to drain). An unexpected error prints its message and exits 1. `io` and `exit` are
 * seams for in-process tests; the executables pass only `argv`.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  let code: number;
  try {
    code = await runCli(argv, io);
  } catch (error) {
    io.stderr(`express-m8: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  process.exitCode = code;
  // Unref'd: fires only if something else still holds the event loop open.
  setTimeout(() => exit(code), 1000).unref();
}

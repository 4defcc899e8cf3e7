import { VERSION } from '../compat/index.js';

/** Where the CLI writes; the entry points pass the process streams. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The subcommands of DESIGN §10; each lands with its module. */
const COMMANDS = ['prestart', 'check-config', 'dev-token', 'migrate'] as const;

export const USAGE = `Usage: express-m8 <command> [options]

Commands:
  prestart [--max-tries 300] [--interval 5] [-- command...]
                      wait until the database answers SELECT 1, then run the command
  check-config        validate the settings and print the redacted summary
  dev-token [--role admin] [--email ...]
                      mint a local token for the configured HS256 secret or dev key (refused in production)
  migrate up|down|status [--dir migrations]
                      run kysely migrations

Options:
  -h, --help          show this help
  -v, --version       print the express-m8 version

express-m8-prestart is an alias of "express-m8 prestart".
`;

/**
 * Runs one CLI invocation and returns its exit code: 0 for help and version, 2 for a usage error or a
 * subcommand that is not implemented yet.
 * @example
 * process.exitCode = runCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
 */
export function runCli(argv: readonly string[], io: CliIo): number {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if ((COMMANDS as readonly string[]).includes(command)) {
    io.stderr(`express-m8 ${command}: not implemented yet\n`);
    return 2;
  }
  io.stderr(`express-m8: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

/** The process streams, for the entry points. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

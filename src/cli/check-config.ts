import { configWarnings } from '../config-warnings.js';
import { summarizeSettings } from '../settings/index.js';
import { parseCommandArgs, stringOption } from './args.js';
import { loadExtendModule } from './extend-module.js';
import { type CliIo, loadCliSettings } from './io.js';

/** The `express-m8 check-config --help` text. */
export const CHECK_CONFIG_USAGE = `Usage: express-m8 check-config [--json] [--extend <module>]

Validates the settings (process.env over the .env file of the working directory, X_FILE indirections) and
prints the redacted summary. Secrets print entirely as ***: ACCESS_SECRET_KEY, REFRESH_SECRET_KEY,
EVENT_SIGNING_KEY, PRIVATE_API_SECRET, DB_PASSWORD, DATABASE_URL (the whole URL, host included),
METRICS_SCRAPE_CREDENTIAL, HEALTH_DETAIL_CREDENTIAL. In any other value a URL's user:password@ prints as
://***:***@. Configuration warnings follow on stderr.

Options:
  --json               print the summary as one JSON object {"settings": {...}, "warnings": [...]}
  --extend <module>    also validate your own fields: the module's "extend" or default export, the zod object
                       you pass to loadSettings({ extend }) (a .ts module needs NODE_OPTIONS="--import tsx")
  -h, --help           show this help

Exit codes: 0 valid; 2 invalid (every problem is listed on stderr, by variable name) or bad usage.
`;

function display(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.length === 0 ? '(empty)' : value.map(String).join(',');
  if (typeof value === 'string') return value === '' ? '""' : value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** `express-m8 check-config`: exit 0 with the redacted summary, 2 with the `SettingsError` text. */
export async function checkConfigCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' }, extend: { type: 'string' } }, false);
  if (args.values.help === true) {
    io.stdout(CHECK_CONFIG_USAGE);
    return 0;
  }
  const module = stringOption(args, 'extend');
  const extend = module === undefined ? undefined : await loadExtendModule(module, io);
  const settings = loadCliSettings(io, 'check-config', extend);
  const summary = summarizeSettings(settings);
  const warnings = configWarnings(settings);
  if (args.values.json === true) {
    io.stdout(`${JSON.stringify({ settings: summary, warnings }, null, 2)}\n`);
    return 0;
  }
  const names = Object.keys(summary);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((name) => `${name.padEnd(width)} = ${display(summary[name])}`);
  io.stdout(`${lines.join('\n')}\n`);
  for (const warning of warnings) io.stderr(`warning: ${warning.variable}: ${warning.message}\n`);
  io.stderr(
    `express-m8 check-config: the settings are valid (${warnings.length} warning${warnings.length === 1 ? '' : 's'})\n`,
  );
  return 0;
}

import type { Logger } from 'pino';
import { type Settings, summarizeSettings } from '../settings/index.js';

/** What {@link logStartupSummary} prints. */
export interface StartupSummary {
  /** The settings; secrets are masked by `summarizeSettings` before logging. */
  readonly settings: Settings;
  readonly service?: string;
  readonly version?: string | null;
  /** Anything else worth one line at startup (enabled features, port…); keys naming secrets are redacted too. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Logs the redacted configuration once at startup, at `info`, message `configuration`.
 * @example
 * logStartupSummary(logger, { settings, service: 'orders', version: '1.4.0' });
 */
export function logStartupSummary(logger: Logger, summary: StartupSummary): void {
  // `service` only when the logger does not already carry it (createLogger binds it on every line).
  const service =
    'service' in logger.bindings() ? undefined : (summary.service ?? summary.settings.PROJECT_NAME);
  logger.info(
    {
      service,
      version: summary.version ?? summary.settings.SERVICE_VERSION ?? null,
      node: process.version,
      // Not `config`/`settings`: those are redaction parents, which would mask unset secrets too and hide
      // whether a secret is set. summarizeSettings already masks every secret value.
      configuration: summarizeSettings(summary.settings),
      ...summary.extra,
    },
    'configuration',
  );
}

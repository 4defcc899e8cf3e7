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
  logger.info(
    {
      service: summary.service ?? summary.settings.PROJECT_NAME,
      version: summary.version ?? summary.settings.SERVICE_VERSION ?? null,
      node: process.version,
      config: summarizeSettings(summary.settings),
      ...summary.extra,
    },
    'configuration',
  );
}

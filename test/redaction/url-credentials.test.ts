import { loadSettings, SettingsError, scrubText, summarizeSettings } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/db/scrub.js';
import { createLogger } from '../../src/logging/index.js';
import { BASE_ENV } from '../settings/helpers.js';
import { createLogSink } from '../support/log-sink.js';

// One URL-credential pattern serves logs, health output, database errors and the settings summary and
// messages: the same URL must come out the same everywhere.
const CASES: readonly (readonly [string, string])[] = [
  ['postgres://app:s3cret@db:5432/app', 'postgres://***:***@db:5432/app'],
  ['mysql://root@db/test', 'mysql://***:***@db/test'],
  // An unencoded `@` in the password: the userinfo runs to the last `@` before the host.
  ['postgres://app:p@ss@db/app', 'postgres://***:***@db/app'],
  ['amqp://user:pa:ss@mq:5672', 'amqp://***:***@mq:5672'],
  ['https://svc:tok?en@auth.example.com/jwks', 'https://***:***@auth.example.com/jwks'],
];

function loggedErrorMessage(message: string): string {
  const sink = createLogSink();
  const logger = createLogger(testSettings({ LOG_LEVEL: 'info' }), {
    destination: sink.stream,
    isTTY: false,
  });
  logger.error({ err: new Error(message) }, 'failed');
  const [line] = sink.lines();
  expect(line).toBeDefined();
  return (line as { err: { message: string } }).err.message;
}

function settingsMessage(url: string): string {
  try {
    loadSettings({ env: { ...BASE_ENV, INTROSPECTION_URL: url }, envFile: false });
  } catch (err) {
    if (err instanceof SettingsError) return err.issues.map((i) => i.message).join('\n');
    throw err;
  }
  throw new Error('expected a SettingsError');
}

describe('URL credentials are masked the same way everywhere', () => {
  it.each(CASES)('%s', (url, masked) => {
    const text = `connect ${url} failed`;
    const expected = `connect ${masked} failed`;
    expect(scrubText(text)).toBe(expected);
    expect(describeError(new Error(text), [])).toBe(expected);
    expect(loggedErrorMessage(text)).toBe(expected);
    expect(summarizeSettings({ SOME_URL: url, LIST: [url] })).toEqual({ SOME_URL: masked, LIST: [masked] });
    // Settings messages quote an http(s) value that does not parse: the same URL under https, a space in its host.
    const https = (u: string): string => u.replace(/^[a-z]+:/, 'https:').replace(/@(?!.*@)/, '@bad ');
    const message = settingsMessage(https(url));
    expect(message).toContain(JSON.stringify(https(masked)));
    expect(message).not.toContain(https(url));
  });
});

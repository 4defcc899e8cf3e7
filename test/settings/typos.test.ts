import express from 'express';
import { createApp, loadSettings } from 'express-m8';
import { describe, expect, it } from 'vitest';
import { sinkLogger } from '../http/helpers.js';
import { createLogSink } from '../support/log-sink.js';
import { BASE_ENV } from './helpers.js';

/** The start-up warnings of an app over BASE_ENV plus `extra` (as they reach the log). */
async function warningsFor(extra: Record<string, string>, extend?: Parameters<typeof loadSettings>[0]) {
  const settings = loadSettings({ env: { ...BASE_ENV, ...extra }, envFile: false, ...extend });
  const sink = createLogSink();
  const app = createApp(settings, express.Router(), { logger: sinkLogger(sink) });
  await app.start();
  await app.stop();
  return sink
    .lines()
    .filter((l) => l.level === 40)
    .map((l) => ({ variable: l.variable, msg: String(l.msg) }));
}

describe('likely misspelled settings', () => {
  it('warns at start about METRICS_ENABLE, naming METRICS_ENABLED', async () => {
    const warnings = await warningsFor({ METRICS_ENABLE: 'true' });
    expect(warnings).toEqual([
      { variable: 'METRICS_ENABLE', msg: 'is not a setting and is ignored; did you mean METRICS_ENABLED?' },
    ]);
  });

  it('finds transpositions, and the _FILE form of a misspelled setting', async () => {
    const warnings = await warningsFor({ ACCESS_SECERT_KEY: 'x', HEALTH_DETAIL_CREDENTAIL_FILE: '/run/x' });
    expect(warnings.map((w) => w.msg)).toEqual([
      expect.stringContaining('did you mean ACCESS_SECRET_KEY?'),
      expect.stringContaining('did you mean HEALTH_DETAIL_CREDENTIAL_FILE?'),
    ]);
  });

  it('stays silent on the usual environment, the stack variables and the settings themselves', async () => {
    const warnings = await warningsFor({
      HOME: '/root',
      PATH: '/usr/bin',
      NODE_ENV: 'production',
      PORT: '8000',
      HOSTNAME: 'pod-1',
      LANG: 'C.UTF-8',
      TERM: 'xterm',
      SHELL: '/bin/sh',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_PORT: 'tcp://10.0.0.1:443',
      REDIS_URL: 'redis://cache:6379',
      REDIS_HOST: 'cache',
      REFRESH_TOKEN_EXPIRE_MINUTES: '10080',
      POSTGRES_USER: 'app',
      POSTGRES_PASSWORD: 'x',
      DB_NAME: 'app',
      SMTP_HOST: 'mail',
      SMTP_PORT: '25',
      FIRST_SUPERUSER: 'admin@example.com',
      ACCESS_SECRET_KEY_FILE: '',
      npm_config_cache: '/tmp',
      SELECTED_DB: 'Pglite',
    });
    expect(warnings).toEqual([]);
  });

  it("knows the consumer's own extend fields", async () => {
    const { z } = await import('zod');
    const warnings = await warningsFor(
      { STRIPE_API_KEY: 'sk', STRIPE_API_KEYS: 'x' },
      { extend: z.object({ STRIPE_API_KEY: z.string() }) },
    );
    expect(warnings).toEqual([
      { variable: 'STRIPE_API_KEYS', msg: expect.stringContaining('did you mean STRIPE_API_KEY?') },
    ]);
  });
});

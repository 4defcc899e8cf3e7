/**
 * The Swagger UI page of the items example in a real headless Chromium (playwright-core drives the system's
 * /usr/bin/chromium; no browser download): Authorize with a dev token, expand a guarded GET route, Try it
 * out, Execute, and read 200 in the response panel. The page loads its assets from the installed
 * swagger-ui-dist on the same origin, under the docs CSP: no internet needed.
 *
 * In CI (CI=true) a missing Chromium fails the test (.ci/run installs it); elsewhere the test is skipped with
 * a message. CHROMIUM_PATH overrides the browser path.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadSettings, type RunningServer, serve } from 'express-m8';
import { generateKeys, mintToken } from 'express-m8/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildItemsApp, demoEnv } from '../../examples/items-service/app.js';
import { DOCS_CONTENT_SECURITY_POLICY } from '../../src/docs/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const present = existsSync(CHROMIUM);
if (!present && !IN_CI)
  console.warn(
    `swagger-ui browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
export const SCREENSHOT = '/tmp/express-m8-swagger-ui.png';
const SLOW = 180_000;

/** A free loopback port, so BACKEND_HOST (the document's `servers`) names the port the app listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

let running: RunningServer | undefined;
let browser: Browser | undefined;
let token = '';

describe.skipIf(!present && !IN_CI)('Swagger UI of the items example in headless Chromium', () => {
  beforeAll(async () => {
    const port = await freePort();
    const settings = loadSettings({
      env: demoEnv({
        LOG_LEVEL: 'silent',
        BACKEND_HOST: `http://127.0.0.1:${port}`,
        // The docs page's own CSP must let Swagger UI run (a violation is a console error, failing the test);
        // `local` sends no CSP at all, `development` does.
        ENVIRONMENT: 'development',
        CONTENT_SECURITY_POLICY_ENABLED: 'true',
      }),
      envFile: false,
    });
    running = await serve(buildItemsApp(settings).app, { port, host: '127.0.0.1' });
    const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY });
    token = mintToken(
      keys,
      { role: 'user' },
      { issuer: settings.TOKEN_ISSUER ?? null, audience: settings.TOKEN_AUDIENCE ?? null },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  it(
    'authorizes with a dev token and gets 200 from a guarded GET through Try it out',
    async () => {
      const page = await (browser as Browser).newPage();
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') failed.push(m.text());
      });
      const docs = await page.goto(`${running?.url}/api/docs`);
      expect(docs?.headers()['content-security-policy']).toBe(DOCS_CONTENT_SECURITY_POLICY);
      await page.locator('button.authorize').first().click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      // The example accepts API keys too: the dialog has a bearerAuth form and an apiKeyAuth form.
      await expect(dialog.locator('form').filter({ hasText: 'apiKeyAuth' }).count()).resolves.toBe(1);
      const bearer = dialog.locator('form').filter({ hasText: 'bearerAuth' });
      await bearer.locator('input[type=text], input[type=password]').first().fill(token);
      await bearer.locator('button.authorize').click();
      await dialog.locator('button.btn-done, button.close-modal').first().click();

      const operation = page.locator('.opblock-get').filter({
        has: page.locator('.opblock-summary-path', { hasText: /^\/items$/ }),
      });
      await operation.locator('.opblock-summary').first().click();
      await operation.locator('button.try-out__btn').click();
      await operation.locator('button.execute').click();
      const status = operation.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect((await status.textContent())?.trim()).toBe('200');
      // The request Swagger UI sent carried the token the Authorize dialog took.
      await expect(operation.locator('.curl-command').textContent()).resolves.toContain(`Bearer ${token}`);
      expect(failed).toEqual([]);
    },
    SLOW,
  );
});

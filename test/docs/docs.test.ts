import { createRequire } from 'node:module';
import express from 'express';
import { type TestSettingsOverrides, testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  createDocsRoutes,
  DOCS_CONTENT_SECURITY_POLICY,
  type DocsRoutesOptions,
} from '../../src/docs/index.js';
import { createSecurityHeaders } from '../../src/security/index.js';
import { PRODUCTION, tinyApp } from '../http/helpers.js';

function docsApp(overrides: TestSettingsOverrides = {}, options: DocsRoutesOptions = {}) {
  const settings = testSettings(overrides);
  const docs = createDocsRoutes(settings, options);
  return tinyApp([
    createSecurityHeaders(settings),
    docs === undefined ? undefined : mount(settings.API_PREFIX, docs),
  ]);
}

function mount(prefix: string, router: express.Router): express.RequestHandler {
  const wrapper = express.Router();
  wrapper.use(prefix || '/', router);
  return wrapper;
}

const realResolve = createRequire(import.meta.url).resolve;
const withoutPackage =
  (missing: string) =>
  (specifier: string): string => {
    if (specifier.startsWith(missing)) throw new Error(`Cannot find module '${specifier}'`);
    return realResolve(specifier);
  };

describe('docs routes', () => {
  it('serves a generated openapi.json with info and servers from the settings', async () => {
    const res = await request(docsApp({ SERVICE_VERSION: '2.0.1', METRICS_ENABLED: true })).get(
      '/api/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'test-service', version: '2.0.1' },
      servers: [{ url: 'http://localhost:8000' }],
    });
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/health/',
        '/api/health/live',
        '/api/health/ready',
        '/api/ping',
        '/api/meta',
        '/metrics',
      ]),
    );
  });

  it('merges the given partial OpenAPI document over the generated one', async () => {
    const openapi = { info: { title: 'Orders', version: '1' }, paths: { '/orders': {} } };
    const res = await request(docsApp({}, { openapi })).get('/api/openapi.json');
    expect(res.body.info).toEqual({ title: 'Orders', version: '1' });
    expect(res.body.paths['/orders']).toEqual({});
    expect(res.body.paths['/api/ping']).toBeDefined();
  });

  it('serves the Swagger UI page and the assets it references from swagger-ui-dist', async () => {
    const app = docsApp({}, { title: 'Orders <API>' });
    const page = await request(app).get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('Orders &lt;API&gt;');
    expect(page.text).not.toMatch(/https?:\/\//);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    const js = refs.find((r) => r.endsWith('swagger-ui-bundle.js'));
    const css = refs.find((r) => r.endsWith('swagger-ui.css'));
    expect(js).toBe('/api/docs/assets/swagger-ui-bundle.js');
    const script = await request(app).get(js as string);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain('SwaggerUIBundle');
    const style = await request(app).get(css as string);
    expect(style.status).toBe(200);
    expect(style.headers['content-type']).toMatch(/text\/css/);
    const init = await request(app).get('/api/docs/swagger-initializer.js');
    expect(init.text).toContain('"/api/openapi.json"');
  });

  it('does not serve other files of the swagger-ui-dist folder', async () => {
    const app = docsApp();
    expect((await request(app).get('/api/docs/assets/index.html')).status).toBe(404);
    expect((await request(app).get('/api/docs/assets/package.json')).status).toBe(404);
    expect((await request(app).get('/api/docs/assets/../package.json')).status).toBe(404);
  });

  it('serves the ReDoc page and its standalone bundle', async () => {
    const app = docsApp();
    const page = await request(app).get('/api/redoc');
    expect(page.status).toBe(200);
    expect(page.text).toContain('spec-url="/api/openapi.json"');
    const bundle = await request(app).get('/api/redoc/redoc.standalone.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it('turns each route off with its SET_* variable, and the UIs with SET_OPEN_API', async () => {
    const noDocs = docsApp({ SET_DOCS: false });
    expect((await request(noDocs).get('/api/docs')).status).toBe(404);
    expect((await request(noDocs).get('/api/redoc')).status).toBe(200);
    const noRedoc = docsApp({ SET_REDOC: false });
    expect((await request(noRedoc).get('/api/redoc')).status).toBe(404);
    expect((await request(noRedoc).get('/api/openapi.json')).status).toBe(200);
    expect(createDocsRoutes(testSettings({ SET_OPEN_API: false }))).toBeUndefined();
  });

  it('is off in production and strict mode unless SERVE_DOCS_IN_PRODUCTION', async () => {
    expect(createDocsRoutes(testSettings(PRODUCTION))).toBeUndefined();
    expect(
      createDocsRoutes(testSettings({ STRICT_PRODUCTION_MODE: true, ...PRODUCTION, ENVIRONMENT: 'staging' })),
    ).toBeUndefined();
    const app = docsApp({ ...PRODUCTION, SERVE_DOCS_IN_PRODUCTION: true });
    expect((await request(app).get('/api/docs')).status).toBe(200);
    expect((await request(docsApp(PRODUCTION)).get('/api/openapi.json')).status).toBe(404);
  });

  it('answers 501 problem+json naming the npm install command when a UI package is missing', async () => {
    const swagger = docsApp({}, { resolve: withoutPackage('swagger-ui-dist') });
    const res = await request(swagger).get('/api/docs');
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_NOT_IMPLEMENTED', status: 501 });
    expect(res.body.detail).toContain('npm install swagger-ui-dist');
    expect((await request(swagger).get('/api/redoc')).status).toBe(200);
    const redoc = await request(docsApp({}, { resolve: withoutPackage('redoc') })).get('/api/redoc');
    expect(redoc.status).toBe(501);
    expect(redoc.body.detail).toContain('npm install redoc');
    expect(
      (await request(docsApp({}, { resolve: withoutPackage('redoc') })).get('/api/openapi.json')).status,
    ).toBe(200);
  });

  it('relaxes the CSP on the docs pages only, when a CSP is on', async () => {
    const app = docsApp({ ENVIRONMENT: 'development', CONTENT_SECURITY_POLICY_ENABLED: true });
    expect((await request(app).get('/api/docs')).headers['content-security-policy']).toBe(
      DOCS_CONTENT_SECURITY_POLICY,
    );
    expect((await request(app).get('/api/redoc')).headers['content-security-policy']).toBe(
      DOCS_CONTENT_SECURITY_POLICY,
    );
    expect((await request(app).get('/api/openapi.json')).headers['content-security-policy']).toMatch(
      /^default-src 'none'/,
    );
    expect((await request(app).get('/ok')).headers['content-security-policy']).toMatch(/^default-src 'none'/);
    const noCsp = docsApp({ ENVIRONMENT: 'development' });
    expect((await request(noCsp).get('/api/docs')).headers['content-security-policy']).toBeUndefined();
  });

  it('works with an empty API_PREFIX', async () => {
    const app = docsApp({ API_PREFIX: '/' });
    expect((await request(app).get('/openapi.json')).status).toBe(200);
    const page = await request(app).get('/docs');
    expect(page.text).toContain('src="/docs/assets/swagger-ui-bundle.js"');
  });
});

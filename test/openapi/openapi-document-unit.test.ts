import { testSettings } from 'express-m8/testing';
import { describe, expect, it } from 'vitest';
import {
  attachOpenApiSource,
  buildOpenApiDocument,
  createOpenApiSource,
  openApiSourceOf,
} from '../../src/docs/openapi-document.js';

type Json = Record<string, unknown>;
const settings = testSettings();

describe('buildOpenApiDocument', () => {
  it('documents the first route of a method and path, one path per optional variant, and the API key scheme on request', () => {
    const doc = buildOpenApiDocument(settings, {
      routes: [
        { method: 'get', path: '/files{/:name}', meta: [] },
        { method: 'get', path: '/files', meta: [{ kind: 'auth' }] }, // shadowed by the first
        { method: 'post', path: '/files', meta: [] },
        { method: 'get', path: '/guarded', meta: [{ kind: 'auth' }] },
      ],
      apiKeys: true,
    });
    const paths = doc.paths as Record<string, Json>;
    expect(Object.keys(paths['/files'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(paths['/files/{name}']?.get).toBeDefined();
    const getFiles = paths['/files']?.get as Json | undefined;
    expect(getFiles).toBeDefined();
    expect(getFiles?.security).toBeUndefined();
    expect((paths['/guarded']?.get as Json | undefined)?.security).toBeDefined();
    const components = doc.components as { securitySchemes: Json; schemas: Json };
    expect(Object.keys(components.securitySchemes).sort()).toEqual(['apiKeyAuth', 'bearerAuth']);
    expect(components.schemas.Problem).toBeDefined();
  });

  it('has no API key scheme by default, and merges `extra` over the document', () => {
    const doc = buildOpenApiDocument(settings, {
      routes: [],
      extra: { info: { title: 'Orders', 'x-team': 'core' } },
    });
    const components = doc.components as { securitySchemes: Json };
    expect(Object.keys(components.securitySchemes)).toEqual(['bearerAuth']);
    expect(doc.info).toMatchObject({ title: 'Orders', 'x-team': 'core' });
  });
});

describe('createOpenApiSource and the app attachment', () => {
  it('builds once when first asked, serves copies, and builds again on rebuild()', () => {
    let builds = 0;
    const source = createOpenApiSource(() => ({ n: ++builds }));
    expect(builds).toBe(0);
    const first = source.document();
    expect(first).toEqual({ n: 1 });
    first.n = 99; // a copy: the source is unchanged
    expect(source.json()).toBe('{"n":1}');
    expect(builds).toBe(1);
    source.rebuild();
    expect(source.document()).toEqual({ n: 2 });
    const fresh = createOpenApiSource(() => ({ n: 'json first' }));
    expect(fresh.json()).toBe('{"n":"json first"}');
  });

  it('finds the source attached to an app (function or object) and nothing on other values', () => {
    const source = createOpenApiSource(() => ({}));
    const app = () => undefined;
    attachOpenApiSource(app, source);
    expect(openApiSourceOf(app)).toBe(source);
    const objectApp = {};
    attachOpenApiSource(objectApp, source);
    expect(openApiSourceOf(objectApp)).toBe(source);
    expect(openApiSourceOf({})).toBeUndefined();
    expect(openApiSourceOf(null)).toBeUndefined();
    expect(openApiSourceOf('app')).toBeUndefined();
    expect(openApiSourceOf({ [Symbol.for('express-m8.openapi')]: 'not a source' })).toBeUndefined();
    expect(openApiSourceOf({ [Symbol.for('express-m8.openapi')]: { other: 1 } })).toBeUndefined();
  });
});

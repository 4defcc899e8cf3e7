import express from 'express';
import { createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeOpenApi } from '../../src/docs/index.js';
import { openApiErrors } from './helpers.js';

const apps: M8App[] = [];
afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

const generated = {
  openapi: '3.1.0',
  info: { title: 'orders', version: '1.0.0' },
  servers: [{ url: 'http://localhost:8000' }],
  paths: {
    '/items': {
      get: { summary: 'List', responses: { 200: { description: 'OK' } } },
      post: { summary: 'Create', responses: { 201: { description: 'Created' } } },
    },
  },
  components: { schemas: { Problem: { type: 'object' } }, securitySchemes: { bearerAuth: { type: 'http' } } },
};

describe('mergeOpenApi', () => {
  it('merges objects member by member and lets the user win on other conflicts', () => {
    const merged = mergeOpenApi(generated, {
      info: { title: 'Orders API', contact: { email: 'team@example.com' } },
      servers: [{ url: 'https://api.example.com' }],
      tags: [{ name: 'items' }],
    });
    expect(merged.info).toEqual({
      title: 'Orders API',
      version: '1.0.0',
      contact: { email: 'team@example.com' },
    });
    expect(merged.servers).toEqual([{ url: 'https://api.example.com' }]);
    expect(merged.tags).toEqual([{ name: 'items' }]);
    expect(merged.paths).toEqual(generated.paths);
  });

  it('merges paths per path and method: a user operation replaces the generated one whole', () => {
    const merged = mergeOpenApi(generated, {
      paths: {
        '/items': { get: { summary: 'Mine', responses: { 204: { description: 'None' } } }, summary: 'Items' },
        '/extra': { get: { responses: { 200: { description: 'Extra' } } } },
      },
    });
    expect(merged.paths).toEqual({
      '/items': {
        get: { summary: 'Mine', responses: { 204: { description: 'None' } } },
        post: generated.paths['/items'].post,
        summary: 'Items',
      },
      '/extra': { get: { responses: { 200: { description: 'Extra' } } } },
    });
  });

  it('adds components next to the generated ones and ignores prototype keys', () => {
    const partial = JSON.parse(
      '{"components":{"schemas":{"Item":{"type":"object"}},"__proto__":{"polluted":true}}}',
    ) as Record<string, unknown>;
    const merged = mergeOpenApi(generated, partial);
    expect(merged.components).toEqual({
      schemas: { Problem: { type: 'object' }, Item: { type: 'object' } },
      securitySchemes: { bearerAuth: { type: 'http' } },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(generated.components.schemas).toEqual({ Problem: { type: 'object' } });
  });
});

describe('createApp openapi option', () => {
  it('is merged into the generated document instead of replacing it', async () => {
    const router = express.Router();
    router.get('/items', (_req, res) => {
      res.json([]);
    });
    const app = createApp(testSettings(), router, {
      openapi: {
        info: { title: 'Orders API', description: 'Orders of the shop.' },
        servers: [{ url: 'https://api.example.com' }],
        tags: [{ name: 'items', description: 'Shop items' }],
        paths: { '/webhooks/paid': { post: { responses: { 204: { description: 'Accepted' } } } } },
      },
    });
    apps.push(app);
    const doc = (await request(app).get('/api/openapi.json').expect(200)).body;
    expect(doc.info).toMatchObject({ title: 'Orders API', description: 'Orders of the shop.' });
    expect(typeof doc.info.version).toBe('string');
    expect(doc.servers).toEqual([{ url: 'https://api.example.com' }]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/ping', '/items', '/webhooks/paid']));
    expect(doc.components.securitySchemes.bearerAuth).toBeDefined();
    expect(await openApiErrors(doc)).toEqual([]);
  });
});

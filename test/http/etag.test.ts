import { createRequire } from 'node:module';
import express from 'express';
import { createApp } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { weakEtag } from '../../src/http/etag.js';

// Express's own default generator (`etag: 'weak'`), the reference our faster one must match byte for byte.
const { compileETag } = createRequire(import.meta.url)('express/lib/utils.js') as {
  compileETag: (value: string) => (body: string | Buffer, encoding?: BufferEncoding) => string;
};
const expressWeak = compileETag('weak');

describe('weakEtag', () => {
  const bodies: Array<[string, string | Buffer, BufferEncoding | undefined]> = [
    ['empty string', '', 'utf8'],
    ['empty buffer', Buffer.alloc(0), undefined],
    ['JSON', JSON.stringify({ items: [{ id: 1, name: 'first' }] }), 'utf8'],
    ['multi-byte UTF-8', 'żółć — 日本語 — 🚀', 'utf8'],
    ['no encoding given', 'plain', undefined],
    ['utf-8 spelled with a dash', 'dash', 'utf-8'],
    ['latin1 string', 'caf\u00e9', 'latin1'],
    ['binary buffer', Buffer.from([0, 255, 1, 254, 128]), undefined],
    ['large', 'x'.repeat(100_000), 'utf8'],
  ];
  it.each(bodies)('matches Express for %s', (_name, body, encoding) => {
    expect(weakEtag(body, encoding)).toBe(expressWeak(body, encoding));
  });
});

describe('ETags of an app', () => {
  const app = createApp(
    testSettings(),
    express.Router().get('/items', (_req, res) => res.json({ items: [1, 2, 3] })),
  );

  it('answers with the weak ETag Express would send, and 304 to If-None-Match', async () => {
    expect(app.get('etag fn')).toBe(weakEtag);
    const first = await request(app).get('/items');
    expect(first.status).toBe(200);
    expect(first.headers.etag).toBe(expressWeak(JSON.stringify({ items: [1, 2, 3] }), 'utf8'));
    const again = await request(app)
      .get('/items')
      .set('If-None-Match', first.headers.etag as string);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it("app.set('etag', false) still turns ETags off", async () => {
    const quiet = createApp(
      testSettings(),
      express.Router().get('/x', (_req, res) => res.json({ a: 1 })),
    );
    quiet.set('etag', false);
    const response = await request(quiet).get('/x');
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBeUndefined();
  });
});

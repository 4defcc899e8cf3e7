/**
 * The behaviour of the items service over HTTP, registered once per database by `items.test.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { Settings } from 'express-m8';
import { generateKeys, mintToken, type TestSettingsOverrides, testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildItemsApp, type ItemsApp } from './app.js';
import { resetItems } from './repository/index.js';
import type { ItemJson } from './routes/index.js';

// A new in-memory PGlite runs initdb: seconds, much longer on a loaded machine.
const HOOK_TIMEOUT_MS = 60_000;

/** A clock the tests move by hand (the job test needs "later"). */
function manualClock(): { now: () => Date; advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

export function itemsSuite(db: TestSettingsOverrides): void {
  const prefix = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const settings: Settings = testSettings({ ...db, TABLES_PREFIX: prefix });
  const clock = manualClock();
  let built: ItemsApp;
  const alice = randomUUID();
  const bob = randomUUID();
  const adminId = randomUUID();
  const tokens = { alice: '', bob: '', admin: '' };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function create(token: string, body: object): Promise<ItemJson> {
    const res = await request(built.app).post('/items').set(bearer(token)).send(body).expect(201);
    return res.body as ItemJson;
  }

  beforeAll(async () => {
    built = buildItemsApp(settings, { now: clock.now });
    await built.app.start();
    const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY });
    tokens.alice = mintToken(keys, { sub: alice, role: 'user', email: 'alice@example.com' });
    tokens.bob = mintToken(keys, { sub: bob, role: 'writer', email: 'bob@example.com' });
    tokens.admin = mintToken(keys, { sub: adminId, role: 'admin', email: 'admin@example.com' });
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    if (!built) return;
    try {
      if (built.app.ready) await resetItems(built.engine.db, prefix);
    } finally {
      await built.app.stop();
    }
  }, HOOK_TIMEOUT_MS);

  it('becomes ready after migrating, with the database check in health', async () => {
    await request(built.app).get('/api/health/ready').expect(200, { status: 'ok' });
    const check = await built.engine.check();
    expect(check.status).toBe('ok');
  });

  it('documents the items API in openapi.json with the validation rules as schemas', async () => {
    const doc = await request(built.app).get('/api/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/items',
        '/items/{id}',
        '/admin/items',
        '/admin/items/{id}',
        '/api/health/ready',
      ]),
    );
    expect(doc.body.components.schemas.NewItem).toMatchObject({
      required: ['title'],
      additionalProperties: false,
      properties: { title: { minLength: 1, maxLength: 200 } },
    });
    expect(doc.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const create = doc.body.paths['/items'].post;
    expect(create.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/NewItem',
    });
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '415']),
    );
    expect(doc.body.paths['/admin/items'].get['x-required-role']).toBe('admin');
  });

  it('refuses every items route without a token (401, WWW-Authenticate: Bearer)', async () => {
    for (const [method, path] of [
      ['get', '/items'],
      ['post', '/items'],
      ['get', `/items/${randomUUID()}`],
      ['patch', `/items/${randomUUID()}`],
      ['delete', `/items/${randomUUID()}`],
      ['get', '/admin/items'],
      ['delete', `/admin/items/${randomUUID()}`],
    ] as const) {
      const res = await request(built.app)[method](path).expect(401);
      expect(res.headers['www-authenticate'], `${method} ${path}`).toBe('Bearer');
      expect(res.body.code).toBe('ERR_AUTH_MISSING_TOKEN');
    }
  });

  it('creates, reads, lists, updates and deletes an item of its owner', async () => {
    const res = await request(built.app)
      .post('/items')
      .set(bearer(tokens.alice))
      .send({ title: '  Buy milk  ', description: 'two litres' })
      .expect(201);
    const item = res.body as ItemJson;
    expect(res.headers.location).toBe(`/items/${item.id}`);
    expect(item).toMatchObject({
      owner_id: alice,
      title: 'Buy milk',
      description: 'two litres',
      done: false,
    });
    expect(item.created_at).toBe(item.updated_at);

    await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.alice)).expect(200, item);
    const list = await request(built.app).get('/items').set(bearer(tokens.alice)).expect(200);
    expect(list.body.items.map((i: ItemJson) => i.id)).toContain(item.id);

    clock.advance(1000);
    const patched = await request(built.app)
      .patch(`/items/${item.id}`)
      .set(bearer(tokens.alice))
      .send({ done: true, description: '' })
      .expect(200);
    expect(patched.body).toMatchObject({ id: item.id, title: 'Buy milk', description: null, done: true });
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThan(Date.parse(item.updated_at));
    await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.alice)).expect(200, patched.body);

    await request(built.app).delete(`/items/${item.id}`).set(bearer(tokens.alice)).expect(204);
    const gone = await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.alice)).expect(404);
    expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(gone.body).toMatchObject({ status: 404, code: 'ERR_HTTP_NOT_FOUND', detail: 'Item not found.' });
  });

  it("answers 404, not 403, for another user's item, and leaves it untouched", async () => {
    const item = await create(tokens.alice, { title: 'private' });
    const notFound = { status: 404, code: 'ERR_HTTP_NOT_FOUND', detail: 'Item not found.' };
    const get = await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.bob)).expect(404);
    expect(get.body).toMatchObject(notFound);
    const patch = await request(built.app)
      .patch(`/items/${item.id}`)
      .set(bearer(tokens.bob))
      .send({ title: 'mine now' })
      .expect(404);
    expect(patch.body).toMatchObject(notFound);
    await request(built.app).delete(`/items/${item.id}`).set(bearer(tokens.bob)).expect(404);
    const bobs = await request(built.app).get('/items').set(bearer(tokens.bob)).expect(200);
    expect(bobs.body.items.map((i: ItemJson) => i.id)).not.toContain(item.id);
    await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.alice)).expect(200, item);
  });

  it('lets an admin list, filter, read and delete every item under /admin/items', async () => {
    const a = await create(tokens.alice, { title: 'alice item' });
    const b = await create(tokens.bob, { title: 'bob item' });
    const all = await request(built.app).get('/admin/items?limit=100').set(bearer(tokens.admin)).expect(200);
    const ids = all.body.items.map((i: ItemJson) => i.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    const onlyBob = await request(built.app)
      .get(`/admin/items?owner_id=${bob}`)
      .set(bearer(tokens.admin))
      .expect(200);
    expect(onlyBob.body.items.length).toBeGreaterThan(0);
    expect(onlyBob.body.items.every((i: ItemJson) => i.owner_id === bob)).toBe(true);
    await request(built.app).get(`/admin/items/${b.id}`).set(bearer(tokens.admin)).expect(200, b);

    // An admin's /items is their own list, like anyone's.
    const own = await request(built.app).get('/items').set(bearer(tokens.admin)).expect(200);
    expect(own.body.items).toEqual([]);
    await request(built.app).get(`/items/${a.id}`).set(bearer(tokens.admin)).expect(404);

    await request(built.app).delete(`/admin/items/${a.id}`).set(bearer(tokens.admin)).expect(204);
    await request(built.app).get(`/items/${a.id}`).set(bearer(tokens.alice)).expect(404);
    await request(built.app).delete(`/admin/items/${a.id}`).set(bearer(tokens.admin)).expect(404);
  });

  it('keeps /admin/items for admins (403 for users and writers)', async () => {
    const item = await create(tokens.alice, { title: 'keep me' });
    for (const token of [tokens.alice, tokens.bob]) {
      const res = await request(built.app).get('/admin/items').set(bearer(token)).expect(403);
      expect(res.body.code).toBe('ERR_AUTH_INSUFFICIENT_ROLE');
      await request(built.app).delete(`/admin/items/${item.id}`).set(bearer(token)).expect(403);
    }
    await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.alice)).expect(200);
  });

  it('refuses invalid requests with 400 ERR_VALIDATION naming each failing field', async () => {
    const cases: Array<[object | string, RegExp]> = [
      [{}, /title is required/],
      [{ title: 42 }, /title must be a string/],
      [{ title: '   ' }, /title must not be empty/],
      [{ title: 'x'.repeat(201) }, /title must be at most 200 characters/],
      [{ title: 'ok', description: 'd'.repeat(2001) }, /description must be at most 2000 characters/],
      [{ title: 'ok', done: 'yes' }, /done must be true or false/],
      [{ title: 'ok', owner_id: bob }, /owner_id/],
      [[1, 2], /the body must be a JSON object/],
    ];
    for (const [body, detail] of cases) {
      const res = await request(built.app).post('/items').set(bearer(tokens.alice)).send(body).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('ERR_VALIDATION');
      expect(JSON.stringify(res.body.errors), JSON.stringify(body)).toMatch(detail);
    }
    const item = await create(tokens.alice, { title: 'valid' });
    const empty = await request(built.app)
      .patch(`/items/${item.id}`)
      .set(bearer(tokens.alice))
      .send({})
      .expect(400);
    expect(JSON.stringify(empty.body.errors)).toMatch(/at least one of title, description, done/);
    const page = await request(built.app).get('/items?limit=0').set(bearer(tokens.alice)).expect(400);
    expect(page.body.errors).toEqual([{ in: 'query', path: 'limit', message: 'limit must be at least 1' }]);
    const filter = await request(built.app)
      .get('/admin/items?owner_id=nope')
      .set(bearer(tokens.admin))
      .expect(400);
    expect(JSON.stringify(filter.body.errors)).toMatch(/owner_id must be a UUID/);
  });

  it('stores titles at the length limit and non-ASCII text unchanged', async () => {
    const long = 'é'.repeat(200);
    const item = await create(tokens.alice, { title: long, description: 'ünïcödé ✓ 🚀 漢字' });
    const res = await request(built.app).get(`/items/${item.id}`).set(bearer(tokens.alice)).expect(200);
    expect(res.body).toMatchObject({ title: long, description: 'ünïcödé ✓ 🚀 漢字' });
  });

  it('answers 404 for an id that is not a UUID', async () => {
    await request(built.app).get('/items/not-a-uuid').set(bearer(tokens.alice)).expect(404);
    await request(built.app).delete('/admin/items/42').set(bearer(tokens.admin)).expect(404);
  });

  it('pages the list newest first', async () => {
    const carol = mintToken(await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY }), {
      sub: randomUUID(),
    });
    const made: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      clock.advance(1000);
      made.push((await create(carol, { title })).id);
    }
    const first = await request(built.app).get('/items?limit=2').set(bearer(carol)).expect(200);
    expect(first.body).toMatchObject({ limit: 2, offset: 0 });
    expect(first.body.items.map((i: ItemJson) => i.title)).toEqual(['three', 'two']);
    const second = await request(built.app).get('/items?limit=2&offset=2').set(bearer(carol)).expect(200);
    expect(second.body.items.map((i: ItemJson) => i.id)).toEqual([made[0]]);
  });

  it('purges done items of every owner in the system scope, and only old done ones', async () => {
    const oldDone = await create(tokens.alice, { title: 'old done', done: true });
    const bobsOldDone = await create(tokens.bob, { title: 'bob old done', done: true });
    const oldOpen = await create(tokens.alice, { title: 'old open' });
    clock.advance(3_600_000);
    const newDone = await create(tokens.alice, { title: 'new done', done: true });
    const purged = await built.service.purgeDone(1_800_000);
    expect(purged).toBeGreaterThanOrEqual(2);
    await request(built.app).get(`/admin/items/${oldDone.id}`).set(bearer(tokens.admin)).expect(404);
    await request(built.app).get(`/admin/items/${bobsOldDone.id}`).set(bearer(tokens.admin)).expect(404);
    await request(built.app).get(`/admin/items/${oldOpen.id}`).set(bearer(tokens.admin)).expect(200);
    await request(built.app).get(`/admin/items/${newDone.id}`).set(bearer(tokens.admin)).expect(200);
  });
}

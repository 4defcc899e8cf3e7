// ESM smoke test of the installed tarball: import by name, check the exports, serve one request.
import { createRequire } from 'node:module';
import express from 'express';
import * as m8 from 'express-m8';
import * as testing from 'express-m8/testing';

const require = createRequire(import.meta.url);
const { checkExports } = require('./check.cjs');
const pkg = require('express-m8/package.json');

checkExports('esm', { 'express-m8': m8, 'express-m8/testing': testing }, pkg);

const settings = testing.testSettings({});
const router = express.Router();
router.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
const app = m8.createApp(settings, router, { serviceName: 'smoke' });
await app.start();
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address();
try {
  const ping = await fetch(`http://127.0.0.1:${port}${settings.API_PREFIX}/ping`);
  const hello = await fetch(`http://127.0.0.1:${port}/hello`);
  if (ping.status !== 200 || (await ping.json()).status !== 'ok')
    throw new Error(`ping answered ${ping.status}`);
  if (hello.status !== 200) throw new Error(`/hello answered ${hello.status}`);
  console.log(`ok esm (node ${process.version}): createApp served ping and the consumer router`);
} finally {
  await new Promise((resolve) => server.close(resolve));
  await app.stop();
}

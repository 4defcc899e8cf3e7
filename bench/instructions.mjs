#!/usr/bin/env node
// Instructions per request, counted by valgrind's callgrind: repeatable whatever else the machine does, unlike
// requests per second on a shared VM. Each server runs under callgrind; after a warm-up (so the JIT has
// optimised the hot path) the counters are zeroed, N requests are sent over keep-alive connections, and the
// counters are dumped. Only user-space instructions of the server process are counted (no kernel time, no GC
// pauses weighted by time), so this complements `bench/run.mjs`, it does not replace it.
//
//   npm run build && node bench/instructions.mjs [--node /path/to/node] [--warmup 3000] [--requests 1000]
//     [--only bare,m8] [--variant name=/path/to/express-m8/dist/index.js] [--variant-forged]
//
// --node: the Node binary the servers run on (default: the one running this script). --variant counts the
// express-m8 server loaded from another build (A/B of a change: build the base into another folder first).
// A case is a GET of /api/items unless it names a `method` and a `body` (a string, sent as JSON).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchInputs, ITEM_BODY, root, startServerProcess } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    warmup: { type: 'string', default: '3000' },
    requests: { type: 'string', default: '1000' },
    only: { type: 'string' },
    // Extra servers to count, each `name=path` (path relative to bench/servers/), answering 200 to the
    // authenticated request: for trying a change before wiring it into the real stack.
    extra: { type: 'string', multiple: true, default: [] },
    variant: { type: 'string', multiple: true, default: [] },
    // Each --variant is also counted with the forged token (`<name>-forged`).
    'variant-forged': { type: 'boolean', default: false },
    node: { type: 'string', default: process.execPath },
  },
});
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('valgrind is not installed');
  process.exit(2);
}

const { work, goodToken: good, forgedToken: forged, env } = benchInputs('m8-instr-');
const origin = { Origin: 'https://app.example.com' };

const cases = [
  { name: 'bare', file: 'bare.mjs', headers: {}, status: 200 },
  { name: 'bare-born', file: 'bare-born.mjs', headers: {}, status: 200 },
  {
    name: 'fastify',
    file: 'fastify.mjs',
    headers: { ...origin, Authorization: `Bearer ${good}` },
    status: 200,
  },
  {
    name: 'fastify-forged',
    file: 'fastify.mjs',
    headers: { ...origin, Authorization: `Bearer ${forged}` },
    status: 401,
  },
  // express-m8 on a stock http.createServer(app): the target.
  { name: 'm8', file: 'm8.mjs', headers: { ...origin, Authorization: `Bearer ${good}` }, status: 200 },
  // The same on the opt-in app server classes.
  {
    name: 'm8-app',
    file: 'm8.mjs',
    env: { BENCH_SERVER: 'app' },
    headers: { ...origin, Authorization: `Bearer ${good}` },
    status: 200,
  },
  {
    name: 'm8-forged',
    file: 'm8.mjs',
    headers: { ...origin, Authorization: `Bearer ${forged}` },
    status: 401,
  },
  // API_KEYS=local, a valid X-API-Key answered from the key cache (compare with `m8`, the cached JWT).
  {
    name: 'm8-api-key',
    file: 'm8.mjs',
    env: { BENCH_M8_MODE: 'api-key', BENCH_API_KEY_CACHE_TTL_SECONDS: '3600' },
    headers: (server) => ({ ...origin, 'X-API-Key': server.apiKey }),
    status: 200,
  },
  // The same stack and token under TOKEN_PROFILE=oidc with two issuers and two audiences (`npm run bench
  // -- --oidc2`): the cached path must cost the same as `m8`.
  {
    name: 'm8-oidc2',
    file: 'm8.mjs',
    env: { BENCH_PROFILE: 'oidc2' },
    headers: { ...origin, Authorization: `Bearer ${good}` },
    status: 200,
  },
  {
    name: 'm8-no-metrics',
    file: 'm8.mjs',
    env: { BENCH_METRICS: '0' },
    headers: { ...origin, Authorization: `Bearer ${good}` },
    status: 200,
  },
  // What contract() costs: the authenticated POST of bench/contract.mjs (6-field JSON body) on the stack of
  // servers/m8-contract.mjs, without and through `contract({ body: Item })`, the same handler (answers 201).
  {
    name: 'm8-post',
    file: 'm8-contract.mjs',
    env: { BENCH_CONTRACT: '0' },
    method: 'POST',
    body: ITEM_BODY,
    headers: { ...origin, Authorization: `Bearer ${good}`, 'Content-Type': 'application/json' },
    status: 201,
  },
  {
    name: 'm8-post-contract',
    file: 'm8-contract.mjs',
    env: { BENCH_CONTRACT: '1' },
    method: 'POST',
    body: ITEM_BODY,
    headers: { ...origin, Authorization: `Bearer ${good}`, 'Content-Type': 'application/json' },
    status: 201,
  },
  ...args.variant.flatMap((spec) => {
    const [name, module] = spec.split('=');
    const reused = {
      name,
      file: 'm8.mjs',
      env: { BENCH_M8_MODULE: module },
      headers: { ...origin, Authorization: `Bearer ${good}` },
      status: 200,
    };
    if (!args['variant-forged']) return [reused];
    const headers = { ...origin, Authorization: `Bearer ${forged}` };
    return [reused, { ...reused, name: `${name}-forged`, headers, status: 401 }];
  }),
  ...args.extra.map((spec) => {
    const [name, file] = spec.split('=');
    return { name, file, headers: { ...origin, Authorization: `Bearer ${good}` }, status: 200 };
  }),
].filter((c) => !args.only || args.only.split(',').includes(c.name));

function startServer(c, outFile) {
  const argv = [
    `--tool=callgrind`,
    `--callgrind-out-file=${outFile}`,
    args.node,
    join(root, 'bench/servers', c.file),
  ];
  return startServerProcess(
    c.file,
    'valgrind',
    argv,
    { ...env, ...c.env },
    process.env.BENCH_VERBOSE ? 'inherit' : 'ignore',
  );
}

async function send(port, c, headers, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const method = c.method ?? 'GET';
  const body = c.body === undefined ? undefined : Buffer.from(c.body);
  const sent = body ? { ...headers, 'Content-Length': String(body.length) } : headers;
  let left = count;
  // A server slowed down by valgrind on a loaded machine can let a keep-alive timeout fire before it reads
  // the next request already sent on that socket: the request is retried on a fresh socket.
  const one = (attempt = 0) =>
    new Promise((resolve, reject) => {
      const options = { host: '127.0.0.1', port, method, path: '/api/items', headers: sent, agent };
      const req = request(options, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === c.status ? resolve() : reject(new Error(`${c.name}: status ${res.statusCode}`)),
        );
      });
      req.on('error', (error) => {
        if (attempt < 3 && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) resolve(one(attempt + 1));
        else reject(error);
      });
      req.end(body);
    });
  const worker = async () => {
    while (left-- > 0) await one();
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
}

// The same race can reset a socket that is idle in the agent's pool, where no request listens for it.
process.on('uncaughtException', (error) => {
  if (error.code === 'ECONNRESET') return;
  throw error;
});

const control = (...argv) => spawnSync('callgrind_control', argv, { encoding: 'utf8' });
function totalOf(file) {
  const text = readFileSync(file, 'utf8');
  const match = /^(?:summary|totals): (\d+)/m.exec(text);
  if (!match) throw new Error(`no totals in ${file}`);
  return Number(match[1]);
}

const requests = Number(args.requests);
console.log(`servers on node ${spawnSync(args.node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
const results = {};
// A valgrind server must not outlive this script, whatever makes it stop.
let current;
process.on('exit', () => current?.kill('SIGKILL'));
for (const c of cases) {
  const outFile = join(work, `${c.name}.out`);
  const server = await startServer(c, outFile);
  current = server.child;
  const headers = typeof c.headers === 'function' ? c.headers(server) : c.headers;
  await send(server.port, c, headers, Number(args.warmup));
  control('-z', String(server.child.pid));
  await send(server.port, c, headers, requests);
  control('-d', String(server.child.pid));
  const dump = readdirSync(work).find((f) => f.startsWith(`${c.name}.out.`));
  const perRequest = Math.round(totalOf(join(work, dump)) / requests);
  results[c.name] = perRequest;
  console.log(`${c.name.padEnd(16)} ${(perRequest / 1000).toFixed(0).padStart(6)} k instructions / request`);
  server.child.kill('SIGKILL');
  await new Promise((resolve) => server.child.once('exit', resolve));
}
if (results.bare) {
  for (const [name, n] of Object.entries(results)) {
    if (name !== 'bare')
      console.log(`${name.padEnd(16)} ${(results.bare / n).toFixed(3)}× bare (by instructions)`);
  }
}
if (results['m8-post'] && results['m8-post-contract']) {
  const plain = results['m8-post'];
  const checked = results['m8-post-contract'];
  console.log(
    `contract() adds ${((checked - plain) / 1000).toFixed(0)} k instructions / request ` +
      `(m8-post / m8-post-contract: ${(plain / checked).toFixed(3)}×)`,
  );
}
rmSync(work, { recursive: true, force: true });

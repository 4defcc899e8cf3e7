#!/usr/bin/env node
// Throughput of bare Express 5, the fastify full stack and the express-m8 full stack, in one run (absolute figures move 30–40 % between runs here;
// only ratios measured in the same run count). Server pinned to core 0, autocannon to core 1 (`taskset`),
// stacks alternated over several rounds, medians reported.
//
//   npm run build && node bench/run.mjs [--node /path/to/node] [--rounds 3] [--duration 10] [--connections 50]
//     [--app-server] [--oidc2] [--stateful-stream] [--api-key] [--variant name=/path/to/express-m8/dist/index.js]
//
// --node: the Node binary the servers run on (default: the one running this script); autocannon runs on
// the Node running this script. --app-server adds express-m8 on the opt-in app server classes (an extra
// row, not the target). --variant adds express-m8 loaded from another build, reused and forged token (A/B of a
// change in one run).
// --oidc2 adds express-m8 under TOKEN_PROFILE=oidc with two issuers, next to the reused row and compared with
// it round by round (must stay within 3 % of it).
// --api-key adds express-m8 with API_KEYS=local (keys in embedded PGlite) answering a valid X-API-Key instead
// of the token: its ratio to the reused (cached JWT) row is printed; target >= 0.97x. --api-key-db
// postgres://… keeps the keys in PostgreSQL instead (tables m8bench_*).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchInputs, root, startServerProcess } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
    node: { type: 'string', default: process.execPath },
    'app-server': { type: 'boolean', default: false },
    oidc2: { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true, default: [] },
    'stateful-stream': { type: 'boolean', default: false },
    'api-key': { type: 'boolean', default: false },
    'api-key-db': { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const connections = Number(args.connections);

if (!existsSync(join(root, 'dist/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
function pinned(core, cmd, argv) {
  return haveTaskset ? ['taskset', ['-c', String(core), cmd, ...argv]] : [cmd, argv];
}

const { work, logFile, goodToken, forgedToken, env } = benchInputs('m8-bench-');

const serverNode = args.node;
const serverVersion = spawnSync(serverNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!serverVersion) {
  console.error(`--node ${serverNode}: not a Node binary`);
  process.exit(2);
}

function startServer(file, extraEnv) {
  const [cmd, argv] = pinned(0, serverNode, [join(root, 'bench/servers', file)]);
  return startServerProcess(file, cmd, argv, { ...env, ...extraEnv });
}

function stopServer({ child }) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function load(port, headers, seconds) {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const [cmd, argv] = pinned(1, process.execPath, [
    join(root, 'node_modules/autocannon/autocannon.js'),
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-j',
    ...h,
    `http://127.0.0.1:${port}/api/items`,
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const result = JSON.parse(out);
      resolve({
        rps: result.requests.average,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
      });
    });
  });
}

const origin = { Origin: 'https://app.example.com' };
const good = { ...origin, Authorization: `Bearer ${goodToken}` };
const forged = { ...origin, Authorization: `Bearer ${forgedToken}` };
const M8_REUSED = 'express-m8, reused token';
const BARE = 'bare express 5';
const FASTIFY = 'fastify, reused token';
const FASTIFY_FORGED = 'fastify, forged token';
const FLOOR = 'hand-made floor, reused token';
const cases = [
  { name: BARE, file: 'bare.mjs', headers: {}, expect2xx: true },
  // The least Express 5 can do by hand for the same response, log line, metrics and cached token
  // (servers/floor.mjs): what the contracted behaviour costs at least, to read the express-m8 row against.
  { name: FLOOR, file: 'floor.mjs', headers: good, expect2xx: true },
  { name: FASTIFY, file: 'fastify.mjs', headers: good, expect2xx: true },
  { name: FASTIFY_FORGED, file: 'fastify.mjs', headers: forged, expect2xx: false },
  // The targets: express-m8 on a stock `http.createServer(app)`.
  { name: M8_REUSED, file: 'm8.mjs', headers: good, expect2xx: true, vs: FASTIFY, alsoVs: FLOOR },
  // --oidc2: the same server, token and tier under TOKEN_PROFILE=oidc with two issuers and two audiences, run
  // right after (or, in reversed rounds, right before) the reused row so each round pairs the two under the
  // same machine conditions; its ratio is to the reused row, per round (target ≥ 0.97×).
  ...(args.oidc2
    ? [
        {
          name: 'express-m8 oidc, 2 issuers, reused',
          file: 'm8.mjs',
          env: { BENCH_PROFILE: 'oidc2' },
          headers: good,
          expect2xx: true,
          vs: M8_REUSED,
          vsLabel: 'fa-auth-m8 reused',
        },
      ]
    : []),
  { name: 'express-m8, forged token', file: 'm8.mjs', headers: forged, expect2xx: false, vs: FASTIFY_FORGED },
];
if (args['app-server']) {
  // Not a target: the opt-in server classes (requests born with Express's prototypes).
  cases.push(
    { name: 'bare express 5, app server', file: 'bare-born.mjs', headers: {}, expect2xx: true },
    {
      name: 'express-m8 app server, reused',
      file: 'm8.mjs',
      env: { BENCH_SERVER: 'app' },
      headers: good,
      expect2xx: true,
      vs: FASTIFY,
    },
  );
}
if (args['stateful-stream']) {
  // Stateful with a 300 s revocation cache and the event stream connected, against the same stack stateless
  // (both ENVIRONMENT=staging: production refuses the in-process fake issuer's http:// URL). Target ≥ 0.9×.
  const STATELESS_STAGING = 'express-m8 stateless (staging)';
  cases.push(
    {
      name: STATELESS_STAGING,
      file: 'm8.mjs',
      env: { BENCH_M8_MODE: 'stateless-staging' },
      headers: good,
      expect2xx: true,
    },
    {
      name: 'express-m8 stateful + stream',
      file: 'm8.mjs',
      env: { BENCH_M8_MODE: 'stateful-stream' },
      headers: good,
      expect2xx: true,
      vs: STATELESS_STAGING,
      vsLabel: 'stateless',
    },
  );
}
if (args['api-key']) {
  // The same production stack with API_KEYS=local; the server made the key at start (READY <port> <key>).
  // Every request after the first is answered from the key cache: the keys table is not on the measured path.
  cases.push({
    name: 'express-m8, cached API key',
    file: 'm8.mjs',
    env: {
      BENCH_M8_MODE: 'api-key',
      ...(args['api-key-db'] ? { BENCH_API_KEY_DB_URL: args['api-key-db'] } : {}),
    },
    headers: (server) => ({ ...origin, 'X-API-Key': server.apiKey }),
    expect2xx: true,
    vs: M8_REUSED,
    vsLabel: 'cached JWT',
  });
}
for (const spec of args.variant) {
  const [name, module] = spec.split('=');
  cases.push({
    name: `${name}, reused token`,
    file: 'm8.mjs',
    env: { BENCH_M8_MODULE: module },
    headers: good,
    expect2xx: true,
    vs: FASTIFY,
  });
  cases.push({
    name: `${name}, forged token`,
    file: 'm8.mjs',
    env: { BENCH_M8_MODULE: module },
    headers: forged,
    expect2xx: false,
    vs: FASTIFY_FORGED,
  });
}
const results = new Map(cases.map((c) => [c.name, []]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `servers on node ${serverVersion} (${serverNode}); autocannon on node ${process.version}; ${rounds} rounds × ${duration}s, ${connections} connections; taskset: ${haveTaskset}`,
);
for (let round = 1; round <= rounds; round++) {
  // Alternate the order each round so neither stack always runs on a warmer machine.
  const order = round % 2 === 1 ? cases : [...cases].reverse();
  for (const c of order) {
    const server = await startServer(c.file, c.env ?? {});
    const headers = typeof c.headers === 'function' ? c.headers(server) : c.headers;
    await load(server.port, headers, Number(args.warmup));
    const r = await load(server.port, headers, duration);
    await stopServer(server);
    if (c.expect2xx && r.non2xx > 0) throw new Error(`${c.name}: ${r.non2xx} non-2xx answers`);
    if (!c.expect2xx && r.non2xx === 0) throw new Error(`${c.name}: forged token was accepted`);
    results.get(c.name).push(r);
    console.log(
      `round ${round}: ${c.name.padEnd(32)} ${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99} ms`,
    );
  }
}
const medianRps = (name) => median(results.get(name).map((r) => r.rps));
const base = medianRps(BARE);
console.log(
  '\nmedians (× bare Express 5: the target; × fastify: the same token case on the fastify full stack)',
);
const summary = {};
for (const c of cases) {
  const rps = medianRps(c.name);
  const vsFastify = c.vs === undefined ? undefined : rps / medianRps(c.vs);
  // The same ratio round by round (each round runs the two rows under the same machine conditions; the
  // ratio of medians can pair a fast round of one with a slow round of the other).
  const perRound =
    c.vs === undefined ? [] : results.get(c.name).map((r, i) => r.rps / results.get(c.vs)[i].rps);
  // The ratio to bare Express round by round: the VM's own speed moves between rounds, and both rows of a
  // round ran under the same conditions.
  const bareByRound = results.get(c.name).map((r, i) => r.rps / results.get(BARE)[i].rps);
  const floorByRound =
    c.alsoVs === undefined ? [] : results.get(c.name).map((r, i) => r.rps / results.get(c.alsoVs)[i].rps);
  summary[c.name] = {
    rps: Math.round(rps),
    ratio: Number((rps / base).toFixed(3)),
    ratioToBareByRound: bareByRound.map((x) => Number(x.toFixed(3))),
    medianRatioToBareByRound: Number(median(bareByRound).toFixed(3)),
    ratioToFloorByRound:
      floorByRound.length === 0 ? undefined : floorByRound.map((x) => Number(x.toFixed(3))),
    // The server is saturated on one core: 1/rps is its CPU time per request.
    addedMicroseconds: Math.round((1e6 / rps - 1e6 / base) * 10) / 10,
    ratioToFastify: vsFastify === undefined ? undefined : Number(vsFastify.toFixed(3)),
    vs: c.vs,
    ratioByRound: perRound.map((x) => Number(x.toFixed(3))),
    medianRatioByRound: perRound.length === 0 ? undefined : Number(median(perRound).toFixed(3)),
    p99: median(results.get(c.name).map((r) => r.p99)),
  };
  console.log(
    `${c.name.padEnd(32)} ${Math.round(rps).toString().padStart(7)} req/s  ${(rps / base).toFixed(3)}× bare` +
      ` (by round ${median(bareByRound).toFixed(3)}×)` +
      `  ${summary[c.name].addedMicroseconds.toFixed(1).padStart(6)} µs/req vs bare` +
      (floorByRound.length === 0
        ? ''
        : `  ${(rps / medianRps(c.alsoVs)).toFixed(3)}× hand-made floor (by round ${median(floorByRound).toFixed(3)}×)`) +
      (vsFastify === undefined
        ? ''
        : `  ${vsFastify.toFixed(3)}× ${c.vsLabel ?? 'fastify'}` +
          ` (by round: median ${median(perRound).toFixed(3)}×, ${perRound.map((x) => x.toFixed(3)).join(' ')})`),
  );
}
console.log(`request log written: ${statSync(logFile).size} bytes`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results', `run-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify({ node: serverVersion, rounds, duration, connections, summary }, null, 2),
);
rmSync(work, { recursive: true, force: true });

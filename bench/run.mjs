#!/usr/bin/env node
// Throughput of bare Express 5 against the express-m8 full stack, in one run (PERF-NOTES: only ratios
// measured in the same run count). Server pinned to core 0, autocannon to core 1 (`taskset`), stacks
// alternated over several rounds, medians reported.
//
//   npm run build && node bench/run.mjs [--rounds 3] [--duration 10] [--connections 50]
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

function startServer(file, extraEnv) {
  const [cmd, argv] = pinned(0, process.execPath, [join(root, 'bench/servers', file)]);
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
const cases = [
  { name: 'bare express 5', file: 'bare.mjs', headers: {}, expect2xx: true },
  // Not a target: bare Express on the server classes express-m8 uses, to show what the stack itself costs.
  { name: 'bare express 5, app server', file: 'bare-born.mjs', headers: {}, expect2xx: true },
  {
    name: 'express-m8, reused token',
    file: 'm8.mjs',
    headers: { ...origin, Authorization: `Bearer ${goodToken}` },
    expect2xx: true,
  },
  {
    name: 'express-m8, forged token',
    file: 'm8.mjs',
    headers: { ...origin, Authorization: `Bearer ${forgedToken}` },
    expect2xx: false,
  },
];
const results = new Map(cases.map((c) => [c.name, []]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `node ${process.version}; ${rounds} rounds × ${duration}s, ${connections} connections; taskset: ${haveTaskset}`,
);
for (let round = 1; round <= rounds; round++) {
  // Alternate the order each round so neither stack always runs on a warmer machine.
  const order = round % 2 === 1 ? cases : [...cases].reverse();
  for (const c of order) {
    const server = await startServer(c.file, {});
    await load(server.port, c.headers, Number(args.warmup));
    const r = await load(server.port, c.headers, duration);
    await stopServer(server);
    if (c.expect2xx && r.non2xx > 0) throw new Error(`${c.name}: ${r.non2xx} non-2xx answers`);
    if (!c.expect2xx && r.non2xx === 0) throw new Error(`${c.name}: forged token was accepted`);
    results.get(c.name).push(r);
    console.log(
      `round ${round}: ${c.name.padEnd(28)} ${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99} ms`,
    );
  }
}
const base = median(results.get('bare express 5').map((r) => r.rps));
const born = median(results.get('bare express 5, app server').map((r) => r.rps));
console.log('\nmedians (× bare: the target; × app server: the cost of the stack on the same server)');
const summary = {};
for (const c of cases) {
  const rps = median(results.get(c.name).map((r) => r.rps));
  summary[c.name] = {
    rps: Math.round(rps),
    ratio: Number((rps / base).toFixed(3)),
    ratioToAppServer: Number((rps / born).toFixed(3)),
  };
  console.log(
    `${c.name.padEnd(28)} ${Math.round(rps).toString().padStart(7)} req/s  ${(rps / base).toFixed(3)}× bare  ${(rps / born).toFixed(3)}× app server`,
  );
}
console.log(`request log written: ${statSync(logFile).size} bytes`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results', `run-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify({ node: process.version, rounds, duration, connections, summary }, null, 2),
);
rmSync(work, { recursive: true, force: true });

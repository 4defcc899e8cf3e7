#!/usr/bin/env node
// What contract() costs: an authenticated `POST /api/items` with a 6-field JSON body on the express-m8 full
// stack, through `contract({ body })` and without it, in one run (only same-run ratios count: absolute figures move 30–40 % between runs here).
// Server pinned to core 0, autocannon to core 1 (`taskset`), the two cases alternated over rounds, medians
// reported. Target: the contract route at ≥ 0.9× the plain one.
//
//   npm run build && node bench/contract.mjs [--node /path/to/node] [--rounds 5] [--duration 10]
//     [--connections 50] [--warmup 3]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchInputs, ITEM_BODY, root, startServerProcess } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
    node: { type: 'string', default: process.execPath },
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
const serverVersion = spawnSync(args.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!serverVersion) {
  console.error(`--node ${args.node}: not a Node binary`);
  process.exit(2);
}

const { work, goodToken, env } = benchInputs('m8-bench-contract-');

function load(port, seconds) {
  const headers = {
    Origin: 'https://app.example.com',
    Authorization: `Bearer ${goodToken}`,
    'Content-Type': 'application/json',
  };
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const [cmd, argv] = pinned(1, process.execPath, [
    join(root, 'node_modules/autocannon/autocannon.js'),
    ...['-c', String(connections), '-d', String(seconds), '-m', 'POST', '-b', ITEM_BODY, '-j', ...h],
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
        total: result.requests.total,
        p99: result.latency.p99,
        non2xx: result.non2xx,
      });
    });
  });
}

// CPU seconds (user + system) the server process used so far, from /proc (Linux): with the request count it
// gives CPU time per request, steadier than requests per second on a busy machine (10 ms clock ticks).
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

const cases = [
  { name: 'POST without contract', contract: '0' },
  { name: 'POST through contract({ body })', contract: '1' },
];
const results = new Map(cases.map((c) => [c.name, []]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `servers on node ${serverVersion}; ${rounds} rounds × ${duration}s, ${connections} connections; taskset: ${haveTaskset}`,
);
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? cases : [...cases].reverse();
  for (const c of order) {
    const [cmd, argv] = pinned(0, args.node, [join(root, 'bench/servers/m8-contract.mjs')]);
    const server = await startServerProcess(c.name, cmd, argv, { ...env, BENCH_CONTRACT: c.contract });
    await load(server.port, Number(args.warmup));
    const cpuBefore = cpuSeconds(server.child.pid);
    const r = await load(server.port, duration);
    r.cpuMicroseconds = ((cpuSeconds(server.child.pid) - cpuBefore) * 1e6) / r.total;
    await new Promise((resolve) => {
      server.child.once('exit', resolve);
      server.child.kill('SIGTERM');
    });
    if (r.non2xx > 0) throw new Error(`${c.name}: ${r.non2xx} non-2xx answers`);
    results.get(c.name).push(r);
    console.log(
      `round ${round}: ${c.name.padEnd(34)} ${Math.round(r.rps).toString().padStart(7)} req/s  ` +
        `${r.cpuMicroseconds.toFixed(1)} µs CPU/req  p99 ${r.p99} ms`,
    );
  }
}
const medianOf = (key) => cases.map((c) => median(results.get(c.name).map((r) => r[key])));
const [plain, checked] = medianOf('rps');
const [plainCpu, checkedCpu] = medianOf('cpuMicroseconds');
const ratio = checked / plain;
// The same ratio round by round: the two rows of a round ran back to back under the same machine conditions,
// while the VM's own speed moves between rounds (the ratio of medians can pair a fast round of one with a
// slow round of the other).
const byRound = results.get(cases[1].name).map((r, i) => r.rps / results.get(cases[0].name)[i].rps);
const ratioByRound = median(byRound);
console.log(
  `\nmedians: without ${Math.round(plain)} req/s, with contract ${Math.round(checked)} req/s: ` +
    `${ratio.toFixed(3)}× (target ≥ 0.9×); by round: median ${ratioByRound.toFixed(3)}× ` +
    `(${byRound.map((x) => x.toFixed(3)).join(' ')}); server CPU per request ${plainCpu.toFixed(1)} → ` +
    `${checkedCpu.toFixed(1)} µs (${(plainCpu / checkedCpu).toFixed(3)}×)`,
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results', `contract-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify(
    {
      node: serverVersion,
      rounds,
      duration,
      connections,
      plain,
      contract: checked,
      ratio,
      ratioByRound: byRound.map((x) => Number(x.toFixed(3))),
      medianRatioByRound: Number(ratioByRound.toFixed(3)),
      plainCpu,
      checkedCpu,
    },
    null,
    2,
  ),
);
rmSync(work, { recursive: true, force: true });

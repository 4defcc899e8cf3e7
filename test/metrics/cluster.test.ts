import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/cluster-app.ts', import.meta.url));

/** One GET on a fresh connection (no keep-alive), so the primary's round robin spreads requests. */
function fetchOnce(url: string): Promise<{ status: number; worker: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, worker: String(res.headers['x-worker']), body }),
      );
    }).on('error', reject);
  });
}

let child: ChildProcess;
let base: string;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`cluster fixture exited with ${code}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { ready?: boolean; port?: number };
      if (message.ready === true && typeof message.port === 'number') resolve(message.port);
    });
  });
  base = `http://127.0.0.1:${port}`;
}, 30_000);

afterAll(async () => {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
});

describe('cluster mode', () => {
  it('answers /metrics on any worker with the sum of the requests both workers served', async () => {
    const served = new Map<string, number>();
    const sent = 40;
    for (let i = 0; i < sent; i++) {
      const res = await fetchOnce(`${base}/who/${i}`);
      expect(res.status).toBe(200);
      served.set(res.worker, (served.get(res.worker) ?? 0) + 1);
    }
    // Both workers took part, so a per-worker answer could not reach the total.
    expect(served.size).toBe(2);
    for (const count of served.values()) expect(count).toBeLessThan(sent);

    const scrapers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetchOnce(`${base}/metrics`);
      expect(res.status).toBe(200);
      scrapers.add(res.worker);
      const samples = parseSamples(res.body);
      expect(sampleValue(samples, 'api_http_requests_total', { route: '/who/:n', status_code: '200' })).toBe(
        sent,
      );
      // Earlier scrapes are counted too, whichever worker answered them.
      expect(sampleValue(samples, 'api_http_requests_total', { route: '/metrics' })).toBe(
        i === 0 ? undefined : i,
      );
    }
    expect(scrapers.size).toBe(2);
  });
});

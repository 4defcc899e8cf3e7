import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Child, killChildren, spawnFixture } from './child.js';

afterEach(killChildren);

const CONNECTIONS = 10;
const SHUTDOWN_TIMEOUT_SECONDS = 10;
/** Requests answered before the signal is sent: the load is sustained, every connection has been reused. */
const WARM_UP_REQUESTS = 300;

/**
 * How a request ended. Counting rule: a request is "sent" when it went out on an established connection;
 * it "failed" when it got no response or a reset (ECONNRESET, socket hang up, …). A new connection refused
 * because the listener had closed (ECONNREFUSED) never carried the request: it counts as "not sent", as a
 * client would simply try another instance.
 */
type Outcome = 'ok' | 'close' | 'refused' | 'failed';

function one(url: string, agent: Agent): Promise<{ outcome: Outcome; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(new URL('/load', url), { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ outcome: res.headers.connection === 'close' ? 'close' : 'ok' }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ outcome: 'failed', error: error.code }));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        outcome: error.code === 'ECONNREFUSED' ? 'refused' : 'failed',
        error: error.code ?? error.message,
      }),
    );
    req.end();
  });
}

interface Figures {
  sent: number;
  answered: number;
  failed: number;
  notSent: number;
  /** Connections whose last response said `Connection: close`. */
  closedByServer: number;
  errors: string[];
}

/**
 * One keep-alive connection per worker, each sending its next request as soon as the previous answer ends,
 * until the server says `Connection: close` (a client would go elsewhere) or a request does not go through.
 */
function sustainedLoad(url: string, onAnswered: (total: number) => void): Promise<Figures> {
  const figures: Figures = { sent: 0, answered: 0, failed: 0, notSent: 0, closedByServer: 0, errors: [] };
  const worker = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (;;) {
        const { outcome, error } = await one(url, agent);
        if (outcome === 'refused') {
          figures.notSent += 1;
          return;
        }
        figures.sent += 1;
        if (outcome === 'failed') {
          figures.failed += 1;
          figures.errors.push(error ?? 'unknown');
          return;
        }
        figures.answered += 1;
        onAnswered(figures.answered);
        if (outcome === 'close') {
          figures.closedByServer += 1;
          return;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  return Promise.all(Array.from({ length: CONNECTIONS }, worker)).then(() => figures);
}

/** A raw connection that is open (the server has accepted it) and then sends `bytes`, or nothing. */
function rawConnection(url: string, bytes: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      if (bytes) socket.write(bytes);
      resolve(socket);
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

type Extra = 'none' | 'idle' | 'slow-header' | 'slow-body';
const EXTRA_BYTES: Record<Exclude<Extra, 'none'>, string> = {
  idle: '',
  'slow-header': 'GET /load HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
  'slow-body':
    'POST /load HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nabc',
};

async function shutdownUnderLoad(
  extra: Extra,
): Promise<Figures & { exitCode: number | null; exitMs: number }> {
  const child: Child = await spawnFixture({
    SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    LOG_LEVEL: 'warn',
  });
  const extraSocket = extra === 'none' ? undefined : await rawConnection(child.url, EXTRA_BYTES[extra]);
  let signalledAt = 0;
  let signal: () => void = () => {};
  const warmedUp = new Promise<void>((resolve) => {
    signal = resolve;
  });
  const load = sustainedLoad(child.url, (total) => {
    if (total === WARM_UP_REQUESTS) signal();
  });
  await warmedUp;
  signalledAt = performance.now();
  child.process.kill('SIGTERM');
  const exitCode = await child.exitCode;
  const exitMs = Math.round(performance.now() - signalledAt);
  const figures = await load;
  extraSocket?.destroy();
  const result = { ...figures, exitCode, exitMs };
  console.log(
    `[shutdown under load] extra connection: ${extra}; connections: ${CONNECTIONS}; requests sent: ${result.sent}; ` +
      `answered: ${result.answered}; failed: ${result.failed}; not sent (refused): ${result.notSent}; ` +
      `last response Connection: close: ${result.closedByServer}/${CONNECTIONS}; exit code: ${exitCode}; ` +
      `exit ${exitMs} ms after SIGTERM (SHUTDOWN_TIMEOUT_SECONDS=${SHUTDOWN_TIMEOUT_SECONDS})` +
      (result.errors.length ? `; errors: ${result.errors.join(', ')}` : ''),
  );
  return result;
}

// Each case spawns a tsx process (a few seconds on a loaded machine) and waits for its exit.
describe('SIGTERM under sustained keep-alive load, in a real process', { timeout: 60_000 }, () => {
  it.each<Extra>(['none', 'idle', 'slow-header', 'slow-body'])(
    'loses no request, closes every kept-alive connection with Connection: close and exits 0 well before the deadline (extra connection: %s)',
    async (extra) => {
      const result = await shutdownUnderLoad(extra);

      expect(result.errors).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.sent).toBeGreaterThanOrEqual(WARM_UP_REQUESTS);
      expect(result.closedByServer).toBe(CONNECTIONS);
      expect(result.exitCode).toBe(0);
      // The idle grace is 1 s; far below SHUTDOWN_TIMEOUT_SECONDS, which a held connection would run into.
      expect(result.exitMs).toBeLessThan((SHUTDOWN_TIMEOUT_SECONDS * 1000) / 2);
    },
  );
});

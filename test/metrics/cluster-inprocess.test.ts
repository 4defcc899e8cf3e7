/**
 * Both halves of the cluster metrics protocol in ONE process, so coverage sees them (cluster.test.ts runs
 * the real thing in forked workers, which V8 coverage in vitest does not record).
 *
 * The primary side listens on `cluster` 'message' and prom-client's AggregatorRegistry asks every entry of
 * `cluster.workers`; the worker side listens on `process` 'message' and talks through `process.send`. Here a
 * stand-in for node's `Worker` (send/isConnected) is entered in `cluster.workers`, and `process.send` is
 * pointed at `cluster.emit('message', worker, …)`: the messages our code sends travel the same path as over
 * IPC, and the aggregation is prom-client's own, over real registries.
 */
import cluster, { type Worker } from 'node:cluster';
import { Counter, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterWorkerLink, isClusterWorker, setupClusterMetrics } from '../../src/metrics/cluster.js';
import { parseSamples, sampleValue } from './helpers.js';

interface Sent {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly text?: unknown;
  readonly error?: unknown;
  readonly requestId?: unknown;
}

/** What node's cluster Worker offers the code under test: send() and isConnected(). */
class StandInWorker {
  readonly sent: Sent[] = [];
  connected = true;
  /** When set, prom-client's metrics requests are answered with this registry (or this error). */
  answer: Registry | string | undefined;
  /** When true, messages for the worker process are delivered to `process` 'message' (our worker side). */
  deliver = false;

  send(message: Sent): boolean {
    this.sent.push(message);
    if (message.type === 'prom-client:getMetricsReq') {
      const answer = this.answer;
      if (answer === undefined) return true;
      const reply = (body: Record<string, unknown>): void => {
        cluster.emit('message', this as unknown as Worker, {
          type: 'prom-client:getMetricsRes',
          requestId: message.requestId,
          ...body,
        });
      };
      if (typeof answer === 'string') setImmediate(() => reply({ error: answer }));
      else void answer.getMetricsAsJSON().then((metrics) => reply({ metrics: [metrics] }));
    } else if (this.deliver) {
      setImmediate(() => process.emit('message', message, undefined));
    }
    return true;
  }

  isConnected(): boolean {
    return this.connected;
  }
}

const workers = cluster.workers as Record<string, unknown>;
const originalSend = process.send;
const cleanups: (() => void)[] = [];

function enter(worker: StandInWorker, id: string): void {
  workers[id] = worker;
  cleanups.push(() => {
    delete workers[id];
  });
}

/** Points `process.send` (the worker's IPC) at the primary's `cluster` 'message', as from `worker`. */
function sendAs(worker: StandInWorker, log: Sent[] = []): Sent[] {
  process.send = ((message: Sent): boolean => {
    log.push(message);
    setImmediate(() => cluster.emit('message', worker as unknown as Worker, message));
    return true;
  }) as typeof process.send;
  return log;
}

function registryWithCount(count: number): Registry {
  const registry = new Registry();
  const counter = new Counter({ name: 'm8_test_served_total', help: 'served', registers: [registry] });
  counter.inc(count);
  return registry;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  cleanups.length = 0;
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  process.send = originalSend;
});

describe('cluster metrics, primary side (in process)', () => {
  it('acknowledges a worker that was already connected at setup, and one that says hello later', async () => {
    const early = new StandInWorker();
    const gone = new StandInWorker();
    gone.connected = false;
    enter(early, 'early');
    enter(gone, 'gone');
    const setup = setupClusterMetrics();
    cleanups.push(() => setup.close());
    expect(early.sent).toEqual([{ type: 'express-m8:metrics:ack' }]);
    expect(gone.sent).toEqual([]);

    const late = new StandInWorker();
    cluster.emit('message', late as unknown as Worker, { type: 'express-m8:metrics:hello' });
    expect(late.sent).toEqual([{ type: 'express-m8:metrics:ack' }]);
    // Not ours: ignored, as are non-objects (not null: prom-client's own listener would throw on it).
    cluster.emit('message', late as unknown as Worker, { type: 'something-else' });
    cluster.emit('message', late as unknown as Worker, 42);
    cluster.emit('message', late as unknown as Worker, 'express-m8:metrics:hello');
    expect(late.sent).toHaveLength(1);
  });

  it('is idempotent, and stops answering after close()', () => {
    const first = setupClusterMetrics();
    const second = setupClusterMetrics();
    const worker = new StandInWorker();
    cluster.emit('message', worker as unknown as Worker, { type: 'express-m8:metrics:hello' });
    // One listener, not two.
    expect(worker.sent).toHaveLength(1);
    first.close();
    second.close(); // idempotent
    cluster.emit('message', worker as unknown as Worker, { type: 'express-m8:metrics:hello' });
    expect(worker.sent).toHaveLength(1);
  });

  it('answers a metrics request with the sum of every worker registry', async () => {
    const a = new StandInWorker();
    const b = new StandInWorker();
    a.answer = registryWithCount(3);
    b.answer = registryWithCount(4);
    enter(a, 'a');
    enter(b, 'b');
    const setup = setupClusterMetrics();
    cleanups.push(() => setup.close());
    cluster.emit('message', a as unknown as Worker, { type: 'express-m8:metrics:request', id: 7 });
    await expect.poll(() => a.sent.find((m) => m.type === 'express-m8:metrics:response')).toBeDefined();
    const response = a.sent.find((m) => m.type === 'express-m8:metrics:response');
    expect(response?.id).toBe(7);
    expect(typeof response?.text).toBe('string');
    expect(sampleValue(parseSamples(String(response?.text)), 'm8_test_served_total')).toBe(7);
  });

  it('answers an error message when a worker fails to report, and nothing to a worker gone meanwhile', async () => {
    const failing = new StandInWorker();
    failing.answer = 'registry exploded';
    enter(failing, 'failing');
    const setup = setupClusterMetrics();
    cleanups.push(() => setup.close());
    cluster.emit('message', failing as unknown as Worker, { type: 'express-m8:metrics:request', id: 1 });
    await expect
      .poll(() => failing.sent.find((m) => m.type === 'express-m8:metrics:response'))
      .toEqual({
        type: 'express-m8:metrics:response',
        id: 1,
        error: 'registry exploded',
      });

    const asker = new StandInWorker();
    asker.answer = registryWithCount(1);
    failing.answer = registryWithCount(1);
    asker.connected = false; // disconnects before the aggregate is ready: it is not sent anything
    cluster.emit('message', asker as unknown as Worker, { type: 'express-m8:metrics:request', id: 2 });
    await tick();
    await tick();
    await tick();
    expect(asker.sent.filter((m) => m.type === 'express-m8:metrics:response')).toEqual([]);
  });
});

describe('cluster metrics, worker side (in process)', () => {
  it('says hello, becomes active on the ack, and gets the aggregate from the primary', async () => {
    const self = new StandInWorker();
    self.answer = registryWithCount(5);
    self.deliver = true;
    enter(self, 'self');
    const log = sendAs(self);
    const setup = setupClusterMetrics();
    cleanups.push(() => setup.close());

    const link = new ClusterWorkerLink(registryWithCount(5), 2000);
    cleanups.push(() => link.close());
    expect(log).toEqual([{ type: 'express-m8:metrics:hello' }]);
    expect(link.isActive).toBe(false);
    await expect.poll(() => link.isActive).toBe(true);

    const text = await link.aggregate();
    expect(sampleValue(parseSamples(text), 'm8_test_served_total')).toBe(5);
    expect(log.at(-1)).toEqual({ type: 'express-m8:metrics:request', id: 0 });
  });

  it('rejects with the primary’s error, and ignores answers for no pending request', async () => {
    const self = new StandInWorker();
    self.answer = 'worker registry failed';
    self.deliver = true;
    enter(self, 'self');
    sendAs(self);
    const setup = setupClusterMetrics();
    cleanups.push(() => setup.close());
    const link = new ClusterWorkerLink(new Registry(), 2000);
    cleanups.push(() => link.close());
    await expect(link.aggregate()).rejects.toThrow('worker registry failed');
    // Stray and foreign messages change nothing.
    process.emit('message', { type: 'express-m8:metrics:response', id: 99, text: 'x' }, undefined);
    process.emit('message', { type: 'express-m8:metrics:response', id: 'x', text: 'x' }, undefined);
    process.emit('message', 42, undefined);
    process.emit('message', 'express-m8:metrics:ack', undefined);
  });

  it('rejects "no aggregate" when the response carries neither text nor error', async () => {
    const log = sendAs(new StandInWorker());
    process.send = ((message: Sent): boolean => {
      log.push(message);
      if (message.type === 'express-m8:metrics:request') {
        setImmediate(() =>
          process.emit('message', { type: 'express-m8:metrics:response', id: message.id }, undefined),
        );
      }
      return true;
    }) as typeof process.send;
    const link = new ClusterWorkerLink(new Registry(), 2000);
    cleanups.push(() => link.close());
    expect(link.isActive).toBe(false);
    await expect(link.aggregate()).rejects.toThrow('no aggregate');
  });

  it('rejects after its timeout when no primary answers, and rejects pending scrapes on close()', async () => {
    const log = sendAs(new StandInWorker());
    process.send = ((message: Sent): boolean => {
      log.push(message);
      return true;
    }) as typeof process.send;
    const link = new ClusterWorkerLink(new Registry(), 20);
    await expect(link.aggregate()).rejects.toThrow('no aggregate from the cluster primary within 20 ms');
    const other = new ClusterWorkerLink(new Registry(), 60_000);
    const pending = link.aggregate();
    link.close();
    link.close(); // idempotent
    await expect(pending).rejects.toThrow('metrics closed');
    other.close();
    expect(log.filter((m) => m.type === 'express-m8:metrics:hello')).toHaveLength(2);
  });

  it('is not a cluster worker in the test runner (the primary)', () => {
    expect(cluster.isPrimary).toBe(true);
    expect(isClusterWorker()).toBe(false);
  });
});

import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry, type RegistryContentType } from 'prom-client';

/**
 * Cluster mode: several workers serve one port, and `/metrics` on any of them must report the sum of all.
 * prom-client's `AggregatorRegistry` can only aggregate in the primary (it asks every worker for its
 * registry as JSON), so a worker's scrape asks the primary over IPC and answers with what it gets back.
 * The primary opts in with {@link setupClusterMetrics}; a worker uses the primary only after the primary
 * acknowledged its hello, so a cluster without the setup keeps per-worker metrics and never hangs.
 */

const HELLO = 'express-m8:metrics:hello';
const ACK = 'express-m8:metrics:ack';
const REQUEST = 'express-m8:metrics:request';
const RESPONSE = 'express-m8:metrics:response';

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly text?: unknown;
  readonly error?: unknown;
}

/** What {@link setupClusterMetrics} returns. */
export interface ClusterMetricsPrimary {
  /** Stops answering workers (they fall back to their own metrics after their timeout). Idempotent. */
  close(): void;
}

let primary:
  | { aggregator: AggregatorRegistry<RegistryContentType>; listener: (w: Worker, m: Message) => void }
  | undefined;

/**
 * Call once in the cluster PRIMARY (before or after forking): from then on `/metrics` on any worker
 * answers the aggregate of every worker's registry (counters and histograms summed, process gauges
 * aggregated as prom-client defines). Idempotent.
 * @example
 * import cluster from 'node:cluster';
 * if (cluster.isPrimary) { setupClusterMetrics(); for (let i = 0; i < 2; i++) cluster.fork(); }
 * else { await serve(createApp(loadSettings(), router)); }
 */
export function setupClusterMetrics(): ClusterMetricsPrimary {
  if (primary === undefined) {
    const aggregator = new AggregatorRegistry();
    const listener = (worker: Worker, message: Message): void => {
      if (message === null || typeof message !== 'object') return;
      if (message.type === HELLO) {
        worker.send({ type: ACK });
      } else if (message.type === REQUEST) {
        const id = message.id;
        aggregator.clusterMetrics().then(
          (text) => worker.isConnected() && worker.send({ type: RESPONSE, id, text }),
          (error: unknown) =>
            worker.isConnected() &&
            worker.send({
              type: RESPONSE,
              id,
              error: error instanceof Error ? error.message : String(error),
            }),
        );
      }
    };
    cluster.on('message', listener);
    primary = { aggregator, listener };
    // Workers forked before the setup said hello to nobody: acknowledge them now.
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send({ type: ACK });
    }
  }
  return {
    close(): void {
      if (primary === undefined) return;
      cluster.off('message', primary.listener);
      primary = undefined;
    },
  };
}

const workerRegistries: Registry[] = [];

/** The worker side: registers the registry for aggregation and asks the primary at scrape time. */
export class ClusterWorkerLink {
  private acknowledged = false;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(text: string): void; reject(e: Error): void }>();
  private readonly listener = (message: Message): void => {
    if (message === null || typeof message !== 'object') return;
    if (message.type === ACK) {
      this.acknowledged = true;
    } else if (message.type === RESPONSE && typeof message.id === 'number') {
      const waiter = this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id);
      if (typeof message.text === 'string') waiter.resolve(message.text);
      else waiter.reject(new Error(String(message.error ?? 'no aggregate')));
    }
  };

  constructor(
    private readonly registry: Registry,
    private readonly timeoutMs: number,
  ) {
    // Installs prom-client's worker-side listener that answers the primary's requests.
    new AggregatorRegistry();
    workerRegistries.push(registry);
    AggregatorRegistry.setRegistries(workerRegistries);
    process.on('message', this.listener);
    process.send?.({ type: HELLO });
  }

  /** True when a primary with {@link setupClusterMetrics} answered. */
  get isActive(): boolean {
    return this.acknowledged;
  }

  /** The aggregate of every worker, from the primary; rejects after `timeoutMs`. */
  aggregate(): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no aggregate from the cluster primary within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      process.send?.({ type: REQUEST, id });
    });
  }

  /** Removes the listener and the registry from aggregation. Idempotent. */
  close(): void {
    process.off('message', this.listener);
    const index = workerRegistries.indexOf(this.registry);
    if (index >= 0) {
      workerRegistries.splice(index, 1);
      if (workerRegistries.length > 0) AggregatorRegistry.setRegistries(workerRegistries);
    }
    for (const waiter of this.pending.values()) waiter.reject(new Error('metrics closed'));
    this.pending.clear();
  }
}

/** True in a cluster worker that has an IPC channel. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { contextOf, requestContext } from '../request-context.js';
import { instrumentRoutes, routeTemplateOf } from '../routing/index.js';
import type { MetricNames } from './names.js';
import { HTTP_DURATION_BUCKETS } from './names.js';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './series.js';

/** Which of the HTTP groups are on. */
export interface HttpGroups {
  readonly traffic: boolean;
  readonly performance: boolean;
  readonly reliability: boolean;
}

interface StatusEntry {
  readonly requests: CounterSeries | undefined;
  readonly errors: CounterSeries | undefined;
}
interface MethodEntry {
  readonly duration: HistogramSeries | undefined;
  readonly statuses: Map<number, StatusEntry>;
  readonly errorsByClass: Map<string, CounterSeries>;
}

/**
 * Records traffic, performance and reliability per (method, route, status). Series objects are cached in
 * nested Maps (route → method → status), so a request after the first of its kind allocates nothing.
 */
export class HttpRecorder {
  private readonly requests: SeriesCounter | undefined;
  private readonly duration: SeriesHistogram | undefined;
  private readonly errors: SeriesCounter | undefined;
  private readonly byRoute = new Map<string, Map<string, MethodEntry>>();
  /** Route labels (templates, or the path of a static route) never recorded; `undefined` when none. */
  private readonly excluded: ReadonlySet<string> | undefined;

  constructor(registry: Registry, names: MetricNames, groups: HttpGroups, excluded: readonly string[] = []) {
    this.excluded = excluded.length > 0 ? new Set(excluded) : undefined;
    this.requests = groups.traffic
      ? new SeriesCounter(
          registry,
          names.httpRequestsTotal,
          'HTTP requests answered, by method, route template and status code.',
          ['method', 'route', 'status_code'],
        )
      : undefined;
    this.duration = groups.performance
      ? new SeriesHistogram(
          registry,
          names.httpRequestDurationSeconds,
          'Time from the first middleware to the last byte handed to the socket, in seconds.',
          ['method', 'route'],
          HTTP_DURATION_BUCKETS,
        )
      : undefined;
    this.errors = groups.reliability
      ? new SeriesCounter(
          registry,
          names.httpErrorsTotal,
          'HTTP answers with a 4xx or 5xx status, by method, route template and status class.',
          ['method', 'route', 'status_class'],
        )
      : undefined;
  }

  /** Counts one finished request. */
  record(method: string, route: string, status: number, seconds: number): void {
    if (this.excluded?.has(route)) return;
    let methods = this.byRoute.get(route);
    if (methods === undefined) {
      methods = new Map();
      this.byRoute.set(route, methods);
    }
    let entry = methods.get(method);
    if (entry === undefined) {
      entry = {
        duration: this.duration?.series(Object.freeze({ method, route })),
        statuses: new Map(),
        errorsByClass: new Map(),
      };
      methods.set(method, entry);
    }
    let byStatus = entry.statuses.get(status);
    if (byStatus === undefined) {
      byStatus = this.statusEntry(entry, method, route, status);
      entry.statuses.set(status, byStatus);
    }
    if (byStatus.requests !== undefined) byStatus.requests.value++;
    if (byStatus.errors !== undefined) byStatus.errors.value++;
    if (entry.duration !== undefined) (this.duration as SeriesHistogram).observeIn(entry.duration, seconds);
  }

  private statusEntry(entry: MethodEntry, method: string, route: string, status: number): StatusEntry {
    const requests = this.requests?.series(Object.freeze({ method, route, status_code: String(status) }));
    let errors: CounterSeries | undefined;
    if (this.errors !== undefined && status >= 400) {
      const statusClass = status >= 500 ? '5xx' : '4xx';
      errors = entry.errorsByClass.get(statusClass);
      if (errors === undefined) {
        errors = this.errors.series(Object.freeze({ method, route, status_class: statusClass }));
        entry.errorsByClass.set(statusClass, errors);
      }
    }
    return { requests, errors };
  }
}

/**
 * The `finish` listener of an app's responses, made once per app (the recorder lives in the closure, nothing
 * per request): `this` is the response.
 */
function finishRecorder(recorder: HttpRecorder): (this: ServerResponse) => void {
  return function onFinish(this: ServerResponse): void {
    const req = this.req as IncomingMessage;
    const start = contextOf(req)?.start;
    if (start === undefined) return;
    recorder.record(
      req.method ?? 'GET',
      routeTemplateOf(req),
      this.statusCode,
      (performance.now() - start) / 1000,
    );
  };
}

/**
 * The middleware recording HTTP metrics: one `performance.now()` pair and one shared `finish` listener per
 * request. Route templates are resolved once the response is finished (see `route-template.ts`); the
 * application's routers are instrumented on the first request.
 */
export function createHttpMiddleware(
  recorder: HttpRecorder,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  let instrumented = false;
  const onFinish = finishRecorder(recorder);
  return function expressM8Metrics(req, res, next): void {
    if (!instrumented) {
      instrumented = true;
      instrumentRoutes((req as IncomingMessage & { app?: unknown }).app);
    }
    // The request log, earlier in the edge, made the context (and its start) already.
    requestContext(req);
    res.on('finish', onFinish);
    next();
  };
}

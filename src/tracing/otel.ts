import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module (an optional peer dependency). */
export type OtelApiModule = typeof OtelApi;
export type OtelSpan = OtelApi.Span;

let cached: OtelApiModule | null | undefined;

/**
 * Loads `@opentelemetry/api` when it is installed, once; `undefined` otherwise. Synchronous (`require`) so
 * `createTracing` stays synchronous in both the ESM and the CJS build. Every copy of the API shares its
 * globals (`Symbol.for('opentelemetry.js.api.1')`), so this copy sees the provider the user registered.
 */
export function loadOtelApi(): OtelApiModule | undefined {
  if (cached === undefined) {
    try {
      cached = createRequire(import.meta.url)('@opentelemetry/api') as OtelApiModule;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/**
 * True when a real tracer provider is registered. The global provider is always a `ProxyTracerProvider`;
 * its `getDelegateTracer` returns undefined until an SDK calls `trace.setGlobalTracerProvider`. Duck-typed,
 * since the proxy may come from another copy of the API package.
 */
export function hasTracerProvider(api: OtelApiModule): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegateTracer?: (name: string) => unknown };
  if (typeof provider.getDelegateTracer !== 'function') return true;
  return provider.getDelegateTracer('express-m8') !== undefined;
}

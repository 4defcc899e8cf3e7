import type { Settings } from '../settings/index.js';

/** The settings the generated document reads. */
export type OpenApiSettings = Pick<
  Settings,
  'API_PREFIX' | 'PROJECT_NAME' | 'SERVICE_VERSION' | 'BACKEND_HOST' | 'METRICS_ENABLED'
>;

function jsonResponse(description: string, properties: Record<string, unknown>) {
  return {
    description,
    content: { 'application/json': { schema: { type: 'object', properties } } },
  };
}

const STATUS = { status: { type: 'string', enum: ['ok', 'degraded', 'fail', 'unknown'] } };

/**
 * A minimal OpenAPI 3.1 document listing the routes express-m8 itself serves (health, ping, meta, metrics),
 * used when `createApp` gets no `openapi` document.
 * @example
 * const doc = defaultOpenApiDocument(settings, 'orders');
 */
export function defaultOpenApiDocument(
  settings: OpenApiSettings,
  title?: string,
  version?: string | null,
): Record<string, unknown> {
  const p = settings.API_PREFIX;
  const unavailable = jsonResponse('Starting or shutting down', {
    status: { type: 'string' },
    ready: { type: 'boolean' },
  });
  const paths: Record<string, unknown> = {
    [`${p}/health/`]: {
      get: {
        summary: 'Aggregate health (details for authorised callers)',
        tags: ['health'],
        responses: { 200: jsonResponse('ok, degraded or unknown', STATUS), 503: unavailable },
      },
    },
    [`${p}/health/live`]: {
      get: { summary: 'Liveness probe', tags: ['health'], responses: { 200: jsonResponse('Alive', STATUS) } },
    },
    [`${p}/health/ready`]: {
      get: {
        summary: 'Readiness probe',
        tags: ['health'],
        responses: { 200: jsonResponse('Ready', STATUS), 503: unavailable },
      },
    },
    [`${p}/ping`]: {
      get: {
        summary: 'Ping',
        tags: ['meta'],
        responses: { 200: jsonResponse('Pong', { status: { const: 'ok' } }) },
      },
    },
    [`${p}/meta`]: {
      get: {
        summary: 'Service name and versions',
        tags: ['meta'],
        responses: {
          200: jsonResponse('Service metadata', {
            service: { type: 'string' },
            version: { type: ['string', 'null'] },
            express_m8: { type: 'string' },
          }),
        },
      },
    },
  };
  if (settings.METRICS_ENABLED) {
    paths['/metrics'] = {
      get: {
        summary: 'Prometheus metrics',
        tags: ['metrics'],
        responses: {
          200: {
            description: 'Prometheus text exposition',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          401: { description: 'Missing or wrong scrape credential' },
        },
      },
    };
  }
  let servers: { url: string }[] | undefined;
  try {
    servers = [{ url: new URL(settings.BACKEND_HOST).origin }];
  } catch {
    servers = undefined;
  }
  return {
    openapi: '3.1.0',
    info: { title: title ?? settings.PROJECT_NAME, version: version ?? settings.SERVICE_VERSION ?? '0.0.0' },
    ...(servers === undefined ? {} : { servers }),
    paths,
  };
}

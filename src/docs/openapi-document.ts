import type { ListedRoute } from '../routing/index.js';
import { defaultOpenApiDocument, type OpenApiSettings } from './openapi.js';
import { mergeOpenApi } from './openapi-merge.js';
import { operationOf } from './openapi-operation.js';
import { toOpenApiPaths } from './openapi-paths.js';
import { createSchemaConverter } from './openapi-schema.js';

type Json = Record<string, unknown>;

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiBuildOptions {
  /** The consumer's routes (`listRoutes(router)`). */
  readonly routes: readonly ListedRoute[];
  /** `info.title`; default PROJECT_NAME. */
  readonly title?: string;
  /** `info.version`; default SERVICE_VERSION, else `0.0.0`. */
  readonly version?: string | null;
  /** Guards may answer 503: a revocation check or a JWKS endpoint is configured. */
  readonly guardsMayBeUnavailable?: boolean;
  /** Guards accept `X-API-Key` too: adds the `apiKeyAuth` scheme (header `X-API-Key`) to guarded routes. */
  readonly apiKeys?: boolean;
  /** A partial document merged over the generated one (see `mergeOpenApi`). */
  readonly extra?: object;
}

/** RFC 9457 problem details with express-m8's `code` and the validation `errors` member. */
const PROBLEM_SCHEMA: Json = Object.freeze({
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json).',
  properties: {
    type: { type: 'string', description: 'A URI reference naming the problem type; `about:blank` here.' },
    title: { type: 'string', description: 'The reason phrase of the status.' },
    status: { type: 'integer', minimum: 100, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong in this occurrence.' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'The stable express-m8 error code, e.g. `ERR_VALIDATION`.' },
    errors: {
      type: 'array',
      description: 'Every failing field of a request that failed validation (`ERR_VALIDATION`).',
      items: {
        type: 'object',
        properties: {
          in: { type: 'string', enum: ['body', 'query', 'params', 'headers'] },
          path: { type: 'string', description: 'Dotted path of the field, e.g. `items.0.title`.' },
          message: { type: 'string' },
        },
        required: ['in', 'path', 'message'],
      },
    },
    errorsOmitted: { type: 'integer', description: 'How many more failing fields `errors` leaves out.' },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
});

/**
 * The OpenAPI 3.1 document of an app: express-m8's own routes, every consumer route (path parameters always;
 * schemas, responses and texts from its contract; security, 401/403/503 from its guards), the shared
 * `Problem` schema and the `bearerAuth` scheme, with `extra` merged over it.
 * @example
 * const doc = buildOpenApiDocument(settings, { routes: listRoutes(router), extra: { info: { title: 'Orders' } } });
 */
export function buildOpenApiDocument(settings: OpenApiSettings, options: OpenApiBuildOptions): Json {
  const doc = defaultOpenApiDocument(settings, options.title, options.version);
  const paths = doc.paths as Record<string, Json>;
  const schemas = createSchemaConverter();
  const apiKeys = options.apiKeys === true;
  const ctx = { schemas, guardsMayBeUnavailable: options.guardsMayBeUnavailable === true, apiKeys };
  for (const route of options.routes) {
    for (const path of toOpenApiPaths(route.path)) {
      const item = paths[path.path] ?? {};
      paths[path.path] = item;
      // The first route registered for a method and path is the one Express dispatches to.
      if (item[route.method] === undefined) item[route.method] = operationOf(route.meta, path, ctx);
    }
  }
  doc.components = {
    schemas: { Problem: PROBLEM_SCHEMA, ...schemas.definitions },
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      ...(apiKeys ? { apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } : {}),
    },
  };
  return options.extra === undefined ? doc : mergeOpenApi(doc, options.extra as Json);
}

/** The document of one app, built when first asked for and again at `start()`. */
export interface OpenApiSource {
  /** The serialised document. */
  json(): string;
  /** A fresh copy of the document. */
  document(): Json;
  /** Builds the document again (from the routes registered now) and keeps it: called by `start()`. */
  rebuild(): void;
}

/**
 * Holds the document `build` makes: built at the first `json()`/`document()` before `start()` (a test that
 * never starts the app still gets one), built again by `rebuild()` at `start()`, when every route is
 * registered, and then served as is.
 * @example
 * const source = createOpenApiSource(() => buildOpenApiDocument(settings, { routes: listRoutes(router) }));
 */
export function createOpenApiSource(build: () => Json): OpenApiSource {
  let json: string | undefined;
  const make = () => JSON.stringify(build());
  return {
    json: () => {
      json ??= make();
      return json;
    },
    document: () => {
      json ??= make();
      return JSON.parse(json) as Json;
    },
    rebuild: () => {
      json = make();
    },
  };
}

const OPENAPI_SOURCE = Symbol.for('express-m8.openapi');

/**
 * Attaches an app's document source to the app, where `express-m8 openapi` finds it (a registered symbol, so
 * an app made by another copy of the package is read too).
 * @example
 * attachOpenApiSource(app, source);
 */
export function attachOpenApiSource(app: object, source: OpenApiSource): void {
  Object.defineProperty(app, OPENAPI_SOURCE, { value: source, configurable: true });
}

/**
 * The document source of an app made by `createApp`, or undefined for any other value.
 * @example
 * const doc = openApiSourceOf(app)?.document();
 */
export function openApiSourceOf(app: unknown): OpenApiSource | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null) return undefined;
  const source = (app as { [OPENAPI_SOURCE]?: unknown })[OPENAPI_SOURCE];
  return typeof source === 'object' && source !== null && 'json' in source
    ? (source as OpenApiSource)
    : undefined;
}

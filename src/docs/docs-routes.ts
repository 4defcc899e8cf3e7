import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type IRouter, type Request, type Response, Router } from 'express';
import { problemBody, sendProblem } from '../http/index.js';
import { isProductionLike, type Settings } from '../settings/index.js';
import { buildOpenApiDocument, createOpenApiSource, type OpenApiSource } from './openapi-document.js';
import { redocPage, swaggerInitializer, swaggerPage } from './pages.js';

/**
 * The CSP the docs HTML pages get instead of the API's `default-src 'none'` (only when a CSP header is already
 * set, i.e. CONTENT_SECURITY_POLICY_ENABLED): own scripts, inline styles (both UIs inject them), data: images,
 * fetches to the same origin (openapi.json) and ReDoc's blob: search worker. No CDN, no eval.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; " +
  "base-uri 'none'; form-action 'none'";

/** The settings {@link createDocsRoutes} reads. */
export type DocsSettings = Pick<
  Settings,
  | 'API_PREFIX'
  | 'PROJECT_NAME'
  | 'SERVICE_VERSION'
  | 'BACKEND_HOST'
  | 'METRICS_ENABLED'
  | 'ENVIRONMENT'
  | 'STRICT_PRODUCTION_MODE'
  | 'SET_OPEN_API'
  | 'SET_DOCS'
  | 'SET_REDOC'
  | 'SERVE_DOCS_IN_PRODUCTION'
>;

/** Options of {@link createDocsRoutes}. */
export interface DocsRoutesOptions {
  /**
   * A partial OpenAPI document merged over the generated one (express-m8's own routes), see `mergeOpenApi`.
   * Ignored when `source` is given.
   */
  readonly openapi?: object;
  /** Where the served document comes from (`createApp` passes the one that lists the consumer's routes). */
  readonly source?: OpenApiSource;
  /** Page title and `info.title` of the generated document; default PROJECT_NAME. */
  readonly title?: string;
  /** `info.version` of the generated document; default SERVICE_VERSION, else `0.0.0`. */
  readonly version?: string | null;
  /** Resolves a package file like `require.resolve`; default `createRequire(import.meta.url).resolve`. */
  readonly resolve?: (specifier: string) => string;
}

/** Files of swagger-ui-dist the page needs; nothing else in that folder is served. */
const SWAGGER_ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

function tryResolve(resolve: (specifier: string) => string, specifier: string): string | undefined {
  try {
    return resolve(specifier);
  } catch {
    return undefined;
  }
}

function notInstalled(ui: string, pkg: string) {
  return problemBody({
    status: 501,
    code: 'ERR_HTTP_NOT_IMPLEMENTED',
    detail: `${ui} is not installed: run \`npm install ${pkg}\`.`,
  });
}

function sendText(res: Response, type: string, body: string, docsPage: boolean): void {
  if (docsPage && res.hasHeader('Content-Security-Policy')) {
    res.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
  }
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The API documentation routes, mounted under API_PREFIX: `GET /openapi.json` (the generated document with
 * `openapi` merged over it), `GET /docs` (Swagger UI from the installed `swagger-ui-dist`, assets under `/docs/assets/`)
 * and `GET /redoc` (ReDoc from `redoc/bundles/redoc.standalone.js`). Each is off when its `SET_*` is false;
 * the two UIs are off too when SET_OPEN_API is false (they would have no document); all are off in production
 * or strict mode unless SERVE_DOCS_IN_PRODUCTION. A UI whose package is missing answers 501 problem+json
 * (`ERR_HTTP_NOT_IMPLEMENTED`) naming the `npm install` command. Packages are resolved once, here.
 * @returns the router, or `undefined` when nothing is enabled.
 * @example
 * const docs = createDocsRoutes(settings, { openapi: myDocument, title: 'Orders API' });
 * if (docs) app.use(settings.API_PREFIX || '/', docs);
 */
export function createDocsRoutes(
  settings: DocsSettings,
  options: DocsRoutesOptions = {},
): Router | undefined {
  const router = Router();
  return registerDocsRoutes(router, '', settings, options) ? router : undefined;
}

/**
 * Registers the docs routes on an app or router under `mount` (`createApp` passes API_PREFIX and the app
 * itself, so consumer requests pay no extra router dispatch). Returns false when docs are off.
 * @example
 * registerDocsRoutes(app, settings.API_PREFIX, settings, { title: 'Orders API' });
 */
export function registerDocsRoutes(
  target: IRouter,
  mount: string,
  settings: DocsSettings,
  options: DocsRoutesOptions = {},
): boolean {
  if (isProductionLike(settings) && !settings.SERVE_DOCS_IN_PRODUCTION) return false;
  if (!settings.SET_OPEN_API) return false;
  const resolve = options.resolve ?? createRequire(import.meta.url).resolve;
  const prefix = settings.API_PREFIX;
  const title = options.title ?? settings.PROJECT_NAME;

  const source =
    options.source ??
    createOpenApiSource(() =>
      buildOpenApiDocument(settings, { routes: [], title, version: options.version, extra: options.openapi }),
    );
  target.get(`${mount}/openapi.json`, function openApiDocument(_req: Request, res: Response) {
    sendText(res, JSON_TYPE, source.json(), false);
  });
  const specUrl = `${prefix}/openapi.json`;

  if (settings.SET_DOCS) {
    const manifest = tryResolve(resolve, 'swagger-ui-dist/package.json');
    if (manifest === undefined) {
      const missing = notInstalled('Swagger UI', 'swagger-ui-dist');
      target.get(`${mount}/docs`, (_req: Request, res: Response) => sendProblem(res, missing));
    } else {
      const page = swaggerPage(title, `${prefix}/docs`);
      const initializer = swaggerInitializer(specUrl);
      target.get(`${mount}/docs`, function swaggerUi(_req: Request, res: Response) {
        sendText(res, HTML, page, true);
      });
      target.get(
        `${mount}/docs/swagger-initializer.js`,
        function swaggerUiInitializer(_req: Request, res: Response) {
          sendText(res, JS, initializer, false);
        },
      );
      const assets = express.static(dirname(manifest), { index: false, redirect: false, maxAge: '1d' });
      target.use(`${mount}/docs/assets`, function swaggerUiAssets(req, res, next) {
        if (SWAGGER_ASSETS.has(req.path.slice(1))) assets(req, res, next);
        else next();
      });
    }
  }

  if (settings.SET_REDOC) {
    const bundle = tryResolve(resolve, 'redoc/bundles/redoc.standalone.js');
    if (bundle === undefined) {
      const missing = notInstalled('ReDoc', 'redoc');
      target.get(`${mount}/redoc`, (_req: Request, res: Response) => sendProblem(res, missing));
    } else {
      const page = redocPage(title, specUrl, `${prefix}/redoc/redoc.standalone.js`);
      target.get(`${mount}/redoc`, function redoc(_req: Request, res: Response) {
        sendText(res, HTML, page, true);
      });
      target.get(
        `${mount}/redoc/redoc.standalone.js`,
        function redocBundle(_req: Request, res: Response, next) {
          res.sendFile(bundle, { maxAge: '1d' }, (err) => {
            if (err !== undefined && !res.headersSent) next(err);
          });
        },
      );
    }
  }
  return true;
}

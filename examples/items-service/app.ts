/**
 * The items service, wired: settings → database engine → repositories → service → router → createApp.
 * `buildItemsApp(settings)` is what the demo serves and what the tests drive over HTTP; the same code runs
 * on embedded PGlite, PostgreSQL or MySQL/MariaDB depending on `SELECTED_DB` / `DATABASE_URL`.
 */
import { randomBytes } from 'node:crypto';
import {
  type ApiKeyManager,
  buildAuthDeps,
  createApiKeyManager,
  createApp,
  createDbEngine,
  type DbEngine,
  loadSettings,
  type M8App,
  type Settings,
} from 'express-m8';
import { type ItemsDatabase, ItemsRepository, migrateItems, tableNames } from './repository/index.js';
import { createItemsRouter, itemsOpenApi } from './routes/index.js';
import { ItemsService, type ItemsServiceOptions } from './service/index.js';

/**
 * Development defaults: HS256 with a per-run random secret, embedded PGlite in memory. Every variable can
 * be overridden from `env` (e.g. `SELECTED_DB=Postgres DATABASE_URL=postgres://…`).
 * @example
 * const settings = loadSettings({ env: demoEnv(), envFile: false });
 */
export function demoEnv(
  env: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  return {
    DOMAIN: 'localhost',
    ENVIRONMENT: 'local',
    PROJECT_NAME: 'items-demo',
    STACK_NAME: 'demo',
    API_PREFIX: '/api',
    BACKEND_HOST: 'http://localhost:8000',
    FRONTEND_HOST: 'http://localhost:5173',
    BACKEND_CORS_ORIGINS: 'http://localhost:5173',
    TOKEN_MODE: 'stateless',
    ACCESS_TOKEN_ALGORITHM: 'HS256',
    // Never ship a fixed secret: each demo run makes its own unless you set one.
    ACCESS_SECRET_KEY: `Dev-${randomBytes(24).toString('base64url')}-9!`,
    TOKEN_ISSUER: 'http://localhost:8000/auth',
    TOKEN_AUDIENCE: 'items-demo',
    EVENT_SIGNING_ENABLED: 'false',
    // X-API-Key works next to bearer tokens; keys live in the demo's own database (app_api_keys).
    API_KEYS: 'local',
    API_KEY_PEPPER: `Pepper-${randomBytes(24).toString('base64url')}-9!`,
    METRICS_ENABLED: 'true',
    SELECTED_DB: 'Pglite',
    ...env,
  };
}

const VERSION = '1.0.0';

/** What {@link buildItemsApp} returns: the app plus the parts tests and jobs use. */
export interface ItemsApp {
  /** The Express app; `start()` runs the migrations, `stop()` disposes the database. */
  readonly app: M8App;
  /** The database engine (disposed by `app.stop()`). */
  readonly engine: DbEngine<ItemsDatabase>;
  /** The use cases, for jobs and scripts (`service.purgeDone(…)`). */
  readonly service: ItemsService;
  /** Local API key administration when `API_KEYS=local` (the table is created at `start()`). */
  readonly apiKeys: ApiKeyManager | undefined;
}

/**
 * Builds the items service. Nothing connects until `app.start()`, which migrates the schema (a startup
 * validator: a failed migration keeps the app unready and closes what was opened).
 * @example
 * const { app } = buildItemsApp(loadSettings());
 * await serve(app);
 */
export function buildItemsApp(
  settings: Settings = loadSettings({ env: demoEnv(), envFile: false }),
  options: ItemsServiceOptions = {},
): ItemsApp {
  const engine = createDbEngine<ItemsDatabase>(settings);
  const table = tableNames(settings.TABLES_PREFIX).items;
  const service = new ItemsService((scope) => new ItemsRepository(engine.db, table, scope), options);
  // With API_KEYS=local the keys are checked in this same database.
  const auth = buildAuthDeps(settings, { db: engine });
  const apiKeys = settings.API_KEYS === 'local' ? createApiKeyManager(engine, settings) : undefined;
  const app = createApp(settings, createItemsRouter({ auth, service }), {
    serviceVersion: VERSION,
    openapi: itemsOpenApi({ version: VERSION }),
    // createApp adds engine.check to the health checks and disposes the engine at stop.
    lifecycle: {
      auth,
      db: engine,
      startupValidators: [
        async function migrate() {
          await apiKeys?.migrate();
          await migrateItems(engine.db, settings.TABLES_PREFIX);
        },
      ],
    },
  });
  return { app, engine, service, apiKeys };
}

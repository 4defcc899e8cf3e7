import { type Request, type Response, Router } from 'express';
import { VERSION } from './compat/index.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PING_BODY = Buffer.from(JSON.stringify({ status: 'ok' }));

/**
 * `GET /ping` → `{"status":"ok"}` and `GET /meta` → `{service, version, express_m8}`, both with precomputed
 * bodies. Mounted under API_PREFIX by `createApp`.
 */
export function createBuiltinRoutes(info: { service: string; version: string | null }): Router {
  const metaBody = Buffer.from(
    JSON.stringify({ service: info.service, version: info.version, express_m8: VERSION }),
  );
  const router = Router();
  router.get('/ping', function ping(_req: Request, res: Response) {
    res.setHeader('Content-Type', JSON_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.end(PING_BODY);
  });
  router.get('/meta', function meta(_req: Request, res: Response) {
    res.setHeader('Content-Type', JSON_TYPE);
    res.end(metaBody);
  });
  return router;
}

import type { IRouter, Request, Response } from 'express';
import { VERSION } from './compat/index.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PING_BODY = Buffer.from(JSON.stringify({ status: 'ok' }));

/**
 * `GET {mount}/ping` → `{"status":"ok"}` and `GET {mount}/meta` → `{service, version, express_m8}`, both with
 * precomputed bodies. Registered on the app under API_PREFIX by `createApp`.
 */
export function registerBuiltinRoutes(
  target: IRouter,
  mount: string,
  info: { service: string; version: string | null },
): void {
  const metaBody = Buffer.from(
    JSON.stringify({ service: info.service, version: info.version, express_m8: VERSION }),
  );
  target.get(`${mount}/ping`, function ping(_req: Request, res: Response) {
    res.setHeader('Content-Type', JSON_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.end(PING_BODY);
  });
  target.get(`${mount}/meta`, function meta(_req: Request, res: Response) {
    res.setHeader('Content-Type', JSON_TYPE);
    res.end(metaBody);
  });
}

/**
 * URLs of the issuer's private API, derived from `INTROSPECTION_URL`.
 *
 * `base` is `INTROSPECTION_URL` minus its last path segment (`/jti-status`). fa-auth-m8 deployments point
 * `INTROSPECTION_URL` at `…/private/v1/jti-status` (often under a service prefix such as `/user`), so `base`
 * already ends in `/private/v1`; the private path is then appended once, never doubled.
 */

/**
 * The URL of `path` (e.g. `events/stream`) on the issuer's private API `/private/v1/`.
 * @example
 * issuerPrivateUrl('http://auth:8000/user/private/v1/jti-status', 'events/stream');
 * // → http://auth:8000/user/private/v1/events/stream
 * issuerPrivateUrl('http://auth:8000/jti-status', 'service-token');
 * // → http://auth:8000/private/v1/service-token
 */
export function issuerPrivateUrl(introspectionUrl: string, path: string): URL {
  const url = new URL(introspectionUrl);
  let base = url.pathname.replace(/\/[^/]*\/?$/, '');
  if (!/\/private\/v1$/.test(base)) base = `${base}/private/v1`;
  url.pathname = `${base}/${path.replace(/^\/+/, '')}`;
  url.search = '';
  url.hash = '';
  return url;
}

import * as nodeCrypto from 'node:crypto';

type OneShotHash = (algorithm: string, data: string | Buffer, encoding: 'base64') => string;
// Not a named import: on Node < 20.12 (no crypto.hash) a named import fails to link the whole package before
// the compat check can say which Node is needed. The fallback only matters there.
const hash: OneShotHash =
  (nodeCrypto as { hash?: OneShotHash }).hash ??
  ((algorithm, data, encoding) => nodeCrypto.createHash(algorithm).update(data).digest(encoding));

const EMPTY_WEAK_ETAG = 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';

/**
 * Express's default weak ETag (`W/"<length in hex>-<first 27 characters of base64 SHA-1>"`, as the `etag`
 * package computes it), byte for byte, with Node's one-shot `crypto.hash` instead of a `Hash` object per
 * response: the object, its `update` and `digest` calls were ~4 % of a request in a profile of the full stack.
 * Express's `res.send` converts bodies to a Buffer before asking for the ETag; strings are handled too.
 * Installed as the app's `etag fn`; `app.set('etag', …)` still replaces it as Express documents.
 * @example
 * app.set('etag fn', weakEtag);
 */
export function weakEtag(body: string | Buffer, encoding?: BufferEncoding): string {
  if (body.length === 0) return EMPTY_WEAK_ETAG;
  if (typeof body === 'string') {
    // crypto.hash reads strings as UTF-8, so no Buffer copy (Express's res.send passes Buffers today).
    if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8')
      body = Buffer.from(body, encoding);
    else return tag(Buffer.byteLength(body, 'utf8'), hash('sha1', body, 'base64'));
  }
  return tag(body.length, hash('sha1', body, 'base64'));
}

function tag(length: number, digest: string): string {
  return `W/"${length.toString(16)}-${digest.slice(0, 27)}"`;
}

import type { IncomingMessage } from 'node:http';
import { REJECT, type Rejection } from './rejections.js';

/** docs/auth.md: tokens over 8 KiB are refused before any parsing. */
const MAX_TOKEN_BYTES = 8192;

/**
 * Reads the bearer token of a request: a string, `undefined` when there is none, or a refusal.
 *
 * Only the `Authorization` header counts (never a query parameter or cookie). Node keeps only the first of
 * duplicate `Authorization` headers in `req.headers`, so duplicates are counted on `rawHeaders`: two or more
 * are a 400, whatever their content (a proxy and a client disagreeing about the caller is not something to
 * resolve by picking one). The scheme is case-insensitive (RFC 7235 §2.1); a different scheme counts as no
 * bearer token. Only spaces separate the scheme from the token (RFC 6750 §2.1: `"Bearer" 1*SP b64token`); a
 * tab or any other whitespace is refused as malformed (401 `invalid_token`), and whitespace after the spaces
 * is part of the token, which then fails verification as malformed too.
 */
export function extractBearer(req: IncomingMessage): string | undefined | Rejection {
  const value = req.headers.authorization;
  if (value === undefined) return undefined;
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return REJECT.multiple;
  }
  // Longest acceptable header: scheme, a few spaces, 8 KiB of token. Checked before any slicing.
  if (value.length > MAX_TOKEN_BYTES + 64) return REJECT.tooLarge;
  if (value.length < 7) return undefined;
  const c0 = value.charCodeAt(0) | 0x20;
  if (
    c0 !== 0x62 || // b
    (value.charCodeAt(1) | 0x20) !== 0x65 || // e
    (value.charCodeAt(2) | 0x20) !== 0x61 || // a
    (value.charCodeAt(3) | 0x20) !== 0x72 || // r
    (value.charCodeAt(4) | 0x20) !== 0x65 || // e
    (value.charCodeAt(5) | 0x20) !== 0x72 // r
  ) {
    return undefined;
  }
  let i = 6;
  const sp = value.charCodeAt(i);
  if (sp !== 0x20) {
    // `Bearerx…` is another scheme (no bearer token). Anything else right after the scheme name (a tab, a
    // control or a non-ASCII space) is not the `"Bearer" 1*SP b64token` of RFC 6750 §2.1: a malformed
    // header, refused rather than read as anonymous.
    return isTchar(sp) ? undefined : REJECT.malformed;
  }
  while (i < value.length && value.charCodeAt(i) === 0x20) i++;
  if (i === value.length) return undefined;
  const token = i === 7 ? value.slice(7) : value.slice(i);
  if (token.length > MAX_TOKEN_BYTES) return REJECT.tooLarge;
  return token;
}

/** RFC 9110 §5.6.2 `tchar`: a character that may continue an auth-scheme name. */
function isTchar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x23 && c <= 0x27) || // # $ % & '
    c === 0x21 || // !
    c === 0x2a || // *
    c === 0x2b || // +
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5e || // ^
    c === 0x5f || // _
    c === 0x60 || // `
    c === 0x7c || // |
    c === 0x7e // ~
  );
}

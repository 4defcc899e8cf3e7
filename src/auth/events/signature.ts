import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The canonical JSON of a value: object keys sorted (recursively, by UTF-16 code units), no whitespace,
 * strings and numbers as `JSON.stringify` writes them. What the issuer signs.
 * @example
 * canonicalJson({ b: 1, a: { d: [2, 1], c: null } }); // '{"a":{"c":null,"d":[2,1]},"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/** The hex HMAC-SHA256 of the payload's canonical JSON under `key`. */
export function signPayload(payload: unknown, key: string): string {
  return createHmac('sha256', key).update(canonicalJson(payload), 'utf8').digest('hex');
}

/** Compares a frame's `sig` with the expected one in constant time (for equal lengths). */
export function signatureValid(payload: unknown, sig: string, key: string): boolean {
  const expected = Buffer.from(signPayload(payload, key), 'utf8');
  const given = Buffer.from(sig.toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

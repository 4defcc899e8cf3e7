/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header), parsed without
 * regex or allocation beyond the result: `{version 2}-{trace-id 32}-{parent-id 16}-{flags 2}`, lowercase
 * hex, 55 characters for version 00 (later versions may append `-…`, §3.2.4). Version `ff`, all-zero ids
 * and uppercase hex are invalid, and an invalid header is ignored (the request starts a new trace).
 */

/** A valid incoming `traceparent`, plus the `tracestate` that came with it. */
export interface TraceParent {
  /** 32 lowercase hex characters. */
  readonly traceId: string;
  /** The caller's span id: 16 lowercase hex characters. */
  readonly spanId: string;
  /** Trace flags; bit 0 is `sampled`. */
  readonly flags: number;
  /** The header as received (version 00 form), forwarded unchanged on outgoing calls. */
  readonly header: string;
  /** The `tracestate` header, when present (forwarded unchanged). */
  readonly tracestate: string | undefined;
}

function isLowerHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102);
}

function isHexRun(value: string, from: number, to: number): boolean {
  let nonZero = false;
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    if (!isLowerHex(code)) return false;
    if (code !== 48) nonZero = true;
  }
  return nonZero;
}

/**
 * Parses a `traceparent` header value; `undefined` when absent or invalid.
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId;
 */
export function parseTraceparent(value: unknown, tracestate?: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length < 55) return undefined;
  const header = value.length === 55 ? value : value.trim();
  if (header.length < 55) return undefined;
  const v0 = header.charCodeAt(0);
  const v1 = header.charCodeAt(1);
  if (!isLowerHex(v0) || !isLowerHex(v1) || (v0 === 102 && v1 === 102)) return undefined;
  const isVersion00 = v0 === 48 && v1 === 48;
  if (isVersion00 ? header.length !== 55 : header.length > 55 && header.charCodeAt(55) !== 45)
    return undefined;
  if (header.charCodeAt(2) !== 45 || header.charCodeAt(35) !== 45 || header.charCodeAt(52) !== 45)
    return undefined;
  if (!isHexRun(header, 3, 35) || !isHexRun(header, 36, 52)) return undefined;
  const f0 = header.charCodeAt(53);
  const f1 = header.charCodeAt(54);
  if (!isLowerHex(f0) || !isLowerHex(f1)) return undefined;
  return {
    traceId: header.slice(3, 35),
    spanId: header.slice(36, 52),
    flags: Number.parseInt(header.slice(53, 55), 16),
    header: isVersion00 ? header : `00${header.slice(2, 55)}`,
    tracestate: typeof tracestate === 'string' && tracestate !== '' ? tracestate : undefined,
  };
}

/**
 * Formats a version 00 `traceparent`.
 * @example
 * formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 1);
 */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags < 16 ? '0' : ''}${(flags & 0xff).toString(16)}`;
}

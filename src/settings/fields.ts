/**
 * Zod 4 schemas for single env variables. Each takes the raw string (or `undefined` when unset) and yields the
 * typed value, with messages that name the expectation and what arrived — never a secret's value.
 */
import { z } from 'zod';
import { maskUrlUserinfo } from '../redaction/index.js';

/** The raw value of one variable as read from the environment, a `.env` file or an `X_FILE`. */
export type RawValue = string | undefined;

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

/**
 * Quotes a non-secret value for a message, shortened so a pasted blob cannot flood the log, with any
 * credentials inside a URL masked.
 */
export function show(value: string): string {
  const masked = maskUrlUserinfo(value);
  return JSON.stringify(masked.length > 80 ? `${masked.slice(0, 77)}...` : masked);
}

/** Trims; an empty or whitespace-only value counts as unset. */
export function clean(raw: RawValue): string | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim();
  return v === '' ? undefined : v;
}

type Ctx = z.core.$RefinementCtx<RawValue>;

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** Builds a schema from a parser over the cleaned value; `undefined` means unset. */
function make<T>(parse: (value: string | undefined, ctx: Ctx, raw: RawValue) => T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => parse(clean(raw), ctx, raw));
}

const REQUIRED = 'is required but not set';

/** A plain string; `def` when unset, required when `def` is `'required'`. */
export function str(def?: string | 'required') {
  return make((v, ctx) => {
    if (v === undefined)
      return def === 'required' ? fail(ctx, `${REQUIRED} (expected a non-empty string)`) : def;
    return v;
  }) as z.ZodType<string | undefined, RawValue>;
}

/** A required plain string. */
export function requiredStr() {
  return str('required') as z.ZodType<string, RawValue>;
}

/** A string destined for an HTTP header: no control characters. */
export function headerStr(def?: string) {
  return make((v, ctx) => {
    if (v === undefined) return def;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(v))
      return fail(ctx, 'expected a header value without control characters');
    return v;
  });
}

/** A boolean: true/false, 1/0, yes/no, on/off, case-insensitive. */
export function bool(def: boolean) {
  return make((v, ctx) => {
    if (v === undefined) return def;
    const b = BOOLEANS[v.toLowerCase()];
    return b ?? fail(ctx, `expected a boolean (true/false, 1/0, yes/no, on/off), got ${show(v)}`);
  });
}

interface NumberRange {
  min: number;
  max?: number;
}

function rangeText({ min, max }: NumberRange): string {
  return max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
}

/** A whole number within a range. */
export function int<D extends number | undefined>(def: D, range: NumberRange) {
  return make((v, ctx): number | D => {
    if (v === undefined) return def;
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
      return fail(ctx, `expected a whole number ${rangeText(range)}, got ${show(v)}`);
    }
    return n;
  });
}

/** A decimal number (fractions allowed) within a range. */
export function num(def: number, range: NumberRange) {
  return make((v, ctx) => {
    if (v === undefined) return def;
    const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || n < range.min || (range.max !== undefined && n > range.max)) {
      return fail(ctx, `expected a number ${rangeText(range)}, got ${show(v)}`);
    }
    return n;
  });
}

/** A TCP port, 1–65535. */
export function port() {
  return int(undefined, { min: 1, max: 65535 });
}

/** One of `values`, matched case-insensitively and returned in its canonical spelling. */
export function oneOf<const T extends string>(
  values: readonly T[],
  def: T | 'required',
  special?: Readonly<Record<string, string>>,
) {
  const byLower = new Map(values.map((x) => [x.toLowerCase(), x]));
  const allowed = values.join(', ');
  return make((v, ctx): T => {
    if (v === undefined)
      return def === 'required' ? fail(ctx, `${REQUIRED} (expected one of: ${allowed})`) : def;
    const hit = byLower.get(v.toLowerCase());
    if (hit !== undefined) return hit;
    const reason = special?.[v.toLowerCase()];
    return fail(ctx, reason ?? `expected one of: ${allowed}, got ${show(v)}`);
  });
}

/** Parses an absolute http(s) URL or returns a message saying why not. */
export function checkHttpUrl(v: string): URL | string {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return `expected an absolute http(s) URL, got ${show(v)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http:// or https:// URL, got scheme ${show(url.protocol)}`;
  }
  return url;
}

/** An absolute http(s) URL, kept as given (trimmed). */
export function httpUrl(required?: 'required') {
  return make((v, ctx) => {
    if (v === undefined) return required ? fail(ctx, `${REQUIRED} (expected an http(s) URL)`) : undefined;
    const url = checkHttpUrl(v);
    return typeof url === 'string' ? fail(ctx, url) : v;
  });
}

/** A required absolute http(s) URL. */
export function requiredHttpUrl() {
  return httpUrl('required') as z.ZodType<string, RawValue>;
}

/**
 * A comma-separated list, entries trimmed, empties dropped. Unlike scalars, a set-but-empty value is a valid
 * empty list; `undefined` (unset) takes `def`, or is an error when `def` is `'required'`.
 */
export function list(def: readonly string[] | 'required', check?: (entry: string) => string | undefined) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): string[] => {
      if (raw === undefined) {
        return def === 'required' ? fail(ctx, `${REQUIRED} (expected a comma-separated list)`) : [...def];
      }
      const entries = raw
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      const problems = check ? entries.map(check).filter((p) => p !== undefined) : [];
      for (const p of problems) ctx.addIssue({ code: 'custom', message: p });
      return problems.length > 0 ? z.NEVER : entries;
    });
}

/**
 * A comma-separated list like {@link list}, but `undefined` when unset (the default then depends on other
 * settings and is decided by the code that reads it).
 */
export function optionalList(check?: (entry: string) => string | undefined) {
  const inner = list([], check);
  return z
    .string()
    .optional()
    .transform((raw, ctx): string[] | undefined => {
      if (raw === undefined) return undefined;
      const parsed = inner.safeParse(raw);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    });
}

/** A URL path prefix: leading slash, no trailing slash, repeated slashes collapsed; `/` becomes `''`. */
export function pathPrefix(def: string | 'required') {
  return make((v, ctx) => {
    if (v === undefined)
      return def === 'required' ? fail(ctx, `${REQUIRED} (expected a path such as /api)`) : def;
    if (!/^[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$/.test(v)) {
      return fail(ctx, `expected a URL path such as /api (no spaces, query or fragment), got ${show(v)}`);
    }
    const normalised = `/${v}`.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
    return normalised;
  });
}

const SECRET_MIN = 32;

/**
 * Why `value` is not a strong secret, or `undefined` when it is. The message reveals only the length and
 * which character classes are missing.
 */
function secretWeakness(value: string): string | undefined {
  if (value.trim().toLowerCase() === 'changethis') {
    return 'is the template placeholder; generate a real secret (e.g. `openssl rand -base64 48`)';
  }
  if (value !== value.trim()) {
    return `must not start or end with whitespace (got ${value.length} characters)`;
  }
  const missing = [
    /[a-z]/.test(value) ? undefined : 'lower-case letter',
    /[A-Z]/.test(value) ? undefined : 'upper-case letter',
    /[0-9]/.test(value) ? undefined : 'digit',
    /[^A-Za-z0-9]/.test(value) ? undefined : 'symbol',
  ].filter((m) => m !== undefined);
  if (value.length >= SECRET_MIN && missing.length === 0) return undefined;
  const missingText = missing.length > 0 ? `; missing: ${missing.join(', ')}` : '';
  return (
    `must be at least ${SECRET_MIN} characters with lower, upper, digit and symbol ` +
    `(got ${value.length} characters${missingText})`
  );
}

/** A strength-checked secret (raw, not trimmed: surrounding whitespace is an error). Optional. */
export function strongSecret() {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const weakness = secretWeakness(raw);
      return weakness === undefined ? raw : fail(ctx, weakness);
    });
}

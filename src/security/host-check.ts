import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { problemBody, sendProblem } from '../http/index.js';
import { isProductionLike, type Settings } from '../settings/index.js';

/** Options of {@link createHostCheck}. */
export interface HostCheckOptions {
  /**
   * Paths (exact, a trailing slash tolerated) answered whatever the Host for GET and HEAD only, e.g. the
   * Kubernetes probes and the Prometheus scrape, which address the pod by IP.
   */
  readonly exemptPaths?: readonly string[];
}

const INVALID_HOST = problemBody({
  status: 400,
  code: 'ERR_HTTP_INVALID_HOST',
  title: 'Bad Request',
  detail: 'Invalid host header',
});

/**
 * A syntactically valid Host header value (RFC 9110 §7.2: `uri-host [ ":" port ]`): an RFC 3986 reg-name
 * (unreserved, pct-encoded and sub-delims characters; an IPv4 literal is one too) or a bracketed IP-literal,
 * then an optional port of digits. Userinfo (`@`), paths (`/`), queries (`?`), fragments (`#`), spaces and a
 * second `:` cannot appear, so `api.example.com:x@evil.tld` or `api.example.com:443#@evil.tld` never reach the
 * allow-list (Express 5's `req.host` would otherwise hand the raw value to the application).
 */
const HOST_SYNTAX = /^(?:\[([0-9A-Fa-f:.]+)\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/** True when `value` is a valid `host[:port]`; bracketed literals must be real IPv6 addresses. */
function isValidHostHeader(value: string): boolean {
  const match = HOST_SYNTAX.exec(value);
  if (match === null) return false;
  const literal = match[1];
  return literal === undefined || isIPv6(literal);
}

/** `::1`, `0:0::1` and `::0001` are one address: compare IPv6 literals in their canonical (WHATWG URL) form. */
function canonicalIPv6(address: string): string {
  try {
    const hostname = new URL(`http://[${address}]/`).hostname;
    return hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/**
 * The comparable form of a Host header or ALLOWED_HOSTS entry: lowercase, port and trailing dot removed,
 * IPv6 brackets removed and the address canonicalised; `''` when nothing usable is left.
 * @example
 * normalizeHost('Example.COM:8080'); // 'example.com'
 * normalizeHost('[::1]:3000'); // '::1'
 */
function normalizeHost(value: string): string {
  let host = value.trim();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? '' : canonicalIPv6(host.slice(1, end));
  }
  const colon = host.indexOf(':');
  if (colon !== -1) {
    // More than one colon without brackets is a bare IPv6 literal (ALLOWED_HOSTS entry), not host:port.
    if (host.indexOf(':', colon + 1) !== -1) return isIPv6(host) ? canonicalIPv6(host) : '';
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

const DNS_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/** The matcher built from ALLOWED_HOSTS: exact names in a Set, `*.example.com` as `.example.com` suffixes. */
interface HostMatcher {
  readonly exact: ReadonlySet<string>;
  readonly suffixes: readonly string[];
}

function buildMatcher(settings: Pick<Settings, 'ALLOWED_HOSTS' | 'ENVIRONMENT' | 'STRICT_PRODUCTION_MODE'>) {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of settings.ALLOWED_HOSTS) {
    const trimmed = entry.trim().toLowerCase();
    if (trimmed.startsWith('*.')) suffixes.push(normalizeHost(trimmed.slice(1)));
    else if (trimmed !== '') exact.add(normalizeHost(trimmed));
  }
  if (!isProductionLike(settings)) {
    exact.add('localhost');
    exact.add('127.0.0.1');
  }
  return { exact, suffixes } satisfies HostMatcher;
}

function isAllowed(matcher: HostMatcher, raw: string): boolean {
  // Fast path: the usual Host is already a bare lowercase name from the list.
  if (matcher.exact.has(raw)) return true;
  const host = normalizeHost(raw);
  if (host === '') return false;
  if (matcher.exact.has(host)) return true;
  const suffixes = matcher.suffixes;
  // `evil.com/x.example.com` ends with `.example.com` too: only a well-formed DNS name may match a wildcard.
  if (suffixes.length === 0 || !DNS_NAME.test(host)) return false;
  for (let i = 0; i < suffixes.length; i++) {
    const suffix = suffixes[i] as string;
    if (host.length > suffix.length && host.endsWith(suffix)) return true;
  }
  return false;
}

/** How many distinct accepted Host header values are remembered (a wildcard entry can accept many). */
const MAX_REMEMBERED_HOSTS = 64;

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  let path = query === -1 ? url : url.slice(0, query);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

const SLASH = 0x2f;

/**
 * True when the request target is origin-form (`/path`), asterisk-form (`OPTIONS *`) or an absolute-form
 * (`http://api.example.com/path`) whose authority equals the Host header. RFC 9112 §3.2.2 makes the target's
 * authority win over Host, so a mismatch would let the allow-list judge one host while the application (and
 * any proxy or cache keyed on the URL) sees another. Userinfo in the authority never equals a valid Host.
 */
function targetMatchesHost(url: string, host: string | undefined): boolean {
  if (url === '*') return true;
  const scheme = url.indexOf('://');
  if (scheme === -1 || host === undefined) return false;
  let end = url.length;
  for (let i = scheme + 3; i < url.length; i++) {
    const c = url.charCodeAt(i);
    // `/`, `?`, `#` end the authority (RFC 3986 §3.2).
    if (c === SLASH || c === 0x3f || c === 0x23) {
      end = i;
      break;
    }
  }
  return url.slice(scheme + 3, end).toLowerCase() === host.toLowerCase();
}

/**
 * More than one Host header line: Node keeps only the first in `req.headers`, so the count comes from
 * `rawHeaders`. RFC 9112 §3.2 requires a 400 for it (the other line may be what a proxy or cache used).
 */
function hasSecondHost(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}

/**
 * Host-header middleware, always installed. Every request is checked for RFC 9112 §3.2 validity, whatever
 * ALLOWED_HOSTS says: the Host value must be a valid `host[:port]` (reg-name, IPv4 or `[IPv6]`, digits-only
 * port: no userinfo, path, query or fragment), appear once, and equal the authority of an absolute-form
 * request target. With ALLOWED_HOSTS set (and without `*`), the host must also equal an entry (port ignored,
 * case-insensitive, IPv6 compared canonically, `::1` and `[::1]` alike) or end with a `*.example.com`
 * wildcard's `.example.com` (any subdomain depth; the apex `example.com` needs its own entry). Outside
 * production `localhost` and `127.0.0.1` are added. A refusal is 400 problem+json `Invalid host header`
 * (`ERR_HTTP_INVALID_HOST`); a missing Host is refused only with an allow-list. GET and HEAD on `exemptPaths`
 * skip the allow-list (never the validity checks).
 * @example
 * app.use(createHostCheck(settings, { exemptPaths: [`${prefix}/health/live`, `${prefix}/health/ready`] }));
 */
export function createHostCheck(
  settings: Pick<Settings, 'ALLOWED_HOSTS' | 'ENVIRONMENT' | 'STRICT_PRODUCTION_MODE'>,
  options: HostCheckOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const unrestricted =
    settings.ALLOWED_HOSTS.length === 0 || settings.ALLOWED_HOSTS.some((h) => h.trim() === '*');
  const matcher = unrestricted ? undefined : buildMatcher(settings);
  const exempt = new Set((options.exemptPaths ?? []).map(pathOf));
  // Host header values already accepted, as sent (`api.example.com:443`): the next request with the same value
  // skips the syntax check and normalisation. Only values that passed both enter, and what decides them is the
  // value alone; the per-request checks (a second Host line, the target's authority) run before this lookup,
  // so no request can make a later one skip them. Bounded: clients cannot grow it with junk.
  const accepted = new Set<string>();
  return function hostCheck(req, res, next) {
    const host = req.headers.host;
    const url = req.url ?? '';
    if ((url.charCodeAt(0) !== SLASH && !targetMatchesHost(url, host)) || hasSecondHost(req.rawHeaders)) {
      sendProblem(res, INVALID_HOST);
      return;
    }
    if (host !== undefined) {
      if (accepted.has(host)) {
        next();
        return;
      }
      if (!isValidHostHeader(host)) {
        sendProblem(res, INVALID_HOST);
        return;
      }
      if (matcher === undefined || isAllowed(matcher, host)) {
        // Full (a wildcard entry and many subdomains): start again, so the hosts in use now get remembered.
        if (accepted.size >= MAX_REMEMBERED_HOSTS) accepted.clear();
        accepted.add(host);
        next();
        return;
      }
    } else if (matcher === undefined) {
      // HTTP/1.0 may omit Host (Node refuses an HTTP/1.1 request without one).
      next();
      return;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && exempt.has(pathOf(req.url))) {
      next();
      return;
    }
    sendProblem(res, INVALID_HOST);
  };
}

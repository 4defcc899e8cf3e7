import type { IncomingMessage, ServerResponse } from 'node:http';
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
 * The comparable form of a Host header or ALLOWED_HOSTS entry: lowercase, port and trailing dot removed,
 * IPv6 brackets removed; `''` when nothing usable is left.
 * @example
 * normalizeHost('Example.COM:8080'); // 'example.com'
 * normalizeHost('[::1]:3000'); // '::1'
 */
export function normalizeHost(value: string): string {
  let host = value.trim();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end === -1 ? '' : host.slice(1, end);
  } else {
    const colon = host.indexOf(':');
    // More than one colon without brackets is a bare IPv6 literal (ALLOWED_HOSTS entry), not host:port.
    if (colon !== -1 && host.indexOf(':', colon + 1) === -1) host = host.slice(0, colon);
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

/**
 * Trusted-host middleware. With ALLOWED_HOSTS set, the Host header (port ignored, case-insensitive, IPv6
 * `[::1]:8080` understood) must equal an entry or end with a `*.example.com` wildcard's `.example.com` (any
 * subdomain depth; the apex `example.com` needs its own entry). Outside production `localhost` and `127.0.0.1`
 * are added. A missing or other Host → 400 problem+json `Invalid host header` (`ERR_HTTP_INVALID_HOST`),
 * except for GET and HEAD on `exemptPaths`.
 * @returns the middleware, or `undefined` when ALLOWED_HOSTS is empty or contains `*` (no restriction).
 * @example
 * const hostCheck = createHostCheck(settings, { exemptPaths: [`${prefix}/health/live`, `${prefix}/health/ready`] });
 * if (hostCheck) app.use(hostCheck);
 */
export function createHostCheck(
  settings: Pick<Settings, 'ALLOWED_HOSTS' | 'ENVIRONMENT' | 'STRICT_PRODUCTION_MODE'>,
  options: HostCheckOptions = {},
): ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | undefined {
  if (settings.ALLOWED_HOSTS.length === 0 || settings.ALLOWED_HOSTS.some((h) => h.trim() === '*'))
    return undefined;
  const matcher = buildMatcher(settings);
  const exempt = new Set((options.exemptPaths ?? []).map(pathOf));
  // Host headers already accepted, as sent (`api.example.com:443`): the next request with the same header
  // skips normalisation. Bounded, and only accepted values enter, so clients cannot grow it with junk.
  const accepted = new Set<string>();
  return function hostCheck(req, res, next) {
    const host = req.headers.host;
    if (host !== undefined && accepted.has(host)) {
      next();
      return;
    }
    if (host !== undefined && isAllowed(matcher, host)) {
      // Full (a wildcard entry and many subdomains): start again, so the hosts in use now get remembered.
      if (accepted.size >= MAX_REMEMBERED_HOSTS) accepted.clear();
      accepted.add(host);
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

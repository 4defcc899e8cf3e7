/**
 * A small semver range checker, enough for the compatibility matrix: comparators `>=` `>` `<=` `<` `=`,
 * caret `^`, tilde `~`, bare (partial) versions, `*`, space-separated AND and `||` alternatives.
 * Missing minor/patch parts read as in npm: `^4.21` is `>=4.21.0 <5.0.0-0`, `>=20.19` is `>=20.19.0`.
 * Pre-release versions are ordered as semver orders them and are not excluded (npm's `includePrerelease`),
 * so `6.0.0-beta.1` is outside `^5` and `20.19.0-rc.1` is outside `>=20.19`.
 * We do not depend on `semver`: this runs at import time and must stay tiny.
 */

interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly string[];
}

type Operator = '>=' | '>' | '<=' | '<' | '=';

interface Comparator {
  readonly op: Operator;
  readonly version: Version;
}

const VERSION_RE = /^[v=]*(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const PARTIAL_RE = /^(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$/;
const COMPARATOR_RE = /^(\^|~|>=|<=|>|<|=)?\s*v?(\S+)$/;

/** Parses an installed version such as `20.19.1`, `v22.3.0` or `5.0.0-beta.3`; `null` when it is not one. */
function parseVersion(text: string): Version | null {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two versions as semver does (a pre-release sorts before its release). */
function compareVersions(a: Version, b: Version): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const c = compareIdentifiers(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

const v = (major: number, minor: number, patch: number, pre: readonly string[] = []): Version => ({
  major,
  minor,
  patch,
  pre,
});
/** The lowest version of a line: `x.y.z-0` sorts below every pre-release of `x.y.z`. */
const floor = (major: number, minor: number, patch: number): Version => v(major, minor, patch, ['0']);

function rangeError(range: string, part: string): TypeError {
  return new TypeError(`Invalid version range "${range}": cannot read "${part}"`);
}

/** Expands one comparator token (`^4.21`, `>=20.19`, `5`, `*`) into plain comparators. */
function expand(token: string, range: string): Comparator[] {
  const cm = COMPARATOR_RE.exec(token);
  const pm = cm?.[2] ? PARTIAL_RE.exec(cm[2]) : null;
  if (!cm || !pm) throw rangeError(range, token);
  const op = cm[1] ?? '';
  const wild = (s: string | undefined): boolean => s === undefined || /^[xX*]$/.test(s);
  if (wild(pm[1])) {
    if (op === '' || op === '=' || op === '>=' || op === '<=') return [];
    throw rangeError(range, token);
  }
  const major = Number(pm[1]);
  const hasMinor = !wild(pm[2]);
  const hasPatch = hasMinor && !wild(pm[3]);
  const minor = hasMinor ? Number(pm[2]) : 0;
  const patch = hasPatch ? Number(pm[3]) : 0;
  const pre = hasPatch && pm[4] ? pm[4].split('.') : [];
  const low = v(major, minor, patch, pre);
  // The first version past the partial: `5` → 6.0.0, `5.1` → 5.2.0, `5.1.2` → none (exact).
  const next = !hasMinor ? floor(major + 1, 0, 0) : !hasPatch ? floor(major, minor + 1, 0) : null;
  switch (op) {
    case '^': {
      const upper =
        major > 0 || !hasMinor
          ? floor(major + 1, 0, 0)
          : minor > 0 || !hasPatch
            ? floor(0, minor + 1, 0)
            : floor(0, 0, patch + 1);
      return [
        { op: '>=', version: low },
        { op: '<', version: upper },
      ];
    }
    case '~':
      return [
        { op: '>=', version: low },
        { op: '<', version: hasMinor ? floor(major, minor + 1, 0) : floor(major + 1, 0, 0) },
      ];
    case '>=':
      return [{ op: '>=', version: low }];
    case '<':
      return [{ op: '<', version: next ? v(major, minor, patch, ['0']) : low }];
    case '>':
      return [next ? { op: '>=', version: next } : { op: '>', version: low }];
    case '<=':
      return [next ? { op: '<', version: next } : { op: '<=', version: low }];
    default:
      return next
        ? [
            { op: '>=', version: low },
            { op: '<', version: next },
          ]
        : [{ op: '=', version: low }];
  }
}

function test(c: Comparator, version: Version): boolean {
  const d = compareVersions(version, c.version);
  switch (c.op) {
    case '>=':
      return d >= 0;
    case '>':
      return d > 0;
    case '<=':
      return d <= 0;
    case '<':
      return d < 0;
    default:
      return d === 0;
  }
}

/** Parses a range into its `||` alternatives, each a list of comparators that must all hold. */
function parseRange(range: string): Comparator[][] {
  return range.split('||').map((alternative) => {
    // `>= 20.19` is one comparator: glue an operator to the version that follows it.
    const tokens = alternative
      .trim()
      .replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1')
      .split(/\s+/);
    if (tokens.length === 1 && tokens[0] === '') throw rangeError(range, alternative);
    return tokens.flatMap((token) => expand(token, range));
  });
}

/**
 * Whether `version` lies in `range`. An unparseable version satisfies nothing.
 * @example
 * satisfies('4.21.2', '^4.21 || ^5') // true
 * satisfies('18.20.4', '>=20.19') // false
 * @throws TypeError when `range` is not a range this checker reads.
 */
export function satisfies(version: string, range: string): boolean {
  const alternatives = parseRange(range);
  const parsed = parseVersion(version);
  if (!parsed) return false;
  return alternatives.some((set) => set.every((c) => test(c, parsed)));
}

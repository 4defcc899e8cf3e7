/**
 * Likely misspellings of setting names (`METRICS_ENABLE` for `METRICS_ENABLED`): a silently ignored variable
 * costs more time than a warning. Only names shaped like ours are compared, so `PATH`, `HOME` or a whole
 * stack's `.env` stay quiet.
 */
import type { SettingsNote } from './notes.js';

/** Variables read outside the settings (serve's `PORT`, the database URL alias) and common neighbours. */
const KNOWN_OTHERS = new Set(['PORT', 'NODE_ENV', 'SQLALCHEMY_DATABASE_URI', 'HOSTNAME']);

/** UPPER_SNAKE_CASE with at least one underscore, as every setting is. */
const SHAPE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/**
 * Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions), giving up once it
 * exceeds `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest known name within reach of `name`, or `undefined`. */
function closest(name: string, known: readonly string[]): string | undefined {
  // Short names tolerate one edit: two would match too much by chance (`DB_NAME` is not `DB_HOST`).
  const limit = name.length < 8 ? 1 : 2;
  let hit: string | undefined;
  let hitDistance = limit + 1;
  for (const candidate of known) {
    // A typo rarely touches the first two characters; requiring them keeps unrelated families apart.
    if (candidate[0] !== name[0] || candidate[1] !== name[1]) continue;
    const d = editDistance(name, candidate, limit);
    if (d < hitDistance || (d === hitDistance && hit !== undefined && candidate < hit)) {
      hit = candidate;
      hitDistance = d;
    }
  }
  return hit;
}

/**
 * A warning for each variable of `present` that is not a setting (nor its `_FILE` form) but is within two
 * edits of one.
 * @example
 * likelyTypos(['METRICS_ENABLE', 'HOME'], ['METRICS_ENABLED']); // one warning, about METRICS_ENABLE
 */
export function likelyTypos(present: Iterable<string>, known: readonly string[]): SettingsNote[] {
  const knownSet = new Set(known);
  const notes: SettingsNote[] = [];
  const seen = new Set<string>();
  for (const name of present) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (!SHAPE.test(name) || name.length < 6 || knownSet.has(name) || KNOWN_OTHERS.has(name)) continue;
    if (name.endsWith('_FILE') && knownSet.has(name.slice(0, -5))) continue;
    const base = name.endsWith('_FILE') ? name.slice(0, -5) : name;
    const hit = closest(base, known);
    if (hit === undefined) continue;
    const suggestion = base === name ? hit : `${hit}_FILE`;
    notes.push({
      variable: name,
      message: `is not a setting and is ignored; did you mean ${suggestion}?`,
    });
  }
  return notes;
}

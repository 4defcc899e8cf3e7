import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { ERROR_CODES, M8Error } from '../src/errors.js';

const DOC = new URL('../docs/errors.md', import.meta.url);

interface Row {
  readonly code: string;
  readonly className: string;
  readonly meaning: string;
}

/** Reads the `| code | class | meaning |` rows of docs/errors.md; backticks around code and class are optional. */
function readRows(): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const cells = line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim().replace(/^`|`$/g, ''));
    const [code = '', className = '', meaning = ''] = cells;
    if (cells.length === 3 && code.startsWith('ERR_')) rows.push({ code, className, meaning });
  }
  return rows;
}

/** The error classes exported by src/errors.ts, by name. */
const classes = new Map(
  Object.entries(errors).filter(
    ([, value]) => typeof value === 'function' && (value === M8Error || value.prototype instanceof M8Error),
  ),
);

describe('docs/errors.md', () => {
  const rows = readRows();
  const codes = Object.keys(ERROR_CODES);

  it('has one row per code of ERROR_CODES and no other', () => {
    const documented = rows.map((r) => r.code);
    const missing = codes.filter((code) => !documented.includes(code));
    const extra = documented.filter((code) => !codes.includes(code));
    const hint = missing
      .map((code) => `| \`${code}\` | \`<Class>\` | ${ERROR_CODES[code as keyof typeof ERROR_CODES]} |`)
      .join('\n');
    expect(missing, `add these rows to docs/errors.md:\n${hint}`).toEqual([]);
    expect(extra, 'these rows name codes that ERROR_CODES no longer has').toEqual([]);
  });

  it('lists every code once', () => {
    const seen = rows.map((r) => r.code);
    expect(seen.filter((code, i) => seen.indexOf(code) !== i)).toEqual([]);
  });

  it('names an exported M8Error class and a meaning on every row', () => {
    for (const row of rows) {
      expect(classes.has(row.className), `${row.code}: unknown class "${row.className}"`).toBe(true);
      expect(row.meaning.length, `${row.code}: empty meaning`).toBeGreaterThan(0);
    }
  });
});

describe('ERROR_CODES', () => {
  it('spells every code as ERR_ and upper-case words', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^ERR_[A-Z_]+$/);
  });

  it('gives every code a description', () => {
    for (const text of Object.values(ERROR_CODES)) expect(text.length).toBeGreaterThan(10);
  });

  it('keeps code and class name on every M8Error', () => {
    const error = new errors.CompatError('ERR_COMPAT_NODE', 'too old', { cause: new Error('why') });
    expect(error).toBeInstanceOf(M8Error);
    expect(error.name).toBe('CompatError');
    expect(error.code).toBe('ERR_COMPAT_NODE');
    expect(error.cause).toBeInstanceOf(Error);
  });
});

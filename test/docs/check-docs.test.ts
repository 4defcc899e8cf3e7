import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script of the CI, without declarations
import { extractBlocks } from '../../.ci/check-docs.mjs';
import * as m8 from '../../src/index.js';

interface Block {
  file: string;
  line: number;
  js: boolean;
  cjs: boolean;
  fragment: boolean;
  quickstart: boolean;
  code: string;
  prelude?: { line: number; code: string; lines: number };
}
const extract = extractBlocks as (file: string, text: string) => { blocks: Block[]; problems: string[] };

const DOC = [
  '# Title', //                         1
  '```ts', //                           2
  "import { serve } from 'express-m8';", // 3
  '```', //                             4
  '<!-- check-docs prelude', //         5
  'declare const x: number;', //        6
  '-->', //                             7
  '```ts cjs', //                       8
  'console.log(x);', //                 9
  '```', //                            10
  '```ts fragment', //                 11
  'serve(app: M8App): Promise<void>', // 12
  '```', //                            13
  '```sh', //                          14
  'npm install', //                    15
  '```', //                            16
  '```ts quickstart bogus', //         17
  '```', //                            18
].join('\n');

describe('check-docs block extraction', () => {
  const { blocks, problems } = extract('docs/x.md', DOC);

  it('finds every ts block with its fence line, flags and prelude, and no other block', () => {
    expect(blocks.map((b) => [b.line, b.cjs, b.fragment, b.quickstart])).toEqual([
      [2, false, false, false],
      [8, true, false, false],
      [11, false, true, false],
      [17, false, false, true],
    ]);
    expect(blocks[0]?.code).toBe("import { serve } from 'express-m8';");
    expect(blocks[0]?.prelude).toBeUndefined();
    expect(blocks[1]?.prelude).toEqual({ line: 5, code: 'declare const x: number;', lines: 1 });
    expect(blocks[2]?.prelude).toBeUndefined();
  });

  it('reports an unknown flag by file and line, so a typo cannot silently skip a block', () => {
    expect(problems).toEqual(['docs/x.md:17 unknown block flag "bogus"']);
  });
});

describe('names the docs import from express-m8', () => {
  it('include traceHeaders and redactPaths', () => {
    expect(typeof m8.traceHeaders).toBe('function');
    expect(m8.redactPaths()).toEqual(
      expect.arrayContaining(['req.headers["authorization"]', 'ACCESS_SECRET_KEY']),
    );
    expect(m8.traceHeaders({})).toEqual({});
  });
});

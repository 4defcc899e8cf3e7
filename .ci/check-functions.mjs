// Fails when a function in src/ spans more than 80 lines (from its first line to its closing brace, comments
// and blank lines included): the house limit, stricter than Biome's noExcessiveLinesPerFunction, which counts
// only some of those lines. Run from the repository root: `npm run check:functions`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const MAX_LINES = 80;
const files = execFileSync('git', ['ls-files', 'src/**/*.ts'], { encoding: 'utf8' }).trim().split('\n');
const long = [];
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      if (last - first + 1 > MAX_LINES) {
        const named = node.name ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name : undefined);
        long.push(
          `${file}:${first + 1} ${named?.getText(source) ?? '(anonymous)'}: ${last - first + 1} lines`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
if (long.length > 0) {
  console.error(
    `Functions over ${MAX_LINES} lines in src/ (split them where they mix concerns):\n${long.join('\n')}`,
  );
  process.exit(1);
}
console.log(`no function in src/ over ${MAX_LINES} lines (${files.length} files)`);

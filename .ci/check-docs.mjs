#!/usr/bin/env node
// Compiles every TypeScript (and JavaScript) block of README.md and docs/*.md under strict settings against the
// BUILT package, installed from its packed tarball in a scratch project, the way a consumer gets it. Also checks
// that README.md and docs/*.md link only to files the package ships and never to the design contract, and that
// the shipped .d.ts do not cite it either. With --quickstart it runs the README quick start end to end against
// PostgreSQL (see .ci/quickstart.mjs).
//
//   node .ci/check-docs.mjs [--tarball express-m8-x.y.z.tgz] [--quickstart] [--keep]
//   npm run check:docs            (packs dist/ itself: run `npm run build` first)
//
// Block conventions (the fence's info string; the first word stays the language, so GitHub and npm still
// highlight it):
//   ```ts            a standalone ES module: compiled as `<name>.ts` in a `"type": "module"` project
//   ```ts cjs        a standalone CommonJS module: compiled as `<name>.cts`
//   ```ts fragment   not meant to compile (a signature, an excerpt): skipped and counted; keep these rare
//   ```js / ```js cjs   compiled with checkJs, as `.mjs` / `.cjs`
// A block may rely on names defined elsewhere on the page through a hidden prelude: an HTML comment right above
// the fence, invisible on GitHub and npm, whose lines are compiled before the block:
//   <!-- check-docs prelude
//   import express from 'express';
//   declare const router: express.Router;
//   -->
// Every failure is printed as `file:line:column TSnnnn message`, the line being the block's line in the doc.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const keep = args.includes('--keep');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const LANGS = new Set(['ts', 'typescript', 'js', 'javascript']);
const FLAGS = new Set(['cjs', 'fragment', 'quickstart']);

/** Every fenced ts/js block of one doc, with its prelude and flags. */
export function extractBlocks(file, text) {
  const lines = text.split('\n');
  const blocks = [];
  const problems = [];
  let prelude;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('<!-- check-docs prelude')) {
      const start = i;
      const body = [];
      while (++i < lines.length && lines[i].trim() !== '-->') body.push(lines[i]);
      prelude = { line: start + 1, code: body.join('\n'), lines: body.length };
      continue;
    }
    const fence = /^(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') prelude = undefined;
      continue;
    }
    const [, marker, lang, rest] = fence;
    const body = [];
    const open = i;
    while (++i < lines.length && !lines[i].startsWith(marker)) body.push(lines[i]);
    if (LANGS.has(lang)) {
      const flags = rest.split(/\s+/).filter(Boolean);
      for (const flag of flags) {
        if (!FLAGS.has(flag)) problems.push(`${file}:${open + 1} unknown block flag ${JSON.stringify(flag)}`);
      }
      blocks.push({
        file,
        line: open + 1,
        js: lang === 'js' || lang === 'javascript',
        cjs: flags.includes('cjs'),
        fragment: flags.includes('fragment'),
        quickstart: flags.includes('quickstart'),
        code: body.join('\n'),
        prelude,
      });
    } else if (prelude) {
      problems.push(`${file}:${prelude.line} a check-docs prelude above a ${lang || 'plain'} block`);
    }
    prelude = undefined;
  }
  return { blocks, problems };
}

/** The package names (not node: builtins, not express-m8) that the blocks import. */
function importedPackages(blocks) {
  const names = new Set();
  const spec = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
  for (const block of blocks) {
    for (const [, s] of `${block.prelude?.code ?? ''}\n${block.code}`.matchAll(spec)) {
      if (s.startsWith('.') || s.startsWith('node:') || s.startsWith('/')) continue;
      const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
      if (name !== 'express-m8') names.add(name);
    }
  }
  return [...names].sort();
}

/** The packages the README tells a reader to `npm install` (the quick start runs with them). */
function readmeInstalls() {
  const names = new Set();
  for (const [, line] of readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(
    /^npm install ([^#\n]*)/gm,
  )) {
    for (const word of line.split(/\s+/)) {
      if (/[&;|]/.test(word)) break;
      if (/^(@[a-z0-9-]+\/)?[a-z0-9][a-z0-9.-]*$/.test(word) && word !== 'express-m8') names.add(word);
    }
  }
  return [...names];
}

function repoVersion(name) {
  const file = path.join(root, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

/** A scratch consumer project with the tarball and the blocks' imports at the repository's versions. */
export function scratchProject(tarball, packages) {
  const dir = mkdtempSync(path.join(tmpdir(), 'express-m8-docs.'));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'docs-check', private: true, type: 'module' }, null, 2),
  );
  const specs = [tarball];
  const missing = [];
  for (const name of new Set([...packages, '@types/node'])) {
    const version = repoVersion(name);
    if (version === undefined) {
      missing.push(name);
      continue;
    }
    specs.push(`${name}@${version}`);
    const types = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
    const typesVersion = name.startsWith('@types/') ? undefined : repoVersion(types);
    if (typesVersion) specs.push(`${types}@${typesVersion}`);
  }
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--no-package-lock',
      '--loglevel=error',
      ...specs,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return { dir, missing };
}

/** Compiler options of a consumer with strict settings. */
export const COMPILER_OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
  allowJs: true,
  checkJs: true,
  noEmit: true,
};

function blockFileName(block) {
  const base = `${block.file.replace(/[^A-Za-z0-9]+/g, '_')}_L${block.line}`;
  return `${base}.${block.js ? (block.cjs ? 'cjs' : 'mjs') : block.cjs ? 'cts' : 'ts'}`;
}

/** Writes the blocks into `dir/blocks` and type-checks them; returns one message per diagnostic. */
export function compileBlocks(dir, blocks) {
  const out = path.join(dir, 'blocks');
  mkdirSync(out, { recursive: true });
  const byFile = new Map();
  for (const block of blocks) {
    const file = path.join(out, blockFileName(block));
    const prelude = block.prelude ? `${block.prelude.code}\n` : '';
    writeFileSync(file, `${prelude}${block.code}\n`);
    byFile.set(file, block);
  }
  const program = ts.createProgram([...byFile.keys()], COMPILER_OPTIONS);
  const failures = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    const block = d.file ? byFile.get(path.resolve(d.file.fileName)) : undefined;
    if (!d.file || block === undefined) {
      failures.push({ where: d.file ? d.file.fileName : '(options)', text: `TS${d.code} ${text}` });
      continue;
    }
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const preludeLines = block.prelude ? block.prelude.lines : 0;
    const where =
      line < preludeLines
        ? `${block.file}:${block.prelude.line + 1 + line}:${character + 1} (prelude)`
        : `${block.file}:${block.line + 1 + line - preludeLines}:${character + 1}`;
    failures.push({ where, text: `TS${d.code} ${text}`, block });
  }
  return failures;
}

/** Relative links of README.md and docs/*.md must name files the package ships; nothing cites DESIGN.md. */
export function checkLinks(shipped) {
  const problems = [];
  for (const file of DOCS) {
    const text = readFileSync(path.join(root, file), 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/DESIGN\.md|DESIGN §/.test(line))
        problems.push(`${file}:${i + 1} cites the design contract, which is not shipped`);
      for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
        const resolved = path.posix.normalize(
          path.posix.join(path.posix.dirname(file), target.split('#')[0]),
        );
        if (!shipped.has(resolved)) {
          problems.push(`${file}:${i + 1} links to ${target}, which the package does not contain`);
        }
      }
    });
  }
  return problems;
}

/** The shipped declaration files must not cite the design contract either. */
function checkDeclarations(packageDir) {
  const problems = [];
  const dist = path.join(packageDir, 'dist');
  for (const entry of readdirSync(dist, { recursive: true })) {
    if (!/\.d\.c?ts$/.test(entry)) continue;
    readFileSync(path.join(dist, entry), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/DESIGN(\.md| §)/.test(line)) problems.push(`dist/${entry}:${i + 1} cites the design contract`);
      });
  }
  return problems;
}

function pack() {
  if (!existsSync(path.join(root, 'dist/index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const dest = mkdtempSync(path.join(tmpdir(), 'express-m8-pack.'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dest], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  return path.join(dest, name);
}

async function main() {
  const tarball = path.resolve(option('--tarball') ?? pack());
  const shipped = new Set(
    execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  );
  const all = [];
  const problems = [];
  for (const file of DOCS) {
    const found = extractBlocks(file, readFileSync(path.join(root, file), 'utf8'));
    all.push(...found.blocks);
    problems.push(...found.problems);
  }
  const fragments = all.filter((b) => b.fragment);
  const blocks = all.filter((b) => !b.fragment);
  const { dir, missing } = scratchProject(tarball, [
    ...new Set([...importedPackages(blocks), ...readmeInstalls()]),
  ]);
  let code = 0;
  try {
    for (const name of missing) {
      problems.push(
        `a block imports ${name}, which is not installed in this repository: add it to devDependencies or mark the block fragment`,
      );
    }
    problems.push(...checkLinks(shipped), ...checkDeclarations(path.join(dir, 'node_modules/express-m8')));
    const failures = compileBlocks(dir, blocks);
    for (const p of problems) console.log(`FAIL ${p}`);
    const order = (f) => [f.block?.file ?? '', f.block?.line ?? 0, Number(f.where.split(':')[1]) || 0];
    failures.sort((a, b) => {
      const [x, y] = [order(a), order(b)];
      return x[0] === y[0] ? x[1] - y[1] || x[2] - y[2] : x[0] < y[0] ? -1 : 1;
    });
    for (const f of failures) console.log(`FAIL ${f.where} ${f.text}`);
    const failedBlocks = new Set(failures.map((f) => f.block ?? f.where));
    const cjs = blocks.filter((b) => b.cjs).length;
    console.log(
      `docs: ${blocks.length} blocks compiled (${blocks.length - cjs} ESM, ${cjs} CommonJS) from ${DOCS.length} files, ` +
        `${fragments.length} fragments skipped; ${failures.length} compile errors in ${failedBlocks.size} blocks, ` +
        `${problems.length} other problems`,
    );
    if (failures.length > 0 || problems.length > 0) code = 1;
    if (args.includes('--quickstart')) {
      const { runQuickstart } = await import('./quickstart.mjs');
      const quick = blocks.filter((b) => b.quickstart);
      if (quick.length === 0) throw new Error('no block is marked `ts quickstart`');
      code = Math.max(code, await runQuickstart(dir, quick));
    }
  } finally {
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = code;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

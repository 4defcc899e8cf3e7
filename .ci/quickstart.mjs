// Runs each README block marked ```ts quickstart end to end, as a reader would, in the scratch project where
// .ci/check-docs.mjs installed the packed tarball. The ```sh block that follows a quickstart block is its script:
//   export A=B C='D'     → the server's (and every command's) environment
//   psql …               → run as written (DATABASE_URL points at a fresh schema of the CI's PostgreSQL)
//   curl …   # EXPECTED  → run as written once the server listens; stdout must equal EXPECTED
// Other lines (installing, starting the server) are what this runner does itself: the block is transpiled to
// JavaScript and run with node, on a free port instead of 8000 (curl lines are pointed at it). After the curls
// the server gets SIGTERM and must exit 0. Each mismatch is printed with the README line it comes from.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import ts from 'typescript';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const PG = process.env.QUICKSTART_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The ```sh block after line `after` of `file`: its lines with their line numbers. */
function scriptAfter(file, after) {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  for (let i = after; i < lines.length; i++) {
    if (/^```(sh|bash)\s*$/.test(lines[i])) {
      const script = [];
      while (++i < lines.length && !lines[i].startsWith('```')) script.push({ line: i + 1, text: lines[i] });
      return script;
    }
    if (/^```(ts|typescript)\b/.test(lines[i])) break;
  }
  throw new Error(`${file}:${after}: a quickstart block needs a \`\`\`sh block after it`);
}

/** `export A=B C='d e'` → { A: 'B', C: 'd e' } (single or double quotes, no expansions). */
function parseExports(text) {
  const env = {};
  for (const [, name, single, double, bare] of text
    .replace(/^export\s+/, '')
    .matchAll(/([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|"([^"]*)"|(\S*))/g)) {
    env[name] = single ?? double ?? bare;
  }
  return env;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPort(port, child, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    const up = await new Promise((resolve) => {
      const socket = createConnection(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (up) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Runs one quickstart block; returns the list of failures (empty when it works as the README says). */
async function runOne(dir, block) {
  const where = `${block.file}:${block.line}`;
  const script = scriptAfter(block.file, block.line);
  const port = await freePort();
  const env = {
    PATH: `${path.join(dir, 'node_modules/.bin')}:${process.env.PATH}`,
    HOME: process.env.HOME ?? '',
  };
  for (const { text } of script) if (text.startsWith('export ')) Object.assign(env, parseExports(text));
  env.PORT = String(port);
  env.LOG_LEVEL = 'warn';
  const failures = [];
  let schema;
  const admin = new pg.Client({ connectionString: PG });
  if (env.DATABASE_URL !== undefined) {
    schema = `qs_${randomBytes(5).toString('hex')}`;
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    env.DATABASE_URL = `${PG}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const file = path.join(dir, `quickstart-${block.line}.mjs`);
  writeFileSync(
    file,
    ts.transpileModule(block.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText,
  );
  let child;
  let output = '';
  try {
    for (const { line, text } of script.filter((s) => s.text.startsWith('psql '))) {
      await run('bash', ['-c', text], { cwd: dir, env }).catch((error) =>
        failures.push(`${block.file}:${line} ${text.slice(0, 40)}… failed: ${error.stderr || error.message}`),
      );
    }
    child = spawn(process.execPath, [file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    if (!(await waitForPort(port, child, 20_000))) {
      failures.push(`${where} the server did not listen on PORT:\n${output}`);
      return failures;
    }
    for (const { line, text } of script.filter((s) => s.text.startsWith('curl '))) {
      const expected = /#\s*(.*)$/.exec(text)?.[1]?.trim();
      const command = text.replaceAll('localhost:8000', `127.0.0.1:${port}`);
      const got = await run('bash', ['-c', command], { cwd: dir, env }).then(
        (r) => r.stdout.trim(),
        (error) => `(exit ${error.code}) ${error.stderr}`,
      );
      if (expected === undefined)
        failures.push(`${block.file}:${line} a curl line needs its expected output as a comment`);
      else if (got !== expected)
        failures.push(`${block.file}:${line} curl printed ${got}, the README says ${expected}`);
      else console.log(`ok ${block.file}:${line} curl → ${got}`);
    }
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
    ]);
    if (code !== 0) failures.push(`${where} SIGTERM: the server exited with ${code}, not 0:\n${output}`);
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (schema) {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  }
  return failures;
}

/** Runs every quickstart block; prints one line per check; returns the exit code. */
export async function runQuickstart(dir, blocks) {
  let failed = 0;
  for (const block of blocks) {
    const failures = await runOne(dir, block);
    for (const failure of failures) console.log(`FAIL ${failure}`);
    failed += failures.length;
    if (failures.length === 0) console.log(`ok ${block.file}:${block.line} quickstart runs as written`);
  }
  return failed === 0 ? 0 : 1;
}

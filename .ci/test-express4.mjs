#!/usr/bin/env node
// Runs the tests whose subject behaves differently on Express 4 (routing and route templates, route contracts, error handling,
// async handler rejections, listen, createApp, auth guards, health, metrics, tracing, the app and example
// tests) against Express 4, a supported peer the repo does not install (its devDependency is Express 5).
// express@4 is installed into a scratch folder (default: <tmpdir>/express-m8-express4, reused when present)
// and vitest aliases `express` to it for the tests AND the library code under test (EXPRESS_M8_TEST_EXPRESS,
// read by vitest.config.ts). Tests that are Express-5-only say so with `skipIf(EXPRESS_4)`.
// Usage: node .ci/test-express4.mjs [scratch-dir] (npm run test:express4). Exit code: vitest's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = path.resolve(process.argv[2] ?? path.join(tmpdir(), 'express-m8-express4'));
const express = path.join(scratch, 'node_modules', 'express');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const TESTS = [
  'test/app',
  'test/auth',
  'test/contracts',
  'test/docs',
  'test/health',
  'test/http',
  'test/lifecycle',
  'test/logging',
  'test/metrics',
  'test/openapi',
  'test/routing',
  'test/security',
  'test/tracing',
  'examples',
];

function versionAt(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

if (!versionAt(express)?.startsWith('4.')) {
  const install = spawnSync(npm, ['install', '--prefix', scratch, '--no-package-lock', 'express@4'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (install.status !== 0) {
    console.error(`npm install express@4 into ${scratch} failed`);
    process.exit(1);
  }
}
const version = versionAt(express);
if (!existsSync(express) || !version?.startsWith('4.')) {
  console.error(`no Express 4 at ${express} (found ${version ?? 'nothing'})`);
  process.exit(1);
}
console.log(`Express ${version} at ${express}`);

const run = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...TESTS],
  { cwd: root, stdio: 'inherit', env: { ...process.env, EXPRESS_M8_TEST_EXPRESS: express } },
);
process.exit(run.status ?? 1);

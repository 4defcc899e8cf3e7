import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end: a consumer project whose node_modules holds express 3.0.0 imports the package entry in a real
// Node.js process. The entry is the TypeScript source run through tsx, so `npm test` needs no build.
const entry = pathToFileURL(path.resolve(import.meta.dirname, '../../src/index.ts')).href;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('importing express-m8 in a project with an unsupported express', () => {
  let project = '';

  beforeAll(() => {
    project = mkdtempSync(path.join(tmpdir(), 'm8-compat-e2e-'));
    const express = path.join(project, 'node_modules', 'express');
    mkdirSync(express, { recursive: true });
    writeFileSync(path.join(express, 'package.json'), JSON.stringify({ name: 'express', version: '3.0.0' }));
    writeFileSync(path.join(express, 'index.js'), 'module.exports = function express() {};\n');
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    writeFileSync(
      path.join(project, 'main.mjs'),
      `await import(${JSON.stringify(entry)});\nconsole.log('imported without error');\n`,
    );
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('fails at import with a CompatError naming express 3.0.0, the range and the fix', () => {
    const run = spawnSync(process.execPath, ['--import', tsx, 'main.mjs'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(run.stdout).not.toContain('imported without error');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('CompatError');
    expect(run.stderr).toContain('ERR_COMPAT_EXPRESS');
    expect(run.stderr).toContain('express 3.0.0 is installed');
    expect(run.stderr).toContain('^4.21 || ^5');
    expect(run.stderr).toContain('npm install express@^5');
  });
});

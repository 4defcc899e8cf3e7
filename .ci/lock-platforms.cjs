#!/usr/bin/env node
// Adds to package-lock.json the entries of platform-specific optional packages (`@biomejs/cli-darwin-arm64`,
// `@rollup/rollup-win32-x64-msvc`, …) that a lock made here lacks: the registry this machine reaches does not
// serve every platform's package, so `npm install` leaves them out, and `npm ci` (npm ≥ 11) then refuses the
// lock ("Missing: @biomejs/cli-android-arm64@ from lock file"). Each entry gets the version its parent asks for
// and the os/cpu/libc read from its name, so npm skips it on every other platform without fetching it.
// Usage: node .ci/lock-platforms.cjs [path/to/package-lock.json]. Exit 0 when it added entries, 3 when none
// were missing.
'use strict';

const fs = require('node:fs');

const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const NAME =
  /-(android|darwin|linux|win32|freebsd|openbsd|netbsd|sunos|aix|openharmony)-([a-z0-9]+)(?:-([a-z]+))?$/;
const CPU = { x64: 'x64', ia32: 'ia32', arm64: 'arm64', arm: 'arm', loong64: 'loong64', ppc64: 'ppc64' };
const LIBC = { gnu: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' };

/** Where npm would find `dep` from the package at `key`: its own node_modules, then each ancestor's. */
function resolves(key, dep) {
  for (let at = key; ; at = at.slice(0, Math.max(0, at.lastIndexOf('/node_modules/')))) {
    if (packages[`${at ? `${at}/` : ''}node_modules/${dep}`]) return true;
    if (at === '') return false;
  }
}

const added = [];
for (const [key, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = NAME.exec(dep);
    if (!m || resolves(key, dep)) continue;
    const [, os, arch, abi] = m;
    const cpu = CPU[arch] ?? (arch.startsWith('arm') ? 'arm' : arch);
    const item = { version, cpu: [cpu], dev: entry.dev, optional: true, os: [os] };
    if (!entry.dev) delete item.dev;
    if (os === 'linux' && LIBC[abi]) item.libc = [LIBC[abi]];
    const at = packages[`node_modules/${dep}`] ? `${key}/node_modules/${dep}` : `node_modules/${dep}`;
    packages[at] = item;
    added.push(`${dep}@${version}`);
  }
}

if (added.length === 0) {
  console.log(`${file}: no platform package missing`);
  process.exit(3);
}
const [rootKey, ...rest] = Object.keys(packages);
const sorted = { [rootKey]: packages[rootKey] };
for (const key of rest.sort((a, b) => a.localeCompare(b, 'en'))) sorted[key] = packages[key];
lock.packages = sorted;
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`${file}: added ${added.length} platform packages: ${added.join(', ')}`);

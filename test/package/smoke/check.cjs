// Checks the exports of the installed express-m8 (run by .ci/run in a scratch project, from ESM and CJS):
// every public name (README, "API") must be there with the right kind, and the values that can be checked are.
'use strict';

const REQUIRED = {
  'express-m8': {
    createApp: 'function',
    loadSettings: 'function',
    buildAuthDeps: 'function',
    createDbEngine: 'function',
    serve: 'function',
    healthResult: 'function',
    COMPAT_MATRIX: 'object',
    CAPABILITIES: 'object',
    VERSION: 'string',
    M8Error: 'function',
    SettingsError: 'function',
    CompatError: 'function',
    AuthError: 'function',
    DbError: 'function',
    LifecycleError: 'function',
    HttpError: 'function',
    ERROR_CODES: 'object',
  },
  'express-m8/testing': {
    testSettings: 'function',
    generateKeys: 'function',
    mintToken: 'function',
    startJwksServer: 'function',
    startRevocationServer: 'function',
  },
};

/**
 * @param {string} flavour 'esm' or 'cjs'
 * @param {Record<string, Record<string, unknown>>} modules the loaded entries, by specifier
 * @param {{ version: string }} pkg the installed package.json
 */
function checkExports(flavour, modules, pkg) {
  const problems = [];
  for (const [specifier, names] of Object.entries(REQUIRED)) {
    for (const [name, kind] of Object.entries(names)) {
      const value = modules[specifier]?.[name];
      if (typeof value !== kind) problems.push(`${specifier}: ${name} is a ${typeof value}, not a ${kind}`);
    }
  }
  const m8 = modules['express-m8'];
  const error = new m8.CompatError('ERR_COMPAT_NODE', 'smoke');
  if (!(error instanceof m8.M8Error) || error.code !== 'ERR_COMPAT_NODE' || error.name !== 'CompatError') {
    problems.push('CompatError does not extend M8Error with code and name');
  }
  if (m8.VERSION !== pkg.version) {
    problems.push(`VERSION is ${m8.VERSION}, package.json says ${pkg.version}`);
  }
  const minor = pkg.version.split('.').slice(0, 2).join('.');
  if (!m8.COMPAT_MATRIX?.[minor]) problems.push(`COMPAT_MATRIX has no row ${minor}`);
  if (!Object.isFrozen(m8.CAPABILITIES)) problems.push('CAPABILITIES is not frozen');
  if (problems.length > 0) {
    throw new Error(`${flavour} smoke test failed:\n  - ${problems.join('\n  - ')}`);
  }
  const count = Object.values(REQUIRED).reduce((n, names) => n + Object.keys(names).length, 0);
  console.log(
    `ok ${flavour} (node ${process.version}): express-m8 ${pkg.version} loads by name, ${count} exports`,
  );
}

module.exports = { checkExports };

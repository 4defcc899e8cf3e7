// CJS smoke test of the installed tarball: require by name and check the exports.
'use strict';

const { checkExports } = require('./check.cjs');
const m8 = require('express-m8');
const testing = require('express-m8/testing');
const pkg = require('express-m8/package.json');

checkExports('cjs', { 'express-m8': m8, 'express-m8/testing': testing }, pkg);

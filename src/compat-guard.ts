/**
 * Imported first by the package entry: docs/compatibility.md wants an unsupported Node.js or express to fail with a
 * CompatError naming the fix, before any other module can fail in a less helpful way. This module imports
 * nothing but the compat check, so bundlers emit it ahead of every other module and external `require`.
 */
import { assertCompatible } from './compat/index.js';

assertCompatible();

export {
  assertCompatible,
  assertDriverCompatible,
  checkCompat,
  installedVersion,
} from './check.js';
export {
  CAPABILITIES,
  type Capabilities,
  COMPAT_MATRIX,
  type CompatRow,
  type DriverName,
  VERSION,
} from './matrix.js';
export { satisfies } from './range.js';

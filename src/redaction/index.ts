/** Credential scrubbing shared by health output, database errors and logs. */
export { isSecretKey, REDACTED, scrubMeta, scrubText } from './scrub.js';

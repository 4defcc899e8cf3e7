/** Credential scrubbing shared by health output, database errors and logs. */
export { isSecretKey, JWT_PATTERN, SECRET_KEY_WORDS, scrubText } from './scrub.js';
export { scrubError, scrubMeta } from './walk.js';

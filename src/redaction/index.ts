/**
 * Credential scrubbing shared by health output, database errors, logs and the settings summary, and the one
 * decision of which names are secret.
 */
export {
  CENSOR,
  JWT_PATTERN,
  MASK,
  maskKnownSecrets,
  maskUrlUserinfo,
  SECRET_KEY_WORDS,
  scrubText,
} from './scrub.js';
export { isSecretKey } from './secret-names.js';
export { scrubError, scrubMeta } from './walk.js';

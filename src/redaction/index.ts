/** Credential scrubbing shared by health output, database errors and logs. */
export {
  CENSOR,
  isSecretKey,
  JWT_PATTERN,
  MASK,
  maskKnownSecrets,
  maskUrlUserinfo,
  SECRET_KEY_WORDS,
  scrubText,
} from './scrub.js';
export { scrubError, scrubMeta } from './walk.js';

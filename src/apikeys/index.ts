export {
  type ApiKeyAuthenticatorDeps,
  apiKeysEnabled,
  createApiKeyAuthenticator,
  readApiKey,
} from './authenticator.js';
export { API_KEY_PATTERN, apiKeyDigest, apiKeyPrefix, generateApiKey } from './format.js';
export { apiKeyIntrospectionUrl, MAX_INTROSPECTION_BYTES } from './introspect.js';
export { LAST_USED_INTERVAL_MS } from './local.js';
export {
  API_KEY_ROLES,
  type ApiKeyInfo,
  type ApiKeyManager,
  type CreateApiKeyOptions,
  type CreatedApiKey,
  createApiKeyManager,
} from './manager.js';
export { API_KEY_REJECT, INVALID_API_KEY_DETAIL } from './rejections.js';
export { type ApiKeyTables, apiKeyTables, libraryMigrator, migrateLibrary } from './store.js';
export type { ApiKeyAuthenticator } from './types.js';

export {
  apiKeysEnabled,
  createApiKeyAuthenticator,
  readApiKey,
} from './authenticator.js';
export { apiKeyIntrospectionUrl } from './introspect.js';
export {
  API_KEY_ROLES,
  type ApiKeyInfo,
  type ApiKeyManager,
  type CreateApiKeyOptions,
  type CreatedApiKey,
  createApiKeyManager,
} from './manager.js';
export { API_KEY_REJECT } from './rejections.js';
export { apiKeyTables, libraryMigrator } from './store.js';
export type { ApiKeyAuthenticator } from './types.js';

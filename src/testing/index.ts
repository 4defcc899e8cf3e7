/** `express-m8/testing`: what a consumer needs to test its own service without a real issuer. */

export {
  type ApiKeyIntrospectionRequest,
  type ApiKeyPrincipal,
  type ApiKeyReply,
  type ApiKeyServer,
  startApiKeyServer,
} from './api-key-server.js';
export {
  type EventIssuer,
  type EventIssuerOptions,
  type EventIssuerRequest,
  type EventSigning,
  startEventIssuer,
} from './event-issuer.js';
export {
  type JwksBehaviour,
  type JwksServer,
  type JwksServerOptions,
  startJwksServer,
} from './jwks-server.js';
export {
  type GenerateKeysOptions,
  generateKeys,
  keysFromPrivateKey,
  type TestKeys,
  type TestPublicJwk,
} from './keys.js';
export { type MintProfile, type MintTokenOptions, mintToken, type TestClaims } from './mint.js';
export {
  type RevocationPolicy,
  type RevocationReply,
  type RevocationRequest,
  type RevocationServer,
  startRevocationServer,
} from './revocation-server.js';
export {
  TEST_ACCESS_SECRET_KEY,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
  type TestSettingsOverrides,
  type TestSettingValue,
  testSettings,
} from './settings.js';

/** `express-m8/testing`: what a consumer needs to test its own service without a real issuer. */
export {
  TEST_ACCESS_SECRET_KEY,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
  type TestSettingsOverrides,
  type TestSettingValue,
  testSettings,
} from './settings.js';

import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { AccessTokenAlgorithm, AsymmetricAlgorithm } from '../settings/types.js';

const generatePair = promisify(generateKeyPair);

/** A public JWK as served by a JWKS endpoint. */
export interface TestPublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

/** Key material for minting test tokens, from {@link generateKeys}. */
export interface TestKeys {
  readonly alg: AccessTokenAlgorithm;
  /** The `kid` put in minted headers and in the JWK. */
  readonly kid: string;
  /** Signs tokens (the secret itself for HS256). */
  readonly privateKey: KeyObject;
  /** Verifies tokens (the secret itself for HS256). */
  readonly publicKey: KeyObject;
  /** SPKI PEM of the public key, for `ACCESS_PUBLIC_KEY_FILE` (empty for HS256). */
  readonly publicPem: string;
  /** The public JWK with `kid`, `alg` and `use: "sig"` (an `oct` JWK for HS256). */
  readonly publicJwk: TestPublicJwk;
  /** The HS256 secret as a string (`ACCESS_SECRET_KEY`); `undefined` for public-key algorithms. */
  readonly secret: string | undefined;
}

/** Options of {@link generateKeys}. */
export interface GenerateKeysOptions {
  /** The `kid`; a random one by default. */
  readonly kid?: string;
  /** HS256 only: use this secret (e.g. the `ACCESS_SECRET_KEY` of your test settings). */
  readonly secret?: string;
}

/**
 * Generates fresh key material for one algorithm: RSA 2048 for RS256/RS384/RS512/PS256, P-256 for ES256,
 * P-384 for ES384, Ed25519 for EdDSA, a strong random secret (passes the `ACCESS_SECRET_KEY` rules) for HS256.
 *
 * @example
 * const keys = await generateKeys('RS256');
 * const jwks = await startJwksServer(keys);
 * const token = mintToken(keys, { role: 'admin' });
 */
export async function generateKeys(
  alg: AccessTokenAlgorithm,
  options: GenerateKeysOptions = {},
): Promise<TestKeys> {
  const kid = options.kid ?? `test-${randomUUID()}`;
  if (alg === 'HS256') {
    const secret = options.secret ?? `Aa1!${randomBytes(32).toString('base64url')}`;
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    const jwk = key.export({ format: 'jwk' });
    return Object.freeze({
      alg,
      kid,
      privateKey: key,
      publicKey: key,
      publicPem: '',
      publicJwk: Object.freeze({ ...jwk, kty: 'oct', kid, alg, use: 'sig' as const }),
      secret,
    });
  }
  const { privateKey } =
    alg === 'EdDSA'
      ? await generatePair('ed25519', {})
      : alg.startsWith('ES')
        ? await generatePair('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' })
        : await generatePair('rsa', { modulusLength: 2048 });
  return wrapPrivateKey(alg, privateKey, kid);
}

/**
 * Wraps an existing private key (a PEM string or KeyObject, e.g. a committed fixture or a dev key) as
 * {@link TestKeys}, skipping key generation (RSA generation is slow on small CI machines).
 *
 * @example
 * const keys = keysFromPrivateKey('RS256', readFileSync('test/fixtures/keys/rsa-private.pem', 'utf8'), 'k1');
 */
export function keysFromPrivateKey(
  alg: AsymmetricAlgorithm,
  privateKey: KeyObject | string,
  kid: string,
): TestKeys {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return wrapPrivateKey(alg, key, kid);
}

function wrapPrivateKey(alg: AsymmetricAlgorithm, privateKey: KeyObject, kid: string): TestKeys {
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  return Object.freeze({
    alg,
    kid,
    privateKey,
    publicKey,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk: Object.freeze({ ...jwk, kty: String(jwk.kty), kid, alg, use: 'sig' as const }),
    secret: undefined,
  });
}

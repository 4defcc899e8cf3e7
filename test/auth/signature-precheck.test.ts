import type { KeyObject, webcrypto } from 'node:crypto';
import { jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { hmacKey } from '../../src/auth/keys.js';
import { REJECT } from '../../src/auth/rejections.js';
import { TokenVerifier, type VerifierOptions } from '../../src/auth/verifier.js';
import type { AccessTokenAlgorithm } from '../../src/settings/types.js';
import {
  generateKeys,
  mintToken,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
  type TestKeys,
} from '../../src/testing/index.js';

// A forged token must cost one signature verification and no exception (docs/architecture.md, "Speed": a rejected token must not
// cost more than an accepted one). The seam is `verifyJwt`, which wraps jose's real jwtVerify to count calls.

type VerifyJwt = NonNullable<VerifierOptions['verifyJwt']>;
const ALGS: readonly AccessTokenAlgorithm[] = ['RS256', 'ES256', 'HS256'];
const keys = new Map<AccessTokenAlgorithm, { signer: TestKeys; forger: TestKeys }>();

beforeAll(async () => {
  for (const alg of ALGS) {
    const signer = await generateKeys(alg, { kid: 'k1' });
    // Same kid and algorithm, another key: a forgery the structural checks cannot tell apart.
    const forger = await generateKeys(alg, { kid: 'k1' });
    keys.set(alg, { signer, forger });
  }
}, 60_000);

async function verifierFor(alg: AccessTokenAlgorithm, signer: TestKeys) {
  let calls = 0;
  const counted: VerifyJwt = (token, key, options) => {
    calls++;
    return jwtVerify(token, key, options);
  };
  const staticKey: KeyObject | webcrypto.CryptoKey =
    alg === 'HS256' ? await hmacKey(signer.secret ?? '') : signer.publicKey;
  const verifier = new TokenVerifier({
    alg,
    staticKey,
    jwks: undefined,
    issuer: TEST_TOKEN_ISSUER,
    audience: TEST_TOKEN_AUDIENCE,
    strict: true,
    now: Date.now,
    cacheSize: 0,
    verifyJwt: counted,
  });
  return { verifier, calls: () => calls };
}

describe.each(ALGS)('the signature pre-check (%s)', (alg) => {
  it('refuses a token signed by another key without calling jose', async () => {
    const { signer, forger } = keys.get(alg)!;
    const { verifier, calls } = await verifierFor(alg, signer);
    expect(await verifier.verify(mintToken(forger))).toBe(REJECT.badSignature);
    expect(calls()).toBe(0);
  });

  it('lets a genuine token through to jose, which accepts it', async () => {
    const { signer } = keys.get(alg)!;
    const { verifier, calls } = await verifierFor(alg, signer);
    const user = await verifier.verify(mintToken(signer, { role: 'admin' }));
    expect(user).toMatchObject({ role: 'admin' });
    expect(calls()).toBe(1);
  });

  it('refuses a tampered payload with the original signature without calling jose', async () => {
    const { signer } = keys.get(alg)!;
    const { verifier, calls } = await verifierFor(alg, signer);
    const [header, , signature] = mintToken(signer).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'x', role: 'superadmin' })).toString('base64url');
    expect(await verifier.verify(`${header}.${payload}.${signature}`)).toBe(REJECT.badSignature);
    expect(calls()).toBe(0);
  });
});

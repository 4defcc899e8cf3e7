import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { buildAuthDeps, type Settings, SettingsError } from 'express-m8';
import { describe, expect, it } from 'vitest';
import { loadPemKey } from '../../src/auth/keys.js';
import { load, tempDir } from '../settings/helpers.js';

const tmp = tempDir();

const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;
const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const ec = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve });

const rsa2048 = rsa(2048);
const p256 = ec('P-256');
const files = {
  rsa2048: tmp.write('rsa2048.pem', spki(rsa2048.publicKey)),
  rsa1024: tmp.write('rsa1024.pem', spki(rsa(1024).publicKey)),
  p256: tmp.write('p256.pem', spki(p256.publicKey)),
  p384: tmp.write('p384.pem', spki(ec('P-384').publicKey)),
  ed25519: tmp.write('ed25519.pem', spki(generateKeyPairSync('ed25519').publicKey)),
  privatePkcs8: tmp.write('private.pem', p256.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
  privatePkcs1: tmp.write(
    'private-rsa.pem',
    rsa2048.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  ),
  garbage: tmp.write('garbage.pem', '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n'),
  missing: `${tmp.dir}/absent.pem`,
};

/** What loadSettings says about ACCESS_PUBLIC_KEY_FILE (empty when it loads). */
function fromLoadSettings(alg: string, file: string): string[] {
  try {
    load({ ACCESS_TOKEN_ALGORITHM: alg, ACCESS_PUBLIC_KEY_FILE: file, ACCESS_SECRET_KEY: undefined });
    return [];
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return err.issues.filter((i) => i.variable === 'ACCESS_PUBLIC_KEY_FILE').map((i) => i.message);
  }
}

/** What buildAuthDeps says about the same file in a Settings object built by hand (not by loadSettings). */
async function fromBuildAuthDeps(alg: string, file: string): Promise<string[]> {
  const settings = {
    ...load(),
    ACCESS_TOKEN_ALGORITHM: alg,
    ACCESS_PUBLIC_KEY_FILE: file,
    ACCESS_SECRET_KEY: undefined,
  } as Settings;
  try {
    await buildAuthDeps(settings).close();
    return [];
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return err.issues.filter((i) => i.variable === 'ACCESS_PUBLIC_KEY_FILE').map((i) => i.message);
  }
}

describe('one PEM check for loadSettings and buildAuthDeps', () => {
  it.each([
    ['RS256', 'rsa2048', 0],
    ['RS256,PS256', 'rsa2048', 0],
    ['ES256', 'p256', 0],
    ['EdDSA', 'ed25519', 0],
    ['RS256', 'rsa1024', 1],
    ['ES256', 'p384', 1],
    ['RS256', 'p256', 1],
    // A list: the key must suit every entry (buildAuthDeps used to accept a key that suited one of them).
    ['RS256,ES256', 'rsa2048', 1],
    ['ES256,ES384', 'p256', 1],
    ['ES256', 'privatePkcs8', 1],
    ['RS256', 'privatePkcs1', 1],
    ['RS256', 'garbage', 1],
    ['RS256', 'missing', 1],
  ] as const)('%s with %s: both give the same %d problem(s) and messages', async (alg, name, count) => {
    const file = files[name];
    const settingsProblems = fromLoadSettings(alg, file);
    expect(settingsProblems).toHaveLength(count);
    expect(await fromBuildAuthDeps(alg, file)).toEqual(settingsProblems);
  });

  it('refuses a private key without printing it', () => {
    const problems = fromLoadSettings('ES256', files.privatePkcs8);
    expect(problems).toEqual([
      `the file ${JSON.stringify(files.privatePkcs8)} holds a private key; give the consumer the public key only (SPKI PEM)`,
    ]);
    expect(problems.join('')).not.toContain('BEGIN');
  });

  it('loadPemKey (the verifier key source) returns the key the check accepted', () => {
    const key = loadPemKey(files.p256, 'ES256');
    expect(key).toBeInstanceOf(KeyObject);
    expect((key as KeyObject).type).toBe('public');
    expect(loadPemKey(files.privatePkcs8, 'ES256')).toBe(fromLoadSettings('ES256', files.privatePkcs8)[0]);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { issuesFor, load, messagesAbout, tempDir } from './helpers.js';

const tmp = tempDir();

function publicPem(kind: 'rsa' | 'ec', opt: number | string): string {
  const { publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: opt as number })
      : generateKeyPairSync('ec', { namedCurve: opt as string });
  return publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

const rsa2048 = tmp.write('rsa2048.pem', publicPem('rsa', 2048));
const rsa1024 = tmp.write('rsa1024.pem', publicPem('rsa', 1024));
const p256 = tmp.write('p256.pem', publicPem('ec', 'prime256v1'));
const p384 = tmp.write('p384.pem', publicPem('ec', 'secp384r1'));
const garbage = tmp.write(
  'garbage.pem',
  '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n',
);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = tmp.write('private.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
const rsaPkcs1 = tmp.write(
  'rsa-pkcs1.pem',
  generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    type: 'pkcs1',
    format: 'pem',
  }) as string,
);

function keyFile(alg: string, path: string) {
  return { ACCESS_TOKEN_ALGORITHM: alg, ACCESS_PUBLIC_KEY_FILE: path };
}

function keyProblems(alg: string, path: string): string[] {
  return messagesAbout(issuesFor(keyFile(alg, path)), 'ACCESS_PUBLIC_KEY_FILE');
}

describe('ACCESS_PUBLIC_KEY_FILE', () => {
  it('accepts an RSA 2048-bit public key for RS256 and keeps the path (not the content)', () => {
    expect(load(keyFile('RS256', rsa2048)).ACCESS_PUBLIC_KEY_FILE).toBe(rsa2048);
  });

  it('accepts a PKCS#1 RSA public key for RS256', () => {
    expect(load(keyFile('RS256', rsaPkcs1)).ACCESS_PUBLIC_KEY_FILE).toBe(rsaPkcs1);
  });

  it('rejects an RSA 1024-bit key for RS256', () => {
    expect(keyProblems('RS256', rsa1024)).toEqual([
      `RS256 needs an RSA key of at least 2048 bits (got an RSA 1024-bit key in ${JSON.stringify(rsa1024)})`,
    ]);
  });

  it('accepts a P-256 key for ES256', () => {
    expect(load(keyFile('ES256', p256)).ACCESS_PUBLIC_KEY_FILE).toBe(p256);
  });

  it('rejects a P-384 key for ES256', () => {
    expect(keyProblems('ES256', p384)).toEqual([
      `ES256 needs an EC key on P-256 (prime256v1) (got an EC key on secp384r1 in ${JSON.stringify(p384)})`,
    ]);
  });

  it('rejects a key whose type does not match the algorithm', () => {
    expect(keyProblems('RS256', p256)).toEqual([expect.stringContaining('RS256 needs an RSA key')]);
    expect(keyProblems('ES256', rsa2048)).toEqual([expect.stringContaining('(got an RSA 2048-bit key')]);
  });

  it('rejects a file that does not parse as a PEM public key', () => {
    expect(keyProblems('RS256', garbage)).toEqual([expect.stringContaining('it does not parse')]);
  });

  it('rejects a missing file', () => {
    const missing = join(tmp.dir, 'absent.pem');
    expect(keyProblems('RS256', missing)).toEqual([
      `cannot read the public key file ${JSON.stringify(missing)} (ENOENT)`,
    ]);
  });

  it('rejects a private key, which a token consumer must never hold', () => {
    expect(keyProblems('RS256', privatePem)).toEqual([expect.stringContaining('holds a private key')]);
  });

  it('checks the file even when JWKS_URI is also set', () => {
    const issues = issuesFor({ ...keyFile('RS256', rsa1024), JWKS_URI: 'https://auth.example.com/jwks' });
    expect(issues.map((i) => i.variable)).toEqual(['ACCESS_PUBLIC_KEY_FILE']);
  });

  it('does not read the file under HS256, which never uses it', () => {
    expect(load({ ACCESS_PUBLIC_KEY_FILE: join(tmp.dir, 'absent.pem') }).ACCESS_TOKEN_ALGORITHM).toBe(
      'HS256',
    );
  });
});

import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPemKey } from '../../src/auth/keys.js';

const dir = mkdtempSync(path.join(tmpdir(), 'm8-pem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pemFile(name: string, pem: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, pem);
  return file;
}

describe('loadPemKey', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('reads a public key PEM', () => {
    const key = loadPemKey(
      pemFile('public.pem', publicKey.export({ type: 'spki', format: 'pem' }) as string),
      'ES256',
    );
    expect(key).toBeInstanceOf(KeyObject);
    expect((key as KeyObject).type).toBe('public');
  });

  it('refuses a private key PEM, as loadSettings does, without printing it', () => {
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const file = pemFile('private.pem', pem);
    const result = loadPemKey(file, 'ES256');
    expect(result).toBe(`${file} holds a private key; give the consumer the public key only (SPKI PEM)`);
  });
});

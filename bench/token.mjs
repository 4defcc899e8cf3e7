// An RS256 access token with the fa-auth-m8 claim set, signed with node:crypto alone (the bench must not
// depend on the code it measures to make its input).
import { randomUUID, sign } from 'node:crypto';

export function mintBenchToken(privateKey) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({
    sub: randomUUID(),
    type: 'access',
    email: 'bench@example.com',
    full_name: 'Bench',
    avatar: null,
    is_active: true,
    email_verified: true,
    is_superuser: false,
    role: 'user',
    tenant_id: null,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 3600,
    iss: 'https://auth.example.com',
    aud: 'bench',
  })}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
}

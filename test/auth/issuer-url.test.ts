import { describe, expect, it } from 'vitest';
import { issuerPrivateUrl } from '../../src/auth/issuer-url.js';

describe('issuerPrivateUrl', () => {
  it('appends the path once when INTROSPECTION_URL already points into /private/v1 (fa-auth-m8 deployments)', () => {
    expect(issuerPrivateUrl('http://auth:8000/user/private/v1/jti-status', 'events/stream').href).toBe(
      'http://auth:8000/user/private/v1/events/stream',
    );
    expect(
      issuerPrivateUrl('https://auth.example.com/private/v1/jti-status', 'api-keys/introspect').href,
    ).toBe('https://auth.example.com/private/v1/api-keys/introspect');
  });

  it('adds /private/v1 when the base does not end with it, and drops query and fragment', () => {
    expect(issuerPrivateUrl('http://auth:8000/jti-status?x=1#f', 'service-token').href).toBe(
      'http://auth:8000/private/v1/service-token',
    );
    expect(issuerPrivateUrl('http://auth:8000/api/jti-status', '/service-token').href).toBe(
      'http://auth:8000/api/private/v1/service-token',
    );
  });
});

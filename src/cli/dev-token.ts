import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isProductionLike, keyTypeProblem, type Settings } from '../settings/index.js';
import { accessTokenAlgorithms, settingList } from '../settings/types.js';
import { generateKeys, keysFromPrivateKey, mintToken, type TestKeys } from '../testing/index.js';
import { numberOption, parseCommandArgs, stringOption } from './args.js';
import { CliExit, type CliIo, loadCliSettings, messageOf, UsageError } from './io.js';

/** The `express-m8 dev-token --help` text. */
export const DEV_TOKEN_USAGE = `Usage: express-m8 dev-token [--role user] [--email dev@example.com] [--sub uuid] [--tenant uuid]
                           [--name "Dev User"] [--expires-minutes N] [--private-key path] [--kid id]

Mints an access token with the fa-auth-m8 claims (sub, type=access, email, full_name, avatar, is_active,
email_verified, is_superuser, role, tenant_id, jti, iat, nbf, exp, iss=TOKEN_ISSUER, aud=TOKEN_AUDIENCE),
signed with ACCESS_SECRET_KEY (HS256) or with --private-key (RS256/ES256, as ACCESS_TOKEN_ALGORITHM says).
Prints only the token on stdout; notes go to stderr. Refused when ENVIRONMENT=production or
STRICT_PRODUCTION_MODE=true.

Options:
  --role R              user | reader | writer | admin | superadmin (default user)
  --email E             default dev@example.com
  --sub UUID            the user id (default a random UUID)
  --tenant UUID         tenant_id (default null)
  --name N              full_name (default "Dev User")
  --expires-minutes N   lifetime (default ACCESS_TOKEN_EXPIRE_MINUTES)
  --private-key PATH    PEM private key for RS256/ES256; must match ACCESS_PUBLIC_KEY_FILE when that is set
  --kid ID              the kid header (default none; set it when the service verifies through JWKS_URI)
  -h, --help            show this help

Exit codes: 0 printed a token; 2 refused (production), invalid settings, bad key or bad usage.
`;

const ROLES = ['user', 'reader', 'writer', 'admin', 'superadmin'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function fail(io: CliIo, message: string): never {
  io.stderr(`express-m8 dev-token: ${message}\n`);
  throw new CliExit(2);
}

function uuidOption(value: string | undefined, name: string): string | undefined {
  if (value !== undefined && !UUID.test(value))
    throw new UsageError(`--${name} must be a UUID (got ${JSON.stringify(value)})`);
  return value;
}

function spki(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

/** The key pair for RS256/ES256 from `--private-key`, checked against the algorithm and the configured key. */
function asymmetricKeys(io: CliIo, settings: Settings, file: string, kid: string): TestKeys {
  // The first algorithm of a list signs (they all verify).
  const alg = accessTokenAlgorithms(settings.ACCESS_TOKEN_ALGORITHM)[0]!;
  if (alg === 'HS256')
    fail(
      io,
      '--private-key is for RS256/ES256, but ACCESS_TOKEN_ALGORITHM=HS256 (omit it to sign with ACCESS_SECRET_KEY)',
    );
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(
      io,
      `--private-key ${JSON.stringify(file)} is not a readable PEM private key (${messageOf(error).split('\n')[0]})`,
    );
  }
  const problem = keyTypeProblem(key, alg, '--private-key');
  if (problem !== undefined) fail(io, `ACCESS_TOKEN_ALGORITHM=${problem}`);
  const publicFile = settings.ACCESS_PUBLIC_KEY_FILE;
  if (publicFile) {
    let configured: KeyObject;
    try {
      configured = createPublicKey(readFileSync(publicFile, 'utf8'));
    } catch (error) {
      fail(
        io,
        `cannot read ACCESS_PUBLIC_KEY_FILE ${JSON.stringify(publicFile)} (${messageOf(error).split('\n')[0]})`,
      );
    }
    if (spki(createPublicKey(key)) !== spki(configured)) {
      fail(
        io,
        `--private-key does not match ACCESS_PUBLIC_KEY_FILE ${JSON.stringify(publicFile)}: the service would reject the token`,
      );
    }
  } else {
    io.stderr(
      "note: ACCESS_PUBLIC_KEY_FILE is unset, so the key could not be checked against the service's key\n",
    );
  }
  return keysFromPrivateKey(alg, key, kid);
}

/** `express-m8 dev-token`: prints a signed access token for local development; refused in production. */
export async function devTokenCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      role: { type: 'string' },
      email: { type: 'string' },
      sub: { type: 'string' },
      tenant: { type: 'string' },
      name: { type: 'string' },
      'expires-minutes': { type: 'string' },
      'private-key': { type: 'string' },
      kid: { type: 'string' },
    },
    false,
  );
  if (args.values.help === true) {
    io.stdout(DEV_TOKEN_USAGE);
    return 0;
  }
  const role = stringOption(args, 'role') ?? 'user';
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  }
  const email = stringOption(args, 'email') ?? 'dev@example.com';
  if (!EMAIL.test(email))
    throw new UsageError(`--email must look like name@domain (got ${JSON.stringify(email)})`);
  const sub = uuidOption(stringOption(args, 'sub'), 'sub') ?? randomUUID();
  const tenant = uuidOption(stringOption(args, 'tenant'), 'tenant') ?? null;
  const kid = stringOption(args, 'kid');
  const privateKey = stringOption(args, 'private-key');

  const settings = loadCliSettings(io, 'dev-token');
  if (isProductionLike(settings)) {
    fail(
      io,
      `refused: ENVIRONMENT=${settings.ENVIRONMENT}${settings.STRICT_PRODUCTION_MODE ? ', STRICT_PRODUCTION_MODE=true' : ''}; dev tokens are for local development only`,
    );
  }
  const minutes = numberOption(args, 'expires-minutes', settings.ACCESS_TOKEN_EXPIRE_MINUTES, {
    min: 1,
    integer: true,
  });

  let keys: TestKeys;
  if (privateKey !== undefined) {
    keys = asymmetricKeys(io, settings, privateKey, kid ?? '');
  } else if (settings.ACCESS_TOKEN_ALGORITHM === 'HS256' && settings.ACCESS_SECRET_KEY) {
    keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY, kid: kid ?? '' });
  } else {
    fail(
      io,
      `ACCESS_TOKEN_ALGORITHM=${settings.ACCESS_TOKEN_ALGORITHM} needs --private-key <PEM> (the dev key matching ACCESS_PUBLIC_KEY_FILE)`,
    );
  }
  const token = mintToken(
    keys,
    { sub, email, full_name: stringOption(args, 'name') ?? 'Dev User', role, tenant_id: tenant },
    {
      issuer: settingList(settings.TOKEN_ISSUER)[0] ?? null,
      audience: settingList(settings.TOKEN_AUDIENCE)[0] ?? null,
      expiresInSeconds: minutes * 60,
      header: kid === undefined ? { kid: undefined } : {},
    },
  );
  io.stderr(`note: ${keys.alg} token for ${email} (role ${role}, sub ${sub}), expires in ${minutes} min\n`);
  io.stdout(`${token}\n`);
  return 0;
}

import { createHash, createHmac } from 'crypto';
import { IAM_TOKEN_LIFETIME_MS, IamTokenCache } from '../../runtime/iam-token';

const HOST = 'db.proxy-abc123.eu-west-1.rds.amazonaws.com';
const ACCESS_KEY = 'AKIDEXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

/** An independent SigV4 query-string signature, to check the token's signature rather than trust it. */
function expectedSignature(token: string): string {
  const [hostAndPort, query] = token.split('/?');
  const params = new URLSearchParams(query);
  const amzDate = params.get('X-Amz-Date')!;
  const day = amzDate.slice(0, 8);
  const canonicalQuery = [...params.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encodeURIComponent(name), encodeURIComponent(value)])
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const emptyPayload = createHash('sha256').update('').digest('hex');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${hostAndPort}`, '', 'host', emptyPayload].join('\n');
  const scope = `${day}/eu-west-1/rds-db/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, day), 'eu-west-1'), 'rds-db'), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

describe('IAM authentication token, signed offline by @aws-sdk/rds-signer', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // The default credential chain reads these first: no network, no profile.
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });
  afterAll(() => { process.env = saved; });

  test('has the presigned-URL form RDS expects, a 15-minute life and a valid SigV4 signature', async () => {
    const before = Date.now();
    const token = await new IamTokenCache({ host: HOST, port: 5432, user: 'dbadmin', region: 'eu-west-1' }).get();
    expect(token.startsWith(`${HOST}:5432/?`)).toBe(true);
    const params = new URLSearchParams(token.split('/?')[1]);
    expect(params.get('Action')).toBe('connect');
    expect(params.get('DBUser')).toBe('dbadmin');
    expect(params.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(params.get('X-Amz-Expires')).toBe(String(IAM_TOKEN_LIFETIME_MS / 1000));
    expect(params.get('X-Amz-SignedHeaders')).toBe('host');
    const amzDate = params.get('X-Amz-Date')!;
    expect(params.get('X-Amz-Credential')).toBe(`${ACCESS_KEY}/${amzDate.slice(0, 8)}/eu-west-1/rds-db/aws4_request`);
    const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
    expect(params.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(params.get('X-Amz-Signature')).toBe(expectedSignature(token));
  });

  test('a session token from temporary credentials (the Lambda role) is carried in the token', async () => {
    process.env.AWS_SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLESESSION';
    try {
      const token = await new IamTokenCache({ host: HOST, port: 3306, user: 'app', region: 'eu-west-1' }).get();
      expect(new URLSearchParams(token.split('/?')[1]).get('X-Amz-Security-Token')).toBe('FwoGZXIvYXdzEXAMPLESESSION');
    } finally {
      delete process.env.AWS_SESSION_TOKEN;
    }
  });
});

describe('IamTokenCache', () => {
  function fakeSigner() {
    let now = 1_000_000;
    let signed = 0;
    return {
      clock: { advance: (ms: number) => { now += ms; } },
      signedCount: () => signed,
      options: { host: HOST, port: 5432, user: 'dbadmin', region: 'eu-west-1', now: () => now, sign: async () => `token-${++signed}` },
    };
  }

  test('reuses one token until it is due for renewal, then signs a new one', async () => {
    const fake = fakeSigner();
    const cache = new IamTokenCache(fake.options);
    expect(await cache.get()).toBe('token-1');
    fake.clock.advance(9 * 60 * 1000);
    expect(await cache.get()).toBe('token-1');
    fake.clock.advance(60 * 1000);
    expect(await cache.get()).toBe('token-2');
    expect(fake.signedCount()).toBe(2);
  });

  test('concurrent connects share one signing', async () => {
    const fake = fakeSigner();
    const cache = new IamTokenCache(fake.options);
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual(['token-1', 'token-1', 'token-1']);
    expect(fake.signedCount()).toBe(1);
  });

  test('a refused token is dropped and the next connection signs afresh', async () => {
    const fake = fakeSigner();
    const cache = new IamTokenCache(fake.options);
    await cache.get();
    cache.invalidate();
    expect(await cache.get()).toBe('token-2');
  });

  test('a signing failure is reported without leaving a broken cache', async () => {
    let fail = true;
    const cache = new IamTokenCache({ host: HOST, port: 5432, user: 'u', region: 'eu-west-1', sign: async () => { if (fail) throw new Error('no credentials'); return 'ok'; } });
    await expect(cache.get()).rejects.toThrow('Could not sign an RDS IAM authentication token: no credentials');
    fail = false;
    expect(await cache.get()).toBe('ok');
  });

  test.each([0, IAM_TOKEN_LIFETIME_MS])('renewAfterMs %d outside the token life is refused', (renewAfterMs) => {
    expect(() => new IamTokenCache({ host: HOST, port: 5432, user: 'u', region: 'eu-west-1', renewAfterMs })).toThrow(/renewAfterMs must be between/);
  });
});

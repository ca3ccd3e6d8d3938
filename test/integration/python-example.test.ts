import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IAM_ROLE_HBA, IAM_USER, inAppDatabase, sleep } from './environment-setup';
import { PythonEnvironment } from './python/python-environment';
import { PostgresServer, createTestCertificates, startPostgres } from './servers';

const HANDLER = path.resolve(__dirname, '..', '..', 'examples', 'handlers', 'python_orders', 'orders.py');

/**
 * The Python example handler (psycopg2), run by Debian's Python (libpq 15) against a real
 * PostgreSQL that requires TLS. Host 127.0.0.1: libpq 15 matches it against the certificate's
 * IP SAN, so verify-full checks the chain and the address, as it checks the proxy's name in AWS.
 */
describe('Python example: psycopg2 with the connection created outside the handler', () => {
  let server: PostgresServer;
  let environments: PythonEnvironment[] = [];

  beforeAll(async () => {
    server = await startPostgres({ extraHba: [IAM_ROLE_HBA] });
    await inAppDatabase(server,
      `CREATE ROLE ${IAM_USER} LOGIN`,
      'CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount_cents int NOT NULL)',
      `GRANT INSERT, SELECT ON orders TO ${IAM_USER}`,
      `GRANT USAGE ON SEQUENCE orders_id_seq TO ${IAM_USER}`);
  });

  // Every test starts with no environment and no iam_user backend.
  afterEach(async () => {
    await Promise.all(environments.map((e) => e.stop()));
    environments = [];
    await server.terminateBackends(IAM_USER);
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** An execution environment with the wired variables; an override of `undefined` removes one. */
  function environment(overrides: Record<string, string | undefined> = {}): PythonEnvironment {
    const env: Record<string, string | undefined> = {
      SERVERLESS_RDS_HOST: '127.0.0.1', SERVERLESS_RDS_PORT: String(server.port), SERVERLESS_RDS_DATABASE: 'app',
      SERVERLESS_RDS_USER: IAM_USER, SERVERLESS_RDS_REGION: 'eu-west-1', SERVERLESS_RDS_AUTH: 'iam',
      DATABASE_CA_FILE: server.caFile, // libpq 15 has no sslrootcert=system (the handler's default, fine in Lambda: psycopg2-binary 2.9.10 bundles libpq 16+)
      // Throwaway credentials: boto3 signs the token offline. No credential file, no instance metadata.
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      ...overrides,
    };
    const defined = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const created = new PythonEnvironment(HANDLER, defined);
    environments.push(created);
    return created;
  }

  const ordersOf = async (customer: string) =>
    Number((await inAppDatabase(server, `SELECT count(*)::int AS n FROM orders WHERE customer = '${customer}'`))[0][0].n);

  test('every invocation reuses the one connection, over TLS', async () => {
    const python = environment();
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await python.invoke({ customer: 'reuse', amountCents: 100 + i }));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const pids = new Set(outcomes.map((o) => o.ok && o.result.backendPid));
    expect(pids.size).toBe(1);
    const orderIds = outcomes.map((o) => o.ok && o.result.orderId);
    expect(new Set(orderIds).size).toBe(10);
    expect(await server.backendPids(IAM_USER)).toEqual([...pids]);
    expect(await ordersOf('reuse')).toBe(10);
    const ssl = await server.adminQuery('SELECT ssl FROM pg_stat_ssl WHERE pid = $1', [[...pids][0]]);
    expect(ssl).toEqual([{ ssl: true }]);
  });

  test('a connection closed while idle is found by the check and replaced before the INSERT', async () => {
    const python = environment();
    const first = await python.invoke({ customer: 'replaced', amountCents: 1 });
    expect(first.ok).toBe(true);
    expect(await server.terminateBackends(IAM_USER)).toBe(1);
    await sleep(1100); // longer than the handler's VALIDATE_AFTER_IDLE_SECONDS
    const second = await python.invoke({ customer: 'replaced', amountCents: 2 });
    expect(second.ok).toBe(true);
    expect(second.ok && first.ok && second.result.backendPid !== first.result.backendPid).toBe(true);
    expect(await server.backendPids(IAM_USER)).toEqual([second.ok && second.result.backendPid]);
    // One row per successful invocation: nothing was written twice.
    expect(await ordersOf('replaced')).toBe(2);
  });

  test('on the warm path (no check) a closed connection fails one invocation, which writes nothing', async () => {
    const python = environment();
    expect((await python.invoke({ customer: 'warm', amountCents: 1 })).ok).toBe(true);
    await server.terminateBackends(IAM_USER);
    const unlucky = await python.invoke({ customer: 'warm', amountCents: 2 }); // idle < 1 s: no check
    // The real error (here "SSL connection has been closed unexpectedly"), not the InterfaceError
    // "connection already closed" that a rollback on the lost connection would raise instead.
    expect(unlucky).toEqual({ ok: false, error: expect.stringMatching(/^OperationalError: /) });
    expect(await python.invoke({ customer: 'warm', amountCents: 3 })).toMatchObject({ ok: true });
    expect(await ordersOf('warm')).toBe(2);
  });

  test('verify-full verifies the chain: a CA that did not sign the server certificate is refused', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'other-ca-'));
    try {
      const other = await createTestCertificates(otherDir);
      const python = environment({ DATABASE_CA_FILE: other.caFile });
      const outcome = await python.invoke({ customer: 'untrusted', amountCents: 1 });
      expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/^OperationalError: .*certificate verify failed/) });
      expect(await ordersOf('untrusted')).toBe(0);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test('verify-full verifies the host name: a trusted certificate for another name is refused', async () => {
    // libpq dials PGHOSTADDR but checks the certificate against the handler's host name.
    const python = environment({ SERVERLESS_RDS_HOST: 'proxy.example.invalid', PGHOSTADDR: '127.0.0.1' });
    const outcome = await python.invoke({ customer: 'wrong-name', amountCents: 1 });
    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/^OperationalError: .*does not match host name "proxy.example.invalid"/) });
    expect(await ordersOf('wrong-name')).toBe(0);
  });

  test('the IAM token is signed before connecting: without AWS credentials the invocation fails there', async () => {
    const python = environment({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const outcome = await python.invoke({ customer: 'no-credentials', amountCents: 1 });
    expect(outcome).toEqual({ ok: false, error: 'NoCredentialsError: Unable to locate credentials' });
    expect(await server.backendPids(IAM_USER)).toEqual([]);
    expect(await ordersOf('no-credentials')).toBe(0);
  });
});

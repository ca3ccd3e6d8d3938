import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IAM_ROLE_HBA, IAM_USER, inAppDatabase, sleep } from './environment-setup';
import { PythonEnvironment } from './python/python-environment';
import { PostgresServer, startPostgres } from './servers';
import { createTestCertificates } from './servers/test-certificates';

const HANDLER = path.resolve(__dirname, '..', '..', 'examples', 'handlers', 'python_orders', 'orders.py');

/** The Python example handler (psycopg2), run by Debian's Python against a real PostgreSQL. */
describe('Python example: psycopg2 with the connection created outside the handler', () => {
  let server: PostgresServer;
  const environments: PythonEnvironment[] = [];

  beforeAll(async () => {
    server = await startPostgres({ extraHba: [IAM_ROLE_HBA] });
    await inAppDatabase(server,
      `CREATE ROLE ${IAM_USER} LOGIN`,
      'CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount_cents int NOT NULL)',
      `GRANT INSERT, SELECT ON orders TO ${IAM_USER}`,
      `GRANT USAGE ON SEQUENCE orders_id_seq TO ${IAM_USER}`);
  });

  afterAll(async () => {
    await Promise.all(environments.map((e) => e.stop()));
    await server?.stop();
  });

  function environment(overrides: Record<string, string> = {}): PythonEnvironment {
    const created = new PythonEnvironment(HANDLER, {
      SERVERLESS_RDS_HOST: '127.0.0.1', SERVERLESS_RDS_PORT: String(server.port), SERVERLESS_RDS_DATABASE: 'app',
      SERVERLESS_RDS_USER: IAM_USER, SERVERLESS_RDS_REGION: 'eu-west-1', SERVERLESS_RDS_AUTH: 'iam',
      DATABASE_CA_FILE: server.caFile,
      // Throwaway credentials: boto3 signs the token offline.
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      ...overrides,
    });
    environments.push(created);
    return created;
  }

  const ordersOf = async (customer: string) =>
    Number((await inAppDatabase(server, `SELECT count(*)::int AS n FROM orders WHERE customer = '${customer}'`))[0][0].n);

  test('every invocation reuses the one connection, over verified TLS', async () => {
    const python = environment();
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await python.invoke({ customer: 'reuse', amountCents: 100 + i }));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const pids = new Set(outcomes.map((o) => o.ok && o.result.backendPid));
    expect(pids.size).toBe(1);
    expect(await server.backendPids(IAM_USER)).toEqual([...pids]);
    expect(await ordersOf('reuse')).toBe(10);
    const [{ ssl }] = await server.adminQuery<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = $1', [[...pids][0]]);
    expect(ssl).toBe(true);
    await python.stop();
  });

  test('a connection closed while idle is replaced before the INSERT, and no order is written twice', async () => {
    const python = environment();
    const first = await python.invoke({ customer: 'replaced', amountCents: 1 });
    expect(await server.terminateBackends(IAM_USER)).toBe(1);
    await sleep(1100); // longer than the handler's VALIDATE_AFTER_IDLE_SECONDS
    const second = await python.invoke({ customer: 'replaced', amountCents: 2 });
    expect(second.ok).toBe(true);
    expect(second.ok && first.ok && second.result.backendPid !== first.result.backendPid).toBe(true);
    expect(await ordersOf('replaced')).toBe(2);
    await python.stop();
  });

  test('verify-full verifies: a CA that did not sign the server certificate is refused', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'other-ca-'));
    try {
      const other = await createTestCertificates(otherDir);
      const python = environment({ DATABASE_CA_FILE: other.caFile });
      const outcome = await python.invoke({ customer: 'untrusted', amountCents: 1 });
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error).toMatch(/OperationalError: .*certificate verify failed/);
      await python.stop();
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test('the IAM token is signed before connecting: without AWS credentials the invocation fails there', async () => {
    const python = environment({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    const outcome = await python.invoke({ customer: 'no-credentials', amountCents: 1 });
    expect(outcome).toEqual({ ok: false, error: 'NoCredentialsError: Unable to locate credentials' });
    expect(await ordersOf('no-credentials')).toBe(0);
    await python.stop();
  });
});

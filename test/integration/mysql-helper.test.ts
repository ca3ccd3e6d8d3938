import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SecretsManagerStub } from './aws/secrets-manager-stub';
import { sleep } from './environment-setup';
import { bundleHandler } from './lambda/bundle-handler';
import { ExecutionEnvironment } from './lambda/execution-environment';
import { SilentDropRelay } from './lambda/silent-drop-relay';
import { MariaDbServer, startMariaDb } from './servers';
import { createTestCertificates } from './servers/test-certificates';
import { RuntimeEvent } from '../../runtime/events';
import { ServerlessMysqlPool } from '../../runtime/mysql';

/** The MySQL runtime helper against a real MariaDB that requires TLS. */
describe('runtime helper for MySQL (MariaDB, TLS required)', () => {
  let server: MariaDbServer;
  const pools: ServerlessMysqlPool[] = [];

  beforeAll(async () => {
    server = await startMariaDb();
    await server.adminQuery('CREATE TABLE app.jobs (id int AUTO_INCREMENT PRIMARY KEY, payload text NOT NULL)');
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await server?.stop();
  });

  function pool(options: { connections?: number; ca?: string; events?: RuntimeEvent[] } = {}): ServerlessMysqlPool {
    const created = new ServerlessMysqlPool({
      host: server.host, port: server.port, database: 'app', user: server.app.user, password: server.app.password,
      connections: options.connections ?? 1, tls: { ca: options.ca ?? server.caPem },
      onEvent: (event) => options.events?.push(event),
    });
    pools.push(created);
    return created;
  }

  test('one connection, over TLS, serves every call', async () => {
    const db = pool();
    const threadIds = new Set<number>();
    for (let i = 0; i < 20; i++) threadIds.add((await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id'))[0].id);
    expect(threadIds.size).toBe(1);
    expect(await server.connectionIds()).toEqual([...threadIds]);
    const [cipher] = await db.query<Array<{ Value: string }>>("SHOW STATUS LIKE 'Ssl_cipher'");
    expect(cipher.Value).not.toBe('');
    await db.end();
  });

  test('IAM mode presents the token as the password, signed once for all the connections it opens', async () => {
    let signed = 0;
    // The signer is replaced because MariaDB cannot check a real token: the app password plays the token.
    const db = new ServerlessMysqlPool({
      host: server.host, port: server.port, database: 'app', user: server.app.user, auth: 'iam', region: 'eu-west-1',
      signToken: async () => { signed++; return server.app.password; }, tls: { ca: server.caPem }, connections: 2,
    });
    pools.push(db);
    await Promise.all([db.query('SELECT SLEEP(0.05)'), db.query('SELECT SLEEP(0.05)')]);
    expect(db.totalCount).toBe(2);
    expect(signed).toBe(1);
    await db.end();
  });

  test('a connection killed between calls is replaced and the next call succeeds', async () => {
    const events: RuntimeEvent[] = [];
    const db = pool({ events });
    const [{ id: first }] = await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id');
    expect(await server.killConnections()).toBe(1);
    await sleep(1100);
    const [{ id: second }] = await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id');
    expect(second).not.toBe(first);
    expect(db.totalCount).toBe(1);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['connected']));
    expect(events.some((e) => e.type === 'idle-connection-closed' || e.type === 'replaced-dead-connection')).toBe(true);
    await db.end();
  });

  test('a connection the network dropped silently is found by the check after idle and replaced before the statement', async () => {
    const relay = await SilentDropRelay.start(server.port);
    const events: RuntimeEvent[] = [];
    const db = new ServerlessMysqlPool({
      host: server.host, port: relay.port, database: 'app', user: server.app.user, password: server.app.password,
      tls: { ca: server.caPem }, onEvent: (event) => events.push(event),
    });
    pools.push(db);
    try {
      const [{ id: first }] = await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id');
      expect(relay.dropSilently()).toBe(1);
      await sleep(1100); // longer than validateAfterIdleMs
      const [{ id: second }] = await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id');
      expect(second).not.toBe(first);
      expect(events.filter((e) => e.type === 'replaced-dead-connection')).toHaveLength(1);
    } finally {
      await db.end();
      await relay.stop();
    }
  });

  test('the pool never holds more than its connections, however many calls run at once', async () => {
    const db = pool({ connections: 3 });
    const ids = await Promise.all(Array.from({ length: 12 }, () => db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id, SLEEP(0.05)')));
    expect(new Set(ids.map((rows) => rows[0].id)).size).toBe(3);
    expect(db.totalCount).toBe(3);
    expect(await server.connectionIds()).toHaveLength(3);
    await db.end();
    expect(db.totalCount).toBe(0);
  });

  test('a transaction whose work throws is rolled back, and its connection reused', async () => {
    const db = pool();
    const [{ id: before }] = await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id');
    await expect(db.transaction(async (connection) => {
      await connection.execute('INSERT INTO jobs (payload) VALUES (?)', ['never-committed']);
      throw new Error('work failed');
    })).rejects.toThrow('work failed');
    const [{ n }] = await db.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM jobs WHERE payload = 'never-committed'");
    expect(Number(n)).toBe(0);
    const [{ id: after }] = await db.query<Array<{ id: number }>>('SELECT CONNECTION_ID() AS id');
    expect(after).toBe(before);
    expect({ total: db.totalCount, idle: db.idleCount }).toEqual({ total: 1, idle: 1 });
    // Failed withConnection() work that left a transaction open is rolled back, and the connection kept.
    await expect(db.withConnection(async (connection) => {
      await connection.query('START TRANSACTION');
      await connection.execute('INSERT INTO jobs (payload) VALUES (?)', ['left-open']);
      throw new Error('left open');
    })).rejects.toThrow('left open');
    const [{ id: same, inTransaction }] = await db.query<Array<{ id: number; inTransaction: number }>>('SELECT CONNECTION_ID() AS id, @@in_transaction AS inTransaction');
    expect({ same, inTransaction: Number(inTransaction) }).toEqual({ same: after, inTransaction: 0 });
    const [{ n: leftOpen }] = await db.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM jobs WHERE payload = 'left-open'");
    expect(Number(leftOpen)).toBe(0);
    await db.end();
  });

  test('TLS is verified: a CA that did not sign the server certificate is refused', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'other-ca-'));
    const untrusted = (await createTestCertificates(otherDir)).caPem;
    fs.rmSync(otherDir, { recursive: true, force: true });
    const db = pool({ ca: untrusted });
    await expect(db.query('SELECT 1')).rejects.toThrow(/certificate|signature/i);
    expect(db.totalCount).toBe(0);
  });

  test('a server restart during a run costs a bounded number of failed calls', async () => {
    const db = pool();
    const outcomes: boolean[] = [];
    let restart: Promise<void> | undefined;
    for (let i = 0; i < 100; i++) {
      if (i === 20) restart = server.restart();
      outcomes.push(await db.query('SELECT 1').then(() => true, () => false));
      await sleep(10);
    }
    await restart;
    expect(outcomes.filter((ok) => !ok).length).toBeLessThanOrEqual(2);
    expect(outcomes.slice(-30).every(Boolean)).toBe(true);
    await db.end();
  });

  test('the example worker, bundled, runs in an environment in secret mode with its pool of four', async () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mysql-AbCdEf';
    const secrets = await SecretsManagerStub.start({ [secretArn]: { username: server.app.user, password: server.app.password } });
    const environment = await ExecutionEnvironment.start(bundleHandler('examples/handlers/worker.ts'), {
      SERVERLESS_RDS_ENGINE: 'mysql', SERVERLESS_RDS_HOST: server.host, SERVERLESS_RDS_PORT: String(server.port),
      SERVERLESS_RDS_DATABASE: 'app', SERVERLESS_RDS_USER: server.app.user, SERVERLESS_RDS_REGION: 'eu-west-1',
      SERVERLESS_RDS_AUTH: 'secret', SERVERLESS_RDS_SECRET_ARN: secretArn, SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '4',
      NODE_EXTRA_CA_CERTS: server.caFile, ...secrets.environment(),
    });
    try {
      const records = Array.from({ length: 10 }, (_, i) => ({ body: `job-${i}` }));
      expect(await environment.invoke({ Records: records })).toEqual({ ok: true, result: { processed: 10, poolSize: 4 } });
      expect(await environment.invoke({ Records: records.slice(0, 3) })).toEqual({ ok: true, result: { processed: 3, poolSize: 4 } });
      const [{ n }] = await server.adminQuery<{ n: number }>("SELECT COUNT(*) AS n FROM app.jobs WHERE payload LIKE 'job-%'");
      expect(Number(n)).toBe(13);
      expect((await server.connectionIds()).length).toBeLessThanOrEqual(4);
      expect(secrets.calls).toHaveLength(1);
    } finally {
      await environment.stop();
      await secrets.stop();
    }
  });
});

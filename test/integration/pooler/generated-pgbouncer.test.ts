import { Client } from 'pg';
import { ConnectionBudget } from '../../../lib/budget/connection-budget';
import { DatabaseEngineFamily } from '../../../lib/budget/engine-family';
import { PoolerKind } from '../../../lib/budget/pooler-kind';
import { pgBouncerPool } from '../../../lib/pooler/pgbouncer-config';
import { SecretsManagerStub } from '../aws/secrets-manager-stub';
import { inAppDatabase } from '../environment-setup';
import { bundleHandler } from '../lambda/bundle-handler';
import { ExecutionEnvironment } from '../lambda/execution-environment';
import { GeneratedPgBouncer, PostgresServer, startGeneratedPgBouncer, startPostgres } from '../servers';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';
const TASKS = 2;

/**
 * The budget for a small database with PgBouncer: max_connections 20, less 3 reserved by the
 * engine (the test server's superuser_reserved_connections) and 5 of admin headroom = capacity 12.
 * PgBouncer keeps no headroom, so its pool is 12 for its two tasks: 6 server connections each.
 * Two functions take the 12 client connections (8 + 4).
 */
function budget(): ConnectionBudget {
  const b = new ConnectionBudget({
    engine: DatabaseEngineFamily.POSTGRESQL, maxConnections: 20, reservedConnections: 3, adminHeadroom: 5, pooler: PoolerKind.PGBOUNCER,
  });
  b.allocateFunction('Api', { reservedConcurrency: 8 });
  b.allocateFunction('Worker', { reservedConcurrency: 4 });
  return b;
}

/** Counts app_user's server backends every few milliseconds while `work` runs; returns the peak. */
async function peakServerConnections(server: PostgresServer, work: () => Promise<unknown>): Promise<{ peak: number; samples: number }> {
  const admin = new Client(server.clientConfig('superuser'));
  await admin.connect();
  let peak = 0;
  let samples = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const { rows } = await admin.query(
        "select count(*)::int as n from pg_stat_activity where usename = $1 and backend_type = 'client backend'", [server.app.user]);
      peak = Math.max(peak, rows[0].n);
      samples++;
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await sampler;
    await admin.end();
  }
  return { peak, samples };
}

/** One client holding a connection and running short transactions, as a function's environment does. */
async function busyClient(bouncer: GeneratedPgBouncer, name: string, transactions: number): Promise<number> {
  const client = new Client(bouncer.clientConfig());
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (let i = 0; i < transactions; i++) {
      await client.query('BEGIN');
      await client.query('SELECT pg_sleep(0.02)');
      await client.query('INSERT INTO invocations (id) VALUES ($1)', [`${name}-${i}`]);
      await client.query('COMMIT');
    }
    return transactions;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('real PgBouncer with the configuration generated from the budget', () => {
  let server: PostgresServer;
  let first: GeneratedPgBouncer;
  let second: GeneratedPgBouncer;
  const pool = pgBouncerPool(budget().plan());

  beforeAll(async () => {
    server = await startPostgres({ maxConnections: 20 });
    await inAppDatabase(server,
      'CREATE TABLE invocations (id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())',
      `GRANT INSERT, SELECT ON invocations TO ${server.app.user}`);
    // The two tasks behind the load balancer: the same generated configuration.
    [first, second] = await Promise.all([1, 2].map(() => startGeneratedPgBouncer(server, { ...pool, tasks: TASKS })));
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await server?.stop();
  });

  test('the budget gives PgBouncer 12 server connections (6 per task) and 12 client connections', () => {
    expect(pool).toEqual({ serverConnections: 12, clientConnections: 12 });
    expect(first.config).toMatchObject({ poolSizePerTask: 6, maxDbConnectionsPerTask: 6, maxClientConnections: 12, serverConnectionsAllTasks: 12 });
    expect(first.config.ini).toContain('pool_mode = transaction');
    expect(first.config.ini).toContain('server_tls_sslmode = verify-full');
    expect(first.config.ini).toContain('client_tls_sslmode = require');
  });

  test('both tasks: 24 clients share at most the 12 server connections of the budget', async () => {
    const results: number[] = [];
    const { peak, samples } = await peakServerConnections(server, async () => {
      results.push(...await Promise.all(Array.from({ length: 24 }, (_, c) => busyClient(c % 2 === 0 ? first : second, `both-${c}`, 10))));
    });
    console.log(`two tasks: 24 clients, 240 transactions, peak ${peak} server connections (${samples} samples)`);
    expect(results.reduce((a, b) => a + b, 0)).toBe(240);
    expect(peak).toBeLessThanOrEqual(pool.serverConnections);
  });

  test('the second task fails: its server connections close, the first task\'s stay within its 6', async () => {
    await second.stop();
    // The server notices the closed sockets within moments; wait for it rather than sleep.
    let remaining = Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < 100 && remaining > first.config.maxDbConnectionsPerTask; i++) {
      remaining = (await server.backendPids()).length;
      if (remaining > first.config.maxDbConnectionsPerTask) await new Promise(r => setTimeout(r, 100));
    }
    expect(remaining).toBeLessThanOrEqual(first.config.maxDbConnectionsPerTask);
  });

  test('one task alone (the other failed): 12 clients share at most 6 server connections', async () => {
    const results: number[] = [];
    const { peak, samples } = await peakServerConnections(server, async () => {
      results.push(...await Promise.all(Array.from({ length: 12 }, (_, c) => busyClient(first, `alone-${c}`, 10))));
    });
    console.log(`one task: 12 clients, 120 transactions, peak ${peak} server connections (${samples} samples of pg_stat_activity)`);
    expect(results.reduce((a, b) => a + b, 0)).toBe(120);
    expect(peak).toBeLessThanOrEqual(first.config.maxDbConnectionsPerTask);
    expect(peak).toBeGreaterThan(1);
  });

  test('60 clients at one task: max_client_conn admits the budget\'s 12, the rest are refused; the server sees at most 6', async () => {
    let admitted = 0;
    const refusals: string[] = [];
    const { peak } = await peakServerConnections(server, async () => {
      await Promise.all(Array.from({ length: 60 }, async (_, c) => {
        try {
          await busyClient(first, `crowd-${c}`, 5);
          admitted++;
        } catch (error) {
          refusals.push((error as Error).message);
        }
      }));
    });
    console.log(`60 clients at one task: ${admitted} completed, ${refusals.length} refused (${[...new Set(refusals)].join('; ')}), peak ${peak} server connections`);
    expect(admitted).toBeGreaterThanOrEqual(pool.clientConnections);
    expect(refusals.every(m => /max_client_conn|no more connections/i.test(m))).toBe(true);
    expect(peak).toBeLessThanOrEqual(first.config.maxDbConnectionsPerTask);
  });

  describe('the runtime helper through the generated PgBouncer', () => {
    let secrets: SecretsManagerStub;
    let environments: ExecutionEnvironment[];

    beforeAll(async () => {
      secrets = await SecretsManagerStub.start({ [SECRET_ARN]: { username: server.app.user, password: server.app.password } });
      const bundle = bundleHandler('test/fixtures/invocations-handler.ts');
      // Api's 8 execution environments, all sent to one task.
      environments = await Promise.all(Array.from({ length: 8 }, () => ExecutionEnvironment.start(bundle, {
        SERVERLESS_RDS_ENGINE: 'postgresql',
        SERVERLESS_RDS_HOST: first.host,
        SERVERLESS_RDS_PORT: String(first.port),
        SERVERLESS_RDS_DATABASE: 'app',
        SERVERLESS_RDS_USER: server.app.user,
        SERVERLESS_RDS_REGION: 'eu-west-1',
        SERVERLESS_RDS_AUTH: 'secret',
        SERVERLESS_RDS_SECRET_ARN: SECRET_ARN,
        SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '1',
        NODE_EXTRA_CA_CERTS: first.caFile,
        ...secrets.environment(),
      })));
    });

    afterAll(async () => {
      await Promise.all((environments ?? []).map(e => e.stop()));
      await secrets?.stop();
    });

    test('8 environments, 10 invocations each, every one succeeds on at most 6 server connections', async () => {
      const outcomes: any[] = [];
      const { peak } = await peakServerConnections(server, async () => {
        outcomes.push(...(await Promise.all(environments.map(async (environment, e) => {
          const results = [];
          for (let i = 0; i < 10; i++) results.push(await environment.invoke({ id: `helper-${e}-${i}` }));
          return results;
        }))).flat());
      });
      console.log(`runtime helper: 8 environments, ${outcomes.filter(o => o.ok).length}/80 invocations ok, peak ${peak} server connections`);
      expect(outcomes.filter(o => !o.ok)).toEqual([]);
      expect(outcomes.every(o => o.result.totalConnections === 1)).toBe(true);
      expect(peak).toBeLessThanOrEqual(first.config.maxDbConnectionsPerTask);
      const [[{ n }]] = await inAppDatabase(server, "SELECT count(*)::int AS n FROM invocations WHERE id LIKE 'helper-%'");
      expect(n).toBe(80);
    });
  });
});

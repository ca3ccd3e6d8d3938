import { IAM_ROLE_HBA, IAM_USER, inAppDatabase, wiredEnvironment } from './environment-setup';
import { bundleHandler } from './lambda/bundle-handler';
import { ExecutionEnvironment } from './lambda/execution-environment';
import { PostgresServer, startPostgres } from './servers';

/**
 * The Aurora reader example's report handler, bundled, in a simulated execution environment,
 * against a real PostgreSQL standing in for a reader: every transaction of the function's role is
 * read-only, as on an Aurora replica behind the proxy's read-only endpoint.
 */
describe('the report handler of the Aurora reader example on a read-only database', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres({ extraHba: [IAM_ROLE_HBA] });
    await inAppDatabase(server,
      `CREATE ROLE ${IAM_USER} LOGIN`,
      `ALTER ROLE ${IAM_USER} SET default_transaction_read_only = on`,
      'CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount_cents int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
      "INSERT INTO orders (customer, amount_cents) VALUES ('ada', 1200), ('ada', 800), ('bob', 300)",
      `GRANT SELECT, INSERT ON orders TO ${IAM_USER}`,
      `GRANT USAGE ON SEQUENCE orders_id_seq TO ${IAM_USER}`);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('answers reads on one reused connection', async () => {
    const report = await ExecutionEnvironment.start(bundleHandler('examples/handlers/order-report.ts'),
      wiredEnvironment('127.0.0.1', server.port, { NODE_EXTRA_CA_CERTS: server.caFile }));
    try {
      expect(await report.invoke({ customer: 'ada' })).toEqual({ ok: true, result: { orders: 2, totalCents: 2000 } });
      expect(await report.invoke({ customer: 'bob' })).toEqual({ ok: true, result: { orders: 1, totalCents: 300 } });
      expect(await server.backendPids(IAM_USER)).toHaveLength(1);
    } finally {
      await report.stop();
    }
  });

  test('the writer\'s order handler is refused there: writes belong on the writer\'s proxy endpoint', async () => {
    const orders = await ExecutionEnvironment.start(bundleHandler('examples/handlers/drizzle-orders.ts'),
      wiredEnvironment('127.0.0.1', server.port, { NODE_EXTRA_CA_CERTS: server.caFile }));
    try {
      const outcome = await orders.invoke({ customer: 'ada', amountCents: 100 });
      expect(outcome.ok).toBe(false);
      // Drizzle reports the failed statement (PostgreSQL refused it: read-only transaction); nothing was written.
      expect(!outcome.ok && outcome.error.message).toMatch(/Failed query: insert into "orders"/);
      expect(await inAppDatabase(server, 'SELECT count(*)::int AS n FROM orders')).toEqual([[{ n: 3 }]]);
    } finally {
      await orders.stop();
    }
  });
});

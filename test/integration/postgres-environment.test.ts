import { IAM_ROLE_HBA, IAM_USER, inAppDatabase, sleep, wiredEnvironment } from './environment-setup';
import { bundleHandler } from './lambda/bundle-handler';
import { ExecutionEnvironment } from './lambda/execution-environment';
import { SilentDropRelay } from './lambda/silent-drop-relay';
import { PostgresServer, startPostgres } from './servers';

/**
 * The runtime helper inside simulated Lambda execution environments (a bundled handler in its own
 * process), against a real PostgreSQL with TLS required, in the default IAM mode.
 */
describe('runtime helper for PostgreSQL in an execution environment', () => {
  let server: PostgresServer;
  let bundle: string;
  let environment: ExecutionEnvironment;
  let nextId = 0;
  const id = () => `invocation-${nextId++}`;

  beforeAll(async () => {
    server = await startPostgres({ extraHba: [IAM_ROLE_HBA] });
    await inAppDatabase(server,
      `CREATE ROLE ${IAM_USER} LOGIN`,
      'CREATE TABLE invocations (id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())',
      `GRANT INSERT, SELECT ON invocations TO ${IAM_USER}`);
    bundle = bundleHandler('test/fixtures/invocations-handler.ts');
  });

  beforeEach(async () => {
    environment = await ExecutionEnvironment.start(bundle, wiredEnvironment('127.0.0.1', server.port, { NODE_EXTRA_CA_CERTS: server.caFile }));
  });

  afterEach(async () => {
    await environment.stop();
    await server.terminateBackends(IAM_USER);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const rowsWithIds = async (ids: string[]) =>
    Number((await inAppDatabase(server, `SELECT count(*)::int AS n FROM invocations WHERE id IN (${ids.map((i) => `'${i}'`).join(',')})`))[0][0].n);

  test('one backend connection serves every invocation of the environment', async () => {
    const ids = Array.from({ length: 25 }, id);
    const pids = new Set<number>();
    for (const invocationId of ids) {
      const outcome = await environment.invoke({ id: invocationId });
      expect(outcome).toMatchObject({ ok: true, result: { totalConnections: 1 } });
      if (outcome.ok) pids.add(outcome.result.backendPid);
    }
    expect(pids.size).toBe(1);
    expect(await server.backendPids(IAM_USER)).toEqual([...pids]);
    expect(await rowsWithIds(ids)).toBe(25);
  });

  test('a backend terminated between invocations is replaced, and the next invocation succeeds', async () => {
    const first = await environment.invoke({ id: id() });
    expect(first.ok).toBe(true);
    expect(await server.terminateBackends(IAM_USER)).toBe(1);
    const second = await environment.invoke({ id: id() });
    expect(second).toMatchObject({ ok: true });
    expect(second.ok && first.ok && second.result.backendPid !== first.result.backendPid).toBe(true);
    expect(await server.backendPids(IAM_USER)).toHaveLength(1);
  });

  test('a frozen environment whose connection was closed meanwhile recovers on thaw', async () => {
    const first = await environment.invoke({ id: id() });
    environment.freeze();
    await server.terminateBackends(IAM_USER);
    await sleep(1200); // longer than validateAfterIdleMs: the thawed checkout checks the connection
    environment.thaw();
    const afterThaw = await environment.invoke({ id: id() });
    expect(afterThaw).toMatchObject({ ok: true });
    expect(afterThaw.ok && first.ok && afterThaw.result.backendPid !== first.result.backendPid).toBe(true);
  });

  describe('behind a network path that drops connections silently', () => {
    let relay: SilentDropRelay;
    let relayed: ExecutionEnvironment;

    beforeAll(async () => {
      relay = await SilentDropRelay.start(server.port);
    });
    beforeEach(async () => {
      relayed = await ExecutionEnvironment.start(bundle, wiredEnvironment('127.0.0.1', relay.port, { NODE_EXTRA_CA_CERTS: server.caFile }));
    });
    afterEach(async () => {
      await relayed.stop();
    });
    afterAll(async () => {
      await relay.stop();
    });

    test('after a freeze, the dead connection is found by the check and replaced before the statement is sent', async () => {
      const first = await relayed.invoke({ id: id() });
      relayed.freeze();
      expect(relay.dropSilently()).toBe(1);
      await sleep(1200); // longer than validateAfterIdleMs
      relayed.thaw();
      const afterThaw = await relayed.invoke({ id: id() });
      expect(afterThaw).toMatchObject({ ok: true });
      expect(afterThaw.ok && first.ok && afterThaw.result.backendPid !== first.result.backendPid).toBe(true);
      expect(relayed.output()).toMatch(/"type":"replaced-dead-connection".*ECONNRESET/);
    });

    test('on the warm path (no check) a dropped connection fails one invocation, whose statement is not repeated', async () => {
      await relayed.invoke({ id: id() });
      relay.dropSilently();
      const unlucky = id();
      const outcome = await relayed.invoke({ id: unlucky });
      expect(outcome).toMatchObject({ ok: false, error: { code: 'ECONNRESET' } });
      expect(await rowsWithIds([unlucky])).toBe(0);
      expect(await relayed.invoke({ id: id() })).toMatchObject({ ok: true });
    });
  });

  test('a statement cut off mid-flight fails the invocation and is not sent again', async () => {
    const slowId = id();
    const slow = environment.invoke({ id: slowId, mode: 'slow' });
    // Wait until the INSERT is running on the server, then kill its backend.
    for (let i = 0; i < 100; i++) {
      const running = await server.adminQuery("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'INSERT INTO invocations%pg_sleep%'");
      if (running.length > 0) break;
      await sleep(20);
    }
    await server.terminateBackends(IAM_USER);
    const outcome = await slow;
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.message).toMatch(/terminat/i);
    expect(await rowsWithIds([slowId])).toBe(0);
    expect(await environment.invoke({ id: id() })).toMatchObject({ ok: true });
  });

  test('handlers that throw leave no open transaction and no extra connection', async () => {
    const before = await environment.invoke({ id: id() });
    const failedIds = Array.from({ length: 5 }, id);
    for (const failedId of failedIds) {
      expect(await environment.invoke({ id: failedId, mode: 'throw-in-transaction' }))
        .toEqual({ ok: false, error: { message: 'handler failed after its INSERT' } });
    }
    // Rolled back, so the connection was safe to keep: the same backend serves the next invocation.
    const after = await environment.invoke({ id: id() });
    expect(after.ok && before.ok && after.result.backendPid === before.result.backendPid).toBe(true);

    const leftOpenId = id();
    expect(await environment.invoke({ id: leftOpenId, mode: 'leave-open' }))
      .toEqual({ ok: false, error: { message: 'handler failed inside a transaction it opened' } });
    // Left inside a transaction: closed, not reused; a new backend serves the next invocation.
    const next = await environment.invoke({ id: id() });
    expect(next.ok && after.ok && next.result.backendPid !== after.result.backendPid).toBe(true);
    expect(await rowsWithIds([...failedIds, leftOpenId])).toBe(0);
    const sessions = await server.adminQuery<{ state: string }>('SELECT state FROM pg_stat_activity WHERE usename = $1', [IAM_USER]);
    expect(sessions).toEqual([{ state: 'idle' }]);
  });

  test('a server restart during a run costs a bounded number of failed invocations', async () => {
    const outcomes: boolean[] = [];
    let restart: Promise<void> | undefined;
    for (let i = 0; i < 120; i++) {
      if (i === 30) restart = server.restart();
      outcomes.push((await environment.invoke({ id: id() })).ok);
      await sleep(10);
    }
    await restart;
    const failures = outcomes.filter((ok) => !ok).length;
    expect(failures).toBeLessThanOrEqual(2);
    expect(outcomes.slice(-50).every(Boolean)).toBe(true);
    // The reconnects were logged, and no log line carries the IAM token.
    expect(environment.output()).toMatch(/"type":"(retry|replaced-dead-connection)"/);
    expect(environment.output()).not.toMatch(/X-Amz-(Signature|Credential)|Action=connect/);
  });

  test('the Drizzle example, bundled, places orders in one transaction on one reused connection', async () => {
    await inAppDatabase(server,
      'CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount_cents int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
      `GRANT INSERT, SELECT ON orders TO ${IAM_USER}`,
      `GRANT USAGE ON SEQUENCE orders_id_seq TO ${IAM_USER}`);
    const drizzle = await ExecutionEnvironment.start(bundleHandler('examples/handlers/drizzle-orders.ts'),
      wiredEnvironment('127.0.0.1', server.port, { NODE_EXTRA_CA_CERTS: server.caFile }));
    try {
      const results = [];
      for (const amountCents of [1200, 800, 450]) results.push(await drizzle.invoke({ customer: 'ada', amountCents }));
      expect(results).toEqual([
        { ok: true, result: { orderId: 1, ordersOfCustomer: 1 } },
        { ok: true, result: { orderId: 2, ordersOfCustomer: 2 } },
        { ok: true, result: { orderId: 3, ordersOfCustomer: 3 } },
      ]);
      expect(await server.backendPids(IAM_USER)).toHaveLength(1);
      expect(await inAppDatabase(server, 'SELECT customer, amount_cents FROM orders ORDER BY id')).toEqual([[
        { customer: 'ada', amount_cents: 1200 }, { customer: 'ada', amount_cents: 800 }, { customer: 'ada', amount_cents: 450 },
      ]]);
    } finally {
      await drizzle.stop();
    }
  });

  test('TLS is verified: without the CA that signed the server certificate, no connection is made', async () => {
    const untrusting = await ExecutionEnvironment.start(bundle, wiredEnvironment('127.0.0.1', server.port));
    try {
      const outcome = await untrusting.invoke({ id: id() });
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error.message).toMatch(/self[- ]signed certificate|unable to verify|unable to get local issuer/i);
    } finally {
      await untrusting.stop();
    }
  });
});

import { budgetForClass } from './budget-proof/budget-for-class';
import { prepareProofTable, ProofResult, ProofTarget, renderProofTable, runCapped, runNaive } from './budget-proof/proof-runs';
import { queueConsumerTemplate, runQueueConsumer } from './budget-proof/queue-consumer-run';
import { PostgresServer, startPostgres } from './servers';

/**
 * The budget on a real PostgreSQL: the server runs with the max_connections the library computes
 * for db.t4g.micro; the capped run has as many execution environments as the reserved
 * concurrency the library computes. `npm run budget-proof` runs the same at a larger size.
 */
describe('connection budget on a real PostgreSQL (db.t4g.micro)', () => {
  const budget = budgetForClass('db.t4g.micro');
  let server: PostgresServer;
  let target: ProofTarget;
  let capped: ProofResult;
  let naive: ProofResult;
  const consumer = queueConsumerTemplate('db.t4g.micro');
  let queue: ProofResult;

  beforeAll(async () => {
    server = await startPostgres({ maxConnections: budget.maxConnections });
    target = { appConfig: server.clientConfig('app'), adminConfig: server.clientConfig('superuser', 'app') };
    await prepareProofTable(target);
    capped = await runCapped(target, 'capped', budget.concurrencyCap, 800);
    naive = await runNaive(target, 'naive', 150, 400);
    queue = await runQueueConsumer(target, 'queue', consumer.maximumConcurrency, 800);
    console.log(`${budget.table}\n\n${renderProofTable([capped, naive, queue])}`);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('the server runs with the library\'s max_connections, and the cap is below it', async () => {
    const [{ max_connections: setting }] = await server.adminQuery<{ max_connections: string }>('SHOW max_connections');
    expect(Number(setting)).toBe(budget.maxConnections);
    expect(budget.maxConnections).toBe(77);
    expect(budget.concurrencyCap).toBeLessThan(budget.maxConnections - 3); // 3: superuser_reserved_connections
  });

  test('with the library\'s cap: no connection error, no retry, every write committed', () => {
    expect(capped).toMatchObject({ invocations: 800, succeeded: 800, connectionErrors: 0, otherErrors: 0, rowsWritten: 800, lostWrites: 0, retries: 0 });
    expect(capped.peakConnections).toBe(budget.concurrencyCap);
  });

  test('naive (no cap, connect per invocation): "too many clients" failures, and their writes are lost', () => {
    expect(naive.connectionErrors).toBeGreaterThan(0);
    // 53300 too_many_connections: "sorry, too many clients already", or, once only the slots kept
    // for superusers are left, "remaining connection slots are reserved for ... superuser connections".
    expect(naive.errors.length).toBeGreaterThan(0);
    for (const error of naive.errors) expect(error).toMatch(/^53300: (sorry, too many clients already|remaining connection slots are reserved)/);
    expect(naive.succeeded + naive.connectionErrors + naive.otherErrors).toBe(400);
    expect(naive.rowsWritten).toBe(naive.succeeded);
    expect(naive.lostWrites).toBe(naive.connectionErrors + naive.otherErrors);
    // Refused while it held fewer established connections than max_connections: backends still in
    // their TLS and SCRAM handshake hold a slot too, so a connect storm fails early.
    expect(naive.peakConnections).toBeLessThanOrEqual(budget.maxConnections - 3);
  });

  test('a queue consumer at the MaximumConcurrency its synthesized template gives it: no connection error, every message written', () => {
    // The template's figures for db.t4g.micro: the same max_connections, and the mapping's cap equal to the reserved concurrency.
    expect(consumer.maxConnections).toBe(budget.maxConnections);
    expect(consumer.maximumConcurrency).toBe(consumer.reservedConcurrency);
    expect(consumer.maximumConcurrency).toBeGreaterThan(1);
    expect(queue).toMatchObject({ invocations: 800, succeeded: 800, connectionErrors: 0, otherErrors: 0, rowsWritten: 800, lostWrites: 0 });
    expect(queue.peakConnections).toBeLessThanOrEqual(consumer.maximumConcurrency);
  });
});

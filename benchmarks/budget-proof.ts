/**
 * The connection budget proven on a real PostgreSQL (not a test; the test suite runs a smaller
 * version of it in test/integration/budget-proof.test.ts). The server gets the max_connections the
 * library computes for the instance class; the capped run uses the reserved concurrency the
 * library computes as the number of execution environments, each reusing one connection through
 * the runtime helper; the naive run opens a connection per invocation with no cap; the queue run
 * drains a queue at the MaximumConcurrency the synthesized template gives a queue consumer.
 *
 *   npm run budget-proof          (or: PROOF_CLASS=db.t4g.small PROOF_INVOCATIONS=5000 npm run budget-proof)
 */
import { startPostgres } from '../test/integration/servers';
import { budgetForClass } from '../test/integration/budget-proof/budget-for-class';
import { prepareProofTable, renderProofTable, runCapped, runNaive } from '../test/integration/budget-proof/proof-runs';
import { queueConsumerTemplate, runQueueConsumer } from '../test/integration/budget-proof/queue-consumer-run';

async function main(): Promise<void> {
  const budget = budgetForClass(process.env.PROOF_CLASS ?? 'db.t4g.micro');
  const invocations = Number(process.env.PROOF_INVOCATIONS ?? 3000);
  const naiveConcurrency = Number(process.env.PROOF_NAIVE_CONCURRENCY ?? 200);
  const postgres = await startPostgres({ maxConnections: budget.maxConnections });
  try {
    const target = { appConfig: postgres.clientConfig('app'), adminConfig: postgres.clientConfig('superuser', 'app') };
    await prepareProofTable(target);
    const capped = await runCapped(target, 'capped', budget.concurrencyCap, invocations);
    const naive = await runNaive(target, 'naive', naiveConcurrency, invocations);
    const consumer = queueConsumerTemplate(budget.instanceClass);
    const queue = await runQueueConsumer(target, 'queue', consumer.maximumConcurrency, invocations);
    console.log(budget.table);
    console.log(`\nPostgreSQL started with max_connections = ${budget.maxConnections} (the library's value for ${budget.instanceClass})\n`);
    console.log(renderProofTable([capped, naive, queue]));
    if (naive.errors.length > 0) console.log(`\nerrors of the naive run:\n  ${naive.errors.join('\n  ')}`);
  } finally {
    await postgres.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

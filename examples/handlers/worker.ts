import { getMysqlPool } from 'cdk-serverless-rds/runtime/mysql';

/**
 * Example worker handler: a batch job with a pool of as many connections as the budget counted
 * for it (connectionsPerInvocation), opened once per execution environment.
 */
const pool = getMysqlPool();

export const handler = async (event: { Records?: Array<{ body: string }> }): Promise<{ processed: number; poolSize: number }> => {
  const records = event.Records ?? [];
  // The records are written in parallel, at most `connections` at a time.
  await Promise.all(records.map((record) => pool.execute('INSERT INTO jobs (payload) VALUES (?)', [record.body])));
  return { processed: records.length, poolSize: pool.settings.connections };
};

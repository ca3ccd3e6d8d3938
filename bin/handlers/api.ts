import { getPostgresPool } from 'cdk-serverless-rds/runtime/postgres';

/**
 * Demo handler: one pool per execution environment, created outside the handler and reused by
 * every invocation; the runtime helper configures it from the environment the construct set.
 */
const pool = getPostgresPool();

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
  return { statusCode: 200, body: JSON.stringify({ databaseTime: rows[0].now }) };
};

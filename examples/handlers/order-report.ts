import { getPostgresPool } from 'cdk-serverless-rds/runtime/postgres';

/**
 * Example read-only handler: wired to the readers, its pool connects to the proxy's read-only
 * endpoint (SERVERLESS_RDS_HOST) and draws from the readers' budget, not the writer's.
 */
const pool = getPostgresPool();

export const handler = async (event: { customer: string }): Promise<{ orders: number; totalCents: number }> => {
  const { rows } = await pool.query(
    'SELECT count(*)::int AS orders, coalesce(sum(amount_cents), 0)::int AS total FROM orders WHERE customer = $1',
    [event.customer],
  );
  return { orders: rows[0].orders, totalCents: rows[0].total };
};

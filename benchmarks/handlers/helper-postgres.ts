import { getPostgresPool } from 'cdk-serverless-rds/runtime/postgres';

/** The runtime helper, as a wired function uses it: everything from the environment. */
const pool = getPostgresPool();

export const handler = async (event: { n?: number } = {}) => (await pool.query('SELECT $1::int AS n', [event.n ?? 1])).rows[0];

import { Signer } from '@aws-sdk/rds-signer';
import { Pool } from 'pg';

/** The baseline for IAM mode: a minimal hand-written handler with bare pg and the RDS signer. */
const env = process.env;
const signer = new Signer({ hostname: env.SERVERLESS_RDS_HOST!, port: Number(env.SERVERLESS_RDS_PORT), username: env.SERVERLESS_RDS_USER!, region: env.SERVERLESS_RDS_REGION! });
const pool = new Pool({
  host: env.SERVERLESS_RDS_HOST, port: Number(env.SERVERLESS_RDS_PORT), database: env.SERVERLESS_RDS_DATABASE, user: env.SERVERLESS_RDS_USER,
  password: () => signer.getAuthToken(), ssl: { rejectUnauthorized: true }, max: 1, idleTimeoutMillis: 0,
});

export const handler = async (event: { n?: number } = {}) => (await pool.query('SELECT $1::int AS n', [event.n ?? 1])).rows[0];

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Pool } from 'pg';

/** The baseline for secret mode: a minimal hand-written handler with bare pg and the Secrets Manager client. */
const env = process.env;
const secrets = new SecretsManagerClient({ region: env.SERVERLESS_RDS_REGION });
let password: Promise<string> | undefined;
const pool = new Pool({
  host: env.SERVERLESS_RDS_HOST, port: Number(env.SERVERLESS_RDS_PORT), database: env.SERVERLESS_RDS_DATABASE, user: env.SERVERLESS_RDS_USER,
  password: () => (password ??= secrets.send(new GetSecretValueCommand({ SecretId: env.SERVERLESS_RDS_SECRET_ARN })).then((r) => JSON.parse(r.SecretString!).password)),
  ssl: { rejectUnauthorized: true }, max: 1, idleTimeoutMillis: 0,
});

export const handler = async (event: { n?: number } = {}) => (await pool.query('SELECT $1::int AS n', [event.n ?? 1])).rows[0];

import { Client } from 'pg';
import { PostgresServer } from './servers';

/** Role the simulated functions log in as with IAM tokens (see IAM_ROLE_HBA). */
export const IAM_USER = 'iam_user';

/**
 * Local PostgreSQL cannot check RDS IAM tokens, so the role that logs in with them is trusted,
 * and only over TLS; every other role still needs SCRAM. The token is still signed and sent.
 */
export const IAM_ROLE_HBA = `hostssl app ${IAM_USER} 127.0.0.1/32 trust`;

/** The environment the construct gives a wired function, pointed at a local server. */
export function wiredEnvironment(host: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SERVERLESS_RDS_ENGINE: 'postgresql',
    SERVERLESS_RDS_HOST: host,
    SERVERLESS_RDS_PORT: String(port),
    SERVERLESS_RDS_DATABASE: 'app',
    SERVERLESS_RDS_USER: IAM_USER,
    SERVERLESS_RDS_REGION: 'eu-west-1',
    SERVERLESS_RDS_AUTH: 'iam',
    SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '1',
    // Throwaway credentials: the token is signed offline, exactly as in Lambda, but for nothing.
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    ...extra,
  };
}

/** Runs statements as the superuser in database `app`. */
export async function inAppDatabase(server: PostgresServer, ...statements: string[]): Promise<any[][]> {
  const client = new Client(server.clientConfig('superuser', 'app'));
  await client.connect();
  try {
    const results: any[][] = [];
    for (const statement of statements) results.push((await client.query(statement)).rows);
    return results;
  } finally {
    await client.end();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The master login, read from the database's master secret (never logged, never returned). */
export interface MasterCredentials {
  readonly username: string;
  readonly password: string;
}

/** Reads `{ username, password }` from the master secret; errors name the secret, never its value. */
export async function readMasterCredentials(client: SecretsManagerClient, secretArn: string): Promise<MasterCredentials> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(result.SecretString ?? '');
  } catch {
    throw new Error(`The master secret ${secretArn} does not hold a JSON SecretString`);
  }
  if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') {
    throw new Error(`The master secret ${secretArn} has no username and password`);
  }
  return { username: parsed.username, password: parsed.password };
}

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The master login, read from the database's master secret (never logged, never returned). */
export interface MasterCredentials {
  readonly username: string;
  readonly password: string;
}

/** The staging labels of the master secret the handler reads: the value in use, and the one a rotation is setting. */
export type MasterSecretStage = 'AWSCURRENT' | 'AWSPENDING';

/**
 * Reads `{ username, password }` from the version of the master secret staged `stage`; errors name
 * the secret, never its value. Secrets Manager's own errors (such as ResourceNotFoundException
 * when no version carries the stage) are passed on as they are.
 */
export async function readMasterCredentials(
  client: SecretsManagerClient, secretArn: string, stage: MasterSecretStage = 'AWSCURRENT',
): Promise<MasterCredentials> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: stage }));
  const where = stage === 'AWSCURRENT' ? `The master secret ${secretArn}` : `The ${stage} version of the master secret ${secretArn}`;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(result.SecretString ?? '');
  } catch {
    throw new Error(`${where} does not hold a JSON SecretString`);
  }
  if (typeof parsed?.username !== 'string' || typeof parsed.password !== 'string') {
    throw new Error(`${where} has no username and password`);
  }
  return { username: parsed.username, password: parsed.password };
}

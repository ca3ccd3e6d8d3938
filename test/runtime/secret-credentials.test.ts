import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretCredentials } from '../../runtime/secret-credentials';

// Secrets Manager has no local stand-in: its API is mocked; the database side is real in the integration tests.
const secretsManager = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

beforeEach(() => secretsManager.reset());

describe('SecretCredentials', () => {
  test('reads the secret once and serves the cached value afterwards', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify({ username: 'dbadmin', password: 'first', engine: 'postgres' }) });
    const credentials = new SecretCredentials({ secretArn: ARN, client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    await credentials.get();
    await credentials.get();
    expect(await credentials.get()).toEqual({ username: 'dbadmin', password: 'first' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  test('after invalidate() (the password was refused) the rotated value is read', async () => {
    secretsManager.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ username: 'dbadmin', password: 'before-rotation' }) })
      .resolves({ SecretString: JSON.stringify({ username: 'dbadmin', password: 'after-rotation' }) });
    const credentials = new SecretCredentials({ secretArn: ARN, client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    expect((await credentials.get()).password).toBe('before-rotation');
    credentials.invalidate();
    expect((await credentials.get()).password).toBe('after-rotation');
  });

  test('a secret that is not JSON is reported without echoing its text', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'hunter2-plain-text' });
    const credentials = new SecretCredentials({ secretArn: ARN, client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    const error: Error = await credentials.get().then(() => { throw new Error('expected a failure'); }, (e: Error) => e);
    expect(error.message).toBe(`Secret ${ARN} is not a JSON object with username and password`);
    expect(error.message).not.toContain('hunter2');
  });

  test('a failed read is not cached', async () => {
    secretsManager.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: JSON.stringify({ username: 'u', password: 'p' }) });
    const credentials = new SecretCredentials({ secretArn: ARN, client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    await expect(credentials.get()).rejects.toThrow('throttled');
    expect((await credentials.get()).password).toBe('p');
  });
});

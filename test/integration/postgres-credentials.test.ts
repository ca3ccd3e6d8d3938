import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { inAppDatabase } from './environment-setup';
import { PostgresServer, startPostgres } from './servers';
import { RuntimeEvent } from '../../runtime/events';
import { ServerlessPostgresPool } from '../../runtime/postgres';

// Secrets Manager is mocked (no local stand-in in this process); PostgreSQL and its SCRAM check are real.
const secretsManager = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

describe('runtime helper for PostgreSQL: credentials (SCRAM over TLS)', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
  });

  function secretPool(events: RuntimeEvent[]): ServerlessPostgresPool {
    return new ServerlessPostgresPool({
      host: '127.0.0.1', port: server.port, database: 'app', user: server.app.user, auth: 'secret', secretArn: SECRET_ARN,
      secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }), tls: { ca: server.caPem }, connections: 2,
      onEvent: (event) => events.push(event),
    });
  }

  test('logs in with the secret and reads it once for every connection the pool opens', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ username: server.app.user, password: server.app.password }) });
    const events: RuntimeEvent[] = [];
    const pool = secretPool(events);
    try {
      // Two at once: the pool opens both of its connections.
      const rows = await Promise.all([pool.query('SELECT pg_sleep(0.05), current_user AS who'), pool.query('SELECT pg_sleep(0.05), current_user AS who')]);
      expect(rows.map((r) => r.rows[0].who)).toEqual([server.app.user, server.app.user]);
      expect(pool.totalCount).toBe(2);
      expect(events.filter((e) => e.type === 'connected')).toHaveLength(2);
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      const [{ ssl, method }] = await server.adminQuery<{ ssl: boolean; method: string }>(
        "SELECT s.ssl, (SELECT auth_method FROM pg_hba_file_rules WHERE type = 'hostssl' AND 'all' = ANY(user_name) LIMIT 1) AS method FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = $1 LIMIT 1", [server.app.user]);
      expect({ ssl, method }).toEqual({ ssl: true, method: 'scram-sha-256' });
    } finally {
      await pool.end();
    }
  });

  test('after the password is rotated, a refused login re-reads the secret once and succeeds', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: server.app.user, password: server.app.password }) });
    const events: RuntimeEvent[] = [];
    const pool = secretPool(events);
    try {
      await pool.query('SELECT 1');
      // Rotation: the database gets a new password, the secret follows, open connections end.
      const rotated = 'rotated-Password-1';
      await inAppDatabase(server, `ALTER ROLE ${server.app.user} PASSWORD '${rotated}'`);
      secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: server.app.user, password: rotated }) });
      await server.terminateBackends(server.app.user);
      const { rows } = await pool.query('SELECT 42 AS answer');
      expect(rows[0].answer).toBe(42);
      expect(events.map((e) => e.type)).toContain('credentials-refused');
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      await inAppDatabase(server, `ALTER ROLE ${server.app.user} PASSWORD '${server.app.password}'`);
    } finally {
      await pool.end();
    }
  });

  test('a wrong secret fails after one re-read, with the server\'s message and no password in it', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: server.app.user, password: 'Wrong-Password-9' }) });
    const pool = secretPool([]);
    try {
      const error: Error = await pool.query('SELECT 1').then(() => { throw new Error('expected a failure'); }, (e: Error) => e);
      expect(error.message).toMatch(/password authentication failed/);
      expect(error.message).not.toContain('Wrong-Password-9');
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    } finally {
      await pool.end();
    }
  });

  test('IAM mode presents the token as the password, signed once for all the connections it opens', async () => {
    let signed = 0;
    // The signer is replaced because a local server cannot check a real token: this role's password plays the token.
    const pool = new ServerlessPostgresPool({
      host: '127.0.0.1', port: server.port, database: 'app', user: server.app.user, auth: 'iam', region: 'eu-west-1',
      signToken: async () => { signed++; return server.app.password; }, tls: { ca: server.caPem }, connections: 3,
    });
    try {
      await Promise.all([1, 2, 3].map(() => pool.query('SELECT pg_sleep(0.05)')));
      expect(pool.totalCount).toBe(3);
      expect(signed).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

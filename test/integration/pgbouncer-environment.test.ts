import { SecretsManagerStub } from './aws/secrets-manager-stub';
import { inAppDatabase } from './environment-setup';
import { bundleHandler } from './lambda/bundle-handler';
import { ExecutionEnvironment } from './lambda/execution-environment';
import { PgBouncerServer, PostgresServer, startPgBouncer, startPostgres } from './servers';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';

/**
 * The runtime helper through PgBouncer in transaction mode, the local stand-in for RDS Proxy:
 * TLS to the pooler (its own CA, as the proxy has its own certificate), SCRAM with the password
 * from the secret (secret mode, read from a local Secrets Manager stand-in), several execution
 * environments multiplexed onto a smaller server pool.
 */
describe('runtime helper through PgBouncer (transaction mode)', () => {
  let server: PostgresServer;
  let bouncer: PgBouncerServer;
  let secrets: SecretsManagerStub;
  let environments: ExecutionEnvironment[];

  beforeAll(async () => {
    server = await startPostgres();
    await inAppDatabase(server,
      'CREATE TABLE invocations (id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())',
      `GRANT INSERT, SELECT ON invocations TO ${server.app.user}`);
    bouncer = await startPgBouncer(server, { poolSize: 2 });
    secrets = await SecretsManagerStub.start({ [SECRET_ARN]: { username: server.app.user, password: server.app.password } });
    const bundle = bundleHandler('test/fixtures/invocations-handler.ts');
    environments = await Promise.all([1, 2, 3].map(() => ExecutionEnvironment.start(bundle, {
      SERVERLESS_RDS_ENGINE: 'postgresql',
      SERVERLESS_RDS_HOST: bouncer.host,
      SERVERLESS_RDS_PORT: String(bouncer.port),
      SERVERLESS_RDS_DATABASE: 'app',
      SERVERLESS_RDS_USER: server.app.user,
      SERVERLESS_RDS_REGION: 'eu-west-1',
      SERVERLESS_RDS_AUTH: 'secret',
      SERVERLESS_RDS_SECRET_ARN: SECRET_ARN,
      SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '1',
      NODE_EXTRA_CA_CERTS: bouncer.caFile,
      ...secrets.environment(),
    })));
  });

  afterAll(async () => {
    await Promise.all((environments ?? []).map((e) => e.stop()));
    await secrets?.stop();
    await bouncer?.stop();
    await server?.stop();
  });

  test('three environments share two server connections; each reads the secret once and keeps one connection', async () => {
    const outcomes = await Promise.all(environments.map(async (environment, e) => {
      const results = [];
      for (let i = 0; i < 20; i++) results.push(await environment.invoke({ id: `env${e}-${i}` }));
      return results;
    }));
    const all = outcomes.flat();
    expect(all.every((o) => o.ok && o.result.totalConnections === 1)).toBe(true);
    expect(await bouncer.serverConnections()).toBeLessThanOrEqual(2);
    expect(secrets.calls).toHaveLength(3);
    const [[{ n }]] = await inAppDatabase(server, "SELECT count(*)::int AS n FROM invocations WHERE id LIKE 'env%'");
    expect(n).toBe(60);
  });

  test('server connections terminated behind the pooler do not fail the next invocations', async () => {
    expect(await server.terminateBackends(server.app.user)).toBeGreaterThan(0);
    const outcomes = await Promise.all(environments.map((environment, e) => environment.invoke({ id: `after-terminate-${e}` })));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
  });
});

import { DatabaseEnvironmentVariables as Env } from '../../lib';
import { CONNECTIONS_PER_ENVIRONMENT_VARIABLE, resolveConnectionSettings } from '../../runtime/settings';

const WIRED: NodeJS.ProcessEnv = {
  [Env.ENGINE]: 'postgresql',
  [Env.HOST]: 'db.proxy-abc.eu-west-1.rds.amazonaws.com',
  [Env.PORT]: '5432',
  [Env.DATABASE]: 'app',
  [Env.USER]: 'dbadmin',
  [Env.REGION]: 'eu-west-1',
  [Env.AUTH]: 'iam',
  [Env.CONNECTIONS_PER_INVOCATION]: '2',
};

describe('resolveConnectionSettings', () => {
  test('reads every field from the environment a wired function gets', () => {
    expect(resolveConnectionSettings('postgresql', {}, WIRED)).toEqual({
      engine: 'postgresql', host: 'db.proxy-abc.eu-west-1.rds.amazonaws.com', port: 5432, database: 'app', user: 'dbadmin',
      region: 'eu-west-1', auth: 'iam', secretArn: undefined, password: undefined, connections: 2,
    });
  });

  test('explicit options win over the environment', () => {
    const settings = resolveConnectionSettings('postgresql', { host: 'localhost', port: 6432, connections: 1, password: 'pw' }, WIRED);
    expect(settings).toMatchObject({ host: 'localhost', port: 6432, connections: 1, auth: 'password', password: 'pw' });
  });

  test('secret mode needs the secret ARN', () => {
    expect(() => resolveConnectionSettings('postgresql', {}, { ...WIRED, [Env.AUTH]: 'secret' })).toThrow(/SERVERLESS_RDS_SECRET_ARN/);
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';
    expect(resolveConnectionSettings('postgresql', {}, { ...WIRED, [Env.AUTH]: 'secret', [Env.SECRET_ARN]: arn })).toMatchObject({ auth: 'secret', secretArn: arn });
  });

  test('IAM mode falls back to AWS_REGION and fails without any region', () => {
    const { [Env.REGION]: _region, ...withoutRegion } = WIRED;
    expect(resolveConnectionSettings('postgresql', {}, { ...withoutRegion, AWS_REGION: 'us-east-1' }).region).toBe('us-east-1');
    expect(() => resolveConnectionSettings('postgresql', {}, withoutRegion)).toThrow(/region/);
  });

  test('a missing variable names itself and the way to wire the function', () => {
    const { [Env.HOST]: _host, ...withoutHost } = WIRED;
    expect(() => resolveConnectionSettings('postgresql', {}, withoutHost)).toThrow(/SERVERLESS_RDS_HOST is not set: wire the function with ServerlessDatabase/);
  });

  test('the helper of the other engine is refused', () => {
    expect(() => resolveConnectionSettings('mysql', {}, WIRED)).toThrow(/SERVERLESS_RDS_ENGINE is 'postgresql' but the mysql helper was used/);
  });

  test.each(['0', '-1', '1.5', 'two'])('connections per invocation %s is refused', (value) => {
    expect(() => resolveConnectionSettings('postgresql', {}, { ...WIRED, [Env.CONNECTIONS_PER_INVOCATION]: value })).toThrow(/whole number of at least 1/);
  });

  test('an unknown auth mode is refused', () => {
    expect(() => resolveConnectionSettings('postgresql', {}, { ...WIRED, [Env.AUTH]: 'kerberos' })).toThrow(/must be 'iam' or 'secret'/);
  });

  test('the port defaults to the engine port when the variable is absent', () => {
    const { [Env.PORT]: _port, [Env.ENGINE]: _engine, ...rest } = WIRED;
    expect(resolveConnectionSettings('mysql', {}, rest).port).toBe(3306);
    expect(resolveConnectionSettings('postgresql', {}, rest).port).toBe(5432);
  });

  describe('on Lambda Managed Instances', () => {
    const MANAGED = { ...WIRED, [CONNECTIONS_PER_ENVIRONMENT_VARIABLE]: '8' };

    test('the connections per environment size the pool, over the connections per invocation', () => {
      expect(CONNECTIONS_PER_ENVIRONMENT_VARIABLE).toBe('SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT');
      expect(resolveConnectionSettings('postgresql', {}, MANAGED).connections).toBe(8);
      expect(resolveConnectionSettings('mysql', {}, { ...MANAGED, [Env.ENGINE]: 'mysql' }).connections).toBe(8);
    });

    test('an explicit connections option still wins', () => {
      expect(resolveConnectionSettings('postgresql', { connections: 3 }, MANAGED).connections).toBe(3);
    });

    test('an empty value falls back to the connections per invocation', () => {
      expect(resolveConnectionSettings('postgresql', {}, { ...WIRED, [CONNECTIONS_PER_ENVIRONMENT_VARIABLE]: '' }).connections).toBe(2);
    });

    test.each(['0', '2.5', 'many'])('connections per environment %s is refused, naming the variable', (value) => {
      expect(() => resolveConnectionSettings('postgresql', {}, { ...WIRED, [CONNECTIONS_PER_ENVIRONMENT_VARIABLE]: value }))
        .toThrow(/SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT must be a whole number of at least 1/);
    });
  });
});

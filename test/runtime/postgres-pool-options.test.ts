import { ServerlessPostgresPool } from '../../runtime/postgres';

const WIRED = {
  SERVERLESS_RDS_ENGINE: 'postgresql',
  SERVERLESS_RDS_HOST: 'db.proxy-abc123.eu-west-1.rds.amazonaws.com',
  SERVERLESS_RDS_PORT: '5432',
  SERVERLESS_RDS_DATABASE: 'app',
  SERVERLESS_RDS_USER: 'dbadmin',
  SERVERLESS_RDS_REGION: 'eu-west-1',
  SERVERLESS_RDS_AUTH: 'iam',
  SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '3',
};

describe('ServerlessPostgresPool configuration from a wired environment', () => {
  const saved = process.env;
  beforeEach(() => { process.env = { ...saved, ...WIRED }; });
  afterAll(() => { process.env = saved; });

  // pg.Pool keeps its configuration on `options`; nothing here opens a connection.
  const optionsOf = (pool: ServerlessPostgresPool) => (pool as unknown as { options: Record<string, unknown> }).options;

  test('sizes the pool to the connections the budget counted, with TLS verified against the proxy host name', () => {
    const options = optionsOf(new ServerlessPostgresPool());
    expect(options).toMatchObject({
      host: WIRED.SERVERLESS_RDS_HOST, port: 5432, database: 'app', user: 'dbadmin', max: 3,
      ssl: { rejectUnauthorized: true, servername: WIRED.SERVERLESS_RDS_HOST },
      idleTimeoutMillis: 0, connectionTimeoutMillis: 30000, query_timeout: 10000, keepAlive: true, keepAliveInitialDelayMillis: 10000,
    });
  });

  test('the password is a function that fetches a token per new connection, never a stored string', () => {
    expect(typeof optionsOf(new ServerlessPostgresPool()).password).toBe('function');
  });

  test('pool settings of the user pass through; what the helper owns cannot be overridden', () => {
    const options = optionsOf(new ServerlessPostgresPool({
      poolConfig: { idleTimeoutMillis: 60_000, application_name: 'orders', statement_timeout: 5000, ...({ max: 50 } as object) },
    }));
    expect(options).toMatchObject({ idleTimeoutMillis: 60_000, application_name: 'orders', statement_timeout: 5000, max: 3 });
  });

  test('TLS can be turned off only explicitly, for a local server', () => {
    expect(optionsOf(new ServerlessPostgresPool({ tls: { disable: true } })).ssl).toBe(false);
  });

  test('getPostgresPool returns one pool per execution environment', () => {
    jest.isolateModules(() => {
      const { getPostgresPool } = require('../../runtime/postgres') as typeof import('../../runtime/postgres');
      expect(getPostgresPool()).toBe(getPostgresPool({ connections: 9 }));
    });
  });
});

import { Token } from 'aws-cdk-lib';
import { ConnectionBudget } from '../../lib/budget/connection-budget';
import { DatabaseEngineFamily } from '../../lib/budget/engine-family';
import { PoolerKind } from '../../lib/budget/pooler-kind';
import { PgBouncerAuthMode, pgBouncerConfig, pgBouncerPool, pgBouncerUserlistLine } from '../../lib/pooler/pgbouncer-config';

const FILES = { authFile: '/run/userlist.txt', clientTlsCertFile: '/run/c.crt', clientTlsKeyFile: '/run/c.key', serverTlsCaFile: '/run/ca.pem' };
const BASE = { databaseName: 'app', serverHost: 'db.example.internal', serverPort: 5432, listenPort: 6432, ...FILES };

/** `key = value` settings of the [pgbouncer] section. */
function settings(ini: string): Record<string, string> {
  const section = ini.split('[pgbouncer]')[1];
  return Object.fromEntries(section.split('\n').filter(l => l.includes(' = ') || l.endsWith(' =')).map(l => {
    const [key, ...rest] = l.split('=');
    return [key.trim(), rest.join('=').trim()];
  }));
}

describe('pgBouncerConfig', () => {
  test('splits the pool between the tasks (rounding down) and lets every task accept all clients', () => {
    const config = pgBouncerConfig({ ...BASE, serverConnections: 365, clientConnections: 300, tasks: 2 });
    expect(config).toMatchObject({ poolSizePerTask: 182, maxDbConnectionsPerTask: 182, maxClientConnections: 300, serverConnectionsAllTasks: 364 });
    expect(settings(config.ini)).toMatchObject({
      pool_mode: 'transaction', default_pool_size: '182', max_db_connections: '182', reserve_pool_size: '0', max_client_conn: '300',
      auth_type: 'scram-sha-256', client_tls_sslmode: 'require', server_tls_sslmode: 'verify-full', server_tls_ca_file: '/run/ca.pem',
    });
    expect(config.ini).toContain('app = host=db.example.internal port=5432 dbname=app');
  });

  test('auth_query mode names the auth user and the lookup', () => {
    const ini = pgBouncerConfig({ ...BASE, serverConnections: 10, clientConnections: 10, authMode: PgBouncerAuthMode.AUTH_QUERY }).ini;
    expect(settings(ini)).toMatchObject({ auth_user: 'pgbouncer_auth', auth_query: 'SELECT usename, passwd FROM pg_shadow WHERE usename=$1' });
  });

  test('refuses a pool smaller than the tasks, non-integers and values that would inject settings', () => {
    expect(() => pgBouncerConfig({ ...BASE, serverConnections: 1, clientConnections: 10, tasks: 2 })).toThrow(/1 server connections cannot be shared by 2 tasks/);
    expect(() => pgBouncerConfig({ ...BASE, serverConnections: 2.5, clientConnections: 10 })).toThrow(/serverConnections must be a positive whole number/);
    expect(() => pgBouncerConfig({ ...BASE, databaseName: 'app\nadmin_users = x', serverConnections: 2, clientConnections: 10 })).toThrow(/databaseName/);
  });

  test('a host CloudFormation fills in stays a token', () => {
    const host = Token.asString({ 'Fn::GetAtt': ['Instance', 'Endpoint.Address'] });
    expect(pgBouncerConfig({ ...BASE, serverHost: host, serverConnections: 2, clientConnections: 2 }).ini).toContain(`host=${host} `);
  });

  test('user list lines quote and double embedded quotes', () => {
    expect(pgBouncerUserlistLine('app', 'pa"ss')).toBe('"app" "pa""ss"');
  });
});

describe('pgBouncerPool from the budget', () => {
  test('the pool is the capacity less direct reservations, with no headroom; clients are what the consumers take', () => {
    // 100 - 9 - 5 = 86 capacity; 6 direct -> 80 for PgBouncer
    const budget = new ConnectionBudget({ engine: DatabaseEngineFamily.POSTGRESQL, maxConnections: 100, pooler: PoolerKind.PGBOUNCER });
    budget.reserve('Migrations', 6);
    budget.allocateFunction('Api', { reservedConcurrency: 50 });
    expect(pgBouncerPool(budget.plan())).toEqual({ serverConnections: 80, clientConnections: 50 });
    expect(budget.toTable('Db')).toContain('= PgBouncer pool (max_db_connections, all tasks)');
  });

  test('a plan for RDS Proxy is refused; proxyMaxConnectionsPercent is refused for other poolers', () => {
    const proxy = new ConnectionBudget({ engine: DatabaseEngineFamily.POSTGRESQL, maxConnections: 100 });
    expect(() => pgBouncerPool(proxy.plan())).toThrow(/computed for RDS Proxy, not for PgBouncer/);
    expect(() => new ConnectionBudget({ engine: DatabaseEngineFamily.POSTGRESQL, maxConnections: 100, pooler: PoolerKind.NONE, proxyMaxConnectionsPercent: 50 }))
      .toThrow(/proxyMaxConnectionsPercent applies to RDS Proxy only, not to no pooler/);
  });

  test('with no pooler the consumers share the capacity directly', () => {
    const budget = new ConnectionBudget({ engine: DatabaseEngineFamily.POSTGRESQL, maxConnections: 100, pooler: PoolerKind.NONE });
    budget.allocateFunction('Api', { reservedConcurrency: 87 });
    const plan = budget.plan();
    expect(plan).toMatchObject({ pooler: 'no pooler', proxyAllocatable: 86, proxyHeadroom: 0 });
    expect(plan.problems[0]).toMatch(/need 87 connections but 86 may be allocated/);
  });
});

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { Client } from 'pg';
import { masterSecretsManager, synthesizedUsersResource, UserEvents } from './user-events';
import { createHandler } from '../../../lib/handlers/database-users';
import { ServerlessPostgresPool } from '../../../runtime/postgres';
import { inlineFunctionProps, newDatabase } from '../../helpers';
import { PostgresServer, startPostgres } from '../servers';

const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * From the synthesized template to the database: the properties CloudFormation would send for the
 * database's one users resource (`Custom::DatabaseUsers`, listing the users of two wired functions)
 * are applied to a real PostgreSQL, and each function's runtime helper,
 * configured from its synthesized environment, logs in as its own user and stays within the
 * limit its budget allocation set. Only the instance address and the master secret are local.
 */
describe('synthesized function users on a real PostgreSQL', () => {
  let server: PostgresServer;
  let template: Template;
  const master = { user: 'master_admin', password: 'master-Pa55word' };
  const pools: ServerlessPostgresPool[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'lib', 'handlers', 'database-users', 'bundle', 'index.js'))) {
      execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-handlers.js')], { stdio: 'ignore' });
    }
    const { stack, db } = newDatabase({ functionUsers: true });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 3 });
    db.addFunction('Report', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1, connectionsPerInvocation: 2, databaseUser: { readOnlySchemas: ['public'] } });
    template = Template.fromStack(stack);

    server = await startPostgres({ extraHba: ['hostssl app +rds_iam 127.0.0.1/32 trust'] });
    await server.adminQuery('create role rds_iam nologin');
    await server.adminQuery(`create role ${master.user} login createrole password '${master.password}'`);
    await server.adminQuery(`grant rds_iam to ${master.user} with admin option`);
    await server.adminQuery(`alter database app owner to ${master.user}`);
    await server.adminQuery(`alter schema public owner to ${master.user}`);
    const c = new Client({ ...server.clientConfig('superuser', 'app'), user: master.user, password: master.password });
    await c.connect();
    await c.query('create table public.orders (id serial primary key, amount int not null)');
    await c.end();

    const handler = createHandler({ secretsManager: masterSecretsManager(master).client, tls: () => ({ ca: server.caPem, servername: 'localhost' }) });
    const events = new UserEvents({ Host: server.host, Port: String(server.port) });
    // One resource holds every user of the database; the instance address and master secret are local.
    const { Engine, Database, Users } = synthesizedUsersResource(template);
    expect(Users.map((user) => user.UserName).sort()).toEqual(['api', 'report']);
    const created = await handler(events.create(Users, { Engine, Database }));
    expect(created.PhysicalResourceId).toBe('database-users');
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await server?.stop();
  });

  /** The helper as the function would build it from its synthesized environment (the token stands in: the server trusts rds_iam members). */
  function helperOf(functionId: string, connections?: number, attempts?: number): ServerlessPostgresPool {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(f => JSON.stringify(f.Properties.Role).includes(`DbFunctionRoles${functionId}`))!;
    const env = fn.Properties.Environment.Variables;
    const pool = new ServerlessPostgresPool({
      host: server.host, port: server.port, database: env.SERVERLESS_RDS_DATABASE, user: env.SERVERLESS_RDS_USER,
      auth: env.SERVERLESS_RDS_AUTH, region: 'eu-west-1', signToken: async () => 'iam-token-stand-in',
      connections: connections ?? Number(env.SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION), tls: { ca: server.caPem, servername: 'localhost' },
      retry: attempts === undefined ? undefined : { attempts },
    });
    pools.push(pool);
    return pool;
  }

  test('each function logs in as its own user with the rights it asked for', async () => {
    const api = helperOf('Api');
    expect((await api.query('select current_user as u')).rows[0].u).toBe('api');
    await api.query('insert into orders (amount) values (42)');
    const report = helperOf('Report');
    expect((await report.query('select current_user as u, count(*)::int as n from orders')).rows[0]).toEqual({ u: 'report', n: 1 });
    await expect(report.query('delete from orders')).rejects.toMatchObject({ code: '42501' });
  });

  test('the database holds each user to its budget allocation', async () => {
    const limits = await server.adminQuery<{ rolname: string; rolconnlimit: number }>(
      "select rolname, rolconnlimit from pg_roles where rolname in ('api', 'report') order by 1");
    expect(limits).toEqual([{ rolname: 'api', rolconnlimit: 3 }, { rolname: 'report', rolconnlimit: 2 }]);
    // A misconfigured report function opening more than its allocation is refused by the database
    // (without retries: the helper would otherwise back off until a connection of its own is free).
    const greedy = helperOf('Report', 3, 1);
    const results = await Promise.allSettled([1, 2, 3].map(() => greedy.query('select pg_sleep(0.3)')));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason.message));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((m) => m.includes('too many connections for role "report"'))).toBe(true);
    // Meanwhile the api function is unaffected.
    expect((await helperOf('Api').query('select count(*)::int as n from orders')).rows[0].n).toBe(1);
  });
});

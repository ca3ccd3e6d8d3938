import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { masterSecretsManager, synthesizedUsersResource, UserEvents } from './user-events';
import { createHandler } from '../../../lib/handlers/database-users';
import { ServerlessMysqlPool } from '../../../runtime/mysql';
import { inlineFunctionProps, MYSQL_8_0, newDatabase } from '../../helpers';
import { MariaDbServer, startMariaDb } from '../servers';

const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * The MySQL counterpart of synthesized-users-postgres.test.ts on a real MariaDB. The IAM identity
 * is the local stand-in (mysql_native_password with the hash of a known token, see
 * mysql-users.test.ts), so the helper's IAM mode presents that token as its password.
 */
describe('synthesized function users on a real MariaDB', () => {
  let server: MariaDbServer;
  let template: Template;
  const token = 'stand-in-iam-token';
  const master = { user: 'master_admin', password: 'master-Pa55word' };
  const pools: ServerlessMysqlPool[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'lib', 'handlers', 'database-users', 'bundle', 'index.js'))) {
      execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-handlers.js')], { stdio: 'ignore' });
    }
    const { stack, db } = newDatabase({ engine: MYSQL_8_0, functionUsers: true });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 3 });
    db.addFunction('Report', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1, connectionsPerInvocation: 2, databaseUser: { readOnlySchemas: ['app'] } });
    template = Template.fromStack(stack);

    server = await startMariaDb();
    await server.adminQuery(`create user ?@'%' identified by ? require ssl`, [master.user, master.password]);
    await server.adminQuery(`grant select, insert, update, delete, create, drop, execute, create user on *.* to ?@'%' with grant option`, [master.user]);
    await server.adminQuery('create table app.orders (id int auto_increment primary key, amount int not null)');
    const [{ hash }] = await server.adminQuery<{ hash: string }>('select password(?) as hash', [token]);

    const handler = createHandler({
      secretsManager: masterSecretsManager(master).client, tls: () => ({ ca: server.caPem }),
      mysqlIamAuth: { plugin: 'mysql_native_password', authenticationString: hash },
    });
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

  function helperOf(functionId: string, connections?: number, attempts?: number): ServerlessMysqlPool {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(f => JSON.stringify(f.Properties.Role).includes(`DbFunctionRoles${functionId}`))!;
    const env = fn.Properties.Environment.Variables;
    const pool = new ServerlessMysqlPool({
      host: server.host, port: server.port, database: env.SERVERLESS_RDS_DATABASE, user: env.SERVERLESS_RDS_USER,
      auth: env.SERVERLESS_RDS_AUTH, region: 'eu-west-1', signToken: async () => token,
      connections: connections ?? Number(env.SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION), tls: { ca: server.caPem },
      retry: attempts === undefined ? undefined : { attempts },
    });
    pools.push(pool);
    return pool;
  }

  test('each function logs in as its own user with the rights it asked for', async () => {
    const api = helperOf('Api');
    expect(await api.query('select current_user() as u')).toEqual([{ u: 'api@%' }]);
    await api.query('insert into orders (amount) values (42)');
    const report = helperOf('Report');
    expect(await report.query('select current_user() as u, count(*) as n from orders')).toEqual([{ u: 'report@%', n: 1 }]);
    await expect(report.query('delete from orders')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
  });

  test('the database holds each user to its budget allocation', async () => {
    const limits = await server.adminQuery("select user as user, max_user_connections from mysql.user where user in ('api', 'report') order by 1");
    expect(limits).toEqual([{ user: 'api', max_user_connections: 3 }, { user: 'report', max_user_connections: 2 }]);
    const greedy = helperOf('Report', 3, 1);
    const results = await Promise.allSettled([1, 2, 3].map(() => greedy.query('select sleep(0.3)')));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason.message));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((m) => m.includes("User 'report' has exceeded the 'max_user_connections' resource (current value: 2)"))).toBe(true);
    expect(await helperOf('Api').query('select count(*) as n from orders')).toEqual([{ n: 1 }]);
  });
});

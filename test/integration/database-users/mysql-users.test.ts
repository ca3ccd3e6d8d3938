import { Connection, createConnection } from 'mysql2/promise';
import { INJECTION_ATTEMPTS, MASTER_SECRET_ARN, masterSecretsManager, UserEvents } from './user-events';
import { createHandler } from '../../../lib/handlers/database-users';
import { MysqlIamAuth } from '../../../lib/handlers/database-users/mysql-users';
import { MariaDbServer, startMariaDb } from '../servers';

/**
 * The database-users handler against a real MariaDB that requires TLS. The master holds the
 * privileges of the RDS for MySQL master (no SUPER). MariaDB has no AWSAuthenticationPlugin, so
 * the IAM identity is injected as a plugin it has: mysql_native_password with the hash of a
 * stand-in token. What this verifies locally: the account is created IDENTIFIED WITH the given
 * plugin and string, REQUIRE SSL, the limit, grants, idempotence and compensation; that RDS
 * accepts `IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'` is the documented RDS syntax, not
 * exercised here.
 */
describe('database users on MySQL (real MariaDB server)', () => {
  let server: MariaDbServer;
  let handler: ReturnType<typeof createHandler>;
  let events: UserEvents;
  let iam: MysqlIamAuth;
  let secrets: ReturnType<typeof masterSecretsManager>;
  const token = 'stand-in-iam-token';
  const master = { user: 'master_admin', password: 'master-Pa55word' };
  const open: Connection[] = [];

  beforeAll(async () => {
    server = await startMariaDb();
    await server.adminQuery(`create user ?@'%' identified by ? require ssl`, [master.user, master.password]);
    // The RDS for MySQL master's privileges: everything but SUPER and the file/shutdown ones.
    await server.adminQuery(`grant select, insert, update, delete, create, drop, reload, process, references, index, alter,
      show databases, create temporary tables, lock tables, execute, replication slave, replication client, create view,
      show view, create routine, alter routine, create user, event, trigger on *.* to ?@'%' with grant option`, [master.user]);
    await server.adminQuery('create database users_db');
    await server.adminQuery('create table users_db.orders (id int auto_increment primary key, amount int not null)');
    await server.adminQuery('insert into users_db.orders (amount) values (10), (20)');
    await server.adminQuery('create database audit');
    await server.adminQuery('create table audit.log (entry text)');
    await server.adminQuery('create table audit.secret_notes (entry text)');
    // A database whose name matches users_db only if `_` were a wildcard in the grant.
    await server.adminQuery('create database usersXdb');
    await server.adminQuery('create table usersXdb.t (x int)');
    const [{ hash }] = await server.adminQuery<{ hash: string }>('select password(?) as hash', [token]);
    iam = { plugin: 'mysql_native_password', authenticationString: hash };
    secrets = masterSecretsManager(master);
    handler = createHandler({ secretsManager: secrets.client, tls: () => ({ ca: server.caPem }), mysqlIamAuth: iam });
    events = new UserEvents({ Engine: 'mysql', Host: server.host, Port: String(server.port), Database: 'users_db' });
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  /** Logs in as `user` with the stand-in token over verified TLS; kept open until closed or the suite ends. */
  async function login(user: string, tls = true): Promise<Connection> {
    const c = await createConnection({
      host: server.host, port: server.port, user, password: token, database: 'users_db', connectTimeout: 10_000,
      ssl: tls ? { ca: server.caPem, rejectUnauthorized: true } : undefined,
    });
    c.on('error', () => undefined);
    open.push(c);
    return c;
  }

  const account = async (user: string) => (await server.adminQuery(
    `select plugin, authentication_string, ssl_type, max_user_connections from mysql.user where user = ? and host = '%'`, [user]))[0];
  const grants = async (user: string) => (await server.adminQuery(`show grants for ?@'%'`, [user])).map((r) => Object.values(r)[0] as string).sort();
  const readOnly = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'] };

  test('create: an IAM-identified account requiring TLS, with its connection limit, read-only on its database', async () => {
    const result = await handler(events.create(readOnly));
    expect(result).toEqual({ PhysicalResourceId: 'database-users:users_db', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await account('reporting')).toEqual({
      plugin: iam.plugin, authentication_string: iam.authenticationString, ssl_type: 'ANY', max_user_connections: 2,
    });
    const c = await login('reporting');
    const [rows] = await c.query('select sum(amount) as total from orders');
    expect(Number((rows as Array<{ total: string }>)[0].total)).toBe(30);
    await expect(c.query('insert into orders (amount) values (1)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(c.query('select * from usersXdb.t')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await c.end();
    await expect(login('reporting', false)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' }); // REQUIRE SSL
  });

  test('re-run with the same properties: nothing changes', async () => {
    const before = [await account('reporting'), await grants('reporting')];
    expect((await handler(events.create(readOnly))).Data.Changed).toBe('false');
    expect([await account('reporting'), await grants('reporting')]).toEqual(before);
  });

  test('update: grants and limit change; rights no longer wanted are revoked', async () => {
    const wider = { UserName: 'reporting', ConnectionLimit: '3', ReadWriteSchemas: ['users_db'], Privileges: [{ Privileges: ['select'], Schema: 'audit', Table: 'log' }] };
    expect((await handler(events.update(wider, readOnly))).Data.Changed).toBe('true');
    expect((await account('reporting')).max_user_connections).toBe(3);
    const c = await login('reporting');
    await c.query('insert into orders (amount) values (5)');
    await c.query('select * from audit.log');
    await expect(c.query('select * from audit.secret_notes')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await c.end();

    const narrower = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['audit'] };
    expect((await handler(events.update(narrower, wider))).Data.Changed).toBe('true');
    expect(await grants('reporting')).toEqual([
      expect.stringMatching(/^GRANT SELECT ON `audit`\.\* TO `reporting`@`%`$/),
      expect.stringMatching(/^GRANT USAGE ON \*\.\* TO `reporting`@`%`.*REQUIRE SSL WITH MAX_USER_CONNECTIONS 2$/),
    ]);
    await handler(events.update(readOnly, narrower));
  });

  test('a consumer over its connection limit is refused by the database while other users keep working', async () => {
    await handler(events.create({ UserName: 'api', ConnectionLimit: '3', ReadWriteSchemas: ['users_db'] }));
    const reporting = [await login('reporting'), await login('reporting')];
    const refused = await login('reporting').then(() => 'connected', (e) => `${e.code}: ${e.message}`);
    expect(refused).toBe("ER_USER_LIMIT_REACHED: User 'reporting' has exceeded the 'max_user_connections' resource (current value: 2)");
    const api = await Promise.all([login('api'), login('api'), login('api')]);
    for (const c of api) expect((await c.query('select count(*) as n from orders'))[0]).toEqual([{ n: 3 }]);
    for (const c of reporting) expect((await c.query('select 1 as one'))[0]).toEqual([{ one: 1 }]);
    await Promise.all([...reporting, ...api].map((c) => c.end()));
  });

  test('by default TLS is verified against the RDS certificate authorities: a server they did not sign is refused', async () => {
    const rdsOnly = createHandler({ secretsManager: secrets.client, mysqlIamAuth: iam });
    await expect(rdsOnly(events.create({ UserName: 'tls_probe', ConnectionLimit: '1' }))).rejects.toThrow(
      /^Creating database users "tls_probe" on mysql database "users_db" at 127\.0\.0\.1:\d+ failed: .*certificate/);
    expect(await account('tls_probe')).toBeUndefined();
  });

  test('injection through user, schema or privilege names is rejected before any SQL runs', async () => {
    const usersBefore = await server.adminQuery('select user, host from mysql.user order by 1, 2');
    const attempts = [
      ...INJECTION_ATTEMPTS.userNames.map((UserName) => ({ UserName, ConnectionLimit: '1' })),
      ...INJECTION_ATTEMPTS.schemas.map((s) => ({ UserName: 'sneaky', ConnectionLimit: '1', ReadOnlySchemas: [s] })),
      ...INJECTION_ATTEMPTS.schemas.map((s) => ({ UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: ['SELECT'], Table: s }] })),
      ...INJECTION_ATTEMPTS.privileges.map((p) => ({ UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: [p] }] })),
      { UserName: 'sneaky', ConnectionLimit: '1 WITH MAX_QUERIES_PER_HOUR 1' },
      { UserName: 'root', ConnectionLimit: '1' },
      { UserName: 'rdsadmin', ConnectionLimit: '1' },
      { UserName: 'u'.repeat(33), ConnectionLimit: '1' },
    ];
    for (const attempt of attempts) {
      await expect(handler(events.create(attempt))).rejects.toThrow(/is missing|not a valid name|is reserved|is not one of|must be a whole number/);
    }
    await expect(handler(events.create({ UserName: master.user, ConnectionLimit: '1' }))).rejects.toThrow(/is the master user/);
    expect(await server.adminQuery('select user, host from mysql.user order by 1, 2')).toEqual(usersBefore);
  });

  test('a failure reaches CloudFormation with a readable reason; the statements already run are undone', async () => {
    const failing = { UserName: 'half_user', ConnectionLimit: '2', ReadWriteSchemas: ['users_db'], Privileges: [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'no_such_table' }] };
    await expect(handler(events.create(failing))).rejects.toThrow(new RegExp(
      `^Creating database user "half_user" on mysql database "users_db" at 127\\.0\\.0\\.1:${server.port} failed: ` +
      "Table 'audit\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\)$"));
    expect(await account('half_user')).toBeUndefined();

    // A failed update gives the existing account back its identity, limit and grants.
    const before = [await account('reporting'), await grants('reporting')];
    await expect(handler(events.update({ ...failing, UserName: 'reporting', ConnectionLimit: '9' }, readOnly)))
      .rejects.toThrow(/Updating database user "reporting".*no_such_table.*undone/);
    expect([await account('reporting'), await grants('reporting')]).toEqual(before);
  });

  test('an account that exists with administrative privileges is never taken over', async () => {
    await server.adminQuery(`create user 'ops_boss'@'%' identified by 'x'`);
    await server.adminQuery(`grant create user on *.* to 'ops_boss'@'%'`);
    await expect(handler(events.create({ UserName: 'ops_boss', ConnectionLimit: '1' }))).rejects.toThrow(/administrative privileges/);
    expect((await account('ops_boss')).max_user_connections).toBe(0);
  });

  test('concurrent requests on one server all succeed: changes of users are serialized', async () => {
    const names = ['worker_a', 'worker_b', 'worker_c', 'worker_d'];
    const results = await Promise.all(names.map((UserName) => handler(events.create({ UserName, ConnectionLimit: '1', ReadWriteSchemas: ['users_db'] }))));
    expect(results.map((r) => r.Data.Changed)).toEqual(['true', 'true', 'true', 'true']);
    for (const name of names) expect(await grants(name)).toContainEqual(expect.stringContaining('GRANT SELECT, INSERT, UPDATE, DELETE ON `users\\_db`.*'));
  });

  test('delete: the account is gone; deleting again or a foreign id does nothing', async () => {
    expect(await handler(events.delete(readOnly))).toEqual({ PhysicalResourceId: 'database-users:users_db', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await account('reporting')).toBeUndefined();
    expect((await handler(events.delete(readOnly))).Data.Changed).toBe('false');
    expect((await handler(events.delete({ UserName: 'api', ConnectionLimit: '3' }, '2026/12/01/[$LATEST]abc'))).Data.Changed).toBe('false');
    expect((await account('api')).max_user_connections).toBe(3);
    expect(new Set(secrets.calls())).toEqual(new Set([MASTER_SECRET_ARN]));
  });
});

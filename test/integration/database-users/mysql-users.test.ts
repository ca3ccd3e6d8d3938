import { Connection, createConnection } from 'mysql2/promise';
import { failureOf, INJECTION_ATTEMPTS, MASTER_SECRET_ARN, masterSecretsManager, UserEvents } from './user-events';
import { createHandler, MAX_MESSAGE_LENGTH, MAX_USER_NAMES_LENGTH, MAX_USERS } from '../../../lib/handlers/database-users';
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
  async function login(user: string, tls = true, database = 'users_db'): Promise<Connection> {
    const c = await createConnection({
      host: server.host, port: server.port, user, password: token, database, connectTimeout: 10_000,
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
    expect(result).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
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
    expect(await handler(events.delete(readOnly))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await account('reporting')).toBeUndefined();
    expect((await handler(events.delete(readOnly))).Data.Changed).toBe('false');
    expect((await handler(events.delete({ UserName: 'api', ConnectionLimit: '3' }, '2026/12/01/[$LATEST]abc'))).Data.Changed).toBe('false');
    expect((await account('api')).max_user_connections).toBe(3);
    expect(new Set(secrets.calls())).toEqual(new Set([MASTER_SECRET_ARN]));
  });

  describe('all users of the database in one resource', () => {
    const messageOf = async (promise: Promise<unknown>) => (await failureOf(promise)).message;
    const failedAt = (verb: string, user: string) => `${verb} database user "${user}" on mysql database "users_db" at 127.0.0.1:${server.port} failed: `;
    /** The account and its grants, per user (undefined once gone). */
    async function state(...users: string[]): Promise<Record<string, unknown>> {
      const facts: Record<string, unknown> = {};
      for (const user of users) {
        const row = await account(user);
        facts[user] = row === undefined ? undefined : [row, await grants(user)];
      }
      return facts;
    }
    const noSuchTable = [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'no_such_table' }];
    const trioA = { UserName: 'trio_a', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] };
    const trioB = { UserName: 'trio_b', ConnectionLimit: '2', ReadWriteSchemas: ['users_db'] };
    const trioC = { UserName: 'trio_c', ConnectionLimit: '3', Privileges: [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'log' }] };
    const trio = [trioA, trioB, trioC];
    const trioB2 = { UserName: 'trio_b', ConnectionLimit: '5', ReadOnlySchemas: ['audit'] };
    const trioD = { UserName: 'trio_d', ConnectionLimit: '1', ReadWriteSchemas: ['users_db'] };
    const afterUpdate = [trioA, trioB2, trioD];

    test('a list of three users is created in one event, each with its own limit and rights; re-running it changes nothing', async () => {
      expect(await handler(events.create(trio))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_c', Changed: 'true' },
      });
      expect([(await account('trio_a')).max_user_connections, (await account('trio_b')).max_user_connections, (await account('trio_c')).max_user_connections])
        .toEqual([1, 2, 3]);
      const a = await login('trio_a');
      await a.query('select count(*) from orders');
      await expect(a.query('insert into orders (amount) values (1)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await a.end();
      const b = await login('trio_b');
      await b.query('insert into orders (amount) values (7)');
      await b.end();
      const c = await login('trio_c', true, 'audit');
      await c.query('select * from log');
      await expect(c.query('select * from secret_notes')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(c.query('select * from users_db.orders')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await c.end();

      const before = await state('trio_a', 'trio_b', 'trio_c');
      expect((await handler(events.create(trio))).Data.Changed).toBe('false');
      expect((await handler(events.update(trio, trio))).Data).toEqual({ UserNames: 'trio_a,trio_b,trio_c', Changed: 'false' });
      expect(await state('trio_a', 'trio_b', 'trio_c')).toEqual(before);
    });

    test('an update that adds one user, changes one and removes one: the removed one is dropped, the unchanged one untouched', async () => {
      const before = await state('trio_a');
      expect(await handler(events.update(afterUpdate, trio))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_d', Changed: 'true' },
      });
      expect(await state('trio_a')).toEqual(before);
      expect((await account('trio_b')).max_user_connections).toBe(5);
      expect(await grants('trio_b')).toEqual([
        expect.stringMatching(/^GRANT SELECT ON `audit`\.\* TO `trio_b`@`%`$/),
        expect.stringMatching(/^GRANT USAGE ON \*\.\* TO `trio_b`@`%`.*REQUIRE SSL WITH MAX_USER_CONNECTIONS 5$/),
      ]);
      expect(await account('trio_c')).toBeUndefined();
      expect(await grants('trio_d')).toContainEqual(expect.stringContaining('GRANT SELECT, INSERT, UPDATE, DELETE ON `users\\_db`.*'));
    });

    test('a create whose third user fails drops the first two again; a pre-existing user, listed or not, is never dropped', async () => {
      await handler(events.create({ UserName: 'keeper', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'] }));
      const keeperBefore = await state('keeper');
      const third = { UserName: 'new_three', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'], Privileges: noSuchTable };
      const failing = [{ UserName: 'new_one', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] }, { UserName: 'new_two', ConnectionLimit: '1' }, third];
      expect(await messageOf(handler(events.create(failing)))).toMatch(new RegExp(`^${escape(failedAt('Creating', 'new_three'))}` +
        "Table 'audit\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\); " +
        'dropped again the users this request had created: "new_one", "new_two"$'));
      expect(await state('new_one', 'new_two', 'new_three')).toEqual({ new_one: undefined, new_two: undefined, new_three: undefined });
      expect(await state('keeper')).toEqual(keeperBefore);

      // Listed and already there: applied (here without a change), and not dropped when a later user fails.
      const listed = [{ UserName: 'keeper', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'] }, { UserName: 'new_one', ConnectionLimit: '1' }, third];
      expect(await messageOf(handler(events.create(listed)))).toMatch(
        new RegExp(`^${escape(failedAt('Creating', 'new_three'))}.*; dropped again the users this request had created: "new_one"$`));
      expect(await state('keeper', 'new_one')).toEqual({ ...keeperBefore, new_one: undefined });
      expect((await handler(events.delete(listed, '2026/12/01/[$LATEST]def'))).Data.Changed).toBe('false');
      expect(await state('keeper')).toEqual(keeperBefore);
    });

    test('a failed update says what it undid and kept; the rollback Update back to the old list restores the previous state', async () => {
      const before = await state('trio_a', 'trio_b', 'trio_d', 'trio_e', 'trio_f');
      const failing = [
        { ...trioA, ConnectionLimit: '4', ReadWriteSchemas: ['audit'] },
        { UserName: 'trio_e', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] },
        { UserName: 'trio_f', ConnectionLimit: '1', Privileges: noSuchTable },
      ];
      expect(await messageOf(handler(events.update(failing, afterUpdate)))).toMatch(new RegExp(`^${escape(failedAt('Updating', 'trio_f'))}` +
        "Table 'audit\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\); " +
        'dropped again the users this request had created: "trio_e"; already applied and kept: "trio_a"$'));
      expect((await account('trio_a')).max_user_connections).toBe(4);
      expect(await account('trio_e')).toBeUndefined();
      expect(await account('trio_b')).toBeDefined(); // the drops come after every user applied: not reached

      // CloudFormation rolls back: an Update from the failed list back to the old one.
      expect(await handler(events.update(afterUpdate, failing))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_d', Changed: 'true' },
      });
      expect(await state('trio_a', 'trio_b', 'trio_d', 'trio_e', 'trio_f')).toEqual(before);
    });

    test('a failure while dropping the users no longer listed drops again the users the update created; the rollback converges', async () => {
      await server.adminQuery(`grant create user on *.* to 'trio_d'@'%'`); // no longer a consumer user: the handler refuses to drop it
      const before = await state('trio_a', 'trio_b', 'trio_d', 'trio_g');
      const failing = [trioA, trioB2, { UserName: 'trio_g', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] }];
      expect(await messageOf(handler(events.update(failing, afterUpdate)))).toBe(
        `${failedAt('Dropping', 'trio_d')}account 'trio_d'@'%' has administrative privileges; it is not a consumer user and is not dropped; ` +
        'dropped again the users this request had created: "trio_g"');
      expect(await state('trio_a', 'trio_b', 'trio_d', 'trio_g')).toEqual(before);

      await server.adminQuery(`revoke create user on *.* from 'trio_d'@'%'`);
      const restored = await state('trio_a', 'trio_b', 'trio_d', 'trio_g');
      expect((await handler(events.update(afterUpdate, failing))).Data.Changed).toBe('false');
      expect(await state('trio_a', 'trio_b', 'trio_d', 'trio_g')).toEqual(restored);
    });

    test('the database moved: every user is applied on the new one, nothing is dropped on the old one', async () => {
      const movers = [{ UserName: 'mover_a', ConnectionLimit: '1', ReadOnlySchemas: ['audit'] }, { UserName: 'mover_b', ConnectionLimit: '1', ReadOnlySchemas: ['audit'] }];
      expect((await handler(events.create(movers, { Database: 'audit' }))).PhysicalResourceId).toBe('database-users');
      const moved = await handler(events.update([{ UserName: 'mover_a', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] }], movers, { oldShared: { Database: 'audit' } }));
      expect(moved).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'mover_a', Changed: 'true' } });
      expect(await grants('mover_a')).toContainEqual(expect.stringMatching(/^GRANT SELECT ON `users\\_db`\.\* TO `mover_a`@`%`$/));
      expect(await grants('mover_b')).toContainEqual(expect.stringMatching(/^GRANT SELECT ON `audit`\.\* TO `mover_b`@`%`$/));
    });

    test('delete drops every listed user (one already gone is fine); a foreign physical id, a resource of the one-user contract, or properties that never validated drop nothing', async () => {
      const doomed = [{ UserName: 'doomed_a', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] }, { UserName: 'doomed_b', ConnectionLimit: '1' }];
      await handler(events.create(doomed));
      expect((await handler(events.delete(doomed, '2026/12/01/[$LATEST]abc'))).Data).toEqual({ UserNames: '', Changed: 'false' });
      expect((await handler(events.delete(doomed, 'database-users:other_db'))).Data.Changed).toBe('false');
      const oneUserContract = {
        RequestType: 'Delete' as const, PhysicalResourceId: 'doomed_a',
        ResourceProperties: { Engine: 'mysql', Host: server.host, Port: String(server.port), Database: 'users_db', MasterSecretArn: MASTER_SECRET_ARN, UserName: 'doomed_a', ConnectionLimit: '1' },
      };
      expect((await handler(oneUserContract)).Data.Changed).toBe('false');
      expect((await handler(events.delete([...doomed, { UserName: 'doomed_a', ConnectionLimit: '1' }]))).Data.Changed).toBe('false'); // listed twice: never valid
      expect([await account('doomed_a'), await account('doomed_b')]).toEqual([expect.any(Object), expect.any(Object)]);

      expect(await handler(events.delete([...doomed, { UserName: 'never_created', ConnectionLimit: '1' }]))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'doomed_a,doomed_b,never_created', Changed: 'true' },
      });
      expect(await state('doomed_a', 'doomed_b')).toEqual({ doomed_a: undefined, doomed_b: undefined });
      expect((await handler(events.delete(doomed))).Data.Changed).toBe('false');
    });

    test('an empty list is fine: nothing to create or delete (the database is not even reached), and an update to it drops the users', async () => {
      const reads = secrets.calls().length;
      expect(await handler(events.create([]))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: '', Changed: 'false' } });
      expect(await handler(events.update([], []))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: '', Changed: 'false' } });
      expect((await handler(events.delete([]))).Data.Changed).toBe('false');
      expect(secrets.calls().length).toBe(reads);

      await handler(events.create([{ UserName: 'lonely', ConnectionLimit: '1' }]));
      expect(await handler(events.update([], [{ UserName: 'lonely', ConnectionLimit: '1' }]))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: '', Changed: 'true' },
      });
      expect(await account('lonely')).toBeUndefined();
    });

    test('the whole list is validated before the database is touched: a bad entry is named by index and user', async () => {
      const accounts = () => server.adminQuery<{ user: string; host: string }>('select user as user, host as host from mysql.user order by 1, 2');
      const usersBefore = await accounts();
      const reads = secrets.calls().length;
      const fine = { UserName: 'fine_user', ConnectionLimit: '1' };
      const cases: Array<[unknown, RegExp]> = [
        [[fine, { UserName: "x'@'%'; DROP USER master_admin; --", ConnectionLimit: '1' }], /^Users\[1\] \(user "x'@'%'; DROP USER master_admin; --"\): User name .* is not a valid name/],
        [[fine, { UserName: 'u'.repeat(33), ConnectionLimit: '1' }], /^Users\[1\] \(user "u{33}"\): User name "u{33}" is not a valid name: use 1 to 32 letters/],
        [[fine, { UserName: 'limited', ConnectionLimit: '1 WITH MAX_QUERIES_PER_HOUR 1' }], /^Users\[1\] \(user "limited"\): ConnectionLimit must be a whole number/],
        [[fine, { UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: ['SUPER'] }] }], /^Users\[1\] \(user "sneaky"\): Privileges\[0\]: "SUPER" is not one of/],
        [[{ ConnectionLimit: '1' }], /^Users\[0\]: User name is missing or not a string$/],
        [[fine, null], /^Users\[1\] must be an object$/],
        [[fine, { ...fine, ReadOnlySchemas: ['users_db'] }], /^Users\[1\] \(user "fine_user"\): the user is listed twice \(also as Users\[0\]\)$/],
        [[{ ...fine, MasterSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:other' }], /^Users\[0\] \(user "fine_user"\): MasterSecretArn is shared by all users: give it once, next to Users$/],
        [[fine, { UserName: 'root', ConnectionLimit: '1' }], /^Users\[1\] \(user "root"\): User name "root" is reserved/],
        [[...Array(MAX_USERS + 1)].map((_, i) => ({ UserName: `u${i}`, ConnectionLimit: '1' })), /^Users lists 501 users; one database holds at most 500$/],
      ];
      for (const [users, message] of cases) {
        await expect(handler(events.create(users as Record<string, unknown>[]))).rejects.toThrow(message);
        await expect(handler(events.update(users as Record<string, unknown>[], fine))).rejects.toThrow(message);
      }
      await expect(handler({ RequestType: 'Create', ResourceProperties: { ...events.properties([]), Users: { UserName: 'fine_user' } } })).rejects.toThrow(/^Users must be a list$/);
      await expect(handler(events.create([fine], { Engine: 'mariadb' }))).rejects.toThrow(/^Engine must be 'postgresql' or 'mysql'/);
      expect(secrets.calls().length).toBe(reads);
      // Names differing in case are different accounts.
      expect((await handler(events.create([{ UserName: 'Case_User', ConnectionLimit: '1' }, { UserName: 'case_user', ConnectionLimit: '2' }]))).Data.UserNames)
        .toBe('Case_User,case_user');
      expect([(await account('Case_User')).max_user_connections, (await account('case_user')).max_user_connections]).toEqual([1, 2]);
      // The master, anywhere in the list, fails the request before any user is applied.
      expect(await messageOf(handler(events.create([fine, { UserName: master.user, ConnectionLimit: '1' }]))))
        .toBe(`${failedAt('Creating', master.user)}"${master.user}" is the master user`);
      const after = await accounts();
      expect(after.filter((row) => row.user !== 'Case_User' && row.user !== 'case_user')).toEqual(usersBefore);
      expect(after.length).toBe(usersBefore.length + 2);
    });
    test('a long list: the user names returned and a failure message stay within what CloudFormation accepts', async () => {
      const long = [...Array(70)].map((_, i) => ({ UserName: `long_user_${String(i).padStart(2, '0')}_${'x'.repeat(19)}`, ConnectionLimit: '1' }));
      expect(long.map((u) => u.UserName).join(',').length).toBeGreaterThan(MAX_USER_NAMES_LENGTH);
      const created = await handler(events.create(long));
      expect(created.Data.UserNames.length).toBeLessThanOrEqual(MAX_USER_NAMES_LENGTH);
      const names = created.Data.UserNames.split(',');
      const more = names.pop()!;
      expect(names).toEqual(long.slice(0, names.length).map((u) => u.UserName));
      expect(more).toBe(`(+${long.length - names.length} more)`);

      const rolling = [...Array(30)].map((_, i) => ({ UserName: `roll_${String(i).padStart(2, '0')}_${'y'.repeat(19)}`, ConnectionLimit: '1' }));
      const message = await messageOf(handler(events.create([...rolling, { UserName: 'roll_fail', ConnectionLimit: '1', Privileges: noSuchTable }])));
      expect(message.startsWith(failedAt('Creating', 'roll_fail'))).toBe(true);
      expect(message).toContain(`; dropped again the users this request had created: ${rolling.slice(0, 10).map((u) => `"${u.UserName}"`).join(', ')}, and 20 more`);
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
      expect(Number((await server.adminQuery(`select count(*) as n from mysql.user where user like 'roll\\_%'`))[0].n)).toBe(0);
      expect((await handler(events.delete(long))).Data.Changed).toBe('true');
    });

    test('delete tries every listed user before it fails, and names each failure', async () => {
      const stuck = [{ UserName: 'stuck_a', ConnectionLimit: '1' }, { UserName: 'free', ConnectionLimit: '1' }, { UserName: 'stuck_b', ConnectionLimit: '1' }];
      await handler(events.create(stuck));
      await server.adminQuery(`grant create user on *.* to 'stuck_a'@'%'`);
      await server.adminQuery(`grant create user on *.* to 'stuck_b'@'%'`);
      expect(await messageOf(handler(events.delete(stuck)))).toBe(
        `${failedAt('Dropping', 'stuck_a')}account 'stuck_a'@'%' has administrative privileges; it is not a consumer user and is not dropped; dropping "stuck_b" failed too: account 'stuck_b'@'%' has administrative privileges; it is not a consumer user and is not dropped`);
      expect(await account('free')).toBeUndefined();
      await server.adminQuery(`revoke create user on *.* from 'stuck_a'@'%'`);
      await server.adminQuery(`revoke create user on *.* from 'stuck_b'@'%'`);
      expect((await handler(events.delete(stuck))).Data.Changed).toBe('true');
    });
  });
});

/** `text` as a literal in a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

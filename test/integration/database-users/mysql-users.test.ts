import { MysqlUsersFixture, startMysqlUsers } from './mysql-users-fixture';
import { MASTER_SECRET_ARN, masterSecretsManager, UserEvents } from './user-events';
import { usersCases, UsersCasesDatabase } from './users-cases';
import { createHandler, MAX_USERS } from '../../../lib/handlers/database-users';

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
  let fx: MysqlUsersFixture;
  let handler: ReturnType<typeof createHandler>;
  let events: UserEvents;
  let secrets: ReturnType<typeof masterSecretsManager>;
  let database: UsersCasesDatabase;
  const cases = usersCases(() => database);

  const readWrite = expect.stringContaining('GRANT SELECT, INSERT, UPDATE, DELETE ON `users\\_db`.*');
  const readOnly = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'] };

  beforeAll(async () => {
    fx = await startMysqlUsers({ sampleData: true });
    // A database whose name matches users_db only if `_` were a wildcard in the grant.
    await fx.server.adminQuery('create database usersXdb');
    await fx.server.adminQuery('create table usersXdb.t (x int)');
    secrets = masterSecretsManager(fx.master());
    handler = createHandler({ ...fx.deps, secretsManager: secrets.client });
    events = fx.events;
    const noSuchTable = [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'no_such_table' }];
    database = {
      ...fx, handler, secrets,
      schema: 'users_db',
      tableScope: {},
      countOrders: 'select count(*) as n from orders',
      limitRefusal: (user, limit) => `ER_USER_LIMIT_REACHED: User '${user}' has exceeded the 'max_user_connections' resource (current value: ${limit})`,
      user: (name) => fx.account(name),
      users: () => fx.server.adminQuery<{ user: string; host: string }>('select user as user, host as host from mysql.user order by 1, 2'),
      /** The account and its grants (undefined once gone). */
      state: async (...users) => {
        const facts: Record<string, unknown> = {};
        for (const user of users) {
          const row = await fx.account(user);
          facts[user] = row === undefined ? undefined : [row, await fx.grants(user)];
        }
        return facts;
      },
      gone: undefined,
      expectIamUser: async (user, limit) => expect((await fx.account(user)).max_user_connections).toBe(limit),
      expectReadWrite: async (user) => expect(await fx.grants(user)).toContainEqual(readWrite),
      expectReadsAuditOnly: async (user, limit) => expect(await fx.grants(user)).toEqual([
        expect.stringMatching(new RegExp(`^GRANT SELECT ON \`audit\`\\.\\* TO \`${user}\`@\`%\`$`)),
        expect.stringMatching(new RegExp(`^GRANT USAGE ON \\*\\.\\* TO \`${user}\`@\`%\`.*REQUIRE SSL WITH MAX_USER_CONNECTIONS ${limit}$`)),
      ]),
      expectTrioRights: async () => {
        expect([(await fx.account('trio_a')).max_user_connections, (await fx.account('trio_b')).max_user_connections, (await fx.account('trio_c')).max_user_connections])
          .toEqual([1, 2, 3]);
        const a = await fx.login('trio_a');
        await a.query('select count(*) from orders');
        await expect(a.query('insert into orders (amount) values (1)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
        await a.end();
        const b = await fx.login('trio_b');
        await b.query('insert into orders (amount) values (7)');
        await b.end();
        const c = await fx.login('trio_c', undefined, { database: 'audit' });
        await c.query('select * from log');
        await expect(c.query('select * from secret_notes')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
        await expect(c.query('select * from users_db.orders')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
        await c.end();
      },
      failing: (fields) => ({ ...fields, Privileges: noSuchTable }),
      failureReason: "Table 'audit\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\)",
      makeAdmin: async (user) => void await fx.server.adminQuery(`grant create user on *.* to ?@'%'`, [user]),
      unmakeAdmin: async (user) => void await fx.server.adminQuery(`revoke create user on *.* from ?@'%'`, [user]),
      notAConsumer: (user) => `account '${user}'@'%' has administrative privileges; it is not a consumer user and is not dropped`,
      invalidUsers: [
        { UserName: 'sneaky', ConnectionLimit: '1 WITH MAX_QUERIES_PER_HOUR 1' },
        { UserName: 'root', ConnectionLimit: '1' },
        { UserName: 'rdsadmin', ConnectionLimit: '1' },
        { UserName: 'u'.repeat(33), ConnectionLimit: '1' },
      ],
      invalidLists: (fine) => [
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
      ],
      notAList: { UserName: 'fine_user' },
      invalidShared: [{ Engine: 'mariadb' }, /^Engine must be 'postgresql' or 'mysql'/],
      expectUsersAdded: (before, after, added) => {
        expect((after as Array<{ user: string }>).filter((row) => !added.includes(row.user))).toEqual(before);
        expect(after.length).toBe(before.length + added.length);
      },
      longList: { users: 70, padding: 19 },
      countUsers: async (pattern) => Number((await fx.server.adminQuery('select count(*) as n from mysql.user where user like ?', [pattern]))[0].n),
    };
  });

  afterAll(async () => {
    await fx?.stop();
  });

  test('create: an IAM-identified account requiring TLS, with its connection limit, read-only on its database', async () => {
    const result = await handler(events.create(readOnly));
    expect(result).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await fx.account('reporting')).toEqual({
      plugin: fx.iam.plugin, authentication_string: fx.iam.authenticationString, ssl_type: 'ANY', max_user_connections: 2,
    });
    const c = await fx.login('reporting');
    const [rows] = await c.query('select sum(amount) as total from orders');
    expect(Number((rows as Array<{ total: string }>)[0].total)).toBe(30);
    await expect(c.query('insert into orders (amount) values (1)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(c.query('select * from usersXdb.t')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await c.end();
    await expect(fx.login('reporting', undefined, { tls: false })).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' }); // REQUIRE SSL
  });

  test('re-run with the same properties: nothing changes', async () => {
    const before = [await fx.account('reporting'), await fx.grants('reporting')];
    expect((await handler(events.create(readOnly))).Data.Changed).toBe('false');
    expect([await fx.account('reporting'), await fx.grants('reporting')]).toEqual(before);
  });

  test('update: grants and limit change; rights no longer wanted are revoked', async () => {
    const wider = { UserName: 'reporting', ConnectionLimit: '3', ReadWriteSchemas: ['users_db'], Privileges: [{ Privileges: ['select'], Schema: 'audit', Table: 'log' }] };
    expect((await handler(events.update(wider, readOnly))).Data.Changed).toBe('true');
    expect((await fx.account('reporting')).max_user_connections).toBe(3);
    const c = await fx.login('reporting');
    await c.query('insert into orders (amount) values (5)');
    await c.query('select * from audit.log');
    await expect(c.query('select * from audit.secret_notes')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await c.end();

    const narrower = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['audit'] };
    expect((await handler(events.update(narrower, wider))).Data.Changed).toBe('true');
    expect(await fx.grants('reporting')).toEqual([
      expect.stringMatching(/^GRANT SELECT ON `audit`\.\* TO `reporting`@`%`$/),
      expect.stringMatching(/^GRANT USAGE ON \*\.\* TO `reporting`@`%`.*REQUIRE SSL WITH MAX_USER_CONNECTIONS 2$/),
    ]);
    await handler(events.update(readOnly, narrower));
  });

  cases.connectionLimit();
  cases.defaultTls();
  cases.injection();

  test('a failure reaches CloudFormation with a readable reason; the statements already run are undone', async () => {
    const failing = { UserName: 'half_user', ConnectionLimit: '2', ReadWriteSchemas: ['users_db'], Privileges: [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'no_such_table' }] };
    await expect(handler(events.create(failing))).rejects.toThrow(new RegExp(
      `^Creating database user "half_user" on mysql database "users_db" at 127\\.0\\.0\\.1:${fx.server.port} failed: ` +
      "Table 'audit\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\)$"));
    expect(await fx.account('half_user')).toBeUndefined();

    // A failed update gives the existing account back its identity, limit and grants.
    const before = [await fx.account('reporting'), await fx.grants('reporting')];
    await expect(handler(events.update({ ...failing, UserName: 'reporting', ConnectionLimit: '9' }, readOnly)))
      .rejects.toThrow(/Updating database user "reporting".*no_such_table.*undone/);
    expect([await fx.account('reporting'), await fx.grants('reporting')]).toEqual(before);
  });

  test('an account that exists with administrative privileges is never taken over', async () => {
    await fx.server.adminQuery(`create user 'ops_boss'@'%' identified by 'x'`);
    await fx.server.adminQuery(`grant create user on *.* to 'ops_boss'@'%'`);
    await expect(handler(events.create({ UserName: 'ops_boss', ConnectionLimit: '1' }))).rejects.toThrow(/administrative privileges/);
    expect((await fx.account('ops_boss')).max_user_connections).toBe(0);
  });

  cases.concurrent();

  test('delete: the account is gone; deleting again or a foreign id does nothing', async () => {
    expect(await handler(events.delete(readOnly))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await fx.account('reporting')).toBeUndefined();
    expect((await handler(events.delete(readOnly))).Data.Changed).toBe('false');
    expect((await handler(events.delete({ UserName: 'api', ConnectionLimit: '3' }, '2026/12/01/[$LATEST]abc'))).Data.Changed).toBe('false');
    expect((await fx.account('api')).max_user_connections).toBe(3);
    expect(new Set(secrets.calls())).toEqual(new Set([MASTER_SECRET_ARN]));
  });

  cases.allInOneResource(() => {
    test('the database moved: every user is applied on the new one, nothing is dropped on the old one', async () => {
      const movers = [{ UserName: 'mover_a', ConnectionLimit: '1', ReadOnlySchemas: ['audit'] }, { UserName: 'mover_b', ConnectionLimit: '1', ReadOnlySchemas: ['audit'] }];
      expect((await handler(events.create(movers, { Database: 'audit' }))).PhysicalResourceId).toBe('database-users');
      const moved = await handler(events.update([{ UserName: 'mover_a', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] }], movers, { oldShared: { Database: 'audit' } }));
      expect(moved).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'mover_a', Changed: 'true' } });
      expect(await fx.grants('mover_a')).toContainEqual(expect.stringMatching(/^GRANT SELECT ON `users\\_db`\.\* TO `mover_a`@`%`$/));
      expect(await fx.grants('mover_b')).toContainEqual(expect.stringMatching(/^GRANT SELECT ON `audit`\.\* TO `mover_b`@`%`$/));
    });
  });
});

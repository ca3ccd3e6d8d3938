import { PostgresUsersFixture, startPostgresUsers } from './postgres-users-fixture';
import { MASTER_SECRET_ARN, masterSecretsManager, UserEvents } from './user-events';
import { escape, usersCases, UsersCasesDatabase } from './users-cases';
import { createHandler, MAX_USERS } from '../../../lib/handlers/database-users';
import { postgresUserFingerprint } from '../../../lib/handlers/database-users/postgres-users';

/**
 * The database-users handler against a real PostgreSQL that requires TLS. The master is a
 * non-superuser with CREATEROLE, like the RDS master; `rds_iam` is a stand-in role, and members
 * of it may log in without a password (pg_hba `+rds_iam trust`), standing in for IAM tokens: so a
 * user logs in exactly when the handler made it a member of rds_iam.
 */
describe('database users on PostgreSQL (real server)', () => {
  let fx: PostgresUsersFixture;
  let handler: ReturnType<typeof createHandler>;
  let secrets: ReturnType<typeof masterSecretsManager>;
  let events: UserEvents;
  let database: UsersCasesDatabase;
  const cases = usersCases(() => database);

  const can = async (user: string, table: string, privilege: string) => (await fx.inUsersDb<{ ok: boolean }>(
    'select has_table_privilege($1, $2, $3) as ok', [user, table, privilege]))[0].ok;
  const iamUser = (user: string, limit: number) => `${user} login=true limit=${limit} password=false iam=true`;
  const readOnlySales = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['sales'] };

  beforeAll(async () => {
    fx = await startPostgresUsers({ iamTrust: true, sampleData: true });
    secrets = masterSecretsManager(fx.master());
    handler = createHandler({ ...fx.deps, secretsManager: secrets.client });
    events = fx.events;
    database = {
      ...fx, handler, secrets,
      schema: 'sales',
      tableScope: { Schema: 'sales' },
      countOrders: 'select count(*)::int as n from sales.orders',
      limitRefusal: (user) => `53300: too many connections for role "${user}"`,
      user: (name) => fx.roleFacts(name),
      users: () => fx.server.adminQuery<{ rolname: string }>('select rolname from pg_roles order by 1'),
      /** Role attributes and every right (undefined and [] once gone). */
      state: (...users) => fx.asMaster(async (c) => {
        const facts: Record<string, [string | undefined, string[]]> = {};
        for (const user of users) facts[user] = [await fx.roleFacts(user), await postgresUserFingerprint(c, user)];
        return facts;
      }),
      gone: [undefined, []],
      expectIamUser: async (user, limit) => expect(await fx.roleFacts(user)).toBe(iamUser(user, limit)),
      expectReadWrite: async (user) => expect(await can(user, 'sales.orders', 'INSERT')).toBe(true),
      expectReadsAuditOnly: async (user) => expect(
        [await can(user, 'sales.orders', 'INSERT'), await can(user, 'sales.orders', 'SELECT'), await can(user, 'audit.secret_notes', 'SELECT')])
        .toEqual([false, false, true]),
      expectTrioRights: async () => {
        expect(await fx.roleFacts('trio_a')).toBe(iamUser('trio_a', 1));
        expect(await fx.roleFacts('trio_b')).toBe(iamUser('trio_b', 2));
        expect(await fx.roleFacts('trio_c')).toBe(iamUser('trio_c', 3));
        expect([await can('trio_a', 'sales.orders', 'SELECT'), await can('trio_a', 'sales.orders', 'INSERT')]).toEqual([true, false]);
        const b = await fx.login('trio_b');
        await b.query('insert into sales.orders (amount) values (7)');
        await b.end();
        expect([await can('trio_c', 'audit.log', 'SELECT'), await can('trio_c', 'audit.secret_notes', 'SELECT'), await can('trio_c', 'sales.orders', 'SELECT')])
          .toEqual([true, false, false]);
      },
      failing: (fields) => ({ ...fields, ReadOnlySchemas: [...(fields.ReadOnlySchemas ?? []) as string[], 'no_such_schema'] }),
      failureReason: escape('schema "no_such_schema" does not exist'),
      makeAdmin: async (user) => void await fx.server.adminQuery(`alter role ${user} createrole`),
      unmakeAdmin: async (user) => void await fx.server.adminQuery(`alter role ${user} nocreaterole`),
      notAConsumer: (user) => `role "${user}" has administrative attributes; it is not a consumer user and is not dropped`,
      invalidUsers: [
        { UserName: 'sneaky', ConnectionLimit: '1; DROP ROLE master_admin' },
        { UserName: 'pg_monitor', ConnectionLimit: '1' },
        { UserName: 'rdsadmin', ConnectionLimit: '1' },
      ],
      invalidLists: (fine) => [
        [[fine, { UserName: 'bad name', ConnectionLimit: '1' }], /^Users\[1\] \(user "bad name"\): User name "bad name" is not a valid name/],
        [[fine, { UserName: 'zero', ConnectionLimit: '0' }], /^Users\[1\] \(user "zero"\): ConnectionLimit must be a whole number from 1 to 100000, got "0"$/],
        [[fine, { UserName: 'sneaky', ConnectionLimit: '1', ReadOnlySchemas: ['sales; DROP SCHEMA sales'] }], /^Users\[1\] \(user "sneaky"\): Read-only schema .* is not a valid name/],
        [[fine, { UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: ['ALL'] }] }], /^Users\[1\] \(user "sneaky"\): Privileges\[0\]: "ALL" is not one of/],
        [[{ ConnectionLimit: '1' }], /^Users\[0\]: User name is missing or not a string$/],
        [[fine, 'fine_user'], /^Users\[1\] must be an object$/],
        [[fine, { ...fine, ConnectionLimit: '2' }], /^Users\[1\] \(user "fine_user"\): the user is listed twice \(also as Users\[0\]\)$/],
        [[{ ...fine, Database: 'postgres', Host: 'elsewhere' }], /^Users\[0\] \(user "fine_user"\): Host, Database are shared by all users: give them once, next to Users$/],
        [[fine, { UserName: 'pg_signal_backend', ConnectionLimit: '1' }], /^Users\[1\] \(user "pg_signal_backend"\): User name "pg_signal_backend" is reserved/],
        [[...Array(MAX_USERS + 1)].map((_, i) => ({ UserName: `u${i}`, ConnectionLimit: '1' })), /^Users lists 501 users; one database holds at most 500$/],
      ],
      notAList: 'fine_user',
      invalidShared: [{ Port: '99999' }, /^Port must be a whole number/],
      expectUsersAdded: (before, after, added) => expect(after).toEqual(
        [...before as Array<{ rolname: string }>, ...added.map((rolname) => ({ rolname }))].sort((a, b) => a.rolname < b.rolname ? -1 : a.rolname > b.rolname ? 1 : 0)),
      longList: { users: 40, padding: 47 },
      countUsers: async (pattern) => Number((await fx.server.adminQuery('select count(*)::int as n from pg_roles where rolname like $1', [pattern]))[0].n),
    };
  });

  afterAll(async () => {
    await fx?.stop();
  });

  test('create: an IAM login role with its connection limit, read-only on its schema, no password', async () => {
    const result = await handler(events.create(readOnlySales));
    expect(result).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(secrets.calls()).toContain(MASTER_SECRET_ARN);
    expect(await fx.roleFacts('reporting')).toBe('reporting login=true limit=2 password=false iam=true');
    const c = await fx.login('reporting');
    expect((await c.query('select sum(amount)::int as total from sales.orders')).rows[0].total).toBe(30);
    await expect(c.query('insert into sales.orders (amount) values (1)')).rejects.toMatchObject({ code: '42501' });
    await expect(c.query('select * from audit.log')).rejects.toMatchObject({ code: '42501' });
    await c.end();
    // Tables the master creates later are readable too (default privileges), not writable.
    await fx.asMaster((m) => m.query('create table sales.refunds (id int)'));
    expect(await can('reporting', 'sales.refunds', 'SELECT')).toBe(true);
    expect(await can('reporting', 'sales.refunds', 'INSERT')).toBe(false);
  });

  test('re-run with the same properties: nothing changes', async () => {
    const before = await fx.server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by rolname');
    const result = await handler(events.create(readOnlySales));
    expect(result.Data.Changed).toBe('false');
    expect(await fx.server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by rolname')).toEqual(before);
  });

  test('update: grants and limit change; rights no longer wanted are revoked', async () => {
    const wider = { UserName: 'reporting', ConnectionLimit: '3', ReadWriteSchemas: ['sales'], Privileges: [{ Privileges: ['select'], Schema: 'audit', Table: 'log' }] };
    expect((await handler(events.update(wider, readOnlySales))).Data.Changed).toBe('true');
    expect(await fx.roleFacts('reporting')).toBe('reporting login=true limit=3 password=false iam=true');
    const c = await fx.login('reporting');
    await c.query('insert into sales.orders (amount) values (5)'); // uses the sequence too
    expect((await c.query('select count(*)::int as n from audit.log')).rows[0].n).toBe(0);
    await expect(c.query('select * from audit.secret_notes')).rejects.toMatchObject({ code: '42501' });
    await c.end();

    const narrower = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['audit'] };
    expect((await handler(events.update(narrower, wider))).Data.Changed).toBe('true');
    expect(await can('reporting', 'sales.orders', 'SELECT')).toBe(false);
    expect(await can('reporting', 'sales.orders', 'INSERT')).toBe(false);
    expect(await can('reporting', 'audit.secret_notes', 'SELECT')).toBe(true);
    const defaults = await fx.inUsersDb(
      `select n.nspname from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
       cross join lateral aclexplode(d.defaclacl) a where a.grantee = 'reporting'::regrole`);
    expect(defaults).toEqual([{ nspname: 'audit' }]);
    await handler(events.update(readOnlySales, narrower));
  });

  cases.connectionLimit();
  cases.defaultTls();
  cases.injection();

  test('a failure reaches CloudFormation with a readable reason and leaves no half-created user', async () => {
    const failing = { UserName: 'half_user', ConnectionLimit: '2', ReadOnlySchemas: ['sales', 'no_such_schema'] };
    await expect(handler(events.create(failing))).rejects.toThrow(
      `Creating database user "half_user" on postgresql database "users_db" at 127.0.0.1:${fx.server.port} failed: schema "no_such_schema" does not exist`);
    expect(await fx.roleFacts('half_user')).toBeUndefined();

    // A failed update leaves the existing user exactly as it was.
    const before = await fx.inUsersDb(`select * from information_schema.role_table_grants where grantee = 'reporting' order by 1, 2, 3, 4, 5, 6`);
    await expect(handler(events.update({ ...failing, UserName: 'reporting', ConnectionLimit: '9' }, readOnlySales))).rejects.toThrow(/Updating database user "reporting".*no_such_schema/);
    expect(await fx.roleFacts('reporting')).toBe('reporting login=true limit=2 password=false iam=true');
    expect(await fx.inUsersDb(`select * from information_schema.role_table_grants where grantee = 'reporting' order by 1, 2, 3, 4, 5, 6`)).toEqual(before);
  });

  test('a role that exists with administrative attributes is never taken over', async () => {
    await fx.server.adminQuery('create role ops_admin login createrole');
    await expect(handler(events.create({ UserName: 'ops_admin', ConnectionLimit: '1' }))).rejects.toThrow(/administrative attributes/);
    expect((await fx.server.adminQuery(`select rolcreaterole, rolconnlimit from pg_roles where rolname = 'ops_admin'`))[0]).toEqual({ rolcreaterole: true, rolconnlimit: -1 });
  });

  cases.concurrent();

  test('delete: the user and its rights are gone; deleting again or a foreign id does nothing', async () => {
    expect(await handler(events.delete(readOnlySales))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await fx.roleFacts('reporting')).toBeUndefined();
    expect((await handler(events.delete(readOnlySales))).Data.Changed).toBe('false');
    // A failed create reports another physical id: its delete must not drop a same-named user.
    expect((await handler(events.delete({ UserName: 'api', ConnectionLimit: '3' }, '2026/12/01/[$LATEST]abc'))).Data.Changed).toBe('false');
    expect(await fx.roleFacts('api')).toBe('api login=true limit=3 password=false iam=true');
    // Properties that never validated never created anything.
    expect((await handler(events.delete({ UserName: 'x"; drop', ConnectionLimit: '1' }))).Data.Changed).toBe('false');
  });

  cases.allInOneResource(() => {
    test('the database moved: every user is applied on the new one, nothing is dropped on the old one', async () => {
      await fx.server.adminQuery(`create database moved_from owner ${fx.masterUser}`);
      const movers = [{ UserName: 'mover_a', ConnectionLimit: '1' }, { UserName: 'mover_b', ConnectionLimit: '1' }];
      expect((await handler(events.create(movers, { Database: 'moved_from' }))).PhysicalResourceId).toBe('database-users');
      const connectTo = async (user: string) => (await fx.fingerprint(user)).filter((fact) => fact.startsWith('database '));
      expect(await connectTo('mover_a')).toEqual(['database moved_from CONNECT']);

      const moved = await handler(events.update([{ UserName: 'mover_a', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] }], movers, { oldShared: { Database: 'moved_from' } }));
      expect(moved).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'mover_a', Changed: 'true' } });
      expect(await connectTo('mover_a')).toEqual(['database moved_from CONNECT', 'database users_db CONNECT']);
      expect(await can('mover_a', 'sales.orders', 'SELECT')).toBe(true);
      expect(await fx.roleFacts('mover_b')).toBe('mover_b login=true limit=1 password=false iam=true');
      expect(await connectTo('mover_b')).toEqual(['database moved_from CONNECT']);
    });
  });
});

import { Client } from 'pg';
import { failureOf, INJECTION_ATTEMPTS, MASTER_SECRET_ARN, masterSecretsManager, UserEvents } from './user-events';
import { createHandler, MAX_MESSAGE_LENGTH, MAX_USER_NAMES_LENGTH, MAX_USERS } from '../../../lib/handlers/database-users';
import { postgresUserFingerprint } from '../../../lib/handlers/database-users/postgres-users';
import { startPostgres, PostgresServer } from '../servers';

/**
 * The database-users handler against a real PostgreSQL that requires TLS. The master is a
 * non-superuser with CREATEROLE, like the RDS master; `rds_iam` is a stand-in role, and members
 * of it may log in without a password (pg_hba `+rds_iam trust`), standing in for IAM tokens: so a
 * user logs in exactly when the handler made it a member of rds_iam.
 */
describe('database users on PostgreSQL (real server)', () => {
  let server: PostgresServer;
  let handler: ReturnType<typeof createHandler>;
  let secrets: ReturnType<typeof masterSecretsManager>;
  let events: UserEvents;
  const master = { user: 'master_admin', password: 'master-Pa55word' };
  const open: Client[] = [];

  beforeAll(async () => {
    server = await startPostgres({ extraHba: ['hostssl users_db +rds_iam 127.0.0.1/32 trust'] });
    await server.adminQuery('create role rds_iam nologin');
    await server.adminQuery(`create role ${master.user} login createrole password '${master.password}'`);
    await server.adminQuery(`grant rds_iam to ${master.user} with admin option`);
    await server.adminQuery(`create database users_db owner ${master.user}`);
    await asMaster(async (c) => {
      await c.query('create schema sales');
      await c.query('create table sales.orders (id serial primary key, amount int not null)');
      await c.query('insert into sales.orders (amount) values (10), (20)');
      await c.query('create schema audit');
      await c.query('create table audit.log (entry text)');
      await c.query('create table audit.secret_notes (entry text)');
    });
    secrets = masterSecretsManager(master);
    handler = createHandler({ secretsManager: secrets.client, tls: () => ({ ca: server.caPem, servername: 'localhost' }) });
    events = new UserEvents({ Engine: 'postgresql', Host: server.host, Port: String(server.port), Database: 'users_db' });
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  async function asMaster<T>(work: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ ...server.clientConfig('superuser', 'users_db'), user: master.user, password: master.password });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  /** Logs in as `user` (trust for members of rds_iam); kept open until closed or the suite ends. */
  async function login(user: string): Promise<Client> {
    const c = new Client({ ...server.clientConfig('superuser', 'users_db'), user, password: undefined });
    c.on('error', () => undefined);
    await c.connect();
    open.push(c);
    return c;
  }

  /** One statement as the superuser in users_db (the server helper's adminQuery opens database postgres). */
  async function inUsersDb<T = any>(sql: string, params?: unknown[]): Promise<T[]> {
    const c = new Client(server.clientConfig('superuser', 'users_db'));
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  const roleFacts = async (user: string) => (await server.adminQuery<{ fact: string }>(
    `select rolname || ' login=' || rolcanlogin || ' limit=' || rolconnlimit || ' password=' || (rolpassword is not null)
       || ' iam=' || pg_has_role(rolname, 'rds_iam', 'MEMBER') as fact from pg_authid where rolname = $1`, [user]))[0]?.fact;
  const can = async (user: string, table: string, privilege: string) => (await inUsersDb<{ ok: boolean }>(
    'select has_table_privilege($1, $2, $3) as ok', [user, table, privilege]))[0].ok;
  const readOnlySales = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['sales'] };

  test('create: an IAM login role with its connection limit, read-only on its schema, no password', async () => {
    const result = await handler(events.create(readOnlySales));
    expect(result).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(secrets.calls()).toContain(MASTER_SECRET_ARN);
    expect(await roleFacts('reporting')).toBe('reporting login=true limit=2 password=false iam=true');
    const c = await login('reporting');
    expect((await c.query('select sum(amount)::int as total from sales.orders')).rows[0].total).toBe(30);
    await expect(c.query('insert into sales.orders (amount) values (1)')).rejects.toMatchObject({ code: '42501' });
    await expect(c.query('select * from audit.log')).rejects.toMatchObject({ code: '42501' });
    await c.end();
    // Tables the master creates later are readable too (default privileges), not writable.
    await asMaster((m) => m.query('create table sales.refunds (id int)'));
    expect(await can('reporting', 'sales.refunds', 'SELECT')).toBe(true);
    expect(await can('reporting', 'sales.refunds', 'INSERT')).toBe(false);
  });

  test('re-run with the same properties: nothing changes', async () => {
    const before = await server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by rolname');
    const result = await handler(events.create(readOnlySales));
    expect(result.Data.Changed).toBe('false');
    expect(await server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by rolname')).toEqual(before);
  });

  test('update: grants and limit change; rights no longer wanted are revoked', async () => {
    const wider = { UserName: 'reporting', ConnectionLimit: '3', ReadWriteSchemas: ['sales'], Privileges: [{ Privileges: ['select'], Schema: 'audit', Table: 'log' }] };
    expect((await handler(events.update(wider, readOnlySales))).Data.Changed).toBe('true');
    expect(await roleFacts('reporting')).toBe('reporting login=true limit=3 password=false iam=true');
    const c = await login('reporting');
    await c.query('insert into sales.orders (amount) values (5)'); // uses the sequence too
    expect((await c.query('select count(*)::int as n from audit.log')).rows[0].n).toBe(0);
    await expect(c.query('select * from audit.secret_notes')).rejects.toMatchObject({ code: '42501' });
    await c.end();

    const narrower = { UserName: 'reporting', ConnectionLimit: '2', ReadOnlySchemas: ['audit'] };
    expect((await handler(events.update(narrower, wider))).Data.Changed).toBe('true');
    expect(await can('reporting', 'sales.orders', 'SELECT')).toBe(false);
    expect(await can('reporting', 'sales.orders', 'INSERT')).toBe(false);
    expect(await can('reporting', 'audit.secret_notes', 'SELECT')).toBe(true);
    const defaults = await inUsersDb(
      `select n.nspname from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
       cross join lateral aclexplode(d.defaclacl) a where a.grantee = 'reporting'::regrole`);
    expect(defaults).toEqual([{ nspname: 'audit' }]);
    await handler(events.update(readOnlySales, narrower));
  });

  test('a consumer over its connection limit is refused by the database while other users keep working', async () => {
    await handler(events.create({ UserName: 'api', ConnectionLimit: '3', ReadWriteSchemas: ['sales'] }));
    const reporting = [await login('reporting'), await login('reporting')];
    const refused = await login('reporting').then(() => 'connected', (e) => `${e.code}: ${e.message}`);
    expect(refused).toBe('53300: too many connections for role "reporting"');
    // Other consumers and the master are unaffected.
    const api = await Promise.all([login('api'), login('api'), login('api')]);
    for (const c of api) expect((await c.query('select count(*)::int as n from sales.orders')).rows[0].n).toBe(3);
    await asMaster((m) => m.query('select 1'));
    for (const c of reporting) expect((await c.query('select 1 as one')).rows[0].one).toBe(1);
    await Promise.all([...reporting, ...api].map((c) => c.end()));
  });

  test('by default TLS is verified against the RDS certificate authorities: a server they did not sign is refused', async () => {
    const rdsOnly = createHandler({ secretsManager: secrets.client });
    await expect(rdsOnly(events.create({ UserName: 'tls_probe', ConnectionLimit: '1' }))).rejects.toThrow(
      /^Creating database users "tls_probe" on postgresql database "users_db" at 127\.0\.0\.1:\d+ failed: .*certificate/);
    expect(await roleFacts('tls_probe')).toBeUndefined();
  });

  test('injection through user, schema or privilege names is rejected before any SQL runs', async () => {
    const rolesBefore = await server.adminQuery('select rolname from pg_roles order by 1');
    const attempts = [
      ...INJECTION_ATTEMPTS.userNames.map((UserName) => ({ UserName, ConnectionLimit: '1' })),
      ...INJECTION_ATTEMPTS.schemas.map((s) => ({ UserName: 'sneaky', ConnectionLimit: '1', ReadOnlySchemas: [s] })),
      ...INJECTION_ATTEMPTS.schemas.map((s) => ({ UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: ['SELECT'], Schema: 'sales', Table: s }] })),
      ...INJECTION_ATTEMPTS.privileges.map((p) => ({ UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: [p], Schema: 'sales' }] })),
      { UserName: 'sneaky', ConnectionLimit: '1; DROP ROLE master_admin' },
      { UserName: 'pg_monitor', ConnectionLimit: '1' },
      { UserName: 'rdsadmin', ConnectionLimit: '1' },
    ];
    for (const attempt of attempts) {
      await expect(handler(events.create(attempt))).rejects.toThrow(/is missing|not a valid name|is reserved|is not one of|must be a whole number/);
    }
    await expect(handler(events.create({ UserName: master.user, ConnectionLimit: '1' }))).rejects.toThrow(/is the master user/);
    expect(await server.adminQuery('select rolname from pg_roles order by 1')).toEqual(rolesBefore);
  });

  test('a failure reaches CloudFormation with a readable reason and leaves no half-created user', async () => {
    const failing = { UserName: 'half_user', ConnectionLimit: '2', ReadOnlySchemas: ['sales', 'no_such_schema'] };
    await expect(handler(events.create(failing))).rejects.toThrow(
      `Creating database user "half_user" on postgresql database "users_db" at 127.0.0.1:${server.port} failed: schema "no_such_schema" does not exist`);
    expect(await roleFacts('half_user')).toBeUndefined();

    // A failed update leaves the existing user exactly as it was.
    const before = await inUsersDb(`select * from information_schema.role_table_grants where grantee = 'reporting' order by 1, 2, 3, 4, 5, 6`);
    await expect(handler(events.update({ ...failing, UserName: 'reporting', ConnectionLimit: '9' }, readOnlySales))).rejects.toThrow(/Updating database user "reporting".*no_such_schema/);
    expect(await roleFacts('reporting')).toBe('reporting login=true limit=2 password=false iam=true');
    expect(await inUsersDb(`select * from information_schema.role_table_grants where grantee = 'reporting' order by 1, 2, 3, 4, 5, 6`)).toEqual(before);
  });

  test('a role that exists with administrative attributes is never taken over', async () => {
    await server.adminQuery('create role ops_admin login createrole');
    await expect(handler(events.create({ UserName: 'ops_admin', ConnectionLimit: '1' }))).rejects.toThrow(/administrative attributes/);
    expect((await server.adminQuery(`select rolcreaterole, rolconnlimit from pg_roles where rolname = 'ops_admin'`))[0]).toEqual({ rolcreaterole: true, rolconnlimit: -1 });
  });

  test('concurrent requests on one server all succeed: changes of users are serialized', async () => {
    const names = ['worker_a', 'worker_b', 'worker_c', 'worker_d'];
    const results = await Promise.all(names.map((UserName) => handler(events.create({ UserName, ConnectionLimit: '1', ReadWriteSchemas: ['sales'] }))));
    expect(results.map((r) => r.Data.Changed)).toEqual(['true', 'true', 'true', 'true']);
    for (const name of names) expect(await can(name, 'sales.orders', 'INSERT')).toBe(true);
  });

  test('delete: the user and its rights are gone; deleting again or a foreign id does nothing', async () => {
    expect(await handler(events.delete(readOnlySales))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await roleFacts('reporting')).toBeUndefined();
    expect((await handler(events.delete(readOnlySales))).Data.Changed).toBe('false');
    // A failed create reports another physical id: its delete must not drop a same-named user.
    expect((await handler(events.delete({ UserName: 'api', ConnectionLimit: '3' }, '2026/12/01/[$LATEST]abc'))).Data.Changed).toBe('false');
    expect(await roleFacts('api')).toBe('api login=true limit=3 password=false iam=true');
    // Properties that never validated never created anything.
    expect((await handler(events.delete({ UserName: 'x"; drop', ConnectionLimit: '1' }))).Data.Changed).toBe('false');
  });

  describe('all users of the database in one resource', () => {
    const messageOf = async (promise: Promise<unknown>) => (await failureOf(promise)).message;
    const failedAt = (verb: string, user: string) => `${verb} database user "${user}" on postgresql database "users_db" at 127.0.0.1:${server.port} failed: `;
    /** What the database says about each user: role attributes and every right (undefined and [] once gone). */
    const state = (...users: string[]) => asMaster(async (c) => {
      const facts: Record<string, [string | undefined, string[]]> = {};
      for (const user of users) facts[user] = [await roleFacts(user), await postgresUserFingerprint(c, user)];
      return facts;
    });
    const trioA = { UserName: 'trio_a', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] };
    const trioB = { UserName: 'trio_b', ConnectionLimit: '2', ReadWriteSchemas: ['sales'] };
    const trioC = { UserName: 'trio_c', ConnectionLimit: '3', Privileges: [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'log' }] };
    const trio = [trioA, trioB, trioC];
    const trioB2 = { UserName: 'trio_b', ConnectionLimit: '5', ReadOnlySchemas: ['audit'] };
    const trioD = { UserName: 'trio_d', ConnectionLimit: '1', ReadWriteSchemas: ['sales'] };
    const afterUpdate = [trioA, trioB2, trioD];

    test('a list of three users is created in one event, each with its own limit and rights; re-running it changes nothing', async () => {
      expect(await handler(events.create(trio))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_c', Changed: 'true' },
      });
      expect(await roleFacts('trio_a')).toBe('trio_a login=true limit=1 password=false iam=true');
      expect(await roleFacts('trio_b')).toBe('trio_b login=true limit=2 password=false iam=true');
      expect(await roleFacts('trio_c')).toBe('trio_c login=true limit=3 password=false iam=true');
      expect([await can('trio_a', 'sales.orders', 'SELECT'), await can('trio_a', 'sales.orders', 'INSERT')]).toEqual([true, false]);
      const b = await login('trio_b');
      await b.query('insert into sales.orders (amount) values (7)');
      await b.end();
      expect([await can('trio_c', 'audit.log', 'SELECT'), await can('trio_c', 'audit.secret_notes', 'SELECT'), await can('trio_c', 'sales.orders', 'SELECT')])
        .toEqual([true, false, false]);

      const before = await state('trio_a', 'trio_b', 'trio_c');
      expect((await handler(events.create(trio))).Data.Changed).toBe('false');
      expect((await handler(events.update(trio, trio))).Data).toEqual({ UserNames: 'trio_a,trio_b,trio_c', Changed: 'false' });
      expect(await state('trio_a', 'trio_b', 'trio_c')).toEqual(before);
    });

    test('an update that adds one user, changes one and removes one: the removed one is dropped, the unchanged one untouched', async () => {
      const before = await state('trio_a', 'trio_b');
      expect(await handler(events.update(afterUpdate, trio))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_d', Changed: 'true' },
      });
      expect((await state('trio_a')).trio_a).toEqual(before.trio_a);
      expect(await roleFacts('trio_b')).toBe('trio_b login=true limit=5 password=false iam=true');
      expect([await can('trio_b', 'sales.orders', 'INSERT'), await can('trio_b', 'sales.orders', 'SELECT'), await can('trio_b', 'audit.secret_notes', 'SELECT')])
        .toEqual([false, false, true]);
      expect(await roleFacts('trio_c')).toBeUndefined();
      expect(await roleFacts('trio_d')).toBe('trio_d login=true limit=1 password=false iam=true');
      expect(await can('trio_d', 'sales.orders', 'INSERT')).toBe(true);
    });

    test('a create whose third user fails drops the first two again; a pre-existing user, listed or not, is never dropped', async () => {
      await handler(events.create({ UserName: 'keeper', ConnectionLimit: '2', ReadOnlySchemas: ['sales'] }));
      const keeperBefore = await state('keeper');
      const third = { UserName: 'new_three', ConnectionLimit: '1', ReadOnlySchemas: ['sales', 'no_such_schema'] };
      const failing = [{ UserName: 'new_one', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] }, { UserName: 'new_two', ConnectionLimit: '1' }, third];
      expect(await messageOf(handler(events.create(failing)))).toBe(
        `${failedAt('Creating', 'new_three')}schema "no_such_schema" does not exist; dropped again the users this request had created: "new_one", "new_two"`);
      expect(await state('new_one', 'new_two', 'new_three')).toEqual({ new_one: [undefined, []], new_two: [undefined, []], new_three: [undefined, []] });
      expect(await state('keeper')).toEqual(keeperBefore);

      // Listed and already there: applied (here without a change), and not dropped when a later user fails.
      const listed = [{ UserName: 'keeper', ConnectionLimit: '2', ReadOnlySchemas: ['sales'] }, { UserName: 'new_one', ConnectionLimit: '1' }, third];
      expect(await messageOf(handler(events.create(listed)))).toBe(
        `${failedAt('Creating', 'new_three')}schema "no_such_schema" does not exist; dropped again the users this request had created: "new_one"`);
      expect(await state('keeper', 'new_one')).toEqual({ ...keeperBefore, new_one: [undefined, []] });
      // A failed create reports another physical id: its delete drops nothing.
      expect((await handler(events.delete(listed, '2026/12/01/[$LATEST]def'))).Data.Changed).toBe('false');
      expect(await state('keeper')).toEqual(keeperBefore);
    });

    test('a failed update says what it undid and kept; the rollback Update back to the old list restores the previous state', async () => {
      const before = await state('trio_a', 'trio_b', 'trio_d', 'trio_e', 'trio_f');
      const failing = [
        { ...trioA, ConnectionLimit: '4', ReadWriteSchemas: ['audit'] },
        { UserName: 'trio_e', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] },
        { UserName: 'trio_f', ConnectionLimit: '1', ReadOnlySchemas: ['no_such_schema'] },
      ];
      expect(await messageOf(handler(events.update(failing, afterUpdate)))).toBe(
        `${failedAt('Updating', 'trio_f')}schema "no_such_schema" does not exist; dropped again the users this request had created: "trio_e"; ` +
        'already applied and kept: "trio_a"');
      expect(await roleFacts('trio_a')).toBe('trio_a login=true limit=4 password=false iam=true');
      expect(await roleFacts('trio_e')).toBeUndefined();
      expect(await roleFacts('trio_b')).toBeDefined(); // the drops come after every user applied: not reached

      // CloudFormation rolls back: an Update from the failed list back to the old one.
      expect(await handler(events.update(afterUpdate, failing))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_d', Changed: 'true' },
      });
      expect(await state('trio_a', 'trio_b', 'trio_d', 'trio_e', 'trio_f')).toEqual(before);
    });

    test('a failure while dropping the users no longer listed drops again the users the update created; the rollback converges', async () => {
      const before = await state('trio_a', 'trio_b', 'trio_d', 'trio_g');
      await server.adminQuery('alter role trio_d createrole'); // no longer a consumer user: the handler refuses to drop it
      const failing = [trioA, trioB2, { UserName: 'trio_g', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] }];
      expect(await messageOf(handler(events.update(failing, afterUpdate)))).toBe(
        `${failedAt('Dropping', 'trio_d')}role "trio_d" has administrative attributes; it is not a consumer user and is not dropped; ` +
        'dropped again the users this request had created: "trio_g"');
      expect(await roleFacts('trio_g')).toBeUndefined();
      expect(await roleFacts('trio_d')).toBeDefined();

      await server.adminQuery('alter role trio_d nocreaterole');
      expect((await handler(events.update(afterUpdate, failing))).Data.Changed).toBe('false');
      expect(await state('trio_a', 'trio_b', 'trio_d', 'trio_g')).toEqual(before);
    });

    test('the database moved: every user is applied on the new one, nothing is dropped on the old one', async () => {
      await server.adminQuery(`create database moved_from owner ${master.user}`);
      const movers = [{ UserName: 'mover_a', ConnectionLimit: '1' }, { UserName: 'mover_b', ConnectionLimit: '1' }];
      expect((await handler(events.create(movers, { Database: 'moved_from' }))).PhysicalResourceId).toBe('database-users');
      const connectTo = async (user: string) => (await state(user))[user][1].filter((fact: string) => fact.startsWith('database '));
      expect(await connectTo('mover_a')).toEqual(['database moved_from CONNECT']);

      const moved = await handler(events.update([{ UserName: 'mover_a', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] }], movers, { oldShared: { Database: 'moved_from' } }));
      expect(moved).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'mover_a', Changed: 'true' } });
      expect(await connectTo('mover_a')).toEqual(['database moved_from CONNECT', 'database users_db CONNECT']);
      expect(await can('mover_a', 'sales.orders', 'SELECT')).toBe(true);
      expect(await roleFacts('mover_b')).toBe('mover_b login=true limit=1 password=false iam=true');
      expect(await connectTo('mover_b')).toEqual(['database moved_from CONNECT']);
    });

    test('delete drops every listed user (one already gone is fine); a foreign physical id, a resource of the one-user contract, or properties that never validated drop nothing', async () => {
      const doomed = [{ UserName: 'doomed_a', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] }, { UserName: 'doomed_b', ConnectionLimit: '1' }];
      await handler(events.create(doomed));
      expect((await handler(events.delete(doomed, '2026/12/01/[$LATEST]abc'))).Data).toEqual({ UserNames: '', Changed: 'false' });
      expect((await handler(events.delete(doomed, 'database-users:other_db'))).Data.Changed).toBe('false');
      const oneUserContract = {
        RequestType: 'Delete' as const, PhysicalResourceId: 'doomed_a',
        ResourceProperties: { Engine: 'postgresql', Host: server.host, Port: String(server.port), Database: 'users_db', MasterSecretArn: MASTER_SECRET_ARN, UserName: 'doomed_a', ConnectionLimit: '1' },
      };
      expect((await handler(oneUserContract)).Data.Changed).toBe('false');
      expect((await handler(events.delete([...doomed, { UserName: 'doomed_a', ConnectionLimit: '1' }]))).Data.Changed).toBe('false'); // listed twice: never valid
      expect([await roleFacts('doomed_a'), await roleFacts('doomed_b')]).toEqual([expect.any(String), expect.any(String)]);

      expect(await handler(events.delete([...doomed, { UserName: 'never_created', ConnectionLimit: '1' }]))).toEqual({
        PhysicalResourceId: 'database-users', Data: { UserNames: 'doomed_a,doomed_b,never_created', Changed: 'true' },
      });
      expect(await state('doomed_a', 'doomed_b')).toEqual({ doomed_a: [undefined, []], doomed_b: [undefined, []] });
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
      expect(await roleFacts('lonely')).toBeUndefined();
    });

    test('the whole list is validated before the database is touched: a bad entry is named by index and user', async () => {
      const rolesBefore = await server.adminQuery('select rolname from pg_roles order by 1');
      const reads = secrets.calls().length;
      const fine = { UserName: 'fine_user', ConnectionLimit: '1' };
      const cases: Array<[unknown, RegExp]> = [
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
      ];
      for (const [users, message] of cases) {
        await expect(handler(events.create(users as Record<string, unknown>[]))).rejects.toThrow(message);
        await expect(handler(events.update(users as Record<string, unknown>[], fine))).rejects.toThrow(message);
      }
      await expect(handler({ RequestType: 'Create', ResourceProperties: { ...events.properties([]), Users: 'fine_user' } })).rejects.toThrow(/^Users must be a list$/);
      await expect(handler(events.create([fine], { Port: '99999' }))).rejects.toThrow(/^Port must be a whole number/);
      expect(secrets.calls().length).toBe(reads);
      // Names differing in case are different roles.
      expect((await handler(events.create([{ UserName: 'Case_User', ConnectionLimit: '1' }, { UserName: 'case_user', ConnectionLimit: '2' }]))).Data.UserNames)
        .toBe('Case_User,case_user');
      expect([await roleFacts('Case_User'), await roleFacts('case_user')]).toEqual([
        'Case_User login=true limit=1 password=false iam=true', 'case_user login=true limit=2 password=false iam=true']);
      // The master, anywhere in the list, fails the request before any user is applied.
      expect(await messageOf(handler(events.create([fine, { UserName: master.user, ConnectionLimit: '1' }])))).toBe(`${failedAt('Creating', master.user)}"${master.user}" is the master user`);
      expect(await server.adminQuery('select rolname from pg_roles order by 1')).toEqual(
        [...rolesBefore, { rolname: 'Case_User' }, { rolname: 'case_user' }].sort((a, b) => a.rolname < b.rolname ? -1 : a.rolname > b.rolname ? 1 : 0));
    });
    test('a long list: the user names returned and a failure message stay within what CloudFormation accepts', async () => {
      const long = [...Array(40)].map((_, i) => ({ UserName: `long_user_${String(i).padStart(2, '0')}_${'x'.repeat(47)}`, ConnectionLimit: '1' }));
      expect(long.map((u) => u.UserName).join(',').length).toBeGreaterThan(MAX_USER_NAMES_LENGTH);
      const created = await handler(events.create(long));
      expect(created.Data.UserNames.length).toBeLessThanOrEqual(MAX_USER_NAMES_LENGTH);
      const names = created.Data.UserNames.split(',');
      const more = names.pop()!;
      expect(names).toEqual(long.slice(0, names.length).map((u) => u.UserName));
      expect(more).toBe(`(+${long.length - names.length} more)`);

      const rolling = [...Array(30)].map((_, i) => ({ UserName: `roll_${String(i).padStart(2, '0')}_${'y'.repeat(47)}`, ConnectionLimit: '1' }));
      const message = await messageOf(handler(events.create([...rolling, { UserName: 'roll_fail', ConnectionLimit: '1', ReadOnlySchemas: ['no_such_schema'] }])));
      expect(message.startsWith(failedAt('Creating', 'roll_fail'))).toBe(true);
      expect(message).toContain(`; dropped again the users this request had created: ${rolling.slice(0, 10).map((u) => `"${u.UserName}"`).join(', ')}, and 20 more`);
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
      expect(Number((await server.adminQuery(`select count(*)::int as n from pg_roles where rolname like 'roll\\_%'`))[0].n)).toBe(0);
      expect((await handler(events.delete(long))).Data.Changed).toBe('true');
    });

    test('delete tries every listed user before it fails, and names each failure', async () => {
      const stuck = [{ UserName: 'stuck_a', ConnectionLimit: '1' }, { UserName: 'free', ConnectionLimit: '1' }, { UserName: 'stuck_b', ConnectionLimit: '1' }];
      await handler(events.create(stuck));
      await server.adminQuery('alter role stuck_a createrole');
      await server.adminQuery('alter role stuck_b createrole');
      expect(await messageOf(handler(events.delete(stuck)))).toBe(
        `${failedAt('Dropping', 'stuck_a')}role "stuck_a" has administrative attributes; it is not a consumer user and is not dropped; dropping "stuck_b" failed too: role "stuck_b" has administrative attributes; it is not a consumer user and is not dropped`);
      expect(await roleFacts('free')).toBeUndefined();
      await server.adminQuery('alter role stuck_a nocreaterole');
      await server.adminQuery('alter role stuck_b nocreaterole');
      expect((await handler(events.delete(stuck))).Data.Changed).toBe('true');
    });
  });
});

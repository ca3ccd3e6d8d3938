import { Client } from 'pg';
import { INJECTION_ATTEMPTS, MASTER_SECRET_ARN, masterSecretsManager, UserEvents } from './user-events';
import { createHandler } from '../../../lib/handlers/database-users';
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
    expect(result).toEqual({ PhysicalResourceId: 'database-users:users_db', Data: { UserNames: 'reporting', Changed: 'true' } });
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
    expect(await handler(events.delete(readOnlySales))).toEqual({ PhysicalResourceId: 'database-users:users_db', Data: { UserNames: 'reporting', Changed: 'true' } });
    expect(await roleFacts('reporting')).toBeUndefined();
    expect((await handler(events.delete(readOnlySales))).Data.Changed).toBe('false');
    // A failed create reports another physical id: its delete must not drop a same-named user.
    expect((await handler(events.delete({ UserName: 'api', ConnectionLimit: '3' }, '2026/12/01/[$LATEST]abc'))).Data.Changed).toBe('false');
    expect(await roleFacts('api')).toBe('api login=true limit=3 password=false iam=true');
    // Properties that never validated never created anything.
    expect((await handler(events.delete({ UserName: 'x"; drop', ConnectionLimit: '1' }))).Data.Changed).toBe('false');
  });
});

import * as fs from 'fs';
import { PasswordBench, passwordCases, PasswordCasesDatabase } from './password-cases';
import { PostgresUsersFixture, startPostgresUsers } from './postgres-users-fixture';
import { MASTER_SECRET_ARN, newPassword, userSecretArn } from './user-events';

/**
 * Password users and the rotation of their secrets against a real PostgreSQL that requires TLS.
 * pg_hba lets members of the stand-in `rds_iam` in without a password (standing in for IAM
 * tokens) and requires SCRAM-SHA-256 of the password users; Secrets Manager is an in-memory fake
 * with versions and staging labels.
 */
describe('password users and secret rotation on PostgreSQL (real server)', () => {
  let fx: PostgresUsersFixture;
  let bench: PasswordBench;
  let database: PasswordCasesDatabase;
  const cases = passwordCases(() => database);

  const appPw = (arn: string) => ({ UserName: 'app_pw', ConnectionLimit: '2', ReadOnlySchemas: ['sales'], PasswordSecretArn: arn });
  const storedPassword = async (user: string) => (await fx.server.adminQuery<{ p: string | null }>(
    'select rolpassword as p from pg_authid where rolname = $1', [user]))[0]?.p;
  /** Sets log_statement for new sessions and waits until a new session sees it. */
  async function logStatements(value: 'all' | 'none'): Promise<void> {
    await fx.server.adminQuery(`alter system set log_statement = '${value}'`);
    await fx.server.adminQuery('select pg_reload_conf()');
    for (let i = 0; i < 100 && (await fx.server.adminQuery('show log_statement'))[0].log_statement !== value; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    fx = await startPostgresUsers({ iamTrust: true, extraHba: ['hostssl users_db app_pw,switcher,rotating 127.0.0.1/32 scram-sha-256'], sampleData: true });
    bench = new PasswordBench(fx);
    database = {
      ...fx, bench, appPw,
      schema: 'sales',
      orders: 'sales.orders',
      passwordRefused: '28P01',
      passwordRefusal: (user) => `password authentication failed for user "${user}"`,
      overLimit: (user) => ({ code: '53300', message: `too many connections for role "${user}"` }),
      limit: async (user) => (await fx.server.adminQuery<{ rolconnlimit: number }>('select rolconnlimit from pg_roles where rolname = $1', [user]))[0].rolconnlimit,
      keptByRotation: async (user) => [await fx.fingerprint(user), await fx.roleFacts(user)],
      accounts: async () => [
        await fx.server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by 1'),
        await fx.server.adminQuery('select rolname, rolpassword from pg_authid order by 1'),
      ],
      refusedRotations: {
        users: [
          [{ username: 'pg_monitor' }, { username: 'pg_monitor' }, /User name "pg_monitor" is reserved/],
          [{ username: 'ghost_user' }, { username: 'ghost_user' }, /setting the password of "ghost_user" on .*: role "ghost_user" does not exist: its password cannot be set$/],
          [{ username: 'iam_only' }, { username: 'iam_only' }, /role "iam_only" logs in with IAM \(member of "rds_iam"\); only the password of a password user is rotated$/],
        ],
        pending: [
          [{ username: 'rotating' }, { username: 'rotating', host: 'db.attacker.example', port: 5433 }, /more than the password \(host, port\)/],
          [{ username: 'rotating' }, { username: 'rotating', dbname: 'users_db; drop database users_db' }, /dbname .* is not a valid name/],
        ],
      },
    };
  });

  afterAll(async () => {
    await fx?.stop();
  });

  test('create: a password user logs in with its secret\'s password over TLS (SCRAM), not without it nor with a wrong one; the server never sees the plaintext', async () => {
    await logStatements('all');
    const password = newPassword();
    const arn = bench.userSecret('app_pw', password);
    expect(await bench.handler(fx.events.create(appPw(arn)))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'app_pw', Changed: 'true' } });
    await logStatements('none');
    expect(await fx.roleFacts('app_pw')).toBe('app_pw login=true limit=2 password=true iam=false');
    expect(await storedPassword('app_pw')).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);

    const c = await fx.login('app_pw', password);
    expect(c.passwordAsked).toBe(true);
    expect((await c.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0].ssl).toBe(true);
    expect((await c.query('select sum(amount)::int as total from sales.orders')).rows[0].total).toBe(30);
    await expect(c.query('insert into sales.orders (amount) values (1)')).rejects.toMatchObject({ code: '42501' });
    await c.end();
    await expect(fx.login('app_pw', `wrong-${password}`)).rejects.toMatchObject({ code: '28P01', passwordAsked: true });
    await expect(fx.login('app_pw')).rejects.toMatchObject({ passwordAsked: true, message: expect.stringMatching(/password/) });

    // The statement log shows the verifier the handler computed, never the password.
    const log = fs.readFileSync(fx.server.logFile, 'utf8');
    expect(log).toMatch(/CREATE ROLE "app_pw" LOGIN NOCREATEDB NOCREATEROLE PASSWORD 'SCRAM-SHA-256\$4096:[^']+' CONNECTION LIMIT 2/);
    expect(log).not.toContain(password);
  });

  test('re-run with the same secret value: no change, the stored verifier is kept', async () => {
    const before = [await storedPassword('app_pw'), await fx.roleFacts('app_pw'), await fx.fingerprint('app_pw')];
    expect((await bench.handler(fx.events.create(appPw(userSecretArn('app_pw'))))).Data.Changed).toBe('false');
    expect((await bench.handler(fx.events.update(appPw(userSecretArn('app_pw')), appPw(userSecretArn('app_pw'))))).Data.Changed).toBe('false');
    expect([await storedPassword('app_pw'), await fx.roleFacts('app_pw'), await fx.fingerprint('app_pw')]).toEqual(before);
  });

  cases.newValue();

  test('switch IAM -> password -> IAM: rds_iam membership, the password and the way in follow', async () => {
    const iam = { UserName: 'switcher', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] };
    expect((await bench.handler(fx.events.create(iam))).Data.Changed).toBe('true');
    expect(await fx.roleFacts('switcher')).toBe('switcher login=true limit=1 password=false iam=true');
    const asIam = await fx.login('switcher');
    expect(asIam.passwordAsked).toBe(false); // trusted as a member of rds_iam
    await asIam.end();

    const password = newPassword();
    const withPassword = { ...iam, PasswordSecretArn: bench.userSecret('switcher', password) };
    expect((await bench.handler(fx.events.update(withPassword, iam))).Data.Changed).toBe('true');
    expect(await fx.roleFacts('switcher')).toBe('switcher login=true limit=1 password=true iam=false');
    await expect(fx.login('switcher')).rejects.toMatchObject({ passwordAsked: true });
    const asPasswordUser = await fx.login('switcher', password);
    expect(asPasswordUser.passwordAsked).toBe(true);
    expect((await asPasswordUser.query('select count(*)::int as n from sales.orders')).rows[0].n).toBe(2);
    await asPasswordUser.end();
    expect((await bench.handler(fx.events.update(withPassword, withPassword))).Data.Changed).toBe('false');

    expect((await bench.handler(fx.events.update(iam, withPassword))).Data.Changed).toBe('true');
    expect(await fx.roleFacts('switcher')).toBe('switcher login=true limit=1 password=false iam=true');
    const backToIam = await fx.login('switcher');
    expect(backToIam.passwordAsked).toBe(false);
    await backToIam.end();
  });

  test('a secret that is not this user\'s, or holds no usable password, is refused: the message names the secret, never its value', async () => {
    const failed = `Creating database user "refused_pw" on postgresql database "users_db" at 127.0.0.1:${fx.server.port} failed:`;
    const create = (arn: string) => bench.handler(fx.events.create({ UserName: 'refused_pw', ConnectionLimit: '1', PasswordSecretArn: arn }));

    bench.fake.create(userSecretArn('other'), { username: 'someone_else', password: newPassword() });
    expect(await bench.failure(create(userSecretArn('other')))).toBe(
      `${failed} the password secret ${userSecretArn('other')} is not for user "refused_pw": its username must be exactly that`);
    const notJson = newPassword();
    bench.fake.passwords.add(notJson);
    bench.fake.create(userSecretArn('not_json'), `username=refused_pw password=${notJson}`);
    expect(await bench.failure(create(userSecretArn('not_json')))).toBe(`${failed} the password secret ${userSecretArn('not_json')} does not hold a JSON SecretString`);
    bench.fake.create(userSecretArn('not_ascii'), { username: 'refused_pw', password: 'pässwörter-mit-umlaut' });
    expect(await bench.failure(create(userSecretArn('not_ascii')))).toBe(
      `${failed} the password in the password secret ${userSecretArn('not_ascii')} must be 1 to 1024 printable ASCII characters`);
    expect(await fx.roleFacts('refused_pw')).toBeUndefined();
  });

  test('the master user can never be targeted, with or without a password secret', async () => {
    const masterBefore = await storedPassword(fx.masterUser);
    expect(await bench.failure(bench.handler(fx.events.create({ UserName: fx.masterUser, ConnectionLimit: '1', PasswordSecretArn: MASTER_SECRET_ARN }))))
      .toMatch(/"master_admin" is the master user$/);
    expect(await storedPassword(fx.masterUser)).toBe(masterBefore);
  });

  cases.rotation('the connection limit');

  test('rotation refuses a secret without rotation enabled, a token that is not its version, a version not staged AWSPENDING, and unknown events', async () => {
    const arn = userSecretArn('rotating');
    bench.fake.create(userSecretArn('not_rotated'), { ...bench.fake.value(arn), username: 'not_rotated' });
    const token = bench.fake.startRotation(userSecretArn('not_rotated'));
    expect(await bench.failure(bench.step(userSecretArn('not_rotated'), token, 'createSecret'))).toBe(
      `Rotation step createSecret of secret ${userSecretArn('not_rotated')} failed: rotation is not enabled for this secret`);
    expect(await bench.failure(bench.step(arn, 'no-such-version', 'setSecret'))).toBe(
      `Rotation step setSecret of secret ${arn} failed: version no-such-version is not a version of this secret`);
    const previous = Object.entries(bench.fake.stages(arn)).find(([, s]) => s.includes('AWSPREVIOUS'))![0];
    expect(await bench.failure(bench.step(arn, previous, 'setSecret'))).toBe(
      `Rotation step setSecret of secret ${arn} failed: version ${previous} is not staged AWSPENDING`);
    await expect(bench.handler({ SecretId: arn, ClientRequestToken: previous, Step: 'rotate' } as any)).rejects.toThrow(/^Not a rotation event/);
    await expect(bench.handler({ RequestType: 'Create', Step: 'setSecret' } as any)).rejects.toThrow(/^Unknown event/);
    await expect(bench.handler({} as any)).rejects.toThrow(/^Unknown event/);
  });

  test('steps spelled create_secret ... finish_secret (as one page of the Secrets Manager guide writes them) rotate the password too', async () => {
    const arn = userSecretArn('rotating');
    const old = bench.fake.value(arn).password;
    const token = bench.fake.startRotation(arn);
    for (const s of ['create_secret', 'set_secret', 'test_secret', 'finish_secret']) await bench.step(arn, token, s as any);
    expect(bench.fake.stages(arn)[token]).toContain('AWSCURRENT');
    expect(bench.fake.value(arn).password).not.toBe(old);
  });

  cases.noPasswordInFailures();
});

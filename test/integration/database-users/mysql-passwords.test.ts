import { MysqlUsersFixture, startMysqlUsers } from './mysql-users-fixture';
import { PasswordBench, passwordCases, PasswordCasesDatabase } from './password-cases';
import { MASTER_SECRET_ARN, newPassword, userSecretArn } from './user-events';

/**
 * Password users and the rotation of their secrets against a real MariaDB that requires TLS (see
 * mysql-users-fixture.ts for the master's privileges and the IAM stand-in: mysql_native_password
 * with the hash of a known token). Secrets Manager is an in-memory fake with versions and staging labels.
 */
describe('password users and secret rotation on MySQL (real MariaDB server)', () => {
  let fx: MysqlUsersFixture;
  let bench: PasswordBench;
  let database: PasswordCasesDatabase;
  const cases = passwordCases(() => database);

  const appPw = (arn: string) => ({ UserName: 'app_pw', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'], PasswordSecretArn: arn });

  beforeAll(async () => {
    fx = await startMysqlUsers({ sampleData: true });
    bench = new PasswordBench(fx);
    database = {
      ...fx, bench, appPw,
      schema: 'users_db',
      orders: 'orders',
      passwordRefused: 'ER_ACCESS_DENIED_ERROR',
      passwordRefusal: (user) => `Access denied for user '${user}'@'127.0.0.1' (using password: YES)`,
      overLimit: () => ({ errno: 1226 }),
      limit: async (user) => (await fx.account(user)).max_user_connections,
      keptByRotation: async (user) => {
        const { authentication_string: _hash, ...account } = await fx.account(user);
        return [await fx.fingerprint(user), account];
      },
      expectStoredPassword: async (user, password) => expect((await fx.account(user)).authentication_string).toBe(await fx.nativeHash(password)),
      accounts: () => fx.server.adminQuery('select user, host, plugin, authentication_string, ssl_type, max_user_connections from mysql.user order by 1, 2'),
      refusedRotations: {
        users: [
          [{ username: 'root' }, { username: 'root' }, /User name "root" is reserved/],
          [{ username: 'ghost_user' }, { username: 'ghost_user' }, /setting the password of "ghost_user" on .*: account 'ghost_user'@'%' does not exist: its password cannot be set$/],
          [{ username: 'iam_only' }, { username: 'iam_only' }, /account 'iam_only'@'%' logs in with IAM; only the password of a password user is rotated$/],
        ],
        pending: [
          [{ username: 'rotating' }, { username: 'rotating', engine: 'mariadb', masterarn: `${MASTER_SECRET_ARN}-other` }, /more than the password \(masterSecretArn\)/],
          [{ username: 'rotating' }, { username: 'rotating', dbname: 'users_db`; drop database users_db' }, /dbname .* is not a valid name/],
        ],
      },
    };
  });

  afterAll(async () => {
    await fx?.stop();
  });

  test('create: a password user logs in with its secret\'s password over TLS; not without it, with a wrong one, or without TLS', async () => {
    // Quotes and a backslash: the password reaches the server only as an escaped literal.
    const password = `O'Brien\\"-${newPassword()}`;
    const arn = bench.userSecret('app_pw', password);
    expect(await bench.handler(fx.events.create(appPw(arn)))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'app_pw', Changed: 'true' } });
    expect(await fx.account('app_pw')).toEqual({
      plugin: 'mysql_native_password', authentication_string: await fx.nativeHash(password), ssl_type: 'ANY', max_user_connections: 2,
    });
    const c = await fx.login('app_pw', password);
    expect((await c.query('select current_user() as u'))[0]).toEqual([{ u: 'app_pw@%' }]);
    expect(((await c.query(`show status like 'Ssl_cipher'`))[0] as Array<{ Value: string }>)[0].Value).not.toBe('');
    expect((await c.query('select sum(amount) as total from orders'))[0]).toEqual([{ total: '30' }]);
    await expect(c.query('insert into orders (amount) values (1)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await c.end();
    await expect(fx.login('app_pw', `wrong-${password}`)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await expect(fx.login('app_pw', '')).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await expect(fx.login('app_pw', password, { tls: false })).rejects.toMatchObject({ code: expect.stringMatching(/^ER_/) });
  });

  test('re-run with the same secret value: no change, the account stays as it is', async () => {
    const before = [await fx.account('app_pw'), await fx.fingerprint('app_pw')];
    expect((await bench.handler(fx.events.create(appPw(userSecretArn('app_pw'))))).Data.Changed).toBe('false');
    expect((await bench.handler(fx.events.update(appPw(userSecretArn('app_pw')), appPw(userSecretArn('app_pw'))))).Data.Changed).toBe('false');
    expect([await fx.account('app_pw'), await fx.fingerprint('app_pw')]).toEqual(before);
  });

  test('a password user with rights only in another database: a re-run changes nothing, and a rotation tests the new password', async () => {
    const first = newPassword();
    const props = { UserName: 'elsewhere', ConnectionLimit: '1', ReadOnlySchemas: ['audit'], PasswordSecretArn: bench.userSecret('elsewhere', first) };
    expect((await bench.handler(fx.events.create(props))).Data.Changed).toBe('true');
    expect((await bench.handler(fx.events.create(props))).Data.Changed).toBe('false');
    await bench.fake.rotate(bench.handler, props.PasswordSecretArn);
    const rotated = bench.fake.value(props.PasswordSecretArn).password;
    expect(rotated).not.toBe(first);
    const c = await fx.login('elsewhere', rotated, { database: 'audit' });
    expect((await c.query('select count(*) as n from log'))[0]).toEqual([{ n: 0 }]);
    await c.end();
    await expect(fx.login('elsewhere', first, { database: 'audit' })).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  cases.newValue();

  test('switch IAM -> password -> IAM: the identity follows, TLS requirement and limit stay', async () => {
    const iamProps = { UserName: 'switcher', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] };
    expect((await bench.handler(fx.events.create(iamProps))).Data.Changed).toBe('true');
    expect(await fx.account('switcher')).toEqual({ plugin: fx.iam.plugin, authentication_string: fx.iam.authenticationString, ssl_type: 'ANY', max_user_connections: 1 });
    await (await fx.login('switcher', fx.iamToken)).end();

    const password = newPassword();
    const withPassword = { ...iamProps, PasswordSecretArn: bench.userSecret('switcher', password) };
    expect((await bench.handler(fx.events.update(withPassword, iamProps))).Data.Changed).toBe('true');
    expect(await fx.account('switcher')).toEqual({
      plugin: 'mysql_native_password', authentication_string: await fx.nativeHash(password), ssl_type: 'ANY', max_user_connections: 1,
    });
    await expect(fx.login('switcher', fx.iamToken)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await (await fx.login('switcher', password)).end();
    expect((await bench.handler(fx.events.update(withPassword, withPassword))).Data.Changed).toBe('false');

    expect((await bench.handler(fx.events.update(iamProps, withPassword))).Data.Changed).toBe('true');
    expect(await fx.account('switcher')).toEqual({ plugin: fx.iam.plugin, authentication_string: fx.iam.authenticationString, ssl_type: 'ANY', max_user_connections: 1 });
    await (await fx.login('switcher', fx.iamToken)).end();
    await expect(fx.login('switcher', password)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  test('a failed switch to a password is undone: the account gets its previous identity back, and the message holds no password', async () => {
    const iamProps = { UserName: 'comp_user', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'] };
    await bench.handler(fx.events.create(iamProps));
    const before = [await fx.account('comp_user'), await fx.fingerprint('comp_user')];
    const failing = { ...iamProps, ConnectionLimit: '3', PasswordSecretArn: bench.userSecret('comp_user', `it's-${newPassword()}`),
      Privileges: [{ Privileges: ['SELECT'], Schema: 'users_db', Table: 'no_such_table' }] };
    expect(await bench.failure(bench.handler(fx.events.update(failing, iamProps)))).toMatch(new RegExp(
      `^Updating database user "comp_user" on mysql database "users_db" at 127\\.0\\.0\\.1:${fx.server.port} failed: ` +
      "Table 'users_db\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\)$"));
    expect([await fx.account('comp_user'), await fx.fingerprint('comp_user')]).toEqual(before);
    await (await fx.login('comp_user', fx.iamToken)).end();
  });

  test('a secret that is not this user\'s is refused naming the secret; the master user can never be targeted', async () => {
    bench.fake.create(userSecretArn('other'), { username: 'someone_else', password: newPassword() });
    expect(await bench.failure(bench.handler(fx.events.create({ UserName: 'refused_pw', ConnectionLimit: '1', PasswordSecretArn: userSecretArn('other') })))).toBe(
      `Creating database user "refused_pw" on mysql database "users_db" at 127.0.0.1:${fx.server.port} failed: ` +
      `the password secret ${userSecretArn('other')} is not for user "refused_pw": its username must be exactly that`);
    expect(await fx.account('refused_pw')).toBeUndefined();
    const masterBefore = await fx.account(fx.masterUser);
    expect(await bench.failure(bench.handler(fx.events.create({ UserName: fx.masterUser, ConnectionLimit: '1', PasswordSecretArn: MASTER_SECRET_ARN }))))
      .toMatch(/"master_admin" is the master user$/);
    expect(await fx.account(fx.masterUser)).toEqual(masterBefore);
  });

  cases.rotation('the account\'s connection limit (errno 1226)');
  cases.noPasswordInFailures();
});

import { randomBytes } from 'crypto';
import { Connection, createConnection } from 'mysql2/promise';
import { FakeSecretsManager } from './fake-secrets-manager';
import { failureOf, INJECTION_ATTEMPTS, MASTER_SECRET_ARN, UserEvents } from './user-events';
import { createHandler, RotationStep } from '../../../lib/handlers/database-users';
import { MysqlIamAuth, mysqlUserFingerprint } from '../../../lib/handlers/database-users/mysql-users';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../../../lib/private/password-policy';
import { MariaDbServer, startMariaDb } from '../servers';

const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-user-${name}-AbCdEf`;
const newPassword = () => `Pw-${randomBytes(15).toString('base64url')}`;

/**
 * Password users and the rotation of their secrets against a real MariaDB that requires TLS (see
 * mysql-users.test.ts for the master's privileges and the IAM stand-in: mysql_native_password with
 * the hash of a known token). Secrets Manager is an in-memory fake with versions and staging labels.
 */
describe('password users and secret rotation on MySQL (real MariaDB server)', () => {
  let server: MariaDbServer;
  let handler: ReturnType<typeof createHandler>;
  let events: UserEvents;
  let fake: FakeSecretsManager;
  let iam: MysqlIamAuth;
  const token = 'stand-in-iam-token';
  const master = { user: 'master_admin', password: 'master-Pa55word' };
  const open: Connection[] = [];
  /** Every failure the tests provoke: the last test checks that none holds a password. */
  const failures: Array<{ message: string; everything: string }> = [];

  beforeAll(async () => {
    server = await startMariaDb();
    await server.adminQuery(`create user ?@'%' identified by ? require ssl`, [master.user, master.password]);
    await server.adminQuery(`grant select, insert, update, delete, create, drop, reload, process, references, index, alter,
      show databases, create temporary tables, lock tables, execute, replication slave, replication client, create view,
      show view, create routine, alter routine, create user, event, trigger on *.* to ?@'%' with grant option`, [master.user]);
    await server.adminQuery('create database users_db');
    await server.adminQuery('create table users_db.orders (id int auto_increment primary key, amount int not null)');
    await server.adminQuery('insert into users_db.orders (amount) values (10), (20)');
    await server.adminQuery('create database audit');
    await server.adminQuery('create table audit.log (entry text)');
    const [{ hash }] = await server.adminQuery<{ hash: string }>('select password(?) as hash', [token]);
    iam = { plugin: 'mysql_native_password', authenticationString: hash };
    fake = new FakeSecretsManager();
    fake.create(MASTER_SECRET_ARN, { username: master.user, password: master.password, engine: 'mysql' });
    handler = createHandler({ secretsManager: fake.client, tls: () => ({ ca: server.caPem }), mysqlIamAuth: iam });
    events = new UserEvents({ Engine: 'mysql', Host: server.host, Port: String(server.port), Database: 'users_db' });
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  /** Logs in as `user` over verified TLS (or without TLS); kept open until closed or the suite ends. */
  async function login(user: string, password: string, tls = true, database = 'users_db'): Promise<Connection> {
    const c = await createConnection({
      host: server.host, port: server.port, user, password, database, connectTimeout: 10_000,
      ssl: tls ? { ca: server.caPem, rejectUnauthorized: true } : undefined,
    });
    c.on('error', () => undefined);
    open.push(c);
    return c;
  }

  /** A user secret in the RDS format, rotation enabled; returns its ARN. */
  function userSecret(userName: string, password: string): string {
    const arn = secretArn(userName);
    fake.create(arn, {
      engine: 'mysql', host: server.host, port: server.port, dbname: 'users_db', username: userName, password, masterarn: MASTER_SECRET_ARN,
    }, { rotationEnabled: true });
    return arn;
  }

  const step = (arn: string, version: string, Step: RotationStep) => handler({ SecretId: arn, ClientRequestToken: version, Step });
  /** The failure's message; the failure is kept for the final check. */
  const failure = async (promise: Promise<unknown>) => {
    const f = await failureOf(promise);
    failures.push(f);
    return f.message;
  };
  const account = async (user: string) => (await server.adminQuery(
    `select plugin, authentication_string, ssl_type, max_user_connections from mysql.user where user = ? and host = '%'`, [user]))[0];
  const nativeHash = async (password: string) => (await server.adminQuery<{ hash: string }>('select password(?) as hash', [password]))[0].hash;
  async function fingerprint(user: string): Promise<string[]> {
    const c = await login(master.user, master.password);
    try {
      return await mysqlUserFingerprint(c, user);
    } finally {
      await c.end();
    }
  }

  const appPw = (arn: string) => ({ UserName: 'app_pw', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'], PasswordSecretArn: arn });

  test('create: a password user logs in with its secret\'s password over TLS; not without it, with a wrong one, or without TLS', async () => {
    // Quotes and a backslash: the password reaches the server only as an escaped literal.
    const password = `O'Brien\\"-${newPassword()}`;
    const arn = userSecret('app_pw', password);
    expect(await handler(events.create(appPw(arn)))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'app_pw', Changed: 'true' } });
    expect(await account('app_pw')).toEqual({
      plugin: 'mysql_native_password', authentication_string: await nativeHash(password), ssl_type: 'ANY', max_user_connections: 2,
    });
    const c = await login('app_pw', password);
    expect((await c.query('select current_user() as u'))[0]).toEqual([{ u: 'app_pw@%' }]);
    expect(((await c.query(`show status like 'Ssl_cipher'`))[0] as Array<{ Value: string }>)[0].Value).not.toBe('');
    expect((await c.query('select sum(amount) as total from orders'))[0]).toEqual([{ total: '30' }]);
    await expect(c.query('insert into orders (amount) values (1)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await c.end();
    await expect(login('app_pw', `wrong-${password}`)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await expect(login('app_pw', '')).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await expect(login('app_pw', password, false)).rejects.toMatchObject({ code: expect.stringMatching(/^ER_/) });
  });

  test('re-run with the same secret value: no change, the account stays as it is', async () => {
    const before = [await account('app_pw'), await fingerprint('app_pw')];
    expect((await handler(events.create(appPw(secretArn('app_pw'))))).Data.Changed).toBe('false');
    expect((await handler(events.update(appPw(secretArn('app_pw')), appPw(secretArn('app_pw'))))).Data.Changed).toBe('false');
    expect([await account('app_pw'), await fingerprint('app_pw')]).toEqual(before);
  });

  test('a password user with rights only in another database: a re-run changes nothing, and a rotation tests the new password', async () => {
    const first = newPassword();
    const props = { UserName: 'elsewhere', ConnectionLimit: '1', ReadOnlySchemas: ['audit'], PasswordSecretArn: userSecret('elsewhere', first) };
    expect((await handler(events.create(props))).Data.Changed).toBe('true');
    expect((await handler(events.create(props))).Data.Changed).toBe('false');
    await fake.rotate(handler, props.PasswordSecretArn);
    const rotated = fake.value(props.PasswordSecretArn).password;
    expect(rotated).not.toBe(first);
    const c = await login('elsewhere', rotated, true, 'audit');
    expect((await c.query('select count(*) as n from log'))[0]).toEqual([{ n: 0 }]);
    await c.end();
    await expect(login('elsewhere', first, true, 'audit')).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  test('a new value of the secret is applied on the next update; the old password is refused from then on', async () => {
    const arn = secretArn('app_pw');
    const old = fake.value(arn).password;
    const next = newPassword();
    fake.putVersion(arn, { ...fake.value(arn), password: next }, ['AWSCURRENT']);
    expect((await handler(events.update(appPw(arn), appPw(arn)))).Data.Changed).toBe('true');
    await (await login('app_pw', next)).end();
    await expect(login('app_pw', old)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    expect((await account('app_pw')).max_user_connections).toBe(2);
  });

  test('switch IAM -> password -> IAM: the identity follows, TLS requirement and limit stay', async () => {
    const iamProps = { UserName: 'switcher', ConnectionLimit: '1', ReadOnlySchemas: ['users_db'] };
    expect((await handler(events.create(iamProps))).Data.Changed).toBe('true');
    expect(await account('switcher')).toEqual({ plugin: iam.plugin, authentication_string: iam.authenticationString, ssl_type: 'ANY', max_user_connections: 1 });
    await (await login('switcher', token)).end();

    const password = newPassword();
    const withPassword = { ...iamProps, PasswordSecretArn: userSecret('switcher', password) };
    expect((await handler(events.update(withPassword, iamProps))).Data.Changed).toBe('true');
    expect(await account('switcher')).toEqual({
      plugin: 'mysql_native_password', authentication_string: await nativeHash(password), ssl_type: 'ANY', max_user_connections: 1,
    });
    await expect(login('switcher', token)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await (await login('switcher', password)).end();
    expect((await handler(events.update(withPassword, withPassword))).Data.Changed).toBe('false');

    expect((await handler(events.update(iamProps, withPassword))).Data.Changed).toBe('true');
    expect(await account('switcher')).toEqual({ plugin: iam.plugin, authentication_string: iam.authenticationString, ssl_type: 'ANY', max_user_connections: 1 });
    await (await login('switcher', token)).end();
    await expect(login('switcher', password)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  test('a failed switch to a password is undone: the account gets its previous identity back, and the message holds no password', async () => {
    const iamProps = { UserName: 'comp_user', ConnectionLimit: '2', ReadOnlySchemas: ['users_db'] };
    await handler(events.create(iamProps));
    const before = [await account('comp_user'), await fingerprint('comp_user')];
    const failing = { ...iamProps, ConnectionLimit: '3', PasswordSecretArn: userSecret('comp_user', `it's-${newPassword()}`),
      Privileges: [{ Privileges: ['SELECT'], Schema: 'users_db', Table: 'no_such_table' }] };
    expect(await failure(handler(events.update(failing, iamProps)))).toMatch(new RegExp(
      `^Updating database user "comp_user" on mysql database "users_db" at 127\\.0\\.0\\.1:${server.port} failed: ` +
      "Table 'users_db\\.no_such_table' doesn't exist \\(\\d completed statement\\(s\\) undone\\)$"));
    expect([await account('comp_user'), await fingerprint('comp_user')]).toEqual(before);
    await (await login('comp_user', token)).end();
  });

  test('a secret that is not this user\'s is refused naming the secret; the master user can never be targeted', async () => {
    fake.create(secretArn('other'), { username: 'someone_else', password: newPassword() });
    expect(await failure(handler(events.create({ UserName: 'refused_pw', ConnectionLimit: '1', PasswordSecretArn: secretArn('other') })))).toBe(
      `Creating database user "refused_pw" on mysql database "users_db" at 127.0.0.1:${server.port} failed: ` +
      `the password secret ${secretArn('other')} is not for user "refused_pw": its username must be exactly that`);
    expect(await account('refused_pw')).toBeUndefined();
    const masterBefore = await account(master.user);
    expect(await failure(handler(events.create({ UserName: master.user, ConnectionLimit: '1', PasswordSecretArn: MASTER_SECRET_ARN }))))
      .toMatch(/"master_admin" is the master user$/);
    expect(await account(master.user)).toEqual(masterBefore);
  });

  const rotatingProps = (arn: string) => ({ UserName: 'rotating', ConnectionLimit: '2', ReadWriteSchemas: ['users_db'], PasswordSecretArn: arn });

  test('rotation createSecret -> setSecret -> testSecret -> finishSecret: the new password works, the old one is refused; grants and limit stay', async () => {
    const first = newPassword();
    const arn = userSecret('rotating', first);
    await handler(events.create(rotatingProps(arn)));
    const firstVersion = Object.keys(fake.stages(arn))[0];
    const before = await fingerprint('rotating');
    const { authentication_string: _firstHash, ...row } = await account('rotating');
    const [puts, randoms] = [fake.count('PutSecretValue'), fake.count('GetRandomPassword')];

    const version = fake.startRotation(arn);
    await step(arn, version, 'createSecret');
    await step(arn, version, 'createSecret'); // Secrets Manager retries: AWSPENDING is created once
    expect([fake.count('PutSecretValue') - puts, fake.count('GetRandomPassword') - randoms]).toEqual([1, 1]);
    const pending = fake.value(arn, { versionId: version });
    expect(pending).toEqual({ ...fake.value(arn), password: expect.any(String) });
    expect(pending.password).toHaveLength(32);
    expect(pending.password).not.toBe(first);
    expect([...PASSWORD_EXCLUDED_CHARACTERS].filter((c) => pending.password.includes(c))).toEqual([]);

    await step(arn, version, 'setSecret');
    await step(arn, version, 'testSecret');
    await step(arn, version, 'finishSecret');
    expect(fake.stages(arn)[version]).toContain('AWSCURRENT');
    expect(fake.stages(arn)[firstVersion]).toEqual(['AWSPREVIOUS']);

    await expect(login('rotating', first)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    const c = await login('rotating', pending.password);
    await c.query('insert into orders (amount) values (1)');
    await c.end();
    expect(await fingerprint('rotating')).toEqual(before);
    expect(await account('rotating')).toEqual({ ...row, authentication_string: await nativeHash(pending.password) });
    expect((await handler(events.update(rotatingProps(arn), rotatingProps(arn)))).Data.Changed).toBe('false');
  });

  test('every step re-run is harmless, during a rotation and after it', async () => {
    const arn = secretArn('rotating');
    const before = await fingerprint('rotating');
    const [puts, moves] = [fake.count('PutSecretValue'), fake.count('UpdateSecretVersionStage')];
    const version = fake.startRotation(arn);
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await step(arn, version, s);
      await step(arn, version, s);
    }
    expect([fake.count('PutSecretValue') - puts, fake.count('UpdateSecretVersionStage') - moves]).toEqual([1, 1]);
    const stages = fake.stages(arn);
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(arn, version, s);
    expect(fake.stages(arn)).toEqual(stages);
    expect([fake.count('PutSecretValue') - puts, fake.count('UpdateSecretVersionStage') - moves]).toEqual([1, 1]);
    await (await login('rotating', fake.value(arn).password)).end();
    expect(await fingerprint('rotating')).toEqual(before);
  });

  test('testSecret counts a refusal at the account\'s connection limit (errno 1226) as success: the server checks the password first', async () => {
    const arn = secretArn('rotating');
    const current = fake.value(arn).password;
    const held = [await login('rotating', current), await login('rotating', current)];
    await expect(login('rotating', current)).rejects.toMatchObject({ errno: 1226 });
    const version = fake.startRotation(arn);
    await step(arn, version, 'createSecret');
    await step(arn, version, 'setSecret');
    const pending = fake.value(arn, { versionId: version }).password;
    await expect(login('rotating', pending)).rejects.toMatchObject({ errno: 1226 });
    await expect(login('rotating', current)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    await step(arn, version, 'testSecret');
    await step(arn, version, 'finishSecret');
    await Promise.all(held.map((c) => c.end()));
    await (await login('rotating', pending)).end();
  });

  test('testSecret fails readably when the pending password is wrong, also at the connection limit', async () => {
    const arn = secretArn('rotating');
    const version = fake.startRotation(arn);
    await step(arn, version, 'createSecret'); // no setSecret: the database still has the current password
    const expected = `Rotation step testSecret of secret ${arn} failed: logging in as "rotating" to mysql database "users_db" ` +
      `at 127.0.0.1:${server.port} with the AWSPENDING password failed: Access denied for user 'rotating'@'127.0.0.1' (using password: YES)`;
    expect(await failure(step(arn, version, 'testSecret'))).toBe(expected);
    const current = fake.value(arn).password;
    const held = [await login('rotating', current), await login('rotating', current)];
    expect(await failure(step(arn, version, 'testSecret'))).toBe(expected);
    await Promise.all(held.map((c) => c.end()));
    expect(fake.stages(arn)[version]).toEqual(['AWSPENDING']);
    await (await login('rotating', current)).end();
  });

  test('setSecret refuses the master, injection attempts, reserved names, a missing user, an IAM user and a pending version that is not a copy; nothing changes', async () => {
    await handler(events.create({ UserName: 'iam_only', ConnectionLimit: '1' }));
    const accountsBefore = await server.adminQuery('select user, host, plugin, authentication_string, ssl_type, max_user_connections from mysql.user order by 1, 2');
    const base = { engine: 'mysql', host: server.host, port: String(server.port), dbname: 'users_db', masterarn: MASTER_SECRET_ARN };
    type Case = [Record<string, unknown>, Record<string, unknown>, RegExp];
    const cases: Case[] = [
      ...[master.user, 'MASTER_ADMIN'].map((username): Case => [{ username }, { username }, /is the master user: rotation sets the password of a consumer user only$/i]),
      ...INJECTION_ATTEMPTS.userNames.map((username): Case => [
        { username: 'rotating' }, { username }, /the AWSPENDING version of secret .*: User name .*(is missing|is not a valid name)/]),
      [{ username: 'root' }, { username: 'root' }, /User name "root" is reserved/],
      [{ username: 'ghost_user' }, { username: 'ghost_user' }, /setting the password of "ghost_user" on .*: account 'ghost_user'@'%' does not exist: its password cannot be set$/],
      [{ username: 'iam_only' }, { username: 'iam_only' }, /account 'iam_only'@'%' logs in with IAM; only the password of a password user is rotated$/],
      [{ username: 'rotating' }, { username: 'app_pw' }, /the AWSPENDING version differs from the AWSCURRENT one in more than the password \(userName\)/],
      [{ username: 'rotating' }, { username: 'rotating', engine: 'mariadb', masterarn: `${MASTER_SECRET_ARN}-other` }, /more than the password \(masterSecretArn\)/],
      [{ username: 'rotating' }, { username: 'rotating', dbname: 'users_db`; drop database users_db' }, /dbname .* is not a valid name/],
    ];
    for (const [i, [current, pending, reason]] of cases.entries()) {
      const arn = secretArn(`refused_${i}`);
      fake.create(arn, { ...base, ...current, password: newPassword() }, { rotationEnabled: true });
      const version = fake.startRotation(arn);
      fake.putVersion(arn, { ...base, ...pending, password: newPassword() }, ['AWSPENDING'], version);
      const message = await failure(step(arn, version, 'setSecret'));
      expect(message.startsWith(`Rotation step setSecret of secret ${arn} failed: `)).toBe(true);
      expect(message).toMatch(reason);
    }
    expect(await server.adminQuery('select user, host, plugin, authentication_string, ssl_type, max_user_connections from mysql.user order by 1, 2'))
      .toEqual(accountsBefore);
    await (await login(master.user, master.password)).end();
  });

  test('no failure message, nor anything attached to the error, holds a password', () => {
    expect(failures.length).toBeGreaterThanOrEqual(20);
    expect(fake.passwords.size).toBeGreaterThanOrEqual(20);
    for (const f of failures) {
      for (const password of fake.passwords) expect(f.everything).not.toContain(password);
    }
  });
});

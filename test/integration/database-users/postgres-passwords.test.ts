import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { Client } from 'pg';
import { FakeSecretsManager } from './fake-secrets-manager';
import { failureOf, INJECTION_ATTEMPTS, MASTER_SECRET_ARN, UserEvents } from './user-events';
import { createHandler, RotationStep } from '../../../lib/handlers/database-users';
import { postgresUserFingerprint } from '../../../lib/handlers/database-users/postgres-users';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../../../lib/private/password-policy';
import { PostgresServer, startPostgres } from '../servers';

const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-user-${name}-AbCdEf`;
const newPassword = () => `Pw-${randomBytes(15).toString('base64url')}`;

/**
 * Password users and the rotation of their secrets against a real PostgreSQL that requires TLS.
 * pg_hba lets members of the stand-in `rds_iam` in without a password (standing in for IAM
 * tokens) and requires SCRAM-SHA-256 of the password users; Secrets Manager is an in-memory fake
 * with versions and staging labels.
 */
describe('password users and secret rotation on PostgreSQL (real server)', () => {
  let server: PostgresServer;
  let handler: ReturnType<typeof createHandler>;
  let events: UserEvents;
  let fake: FakeSecretsManager;
  const master = { user: 'master_admin', password: 'master-Pa55word' };
  const open: Client[] = [];
  /** Every failure the tests provoke: the last test checks that none holds a password. */
  const failures: Array<{ message: string; everything: string }> = [];

  beforeAll(async () => {
    server = await startPostgres({
      extraHba: [
        'hostssl users_db +rds_iam 127.0.0.1/32 trust',
        'hostssl users_db app_pw,switcher,rotating 127.0.0.1/32 scram-sha-256',
      ],
    });
    await server.adminQuery('create role rds_iam nologin');
    await server.adminQuery(`create role ${master.user} login createrole password '${master.password}'`);
    await server.adminQuery(`grant rds_iam to ${master.user} with admin option`);
    await server.adminQuery(`create database users_db owner ${master.user}`);
    await asMaster(async (c) => {
      await c.query('create schema sales');
      await c.query('create table sales.orders (id serial primary key, amount int not null)');
      await c.query('insert into sales.orders (amount) values (10), (20)');
    });
    fake = new FakeSecretsManager();
    fake.create(MASTER_SECRET_ARN, { username: master.user, password: master.password, engine: 'postgres' });
    handler = createHandler({ secretsManager: fake.client, tls: () => ({ ca: server.caPem, servername: 'localhost' }) });
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

  /**
   * Logs in as `user` over verified TLS (kept open until closed or the suite ends). Whether the
   * server asked for the password (not when pg_hba trusts the user) is on the client or the error.
   */
  async function login(user: string, password?: string): Promise<Client & { passwordAsked: boolean }> {
    let passwordAsked = false;
    const c = new Client({
      ...server.clientConfig('superuser', 'users_db'), user,
      password: () => {
        passwordAsked = true;
        return password as string;
      },
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (error) {
      throw Object.assign(error as Error, { passwordAsked });
    }
    open.push(c);
    return Object.assign(c, { passwordAsked });
  }

  /** A user secret in the RDS format, rotation enabled; returns its ARN. */
  function userSecret(userName: string, password: string): string {
    const arn = secretArn(userName);
    fake.create(arn, {
      engine: 'postgres', host: server.host, port: server.port, dbname: 'users_db', username: userName, password, masterarn: MASTER_SECRET_ARN,
    }, { rotationEnabled: true });
    return arn;
  }

  const step = (arn: string, token: string, Step: RotationStep) => handler({ SecretId: arn, ClientRequestToken: token, Step });
  /** The failure's message; the failure is kept for the final check. */
  const failure = async (promise: Promise<unknown>) => {
    const f = await failureOf(promise);
    failures.push(f);
    return f.message;
  };
  const roleFacts = async (user: string) => (await server.adminQuery<{ fact: string }>(
    `select rolname || ' login=' || rolcanlogin || ' limit=' || rolconnlimit || ' password=' || (rolpassword is not null)
       || ' iam=' || pg_has_role(rolname, 'rds_iam', 'MEMBER') as fact from pg_authid where rolname = $1`, [user]))[0]?.fact;
  const storedPassword = async (user: string) => (await server.adminQuery<{ p: string | null }>(
    'select rolpassword as p from pg_authid where rolname = $1', [user]))[0]?.p;
  const fingerprint = (user: string) => asMaster((c) => postgresUserFingerprint(c, user));
  /** Sets log_statement for new sessions and waits until a new session sees it. */
  async function logStatements(value: 'all' | 'none'): Promise<void> {
    await server.adminQuery(`alter system set log_statement = '${value}'`);
    await server.adminQuery('select pg_reload_conf()');
    for (let i = 0; i < 100 && (await server.adminQuery('show log_statement'))[0].log_statement !== value; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const appPw = (arn: string) => ({ UserName: 'app_pw', ConnectionLimit: '2', ReadOnlySchemas: ['sales'], PasswordSecretArn: arn });

  test('create: a password user logs in with its secret\'s password over TLS (SCRAM), not without it nor with a wrong one; the server never sees the plaintext', async () => {
    await logStatements('all');
    const password = newPassword();
    const arn = userSecret('app_pw', password);
    expect(await handler(events.create(appPw(arn)))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'app_pw', Changed: 'true' } });
    await logStatements('none');
    expect(await roleFacts('app_pw')).toBe('app_pw login=true limit=2 password=true iam=false');
    expect(await storedPassword('app_pw')).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);

    const c = await login('app_pw', password);
    expect(c.passwordAsked).toBe(true);
    expect((await c.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0].ssl).toBe(true);
    expect((await c.query('select sum(amount)::int as total from sales.orders')).rows[0].total).toBe(30);
    await expect(c.query('insert into sales.orders (amount) values (1)')).rejects.toMatchObject({ code: '42501' });
    await c.end();
    await expect(login('app_pw', `wrong-${password}`)).rejects.toMatchObject({ code: '28P01', passwordAsked: true });
    await expect(login('app_pw')).rejects.toMatchObject({ passwordAsked: true, message: expect.stringMatching(/password/) });

    // The statement log shows the verifier the handler computed, never the password.
    const log = fs.readFileSync(server.logFile, 'utf8');
    expect(log).toMatch(/CREATE ROLE "app_pw" LOGIN NOCREATEDB NOCREATEROLE PASSWORD 'SCRAM-SHA-256\$4096:[^']+' CONNECTION LIMIT 2/);
    expect(log).not.toContain(password);
  });

  test('re-run with the same secret value: no change, the stored verifier is kept', async () => {
    const before = [await storedPassword('app_pw'), await roleFacts('app_pw'), await fingerprint('app_pw')];
    expect((await handler(events.create(appPw(secretArn('app_pw'))))).Data.Changed).toBe('false');
    expect((await handler(events.update(appPw(secretArn('app_pw')), appPw(secretArn('app_pw'))))).Data.Changed).toBe('false');
    expect([await storedPassword('app_pw'), await roleFacts('app_pw'), await fingerprint('app_pw')]).toEqual(before);
  });

  test('a new value of the secret is applied on the next update; the old password is refused from then on', async () => {
    const arn = secretArn('app_pw');
    const old = fake.value(arn).password;
    const next = newPassword();
    fake.putVersion(arn, { ...fake.value(arn), password: next }, ['AWSCURRENT']);
    expect((await handler(events.update(appPw(arn), appPw(arn)))).Data.Changed).toBe('true');
    await (await login('app_pw', next)).end();
    await expect(login('app_pw', old)).rejects.toMatchObject({ code: '28P01' });
  });

  test('switch IAM -> password -> IAM: rds_iam membership, the password and the way in follow', async () => {
    const iam = { UserName: 'switcher', ConnectionLimit: '1', ReadOnlySchemas: ['sales'] };
    expect((await handler(events.create(iam))).Data.Changed).toBe('true');
    expect(await roleFacts('switcher')).toBe('switcher login=true limit=1 password=false iam=true');
    const asIam = await login('switcher');
    expect(asIam.passwordAsked).toBe(false); // trusted as a member of rds_iam
    await asIam.end();

    const password = newPassword();
    const withPassword = { ...iam, PasswordSecretArn: userSecret('switcher', password) };
    expect((await handler(events.update(withPassword, iam))).Data.Changed).toBe('true');
    expect(await roleFacts('switcher')).toBe('switcher login=true limit=1 password=true iam=false');
    await expect(login('switcher')).rejects.toMatchObject({ passwordAsked: true });
    const asPasswordUser = await login('switcher', password);
    expect(asPasswordUser.passwordAsked).toBe(true);
    expect((await asPasswordUser.query('select count(*)::int as n from sales.orders')).rows[0].n).toBe(2);
    await asPasswordUser.end();
    expect((await handler(events.update(withPassword, withPassword))).Data.Changed).toBe('false');

    expect((await handler(events.update(iam, withPassword))).Data.Changed).toBe('true');
    expect(await roleFacts('switcher')).toBe('switcher login=true limit=1 password=false iam=true');
    const backToIam = await login('switcher');
    expect(backToIam.passwordAsked).toBe(false);
    await backToIam.end();
  });

  test('a secret that is not this user\'s, or holds no usable password, is refused: the message names the secret, never its value', async () => {
    const failed = `Creating database user "refused_pw" on postgresql database "users_db" at 127.0.0.1:${server.port} failed:`;
    const create = (arn: string) => handler(events.create({ UserName: 'refused_pw', ConnectionLimit: '1', PasswordSecretArn: arn }));

    fake.create(secretArn('other'), { username: 'someone_else', password: newPassword() });
    expect(await failure(create(secretArn('other')))).toBe(
      `${failed} the password secret ${secretArn('other')} is not for user "refused_pw": its username must be exactly that`);
    const notJson = newPassword();
    fake.passwords.add(notJson);
    fake.create(secretArn('not_json'), `username=refused_pw password=${notJson}`);
    expect(await failure(create(secretArn('not_json')))).toBe(`${failed} the password secret ${secretArn('not_json')} does not hold a JSON SecretString`);
    fake.create(secretArn('not_ascii'), { username: 'refused_pw', password: 'pässwörter-mit-umlaut' });
    expect(await failure(create(secretArn('not_ascii')))).toBe(
      `${failed} the password in the password secret ${secretArn('not_ascii')} must be 1 to 1024 printable ASCII characters`);
    expect(await roleFacts('refused_pw')).toBeUndefined();
  });

  test('the master user can never be targeted, with or without a password secret', async () => {
    const masterBefore = await storedPassword(master.user);
    expect(await failure(handler(events.create({ UserName: master.user, ConnectionLimit: '1', PasswordSecretArn: MASTER_SECRET_ARN }))))
      .toMatch(/"master_admin" is the master user$/);
    expect(await storedPassword(master.user)).toBe(masterBefore);
  });

  const rotatingProps = (arn: string) => ({ UserName: 'rotating', ConnectionLimit: '2', ReadWriteSchemas: ['sales'], PasswordSecretArn: arn });

  test('rotation createSecret -> setSecret -> testSecret -> finishSecret: the new password works, the old one is refused; grants and limit stay', async () => {
    const first = newPassword();
    const arn = userSecret('rotating', first);
    await handler(events.create(rotatingProps(arn)));
    const firstVersion = Object.keys(fake.stages(arn))[0];
    const before = [await fingerprint('rotating'), await roleFacts('rotating')];
    const [puts, randoms] = [fake.count('PutSecretValue'), fake.count('GetRandomPassword')];

    const token = fake.startRotation(arn);
    await step(arn, token, 'createSecret');
    await step(arn, token, 'createSecret'); // Secrets Manager retries: AWSPENDING is created once
    expect([fake.count('PutSecretValue') - puts, fake.count('GetRandomPassword') - randoms]).toEqual([1, 1]);
    const pending = fake.value(arn, { versionId: token });
    expect(pending).toEqual({ ...fake.value(arn), password: expect.any(String) });
    expect(pending.password).toHaveLength(32);
    expect(pending.password).not.toBe(first);
    expect([...PASSWORD_EXCLUDED_CHARACTERS].filter((c) => pending.password.includes(c))).toEqual([]);
    expect(fake.stages(arn)).toEqual({ [firstVersion]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });

    await step(arn, token, 'setSecret');
    await step(arn, token, 'testSecret');
    await step(arn, token, 'finishSecret');
    expect(fake.stages(arn)[token]).toContain('AWSCURRENT');
    expect(fake.stages(arn)[firstVersion]).toEqual(['AWSPREVIOUS']);
    expect(fake.value(arn).password).toBe(pending.password);

    await expect(login('rotating', first)).rejects.toMatchObject({ code: '28P01' });
    const c = await login('rotating', pending.password);
    await c.query('insert into sales.orders (amount) values (1)');
    await c.end();
    expect([await fingerprint('rotating'), await roleFacts('rotating')]).toEqual(before);
    // The custom resource sees the rotated value as its own: applying it again changes nothing.
    expect((await handler(events.update(rotatingProps(arn), rotatingProps(arn)))).Data.Changed).toBe('false');
  });

  test('every step re-run is harmless, during a rotation and after it', async () => {
    const arn = secretArn('rotating');
    const before = [await fingerprint('rotating'), await roleFacts('rotating')];
    const [puts, moves] = [fake.count('PutSecretValue'), fake.count('UpdateSecretVersionStage')];
    const token = fake.startRotation(arn);
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await step(arn, token, s);
      await step(arn, token, s);
    }
    expect([fake.count('PutSecretValue') - puts, fake.count('UpdateSecretVersionStage') - moves]).toEqual([1, 1]);
    const stages = fake.stages(arn);
    // Once the version is AWSCURRENT, every step returns without work.
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(arn, token, s);
    expect(fake.stages(arn)).toEqual(stages);
    expect([fake.count('PutSecretValue') - puts, fake.count('UpdateSecretVersionStage') - moves]).toEqual([1, 1]);
    await (await login('rotating', fake.value(arn).password)).end();
    expect([await fingerprint('rotating'), await roleFacts('rotating')]).toEqual(before);
  });

  test('testSecret counts a refusal at the connection limit as success: the server checks the password first', async () => {
    const arn = secretArn('rotating');
    const current = fake.value(arn).password;
    const held = [await login('rotating', current), await login('rotating', current)];
    await expect(login('rotating', current)).rejects.toMatchObject({ code: '53300', message: 'too many connections for role "rotating"' });
    const token = fake.startRotation(arn);
    await step(arn, token, 'createSecret');
    await step(arn, token, 'setSecret');
    const pending = fake.value(arn, { versionId: token }).password;
    // With the right password the refusal is the limit; with a wrong one it is the password.
    await expect(login('rotating', pending)).rejects.toMatchObject({ code: '53300' });
    await expect(login('rotating', current)).rejects.toMatchObject({ code: '28P01' });
    await step(arn, token, 'testSecret');
    await step(arn, token, 'finishSecret');
    await Promise.all(held.map((c) => c.end()));
    await (await login('rotating', pending)).end();
  });

  test('testSecret fails readably when the pending password is wrong, also at the connection limit', async () => {
    const arn = secretArn('rotating');
    const stages = fake.stages(arn);
    const token = fake.startRotation(arn);
    await step(arn, token, 'createSecret'); // no setSecret: the database still has the current password
    const expected = `Rotation step testSecret of secret ${arn} failed: logging in as "rotating" to postgresql database "users_db" ` +
      `at 127.0.0.1:${server.port} with the AWSPENDING password failed: password authentication failed for user "rotating"`;
    expect(await failure(step(arn, token, 'testSecret'))).toBe(expected);
    const current = fake.value(arn).password;
    const held = [await login('rotating', current), await login('rotating', current)];
    expect(await failure(step(arn, token, 'testSecret'))).toBe(expected);
    await Promise.all(held.map((c) => c.end()));
    // The rotation stays unfinished: AWSCURRENT has not moved and still logs in.
    const currentVersion = (stages: Record<string, string[]>) => Object.entries(stages).find(([, s]) => s.includes('AWSCURRENT'))![0];
    expect(currentVersion(fake.stages(arn))).toBe(currentVersion(stages));
    expect(fake.stages(arn)[token]).toEqual(['AWSPENDING']);
    await (await login('rotating', current)).end();
  });

  test('setSecret refuses the master, injection attempts, reserved names, a missing user, an IAM user and a pending version that is not a copy; nothing changes', async () => {
    await handler(events.create({ UserName: 'iam_only', ConnectionLimit: '1' }));
    const rolesBefore = await server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by 1');
    const passwordsBefore = await server.adminQuery('select rolname, rolpassword from pg_authid order by 1');
    const base = { engine: 'postgres', host: server.host, port: String(server.port), dbname: 'users_db', masterarn: MASTER_SECRET_ARN };
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
      ...[master.user, 'MASTER_ADMIN'].map((username): [Record<string, unknown>, Record<string, unknown>, RegExp] => [
        { username }, { username }, /is the master user: rotation sets the password of a consumer user only$/i]),
      ...INJECTION_ATTEMPTS.userNames.map((username): [Record<string, unknown>, Record<string, unknown>, RegExp] => [
        { username: 'rotating' }, { username }, /the AWSPENDING version of secret .*: User name .*(is missing|is not a valid name)/]),
      [{ username: 'pg_monitor' }, { username: 'pg_monitor' }, /User name "pg_monitor" is reserved/],
      [{ username: 'ghost_user' }, { username: 'ghost_user' }, /setting the password of "ghost_user" on .*: role "ghost_user" does not exist: its password cannot be set$/],
      [{ username: 'iam_only' }, { username: 'iam_only' }, /role "iam_only" logs in with IAM \(member of "rds_iam"\); only the password of a password user is rotated$/],
      [{ username: 'rotating' }, { username: 'app_pw' }, /the AWSPENDING version differs from the AWSCURRENT one in more than the password \(userName\)/],
      [{ username: 'rotating' }, { username: 'rotating', host: 'db.attacker.example', port: 5433 }, /more than the password \(host, port\)/],
      [{ username: 'rotating' }, { username: 'rotating', dbname: 'users_db; drop database users_db' }, /dbname .* is not a valid name/],
    ];
    for (const [i, [current, pending, reason]] of cases.entries()) {
      const arn = secretArn(`refused_${i}`);
      fake.create(arn, { ...base, ...current, password: newPassword() }, { rotationEnabled: true });
      const token = fake.startRotation(arn);
      fake.putVersion(arn, { ...base, ...pending, password: newPassword() }, ['AWSPENDING'], token);
      const message = await failure(step(arn, token, 'setSecret'));
      expect(message.startsWith(`Rotation step setSecret of secret ${arn} failed: `)).toBe(true);
      expect(message).toMatch(reason);
    }
    expect(await server.adminQuery('select rolname, rolconnlimit, rolcanlogin from pg_roles order by 1')).toEqual(rolesBefore);
    expect(await server.adminQuery('select rolname, rolpassword from pg_authid order by 1')).toEqual(passwordsBefore);
    await asMaster((c) => c.query('select 1'));
  });

  test('rotation refuses a secret without rotation enabled, a token that is not its version, a version not staged AWSPENDING, and unknown events', async () => {
    const arn = secretArn('rotating');
    fake.create(secretArn('not_rotated'), { ...fake.value(arn), username: 'not_rotated' });
    const token = fake.startRotation(secretArn('not_rotated'));
    expect(await failure(step(secretArn('not_rotated'), token, 'createSecret'))).toBe(
      `Rotation step createSecret of secret ${secretArn('not_rotated')} failed: rotation is not enabled for this secret`);
    expect(await failure(step(arn, 'no-such-version', 'setSecret'))).toBe(
      `Rotation step setSecret of secret ${arn} failed: version no-such-version is not a version of this secret`);
    const previous = Object.entries(fake.stages(arn)).find(([, s]) => s.includes('AWSPREVIOUS'))![0];
    expect(await failure(step(arn, previous, 'setSecret'))).toBe(
      `Rotation step setSecret of secret ${arn} failed: version ${previous} is not staged AWSPENDING`);
    await expect(handler({ SecretId: arn, ClientRequestToken: previous, Step: 'rotate' } as any)).rejects.toThrow(/^Not a rotation event/);
    await expect(handler({ RequestType: 'Create', Step: 'setSecret' } as any)).rejects.toThrow(/^Unknown event/);
    await expect(handler({} as any)).rejects.toThrow(/^Unknown event/);
  });

  test('no failure message, nor anything attached to the error, holds a password', () => {
    expect(failures.length).toBeGreaterThanOrEqual(20);
    expect(fake.passwords.size).toBeGreaterThanOrEqual(20);
    for (const f of failures) {
      for (const password of fake.passwords) expect(f.everything).not.toContain(password);
    }
  });
});

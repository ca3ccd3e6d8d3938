import { FakeSecretsManager } from './fake-secrets-manager';
import { failureOf, INJECTION_ATTEMPTS, MASTER_SECRET_ARN, newPassword, UserFields, userSecretArn } from './user-events';
import { UsersFixture } from './users-fixture';
import { createHandler, RotationStep } from '../../../lib/handlers/database-users';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../../../lib/private/password-policy';

/**
 * What the password suites work with: Secrets Manager as an in-memory fake with versions and
 * staging labels, holding the master secret; the handler using it; and every failure the tests
 * provoke, which the last test checks for passwords.
 */
export class PasswordBench {
  public readonly fake = new FakeSecretsManager();
  public readonly handler: ReturnType<typeof createHandler>;
  public readonly failures: Array<{ message: string; everything: string }> = [];

  constructor(private readonly db: UsersFixture) {
    this.fake.create(MASTER_SECRET_ARN, db.masterSecret());
    this.handler = createHandler({ ...db.deps, secretsManager: this.fake.client });
  }

  /** A user secret in the RDS format, rotation enabled; returns its ARN. */
  public userSecret(userName: string, password: string): string {
    const arn = userSecretArn(userName);
    this.fake.create(arn, {
      engine: this.db.secretEngine, host: this.db.host, port: this.db.port, dbname: this.db.database, username: userName, password, masterarn: MASTER_SECRET_ARN,
    }, { rotationEnabled: true });
    return arn;
  }

  /** One step of the rotation of secret `arn` to version `token`, as Secrets Manager calls it. */
  public step(arn: string, token: string, Step: RotationStep) {
    return this.handler({ SecretId: arn, ClientRequestToken: token, Step });
  }

  /** The failure's message; the failure is kept for the final check. */
  public async failure(promise: Promise<unknown>): Promise<string> {
    const f = await failureOf(promise);
    this.failures.push(f);
    return f.message;
  }
}

/** A case of setSecret refused: the AWSCURRENT and the AWSPENDING value (beyond the common fields), and the reason. */
export type RefusedRotation = [Record<string, unknown>, Record<string, unknown>, RegExp];

/** A real database server as the shared password cases need it: the fixture, the bench, and what differs between the engines. */
export interface PasswordCasesDatabase extends UsersFixture {
  readonly bench: PasswordBench;
  /** The schema holding table `orders` (PostgreSQL: schema sales; MySQL: the database users_db itself). */
  readonly schema: string;
  /** Table `orders` as a session in users_db names it. */
  readonly orders: string;
  /** The password user `app_pw` (connection limit 2, read-only on `schema`) whose password is in secret `arn`. */
  appPw(arn: string): UserFields;
  /** The error code of a login refused for its password. */
  readonly passwordRefused: string;
  /** The server's words when it refuses `user`'s password. */
  passwordRefusal(user: string): string;
  /** What the error of a login refused at `user`'s connection limit matches. */
  overLimit(user: string): Record<string, unknown>;
  /** The user's connection limit. */
  limit(user: string): Promise<number>;
  /** What a rotation of the user's password keeps: its rights, its limit, how it logs in. */
  keptByRotation(user: string): Promise<unknown>;
  /** Expects the server to hold `password` for `user`, where the engine can tell (MySQL: its hash). */
  expectStoredPassword?(user: string, password: string): Promise<void>;
  /** Every user with its attributes and stored password, to compare before and after. */
  accounts(): Promise<unknown>;
  /**
   * setSecret refused on this engine: `users` (a reserved name, a user that does not exist, an IAM
   * user) and `pending` (AWSPENDING versions that are not a copy of AWSCURRENT but for the password).
   */
  readonly refusedRotations: { users: RefusedRotation[]; pending: RefusedRotation[] };
}

/**
 * The scenarios of the password suites that are the same on both engines but for the facts `db()`
 * gives (called once the caller's beforeAll ran). Each function registers its test(s) where it is
 * called, so that a suite keeps its order: the scenarios build on the users the earlier ones made
 * (`app_pw` first, then `rotating`).
 */
export function passwordCases(db: () => PasswordCasesDatabase) {
  const bench = () => db().bench;
  const fake = () => db().bench.fake;
  const handler = ((event: any) => db().bench.handler(event)) as PasswordBench['handler'];
  const step = (arn: string, token: string, Step: RotationStep) => db().bench.step(arn, token, Step);
  const login = (user: string, password: string) => db().session(user, password);
  const rotatingProps = (arn: string) => ({ UserName: 'rotating', ConnectionLimit: '2', ReadWriteSchemas: [db().schema], PasswordSecretArn: arn });

  // The rotation of the secret of user `rotating` (registered by rotation below).
  const fullRotation = () => test('rotation createSecret -> setSecret -> testSecret -> finishSecret: the new password works, the old one is refused; grants and limit stay', async () => {
    const first = newPassword();
    const arn = bench().userSecret('rotating', first);
    await handler(db().events.create(rotatingProps(arn)));
    const firstVersion = Object.keys(fake().stages(arn))[0];
    const before = await db().keptByRotation('rotating');
    const [puts, randoms] = [fake().count('PutSecretValue'), fake().count('GetRandomPassword')];

    const token = fake().startRotation(arn);
    await step(arn, token, 'createSecret');
    await step(arn, token, 'createSecret'); // Secrets Manager retries: AWSPENDING is created once
    expect([fake().count('PutSecretValue') - puts, fake().count('GetRandomPassword') - randoms]).toEqual([1, 1]);
    const pending = fake().value(arn, { versionId: token });
    expect(pending).toEqual({ ...fake().value(arn), password: expect.any(String) });
    expect(pending.password).toHaveLength(32);
    expect(pending.password).not.toBe(first);
    expect([...PASSWORD_EXCLUDED_CHARACTERS].filter((c) => pending.password.includes(c))).toEqual([]);
    expect(fake().stages(arn)).toEqual({ [firstVersion]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });

    await step(arn, token, 'setSecret');
    await step(arn, token, 'testSecret');
    await step(arn, token, 'finishSecret');
    expect(fake().stages(arn)[token]).toContain('AWSCURRENT');
    expect(fake().stages(arn)[firstVersion]).toEqual(['AWSPREVIOUS']);
    expect(fake().value(arn).password).toBe(pending.password);

    await expect(login('rotating', first)).rejects.toMatchObject({ code: db().passwordRefused });
    const c = await login('rotating', pending.password);
    await c.query(`insert into ${db().orders} (amount) values (1)`);
    await c.end();
    expect(await db().keptByRotation('rotating')).toEqual(before);
    await db().expectStoredPassword?.('rotating', pending.password);
    // The custom resource sees the rotated value as its own: applying it again changes nothing.
    expect((await handler(db().events.update(rotatingProps(arn), rotatingProps(arn)))).Data.Changed).toBe('false');
  });

  const stepsRerun = () => test('every step re-run is harmless, during a rotation and after it', async () => {
    const arn = userSecretArn('rotating');
    const before = await db().keptByRotation('rotating');
    const [puts, moves] = [fake().count('PutSecretValue'), fake().count('UpdateSecretVersionStage')];
    const token = fake().startRotation(arn);
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await step(arn, token, s);
      await step(arn, token, s);
    }
    expect([fake().count('PutSecretValue') - puts, fake().count('UpdateSecretVersionStage') - moves]).toEqual([1, 1]);
    const stages = fake().stages(arn);
    // Once the version is AWSCURRENT, every step returns without work.
    for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(arn, token, s);
    expect(fake().stages(arn)).toEqual(stages);
    expect([fake().count('PutSecretValue') - puts, fake().count('UpdateSecretVersionStage') - moves]).toEqual([1, 1]);
    await (await login('rotating', fake().value(arn).password)).end();
    expect(await db().keptByRotation('rotating')).toEqual(before);
  });

  const limitRefusal = (limit: string) => test(`testSecret counts a refusal at ${limit} as success: the server checks the password first`, async () => {
    const arn = userSecretArn('rotating');
    const current = fake().value(arn).password;
    const held = [await login('rotating', current), await login('rotating', current)];
    await expect(login('rotating', current)).rejects.toMatchObject(db().overLimit('rotating'));
    const token = fake().startRotation(arn);
    await step(arn, token, 'createSecret');
    await step(arn, token, 'setSecret');
    const pending = fake().value(arn, { versionId: token }).password;
    // With the right password the refusal is the limit; with a wrong one it is the password.
    await expect(login('rotating', pending)).rejects.toMatchObject(db().overLimit('rotating'));
    await expect(login('rotating', current)).rejects.toMatchObject({ code: db().passwordRefused });
    await step(arn, token, 'testSecret');
    await step(arn, token, 'finishSecret');
    await Promise.all(held.map((c) => c.end()));
    await (await login('rotating', pending)).end();
  });

  const pendingRefused = () => test('testSecret fails readably when the pending password is wrong, also at the connection limit', async () => {
    const arn = userSecretArn('rotating');
    const stages = fake().stages(arn);
    const token = fake().startRotation(arn);
    await step(arn, token, 'createSecret'); // no setSecret: the database still has the current password
    const expected = `Rotation step testSecret of secret ${arn} failed: logging in as "rotating" to ${db().engine} database "users_db" ` +
      `at 127.0.0.1:${db().port} with the AWSPENDING password failed: ${db().passwordRefusal('rotating')}`;
    expect(await bench().failure(step(arn, token, 'testSecret'))).toBe(expected);
    const current = fake().value(arn).password;
    const held = [await login('rotating', current), await login('rotating', current)];
    expect(await bench().failure(step(arn, token, 'testSecret'))).toBe(expected);
    await Promise.all(held.map((c) => c.end()));
    // The rotation stays unfinished: AWSCURRENT has not moved and still logs in.
    const currentVersion = (stages: Record<string, string[]>) => Object.entries(stages).find(([, s]) => s.includes('AWSCURRENT'))![0];
    expect(currentVersion(fake().stages(arn))).toBe(currentVersion(stages));
    expect(fake().stages(arn)[token]).toEqual(['AWSPENDING']);
    await (await login('rotating', current)).end();
  });

  const refusedRotations = () => test('setSecret refuses the master, injection attempts, reserved names, a missing user, an IAM user and a pending version that is not a copy; nothing changes', async () => {
    await handler(db().events.create({ UserName: 'iam_only', ConnectionLimit: '1' }));
    const accountsBefore = await db().accounts();
    const base = { engine: db().secretEngine, host: db().host, port: String(db().port), dbname: 'users_db', masterarn: MASTER_SECRET_ARN };
    const refused = db().refusedRotations;
    const cases: RefusedRotation[] = [
      ...[db().masterUser, 'MASTER_ADMIN'].map((username): RefusedRotation => [{ username }, { username }, /is the master user: rotation sets the password of a consumer user only$/i]),
      ...INJECTION_ATTEMPTS.userNames.map((username): RefusedRotation => [
        { username: 'rotating' }, { username }, /the AWSPENDING version of secret .*: User name .*(is missing|is not a valid name)/]),
      ...refused.users,
      [{ username: 'rotating' }, { username: 'app_pw' }, /the AWSPENDING version differs from the AWSCURRENT one in more than the password \(userName\)/],
      ...refused.pending,
    ];
    for (const [i, [current, pending, reason]] of cases.entries()) {
      const arn = userSecretArn(`refused_${i}`);
      fake().create(arn, { ...base, ...current, password: newPassword() }, { rotationEnabled: true });
      const token = fake().startRotation(arn);
      fake().putVersion(arn, { ...base, ...pending, password: newPassword() }, ['AWSPENDING'], token);
      const message = await bench().failure(step(arn, token, 'setSecret'));
      expect(message.startsWith(`Rotation step setSecret of secret ${arn} failed: `)).toBe(true);
      expect(message).toMatch(reason);
    }
    expect(await db().accounts()).toEqual(accountsBefore);
    // The master still logs in.
    const master = await db().session(db().masterUser, db().master().password);
    await master.query('select 1');
    await master.end();
  });

  return {
    newValue: () => test('a new value of the secret is applied on the next update; the old password is refused from then on', async () => {
      const arn = userSecretArn('app_pw');
      const old = fake().value(arn).password;
      const next = newPassword();
      fake().putVersion(arn, { ...fake().value(arn), password: next }, ['AWSCURRENT']);
      expect((await handler(db().events.update(db().appPw(arn), db().appPw(arn)))).Data.Changed).toBe('true');
      await (await login('app_pw', next)).end();
      await expect(login('app_pw', old)).rejects.toMatchObject({ code: db().passwordRefused });
      expect(await db().limit('app_pw')).toBe(2);
    }),

    /**
     * The rotation of a password user's secret, step by step, and what the steps refuse; `limit`
     * is the connection limit as the engine's title names it.
     */
    rotation: (limit: string) => {
      fullRotation();
      stepsRerun();
      limitRefusal(limit);
      pendingRefused();
      refusedRotations();
    },

    noPasswordInFailures: () => test('no failure message, nor anything attached to the error, holds a password', () => {
      expect(bench().failures.length).toBeGreaterThanOrEqual(20);
      expect(fake().passwords.size).toBeGreaterThanOrEqual(20);
      for (const f of bench().failures) {
        for (const password of fake().passwords) expect(f.everything).not.toContain(password);
      }
    }),
  };
}

import { FakeSecretsManager } from './fake-secrets-manager';
import { failureOf, MASTER_SECRET_ARN, newPassword, UserEvents, userSecretArn } from './user-events';
import { UsersFixture } from './users-fixture';
import { createHandler, HandlerDependencies, RotationStep } from '../../../lib/handlers/database-users';
import { freePort } from '../servers';

/**
 * The master login while the master secret rotates, against the real server `db()` gives (called
 * once the caller's beforeAll ran): the database may already have the new password of the master
 * (the master secret's AWSPENDING version) while AWSCURRENT still holds the old one. Both callers
 * that log in as the master are exercised: the custom resource (a Create event) and the setSecret
 * step of a user secret's rotation. Secrets Manager is the in-memory fake.
 */
export function masterLoginCases(db: () => UsersFixture): void {
  let fake: FakeSecretsManager;
  let events: UserEvents;
  /** Every password the master had, on the server or in a version of its secret. */
  const masterPasswords = new Set<string>();
  /** The master's password on the server now. */
  let masterOnServer: string;

  const handlerWith = (masterLoginRetryDelaysMs: number[], overrides: Partial<HandlerDependencies> = {}) =>
    createHandler({ ...db().deps, secretsManager: fake.client, masterLoginRetryDelaysMs, ...overrides });
  const masterValue = (password: string) => ({ username: db().masterUser, password, engine: db().secretEngine });

  /**
   * The server has the master password `server`; the master secret's AWSCURRENT holds `current`,
   * and, when given, a version staged AWSPENDING holds `pending` (a rotation between its setSecret
   * and finishSecret steps).
   */
  async function masterState(state: { server: string; current: string; pending?: string }): Promise<void> {
    for (const p of [state.server, state.current, state.pending]) if (p !== undefined) masterPasswords.add(p);
    if (state.server !== masterOnServer) {
      await db().setMasterPassword(state.server);
      masterOnServer = state.server;
    }
    fake.create(MASTER_SECRET_ARN, masterValue(state.current));
    if (state.pending !== undefined) fake.putVersion(MASTER_SECRET_ARN, masterValue(state.pending), ['AWSPENDING']);
  }

  /** What `work` asked of the master secret, and how long it took. */
  async function masterReads<T>(work: () => Promise<T>): Promise<{ result: T; reads: string[]; ms: number }> {
    const before = fake.reads(MASTER_SECRET_ARN).length;
    const start = Date.now();
    const result = await work();
    return { result, reads: fake.reads(MASTER_SECRET_ARN).slice(before), ms: Date.now() - start };
  }

  /** A user secret in the RDS format (rotation enabled) on `port` (default: the server's); returns its ARN. */
  function userSecret(userName: string, password: string, port = db().port): string {
    const arn = userSecretArn(userName);
    fake.create(arn, {
      engine: db().secretEngine, host: db().host, port, dbname: db().database, username: userName, password, masterarn: MASTER_SECRET_ARN,
    }, { rotationEnabled: true });
    return arn;
  }

  const passwordUser = (userName: string, arn: string) => ({ UserName: userName, ConnectionLimit: '2', PasswordSecretArn: arn });

  /** A new version of `arn` staged AWSPENDING, as createSecret makes it; returns the token and the new password. */
  async function startUserRotation(arn: string): Promise<{ token: string; password: string }> {
    const token = fake.startRotation(arn);
    await handlerWith([])({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' });
    return { token, password: fake.value(arn, { versionId: token }).password };
  }

  const step = (handler: ReturnType<typeof createHandler>, arn: string, token: string, Step: RotationStep) =>
    handler({ SecretId: arn, ClientRequestToken: token, Step });

  /** The failure's message, after checking that neither it nor anything attached to the error holds a password. */
  async function failure(promise: Promise<unknown>): Promise<string> {
    const f = await failureOf(promise);
    for (const password of [...masterPasswords, ...fake.passwords]) {
      expect(f.everything).not.toContain(password);
    }
    return f.message;
  }

  beforeAll(async () => {
    fake = new FakeSecretsManager();
    events = new UserEvents({ Engine: db().engine, Host: db().host, Port: String(db().port), Database: db().database });
    masterOnServer = '';
    const password = newPassword();
    await masterState({ server: password, current: password });
  });

  afterEach(() => {
    fake.afterRead = undefined;
  });

  test('the master secret rotates (server and AWSPENDING have the new password, AWSCURRENT the old): Create logs in with the pending password at once', async () => {
    const [oldPassword, newMaster] = [newPassword(), newPassword()];
    await masterState({ server: newMaster, current: oldPassword, pending: newMaster });
    const userPassword = newPassword();
    const arn = userSecret('during_rotation', userPassword);

    const { result, reads } = await masterReads(() => handlerWith([60_000])(events.create(passwordUser('during_rotation', arn))));
    expect(result).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: 'during_rotation', Changed: 'true' } });
    // The current password is refused, the pending one logs in: no wait (the delay is a minute).
    expect(reads).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(await db().userExists('during_rotation')).toBe(true);
    expect(await db().logsIn('during_rotation', userPassword)).toBe(true);
  });

  test('the master secret rotates: setSecret of a user secret\'s rotation sets the new password with the master\'s pending password', async () => {
    const first = newPassword();
    await masterState({ server: masterOnServer, current: masterOnServer });
    const arn = userSecret('rotating', first);
    await handlerWith([])(events.create(passwordUser('rotating', arn)));
    const { token, password } = await startUserRotation(arn);

    const [oldMaster, newMaster] = [masterOnServer, newPassword()];
    await masterState({ server: newMaster, current: oldMaster, pending: newMaster });
    const handler = handlerWith([60_000]);
    const { reads } = await masterReads(() => step(handler, arn, token, 'setSecret'));
    expect(reads).toEqual(['AWSCURRENT', 'AWSPENDING']);
    await step(handler, arn, token, 'testSecret');
    await step(handler, arn, token, 'finishSecret');
    expect(fake.value(arn).password).toBe(password);
    expect(await db().logsIn('rotating', password)).toBe(true);
    expect(await db().logsIn('rotating', first)).toBe(false);
  });

  test('AWSCURRENT old on the first read and new on the second (the rotation finished meanwhile), no AWSPENDING: both callers succeed after one retry', async () => {
    const userPassword = newPassword();
    const arn = userSecret('after_retry', userPassword);
    /** The next read of AWSCURRENT finishes the master secret's rotation: AWSCURRENT moves to `next`, nothing is pending. */
    const finishRotationAfterFirstRead = (next: string) => {
      fake.afterRead = ({ secretId, stage }) => {
        if (secretId !== MASTER_SECRET_ARN || stage !== 'AWSCURRENT') return;
        fake.afterRead = undefined;
        fake.putVersion(MASTER_SECRET_ARN, masterValue(next), ['AWSCURRENT']);
      };
    };
    const handler = handlerWith([300, 60_000]);

    let newMaster = newPassword();
    await masterState({ server: newMaster, current: masterOnServer });
    finishRotationAfterFirstRead(newMaster);
    const created = await masterReads(() => handler(events.create(passwordUser('after_retry', arn))));
    expect(created.result.Data.Changed).toBe('true');
    // Refused, no pending version, the first wait, then the new current password logs in.
    expect(created.reads).toEqual(['AWSCURRENT', 'AWSPENDING', 'AWSCURRENT']);
    expect(created.ms).toBeGreaterThanOrEqual(250);
    expect(created.ms).toBeLessThan(30_000);
    expect(await db().logsIn('after_retry', userPassword)).toBe(true);

    const { token, password } = await startUserRotation(arn);
    const oldMaster = masterOnServer;
    newMaster = newPassword();
    await masterState({ server: newMaster, current: oldMaster });
    finishRotationAfterFirstRead(newMaster);
    const set = await masterReads(() => step(handler, arn, token, 'setSecret'));
    expect(set.reads).toEqual(['AWSCURRENT', 'AWSPENDING', 'AWSCURRENT']);
    expect(set.ms).toBeGreaterThanOrEqual(250);
    await step(handler, arn, token, 'testSecret');
    expect(await db().logsIn('after_retry', password)).toBe(true);
    expect(await db().logsIn('after_retry', userPassword)).toBe(false);
  });

  test('both the current and the pending password refused: fails after the configured attempts with a readable message holding no password; nothing changes', async () => {
    const userPassword = newPassword();
    const arn = userSecret('never_created', userPassword);
    const handler = handlerWith([0, 0]);
    const target = `${db().engine} database "${db().database}" at ${db().host}:${db().port}`;
    await masterState({ server: newPassword(), current: newPassword(), pending: newPassword() });

    const created = await masterReads(() => failure(handler(events.create(passwordUser('never_created', arn)))));
    expect(created.result.startsWith(`Creating database users "never_created" on ${target} failed: the master login was refused with the current `
      + `and the pending password of the master secret ${MASTER_SECRET_ARN}, after 3 attempts: `)).toBe(true);
    expect(created.result).toMatch(db().engine === 'postgresql'
      ? /after 3 attempts: password authentication failed for user "master_admin"$/
      : /after 3 attempts: Access denied for user 'master_admin'@'[^']+' \(using password: YES\)$/);
    expect(created.reads).toEqual(['AWSCURRENT', 'AWSPENDING', 'AWSCURRENT', 'AWSPENDING', 'AWSCURRENT', 'AWSPENDING']);
    expect(created.ms).toBeLessThan(10_000);
    expect(await db().userExists('never_created')).toBe(false);

    // Without a pending version the message says so.
    await masterState({ server: masterOnServer, current: newPassword() });
    const noPending = await masterReads(() => failure(handler(events.create(passwordUser('never_created', arn)))));
    expect(noPending.result).toContain(`failed: the master login was refused with the current password of the master secret ${MASTER_SECRET_ARN} `
      + '(it had no pending version), after 3 attempts: ');
    expect(noPending.reads).toEqual(['AWSCURRENT', 'AWSPENDING', 'AWSCURRENT', 'AWSPENDING', 'AWSCURRENT', 'AWSPENDING']);

    // setSecret of a user secret's rotation: the user keeps its password.
    const rotatingPassword = newPassword();
    await masterState({ server: masterOnServer, current: masterOnServer });
    const rotatingArn = userSecret('refused_rotation', rotatingPassword);
    await handler(events.create(passwordUser('refused_rotation', rotatingArn)));
    const { token } = await startUserRotation(rotatingArn);
    await masterState({ server: newPassword(), current: newPassword(), pending: newPassword() });
    const set = await masterReads(() => failure(step(handlerWith([0, 0, 0]), rotatingArn, token, 'setSecret')));
    expect(set.result.startsWith(`Rotation step setSecret of secret ${rotatingArn} failed: setting the password of "refused_rotation" on ${target} `
      + `failed: the master login was refused with the current and the pending password of the master secret ${MASTER_SECRET_ARN}, after 4 attempts: `)).toBe(true);
    expect(set.reads).toHaveLength(8);
    expect(await db().logsIn('refused_rotation', rotatingPassword)).toBe(true);
  });

  test('a network failure (closed port) or a TLS failure fails at once: one read of the master secret, no retry, no wait', async () => {
    const closedPort = await freePort();
    // Even while the master secret rotates, and with a minute to wait before a retry.
    const newMaster = newPassword();
    await masterState({ server: newMaster, current: newPassword(), pending: newMaster });
    const handler = handlerWith([60_000, 60_000]);
    const closed = new UserEvents({ Engine: db().engine, Host: db().host, Port: String(closedPort), Database: db().database });

    const created = await masterReads(() => failure(handler(closed.create({ UserName: 'unreachable', ConnectionLimit: '1' }))));
    expect(created.result).toMatch(new RegExp(`^Creating database users "unreachable" on ${db().engine} database "${db().database}" at ${db().host}:${closedPort} failed: .*ECONNREFUSED`));
    expect(created.reads).toEqual(['AWSCURRENT']);
    expect(created.ms).toBeLessThan(10_000);

    const arn = userSecret('unreachable', newPassword(), closedPort);
    const token = fake.startRotation(arn);
    fake.putVersion(arn, { ...fake.value(arn), password: newPassword() }, ['AWSPENDING'], token);
    const set = await masterReads(() => failure(step(handler, arn, token, 'setSecret')));
    expect(set.result).toMatch(new RegExp(`^Rotation step setSecret of secret ${arn} failed: setting the password of "unreachable" on .*:${closedPort} failed: .*ECONNREFUSED`));
    expect(set.reads).toEqual(['AWSCURRENT']);
    expect(set.ms).toBeLessThan(10_000);

    // The RDS certificate authorities did not sign the test server's certificate.
    const untrusted = createHandler({ ...db().deps, secretsManager: fake.client, masterLoginRetryDelaysMs: [60_000], tls: undefined });
    const tls = await masterReads(() => failure(untrusted(events.create({ UserName: 'unreachable', ConnectionLimit: '1' }))));
    expect(tls.result).toMatch(/failed: .*(certificate|self[- ]signed)/i);
    expect(tls.reads).toEqual(['AWSCURRENT']);
    expect(tls.ms).toBeLessThan(10_000);
    expect(await db().userExists('unreachable')).toBe(false);
  });
}

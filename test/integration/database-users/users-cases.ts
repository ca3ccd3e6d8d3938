import { failureOf, INJECTION_ATTEMPTS, MASTER_SECRET_ARN, masterSecretsManager, UserFields } from './user-events';
import { UsersFixture } from './users-fixture';
import { createHandler, MAX_MESSAGE_LENGTH, MAX_USER_NAMES_LENGTH } from '../../../lib/handlers/database-users';

/**
 * A real database server as the shared cases of the database users suites need it: the fixture
 * (with its sample data), the handler reading the master secret through `secrets`, and what differs
 * between the engines.
 */
export interface UsersCasesDatabase extends UsersFixture {
  readonly handler: ReturnType<typeof createHandler>;
  readonly secrets: ReturnType<typeof masterSecretsManager>;
  /** The schema holding table `orders` (PostgreSQL: schema sales; MySQL: the database users_db itself). */
  readonly schema: string;
  /** What names the schema in a privilege on one of its tables: PostgreSQL gives `Schema`; MySQL the table alone (in the database). */
  readonly tableScope: { Schema?: string };
  /** A statement counting the rows of `orders` as the number `n`, as an IAM user in users_db writes it. */
  readonly countOrders: string;
  /** How a login refused at the user's connection limit fails: `${code}: ${message}`. */
  limitRefusal(user: string, limit: number): string;
  /** What the database says of a user (PostgreSQL: its role facts; MySQL: its account); undefined when it does not exist. */
  user(name: string): Promise<unknown>;
  /** Every user of the server, to compare before and after. */
  users(): Promise<unknown[]>;
  /** Each user and every right of it, as the list cases compare them; `gone` for a user that does not exist. */
  state(...users: string[]): Promise<Record<string, unknown>>;
  readonly gone: unknown;
  /** Expects `user` to be an IAM user with connection limit `limit`. */
  expectIamUser(user: string, limit: number): Promise<void>;
  /** Expects `user` to read and write `schema`. */
  expectReadWrite(user: string): Promise<void>;
  /** Expects `user` (connection limit `limit`) to read only schema audit: nothing of `schema` any more. */
  expectReadsAuditOnly(user: string, limit: number): Promise<void>;
  /** Expects the rights of the list of three: trio_a reads `schema`, trio_b writes it, trio_c reads audit.log only. */
  expectTrioRights(): Promise<void>;
  /** `fields` with what makes applying the user fail in the database. */
  failing(fields: UserFields): UserFields;
  /** The database's reason for that failure: a regular expression. */
  readonly failureReason: string;
  /** Gives `user` an administrative right: it is no longer a consumer user, the handler refuses to drop it. */
  makeAdmin(user: string): Promise<void>;
  /** Takes that right away again. */
  unmakeAdmin(user: string): Promise<void>;
  /** Why the handler refuses to drop such a user. */
  notAConsumer(user: string): string;
  /** User entries refused on this engine (limits that try to break out, reserved names), beyond the shared injection attempts. */
  readonly invalidUsers: UserFields[];
  /** Lists of users refused as a whole before the database is reached (most of them after `fine`, a valid user), with the message. */
  invalidLists(fine: UserFields): Array<[unknown, RegExp]>;
  /** A value of `Users` that is not a list. */
  readonly notAList: unknown;
  /** Shared properties refused before the database is reached, with the message. */
  readonly invalidShared: [Record<string, unknown>, RegExp];
  /** Expects the users of the server `after` to be those `before` and `added`. */
  expectUsersAdded(before: unknown[], after: unknown[], added: string[]): void;
  /** The long list: how many users, and how many characters pad their names (to near the engine's longest name). */
  readonly longList: { users: number; padding: number };
  /** How many users' names are LIKE `pattern`. */
  countUsers(pattern: string): Promise<number>;
}

/** `text` as a literal in a regular expression. */
export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The scenarios of the database users suites that are the same on both engines but for the facts
 * `db()` gives (called once the caller's beforeAll ran). Each function registers its test(s) where
 * it is called, so that a suite keeps its order: the scenarios build on the users the earlier
 * ones made (`reporting`, read-only on `schema`, and `api`; the list of three).
 */
export function usersCases(db: () => UsersCasesDatabase) {
  const handler = ((event: any) => db().handler(event)) as UsersCasesDatabase['handler'];
  const events = () => db().events;
  const messageOf = async (promise: Promise<unknown>) => (await failureOf(promise)).message;
  const failedAt = (verb: string, user: string) => `${verb} database user "${user}" on ${db().engine} database "users_db" at 127.0.0.1:${db().port} failed: `;
  /** Expects `message` to be the failure of `user`, for the database's failure reason, then `rest`. */
  const expectFailure = (message: string, verb: string, user: string, rest: string) =>
    expect(message).toMatch(new RegExp(`^${escape(failedAt(verb, user))}${db().failureReason}${escape(rest)}$`));
  /** The users of the list cases. */
  const lists = () => {
    const schema = db().schema;
    const trioA = { UserName: 'trio_a', ConnectionLimit: '1', ReadOnlySchemas: [schema] };
    const trioB = { UserName: 'trio_b', ConnectionLimit: '2', ReadWriteSchemas: [schema] };
    const trioC = { UserName: 'trio_c', ConnectionLimit: '3', Privileges: [{ Privileges: ['SELECT'], Schema: 'audit', Table: 'log' }] };
    const trioB2 = { UserName: 'trio_b', ConnectionLimit: '5', ReadOnlySchemas: ['audit'] };
    const trioD = { UserName: 'trio_d', ConnectionLimit: '1', ReadWriteSchemas: [schema] };
    return { schema, trioA, trioB2, trio: [trioA, trioB, trioC], afterUpdate: [trioA, trioB2, trioD] };
  };

  // All users of the database in one resource (registered by allInOneResource below).
  const listOfThree = () => test('a list of three users is created in one event, each with its own limit and rights; re-running it changes nothing', async () => {
    const { trio } = lists();
    expect(await handler(events().create(trio))).toEqual({
      PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_c', Changed: 'true' },
    });
    await db().expectTrioRights();

    const before = await db().state('trio_a', 'trio_b', 'trio_c');
    expect((await handler(events().create(trio))).Data.Changed).toBe('false');
    expect((await handler(events().update(trio, trio))).Data).toEqual({ UserNames: 'trio_a,trio_b,trio_c', Changed: 'false' });
    expect(await db().state('trio_a', 'trio_b', 'trio_c')).toEqual(before);
  });

  const addChangeRemove = () => test('an update that adds one user, changes one and removes one: the removed one is dropped, the unchanged one untouched', async () => {
    const { trio, afterUpdate } = lists();
    const before = await db().state('trio_a');
    expect(await handler(events().update(afterUpdate, trio))).toEqual({
      PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_d', Changed: 'true' },
    });
    expect(await db().state('trio_a')).toEqual(before);
    await db().expectIamUser('trio_b', 5);
    await db().expectReadsAuditOnly('trio_b', 5);
    expect(await db().user('trio_c')).toBeUndefined();
    await db().expectIamUser('trio_d', 1);
    await db().expectReadWrite('trio_d');
  });

  const failedCreate = () => test('a create whose third user fails drops the first two again; a pre-existing user, listed or not, is never dropped', async () => {
    const { schema } = lists();
    await handler(events().create({ UserName: 'keeper', ConnectionLimit: '2', ReadOnlySchemas: [schema] }));
    const keeperBefore = await db().state('keeper');
    const third = db().failing({ UserName: 'new_three', ConnectionLimit: '1', ReadOnlySchemas: [schema] });
    const failing = [{ UserName: 'new_one', ConnectionLimit: '1', ReadOnlySchemas: [schema] }, { UserName: 'new_two', ConnectionLimit: '1' }, third];
    expectFailure(await messageOf(handler(events().create(failing))), 'Creating', 'new_three',
      '; dropped again the users this request had created: "new_one", "new_two"');
    const gone = db().gone;
    expect(await db().state('new_one', 'new_two', 'new_three')).toEqual({ new_one: gone, new_two: gone, new_three: gone });
    expect(await db().state('keeper')).toEqual(keeperBefore);

    // Listed and already there: applied (here without a change), and not dropped when a later user fails.
    const listed = [{ UserName: 'keeper', ConnectionLimit: '2', ReadOnlySchemas: [schema] }, { UserName: 'new_one', ConnectionLimit: '1' }, third];
    expectFailure(await messageOf(handler(events().create(listed))), 'Creating', 'new_three', '; dropped again the users this request had created: "new_one"');
    expect(await db().state('keeper', 'new_one')).toEqual({ ...keeperBefore, new_one: gone });
    // A failed create reports another physical id: its delete drops nothing.
    expect((await handler(events().delete(listed, '2026/12/01/[$LATEST]def'))).Data.Changed).toBe('false');
    expect(await db().state('keeper')).toEqual(keeperBefore);
  });

  const failedUpdate = () => test('a failed update says what it undid and kept; the rollback Update back to the old list restores the previous state', async () => {
    const { trioA, afterUpdate, schema } = lists();
    const before = await db().state('trio_a', 'trio_b', 'trio_d', 'trio_e', 'trio_f');
    const failing = [
      { ...trioA, ConnectionLimit: '4', ReadWriteSchemas: ['audit'] },
      { UserName: 'trio_e', ConnectionLimit: '1', ReadOnlySchemas: [schema] },
      db().failing({ UserName: 'trio_f', ConnectionLimit: '1' }),
    ];
    expectFailure(await messageOf(handler(events().update(failing, afterUpdate))), 'Updating', 'trio_f',
      '; dropped again the users this request had created: "trio_e"; already applied and kept: "trio_a"');
    await db().expectIamUser('trio_a', 4);
    expect(await db().user('trio_e')).toBeUndefined();
    expect(await db().user('trio_b')).toBeDefined(); // the drops come after every user applied: not reached

    // CloudFormation rolls back: an Update from the failed list back to the old one.
    expect(await handler(events().update(afterUpdate, failing))).toEqual({
      PhysicalResourceId: 'database-users', Data: { UserNames: 'trio_a,trio_b,trio_d', Changed: 'true' },
    });
    expect(await db().state('trio_a', 'trio_b', 'trio_d', 'trio_e', 'trio_f')).toEqual(before);
  });

  const failedDrop = () => test('a failure while dropping the users no longer listed drops again the users the update created; the rollback converges', async () => {
    const { trioA, trioB2, afterUpdate, schema } = lists();
    const users = ['trio_a', 'trio_b', 'trio_d', 'trio_g'];
    const before = await db().state(...users);
    await db().makeAdmin('trio_d'); // no longer a consumer user: the handler refuses to drop it
    const asAdmin = await db().state(...users);
    const failing = [trioA, trioB2, { UserName: 'trio_g', ConnectionLimit: '1', ReadOnlySchemas: [schema] }];
    expect(await messageOf(handler(events().update(failing, afterUpdate)))).toBe(
      `${failedAt('Dropping', 'trio_d')}${db().notAConsumer('trio_d')}; dropped again the users this request had created: "trio_g"`);
    expect(await db().state(...users)).toEqual(asAdmin);

    await db().unmakeAdmin('trio_d');
    expect(await db().state(...users)).toEqual(before);
    expect((await handler(events().update(afterUpdate, failing))).Data.Changed).toBe('false');
    expect(await db().state(...users)).toEqual(before);
  });

  const deleteList = () => test('delete drops every listed user (one already gone is fine); a foreign physical id, a resource of the one-user contract, or properties that never validated drop nothing', async () => {
    const { schema } = lists();
    const doomed = [{ UserName: 'doomed_a', ConnectionLimit: '1', ReadOnlySchemas: [schema] }, { UserName: 'doomed_b', ConnectionLimit: '1' }];
    await handler(events().create(doomed));
    expect((await handler(events().delete(doomed, '2026/12/01/[$LATEST]abc'))).Data).toEqual({ UserNames: '', Changed: 'false' });
    expect((await handler(events().delete(doomed, 'database-users:other_db'))).Data.Changed).toBe('false');
    const oneUserContract = {
      RequestType: 'Delete' as const, PhysicalResourceId: 'doomed_a',
      ResourceProperties: { Engine: db().engine, Host: db().host, Port: String(db().port), Database: 'users_db', MasterSecretArn: MASTER_SECRET_ARN, UserName: 'doomed_a', ConnectionLimit: '1' },
    };
    expect((await handler(oneUserContract)).Data.Changed).toBe('false');
    expect((await handler(events().delete([...doomed, { UserName: 'doomed_a', ConnectionLimit: '1' }]))).Data.Changed).toBe('false'); // listed twice: never valid
    expect([await db().user('doomed_a'), await db().user('doomed_b')]).toEqual([expect.anything(), expect.anything()]);

    expect(await handler(events().delete([...doomed, { UserName: 'never_created', ConnectionLimit: '1' }]))).toEqual({
      PhysicalResourceId: 'database-users', Data: { UserNames: 'doomed_a,doomed_b,never_created', Changed: 'true' },
    });
    expect(await db().state('doomed_a', 'doomed_b')).toEqual({ doomed_a: db().gone, doomed_b: db().gone });
    expect((await handler(events().delete(doomed))).Data.Changed).toBe('false');
  });

  const emptyList = () => test('an empty list is fine: nothing to create or delete (the database is not even reached), and an update to it drops the users', async () => {
    const reads = db().secrets.calls().length;
    expect(await handler(events().create([]))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: '', Changed: 'false' } });
    expect(await handler(events().update([], []))).toEqual({ PhysicalResourceId: 'database-users', Data: { UserNames: '', Changed: 'false' } });
    expect((await handler(events().delete([]))).Data.Changed).toBe('false');
    expect(db().secrets.calls().length).toBe(reads);

    await handler(events().create([{ UserName: 'lonely', ConnectionLimit: '1' }]));
    expect(await handler(events().update([], [{ UserName: 'lonely', ConnectionLimit: '1' }]))).toEqual({
      PhysicalResourceId: 'database-users', Data: { UserNames: '', Changed: 'true' },
    });
    expect(await db().user('lonely')).toBeUndefined();
  });

  const validation = () => test('the whole list is validated before the database is touched: a bad entry is named by index and user', async () => {
    const usersBefore = await db().users();
    const reads = db().secrets.calls().length;
    const fine = { UserName: 'fine_user', ConnectionLimit: '1' };
    for (const [users, message] of db().invalidLists(fine)) {
      await expect(handler(events().create(users as Record<string, unknown>[]))).rejects.toThrow(message);
      await expect(handler(events().update(users as Record<string, unknown>[], fine))).rejects.toThrow(message);
    }
    await expect(handler({ RequestType: 'Create', ResourceProperties: { ...events().properties([]), Users: db().notAList } })).rejects.toThrow(/^Users must be a list$/);
    const [shared, refused] = db().invalidShared;
    await expect(handler(events().create([fine], shared))).rejects.toThrow(refused);
    expect(db().secrets.calls().length).toBe(reads);
    // Names differing in case are different users.
    expect((await handler(events().create([{ UserName: 'Case_User', ConnectionLimit: '1' }, { UserName: 'case_user', ConnectionLimit: '2' }]))).Data.UserNames)
      .toBe('Case_User,case_user');
    await db().expectIamUser('Case_User', 1);
    await db().expectIamUser('case_user', 2);
    // The master, anywhere in the list, fails the request before any user is applied.
    const master = db().masterUser;
    expect(await messageOf(handler(events().create([fine, { UserName: master, ConnectionLimit: '1' }])))).toBe(`${failedAt('Creating', master)}"${master}" is the master user`);
    db().expectUsersAdded(usersBefore, await db().users(), ['Case_User', 'case_user']);
  });

  const longList = () => test('a long list: the user names returned and a failure message stay within what CloudFormation accepts', async () => {
    const { users, padding } = db().longList;
    const long = [...Array(users)].map((_, i) => ({ UserName: `long_user_${String(i).padStart(2, '0')}_${'x'.repeat(padding)}`, ConnectionLimit: '1' }));
    expect(long.map((u) => u.UserName).join(',').length).toBeGreaterThan(MAX_USER_NAMES_LENGTH);
    const created = await handler(events().create(long));
    expect(created.Data.UserNames.length).toBeLessThanOrEqual(MAX_USER_NAMES_LENGTH);
    const names = created.Data.UserNames.split(',');
    const more = names.pop()!;
    expect(names).toEqual(long.slice(0, names.length).map((u) => u.UserName));
    expect(more).toBe(`(+${long.length - names.length} more)`);

    const rolling = [...Array(30)].map((_, i) => ({ UserName: `roll_${String(i).padStart(2, '0')}_${'y'.repeat(padding)}`, ConnectionLimit: '1' }));
    const message = await messageOf(handler(events().create([...rolling, db().failing({ UserName: 'roll_fail', ConnectionLimit: '1' })])));
    expect(message.startsWith(failedAt('Creating', 'roll_fail'))).toBe(true);
    expect(message).toContain(`; dropped again the users this request had created: ${rolling.slice(0, 10).map((u) => `"${u.UserName}"`).join(', ')}, and 20 more`);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(await db().countUsers('roll\\_%')).toBe(0);
    expect((await handler(events().delete(long))).Data.Changed).toBe('true');
  });

  const deleteTriesEvery = () => test('delete tries every listed user before it fails, and names each failure', async () => {
    const stuck = [{ UserName: 'stuck_a', ConnectionLimit: '1' }, { UserName: 'free', ConnectionLimit: '1' }, { UserName: 'stuck_b', ConnectionLimit: '1' }];
    await handler(events().create(stuck));
    await db().makeAdmin('stuck_a');
    await db().makeAdmin('stuck_b');
    expect(await messageOf(handler(events().delete(stuck)))).toBe(
      `${failedAt('Dropping', 'stuck_a')}${db().notAConsumer('stuck_a')}; dropping "stuck_b" failed too: ${db().notAConsumer('stuck_b')}`);
    expect(await db().user('free')).toBeUndefined();
    await db().unmakeAdmin('stuck_a');
    await db().unmakeAdmin('stuck_b');
    expect((await handler(events().delete(stuck))).Data.Changed).toBe('true');
  });

  return {
    connectionLimit: () => test('a consumer over its connection limit is refused by the database while other users keep working', async () => {
      await handler(events().create({ UserName: 'api', ConnectionLimit: '3', ReadWriteSchemas: [db().schema] }));
      const login = (user: string) => db().session(user);
      const reporting = [await login('reporting'), await login('reporting')];
      const refused = await login('reporting').then(() => 'connected', (e) => `${e.code}: ${e.message}`);
      expect(refused).toBe(db().limitRefusal('reporting', 2));
      // Other consumers and the master are unaffected.
      const api = await Promise.all([login('api'), login('api'), login('api')]);
      for (const c of api) expect(await c.query(db().countOrders)).toEqual([{ n: 3 }]);
      const master = await db().session(db().masterUser, db().master().password);
      await master.query('select 1');
      await master.end();
      for (const c of reporting) expect(await c.query('select 1 as one')).toEqual([{ one: 1 }]);
      await Promise.all([...reporting, ...api].map((c) => c.end()));
    }),

    defaultTls: () => test('by default TLS is verified against the RDS certificate authorities: a server they did not sign is refused', async () => {
      const rdsOnly = createHandler({ ...db().deps, secretsManager: db().secrets.client, tls: undefined });
      await expect(rdsOnly(events().create({ UserName: 'tls_probe', ConnectionLimit: '1' }))).rejects.toThrow(
        new RegExp(`^Creating database users "tls_probe" on ${db().engine} database "users_db" at 127\\.0\\.0\\.1:\\d+ failed: .*certificate`));
      expect(await db().user('tls_probe')).toBeUndefined();
    }),

    injection: () => test('injection through user, schema or privilege names is rejected before any SQL runs', async () => {
      const usersBefore = await db().users();
      const attempts = [
        ...INJECTION_ATTEMPTS.userNames.map((UserName) => ({ UserName, ConnectionLimit: '1' })),
        ...INJECTION_ATTEMPTS.schemas.map((s) => ({ UserName: 'sneaky', ConnectionLimit: '1', ReadOnlySchemas: [s] })),
        ...INJECTION_ATTEMPTS.schemas.map((s) => ({ UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: ['SELECT'], ...db().tableScope, Table: s }] })),
        ...INJECTION_ATTEMPTS.privileges.map((p) => ({ UserName: 'sneaky', ConnectionLimit: '1', Privileges: [{ Privileges: [p], ...db().tableScope }] })),
        ...db().invalidUsers,
      ];
      for (const attempt of attempts) {
        await expect(handler(events().create(attempt))).rejects.toThrow(/is missing|not a valid name|is reserved|is not one of|must be a whole number/);
      }
      await expect(handler(events().create({ UserName: db().masterUser, ConnectionLimit: '1' }))).rejects.toThrow(/is the master user/);
      expect(await db().users()).toEqual(usersBefore);
    }),

    concurrent: () => test('concurrent requests on one server all succeed: changes of users are serialized', async () => {
      const names = ['worker_a', 'worker_b', 'worker_c', 'worker_d'];
      const results = await Promise.all(names.map((UserName) => handler(events().create({ UserName, ConnectionLimit: '1', ReadWriteSchemas: [db().schema] }))));
      expect(results.map((r) => r.Data.Changed)).toEqual(['true', 'true', 'true', 'true']);
      for (const name of names) await db().expectReadWrite(name);
    }),

    /**
     * All users of the database in one resource; `movedDatabase` registers the engine's own
     * scenario of a database that moved, in its place among them.
     */
    allInOneResource: (movedDatabase: () => void) => describe('all users of the database in one resource', () => {
      listOfThree();
      addChangeRemove();
      failedCreate();
      failedUpdate();
      failedDrop();
      movedDatabase();
      deleteList();
      emptyList();
      validation();
      longList();
      deleteTriesEvery();
    }),
  };
}

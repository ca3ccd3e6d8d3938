/**
 * One Lambda handler for two callers. As the custom resource handler (Provider framework
 * `onEvent`), it creates, updates and drops the least-privilege database login users of one
 * database, all held by one resource (`Users`), each with IAM authentication or a password from
 * a secret, a connection limit, and grants. As the rotation function of a password user's secret
 * (Secrets Manager), it rotates that password.
 * Bundled at package build; runs in the database's VPC and logs in with the master secret (also
 * while that secret is rotating: see master-login.ts).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidIdentifierError } from '../../private/sql-identifiers';
import { describeTarget } from './connections';
import { HandlerDependencies } from './dependencies';
import { DEFAULT_MASTER_LOGIN_RETRY_DELAYS_MS, MasterConnection, withMasterLogin } from './master-login';
import { applyMysqlUser, dropMysqlUser, mysqlUserExists, RDS_MYSQL_IAM_AUTH } from './mysql-users';
import { describeDatabaseError, UserOutcome } from './outcome';
import { readUserPassword, redact, UserAuthentication } from './passwords';
import { applyPostgresUser, dropPostgresUser, postgresUserExists } from './postgres-users';
import { rotateSecret, SecretRotationEvent } from './rotation';
import { DatabaseTls, rdsTls } from './tls';
import { parseUserList, sameDatabase, UserList, USERS_PHYSICAL_ID } from './user-list';
import { logInAsUser } from './user-login';
import { UserSpec } from './user-spec';

export type { HandlerDependencies } from './dependencies';
export type { RotationStep, SecretRotationEvent } from './rotation';
export { MAX_USERS, USERS_PHYSICAL_ID } from './user-list';

/**
 * The parts of a CloudFormation custom resource event the handler reads. `ResourceProperties`:
 * `Engine`, `Host`, `Port`, `Database`, `MasterSecretArn`, and `Users`, a list of users each
 * with `UserName`, `ConnectionLimit`, `ReadOnlySchemas`, `ReadWriteSchemas`, `Privileges` and
 * optionally `PasswordSecretArn` (every scalar a string, as CloudFormation sends them).
 */
export interface UsersResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

export interface UsersResourceResponse {
  /** `database-users`: the same whatever the users or the database (the resource is never replaced). */
  readonly PhysicalResourceId: string;
  readonly Data: {
    /**
     * The listed user names, comma-separated, in order. Cut short to
     * {@link MAX_USER_NAMES_LENGTH} characters, ending in `(+N more)`, when they are longer: a
     * response to CloudFormation holds at most 4096 bytes.
     */
    readonly UserNames: string;
    /** Whether any user was created, changed or dropped. */
    readonly Changed: 'true' | 'false';
  };
}

/**
 * The longest `UserNames` returned (user names are ASCII), and the longest failure message, in
 * bytes: with the rest of the response (ids, and the log reference the Provider framework adds to
 * a failure reason) they stay well within the 4096 bytes CloudFormation accepts.
 */
export const MAX_USER_NAMES_LENGTH = 2000;
export const MAX_MESSAGE_LENGTH = 2000;

/** Either caller's event: told apart by `RequestType` (CloudFormation) and `Step` (Secrets Manager). */
export type DatabaseUsersEvent = UsersResourceEvent | SecretRotationEvent;

export interface DatabaseUsersHandler {
  (event: UsersResourceEvent): Promise<UsersResourceResponse>;
  (event: SecretRotationEvent): Promise<void>;
  (event: DatabaseUsersEvent): Promise<UsersResourceResponse | void>;
}

export function createHandler(overrides: Partial<HandlerDependencies> = {}): DatabaseUsersHandler {
  const deps: HandlerDependencies = {
    secretsManager: overrides.secretsManager ?? new SecretsManagerClient({}),
    tls: overrides.tls ?? rdsTls,
    postgresIamRole: overrides.postgresIamRole ?? 'rds_iam',
    mysqlIamAuth: overrides.mysqlIamAuth ?? RDS_MYSQL_IAM_AUTH,
    masterLoginRetryDelaysMs: overrides.masterLoginRetryDelaysMs ?? DEFAULT_MASTER_LOGIN_RETRY_DELAYS_MS,
  };
  const handle = async (event: DatabaseUsersEvent): Promise<UsersResourceResponse | void> => {
    const fields = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
    if ('RequestType' in fields && !('Step' in fields)) {
      return onResourceEvent(deps, event as UsersResourceEvent);
    }
    if ('Step' in fields && !('RequestType' in fields)) {
      return rotateSecret(deps, event as SecretRotationEvent);
    }
    throw new Error('Unknown event: expected a CloudFormation custom resource event (RequestType) or a Secrets Manager rotation event (Step)');
  };
  return handle as DatabaseUsersHandler;
}

/**
 * Create: applies every listed user. Update: applies every listed user, then drops the users of
 * the old list that are no longer listed, when both lists are in the same database; when the
 * database moved, the old one is left alone (a new database name is a new physical id, and
 * CloudFormation then deletes the old resource, which drops its users). A failure drops again the
 * users this request created; users it changed keep their change until CloudFormation rolls back
 * with an Update to the old list. Everything is validated before the database is touched.
 */
async function onResourceEvent(deps: HandlerDependencies, event: UsersResourceEvent): Promise<UsersResourceResponse> {
  switch (event.RequestType) {
    case 'Create': {
      const list = parseUserList(event.ResourceProperties);
      return response(list, await converge(deps, 'Creating', list, []));
    }
    case 'Update': {
      const list = parseUserList(event.ResourceProperties);
      const old = validListOrNone(event.OldResourceProperties);
      const listed = new Set(list.users.map((u) => u.userName));
      const removed = old !== undefined && sameDatabase(old, list)
        ? old.users.map((u) => u.userName).filter((userName) => !listed.has(userName))
        : [];
      return response(list, await converge(deps, 'Updating', list, removed));
    }
    case 'Delete':
      return onDelete(deps, event);
    default:
      throw new Error(`Unknown RequestType ${JSON.stringify(event.RequestType)}: expected Create, Update or Delete`);
  }
}

/**
 * Drops every listed user (one already gone is fine), trying all of them before reporting a
 * failure. Nothing is dropped when the physical id is not this resource's (a failed create reports
 * another id, and it dropped what it created) or when the properties never validated (they never
 * created anything).
 */
async function onDelete(deps: HandlerDependencies, event: UsersResourceEvent): Promise<UsersResourceResponse> {
  const list = validListOrNone(event.ResourceProperties);
  if (list === undefined || event.PhysicalResourceId !== USERS_PHYSICAL_ID) {
    return { PhysicalResourceId: event.PhysicalResourceId ?? 'none', Data: { UserNames: '', Changed: 'false' } };
  }
  if (list.users.length === 0) return response(list, false);
  const job = new Job('Dropping', list);
  const changed = await job.run(deps, async (db) => {
    let dropped = false;
    const failures: Array<{ userName: string; error: unknown }> = [];
    for (const { userName } of list.users) {
      try {
        dropped = (await db.drop(userName)).changed || dropped;
      } catch (error) {
        failures.push({ userName, error });
      }
    }
    if (failures.length > 0) {
      job.at(failures[0].userName);
      job.aftermath = few(failures.slice(1).map((f) => `; dropping "${f.userName}" failed too: ${job.describe(f.error)}`), 3, (n) => `; ${n} more failed too`).join('');
      throw failures[0].error;
    }
    return dropped;
  });
  return response(list, changed);
}

/** The list, or undefined when the properties never validated (such a list never created a user). */
function validListOrNone(properties: Record<string, unknown> | undefined): UserList | undefined {
  if (properties === undefined) return undefined;
  try {
    return parseUserList(properties);
  } catch (error) {
    if (error instanceof InvalidIdentifierError) return undefined;
    throw error;
  }
}

function response(list: UserList, changed: boolean): UsersResourceResponse {
  return { PhysicalResourceId: USERS_PHYSICAL_ID, Data: { UserNames: userNames(list), Changed: changed ? 'true' : 'false' } };
}

/** `a,b,c`; when longer than MAX_USER_NAMES_LENGTH, the names that fit and `(+N more)` (never a user name). */
function userNames(list: UserList): string {
  const names = list.users.map((u) => u.userName);
  if (names.join(',').length <= MAX_USER_NAMES_LENGTH) return names.join(',');
  const shown: string[] = [];
  let length = 0;
  for (const name of names) {
    // Room is kept for ",(+500 more)".
    if (length + name.length + 1 > MAX_USER_NAMES_LENGTH - 12) break;
    shown.push(name);
    length += name.length + 1;
  }
  return [...shown, `(+${names.length - shown.length} more)`].join(',');
}

/**
 * Applies every user of `list` in order, then drops `removed`, over one master connection. On a
 * failure, drops again each user that did not exist before this request (never one that did),
 * the failing one included in case its own undoing failed, and says so in the message.
 */
async function converge(deps: HandlerDependencies, verb: 'Creating' | 'Updating', list: UserList, removed: readonly string[]): Promise<boolean> {
  if (list.users.length === 0 && removed.length === 0) return false;
  const job = new Job(verb, list);
  return job.run(deps, async (db, tls) => {
    const passwords = new Map<string, string>();
    for (const spec of list.users) {
      if (spec.passwordSecretArn === undefined) continue;
      job.at(spec.userName);
      const password = await readUserPassword(deps.secretsManager, spec.passwordSecretArn, spec.userName);
      job.secrets.push(password);
      passwords.set(spec.userName, password);
    }
    const created: string[] = [];
    const updated: string[] = [];
    const dropped: string[] = [];
    try {
      for (const spec of list.users) {
        job.at(spec.userName);
        const existed = await db.exists(spec.userName);
        if (!existed) created.push(spec.userName);
        const outcome = await db.apply(spec, await authenticationOf(spec, tls, passwords.get(spec.userName)));
        if (existed && outcome.changed) updated.push(spec.userName);
      }
      for (const userName of removed) {
        job.at(userName, 'Dropping');
        if ((await db.drop(userName)).changed) dropped.push(userName);
      }
    } catch (error) {
      job.aftermath = await rollBack(db, job, created, updated, dropped);
      throw error;
    }
    return created.length + updated.length + dropped.length > 0;
  });
}

/** Drops the users this request created (latest first); returns what happened, for the message. */
async function rollBack(db: UserDatabase, job: Job, created: readonly string[], updated: readonly string[], dropped: readonly string[]): Promise<string> {
  const droppedAgain: string[] = [];
  const failures: string[] = [];
  for (const userName of [...created].reverse()) {
    try {
      if ((await db.drop(userName)).changed) droppedAgain.unshift(userName);
    } catch (error) {
      failures.unshift(`dropping "${userName}" again failed: ${job.describe(error)}`);
    }
  }
  const notes = [
    ...(droppedAgain.length > 0 ? [`dropped again the users this request had created: ${quoted(droppedAgain)}`] : []),
    ...few(failures, 3, (n) => `${n} more failed too`),
    ...(updated.length > 0 ? [`already applied and kept: ${quoted(updated)}`] : []),
    ...(dropped.length > 0 ? [`already dropped: ${quoted(dropped)}`] : []),
  ];
  return notes.map((note) => `; ${note}`).join('');
}

/** `text` if it has at most `maxBytes` bytes (UTF-8), else its start and `… (cut short)` in that many. */
function cutShort(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const marker = '… (cut short)';
  // A character cut in two decodes as a replacement character (3 bytes): hence 3 bytes to spare.
  return `${Buffer.from(text).subarray(0, maxBytes - Buffer.byteLength(marker) - 3).toString('utf8')}${marker}`;
}

/** The first `max` items, and `more(n)` for the `n` left out. */
function few(items: readonly string[], max: number, more: (n: number) => string): string[] {
  return items.length <= max ? [...items] : [...items.slice(0, max), more(items.length - max)];
}

/** `"a", "b"`; at most ten names, then `and N more`. */
const quoted = (names: readonly string[]) => few(names.map((n) => `"${n}"`), 10, (n) => `and ${n} more`).join(', ');

/**
 * IAM without a password secret. With one: its password, and whether the user already logs in
 * with it, found out by logging in as the user (only a superuser could read the stored password,
 * and the RDS master is none). The login must have been asked for the password: a pg_hba `trust`
 * line proves nothing. Any refusal (no such user yet, another password, IAM only) means it is set.
 */
async function authenticationOf(spec: UserSpec, tls: DatabaseTls, password: string | undefined): Promise<UserAuthentication> {
  if (password === undefined) return { method: 'iam' };
  const alreadySet = await logInAsUser(spec, tls, spec.userName, password).then((login) => login.passwordAsked, () => false);
  return { method: 'password', password, alreadySet };
}

/** The users of one database, through the master's connection. */
interface UserDatabase {
  exists(userName: string): Promise<boolean>;
  apply(spec: UserSpec, auth: UserAuthentication): Promise<UserOutcome>;
  drop(userName: string): Promise<UserOutcome>;
}

function userDatabase(deps: HandlerDependencies, master: MasterConnection, database: string): UserDatabase {
  if (master.engine === 'postgresql') {
    const client = master.client;
    return {
      exists: (userName) => postgresUserExists(client, userName),
      apply: (spec, auth) => applyPostgresUser(client, spec, deps.postgresIamRole, auth),
      drop: (userName) => dropPostgresUser(client, userName, database),
    };
  }
  const connection = master.connection;
  return {
    exists: (userName) => mysqlUserExists(connection, userName),
    apply: (spec, auth) => applyMysqlUser(connection, spec, deps.mysqlIamAuth, auth),
    drop: (userName) => dropMysqlUser(connection, userName),
  };
}

/**
 * One request's work on the database, and what its failure message says: what was being done
 * (`action`, moved along with `at`), why, with every password read redacted, and what was undone
 * or kept (`aftermath`).
 */
class Job {
  /** Every password read (the master's, the users'): none appears in a message. */
  public readonly secrets: string[] = [];
  public aftermath = '';
  private action: string;

  constructor(private readonly verb: 'Creating' | 'Updating' | 'Dropping', private readonly list: UserList) {
    const names = list.users.map((u) => u.userName);
    this.action = names.length === 0 ? `${verb} database users` : `${verb} database users ${quoted(names)}`;
  }

  /** The work is now on `userName`. */
  public at(userName: string, verb: 'Creating' | 'Updating' | 'Dropping' = this.verb): void {
    this.action = `${verb} database user "${userName}"`;
  }

  /** An error's explanation without any password. */
  public describe(error: unknown): string {
    return redact(describeDatabaseError(error), this.secrets);
  }

  /**
   * Logs in as the master over TLS with the master secret (its pending password too while it
   * rotates), refusing a listed user that is the master; runs `work`, closes the connection. A
   * failure says what failed, where and why.
   */
  public async run<T>(deps: HandlerDependencies, work: (db: UserDatabase, tls: DatabaseTls) => Promise<T>): Promise<T> {
    const list = this.list;
    try {
      const tls = deps.tls(list);
      return await withMasterLogin(deps, {
        target: list, tls, masterSecretArn: list.masterSecretArn, secrets: this.secrets,
        checkUsername: (username) => this.refuseMaster(username),
      }, (master) => work(userDatabase(deps, master, list.database), tls));
    } catch (error) {
      // CloudFormation shows this message as the resource's failure reason: passwords are redacted
      // before it is cut short, so no part of one remains.
      const message = `${this.action} on ${describeTarget(list)} failed: ${this.describe(error)}${redact(this.aftermath, this.secrets)}`;
      throw new Error(cutShort(message, MAX_MESSAGE_LENGTH), { cause: error });
    }
  }

  private refuseMaster(masterUserName: string): void {
    for (const { userName } of this.list.users) {
      if (masterUserName.toLowerCase() === userName.toLowerCase()) {
        this.at(userName);
        throw new InvalidIdentifierError(`"${userName}" is the master user`);
      }
    }
  }
}

export const handler = createHandler();

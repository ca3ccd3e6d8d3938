/**
 * The master's login to the database, with the password of the master secret, while that secret
 * may be in the middle of its own rotation.
 *
 * The master secret's single-user rotation sets the new password on the database (setSecret)
 * before it moves AWSCURRENT to it (finishSecret). In between, the database already has the
 * password of the AWSPENDING version and refuses the one of AWSCURRENT. On a first deployment
 * that rotation starts as soon as its schedule exists, right when this handler runs. So when the
 * database refuses the master's password, and only then, the login tries the AWSPENDING version
 * too, then waits and reads AWSCURRENT again, a few times.
 */
import * as mysql from 'mysql2/promise';
import { Client } from 'pg';
import { connectMysql, connectPostgres, DatabaseTarget } from './connections';
import { HandlerDependencies } from './dependencies';
import { MasterCredentials, MasterSecretStage, readMasterCredentials } from './master-credentials';
import { describeDatabaseError } from './outcome';
import { DatabaseTls } from './tls';

/**
 * The waits before each new attempt when the master's password is refused, in milliseconds: six
 * attempts over a minute, ample for a rotation between its setSecret and finishSecret steps.
 */
export const DEFAULT_MASTER_LOGIN_RETRY_DELAYS_MS: readonly number[] = [2000, 4000, 8000, 16000, 30000];

/** An open connection as the master. */
export type MasterConnection =
  | { readonly engine: 'postgresql'; readonly username: string; readonly client: Client }
  | { readonly engine: 'mysql'; readonly username: string; readonly connection: mysql.Connection };

export interface MasterLoginRequest {
  /** The database to log in to. */
  readonly target: DatabaseTarget;
  readonly tls: DatabaseTls;
  readonly masterSecretArn: string;
  /** The caller's redaction list: every password read is added to it before it is used. */
  readonly secrets: string[];
  /**
   * Called with the username of each version read, before logging in with it: throws to refuse
   * that login (a user the caller works on that is the master).
   */
  readonly checkUsername?: (username: string) => void;
}

/**
 * The master's password was refused at every attempt. The message names the secret and the number
 * of attempts, and quotes the database's last refusal (which never holds a password); `cause` is
 * that refusal.
 */
export class MasterLoginRefusedError extends Error {
  constructor(
    public readonly masterSecretArn: string,
    public readonly attempts: number,
    /** Whether any attempt found a version staged AWSPENDING (with a value). */
    public readonly pendingTried: boolean,
    lastRefusal: unknown,
  ) {
    const refused = pendingTried
      ? `the current and the pending password of the master secret ${masterSecretArn}`
      : `the current password of the master secret ${masterSecretArn} (it had no pending version)`;
    const times = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    super(`the master login was refused with ${refused}, after ${times}: ${describeDatabaseError(lastRefusal)}`, { cause: lastRefusal });
    this.name = 'MasterLoginRefusedError';
  }
}

/**
 * Whether the database refused the login because of the password: PostgreSQL SQLSTATE 28P01
 * (invalid_password), or 28000 (invalid_authorization_specification) saying that password
 * authentication failed (28000 otherwise is, for one, a pg_hba line rejecting the connection);
 * MySQL/MariaDB errno 1045 (ER_ACCESS_DENIED_ERROR).
 */
export function isPasswordRefusal(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; errno?: unknown; message?: unknown };
  if (e.code === '28P01') return true;
  if (e.code === '28000') return typeof e.message === 'string' && /password authentication failed/i.test(e.message);
  return e.errno === 1045;
}

/**
 * Logs in as the master (see {@link logInAsMaster}), runs `work` with the connection, and closes it.
 */
export async function withMasterLogin<T>(
  deps: Pick<HandlerDependencies, 'secretsManager' | 'masterLoginRetryDelaysMs'>,
  request: MasterLoginRequest,
  work: (master: MasterConnection) => Promise<T>,
): Promise<T> {
  const master = await logInAsMaster(deps, request);
  try {
    return await work(master);
  } finally {
    await closeMasterConnection(master);
  }
}

/**
 * Opens a TLS connection as the master. Each attempt reads AWSCURRENT of the master secret and logs
 * in with it; when the database refuses that password, it reads the version staged AWSPENDING, if
 * there is one, and logs in with that. When both are refused, the next attempt follows after the
 * next wait of `deps.masterLoginRetryDelaysMs` (one attempt, then one per wait). Any other failure
 * (network, TLS, unknown host or database, reading the secret) fails at once. Every password read
 * goes into `request.secrets` first.
 */
export async function logInAsMaster(
  deps: Pick<HandlerDependencies, 'secretsManager' | 'masterLoginRetryDelaysMs'>,
  request: MasterLoginRequest,
): Promise<MasterConnection> {
  const delays = deps.masterLoginRetryDelaysMs;
  const attempts = delays.length + 1;
  let lastRefusal: unknown;
  let pendingTried = false;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(delays[attempt - 1]);
    const current = await read(deps, request, 'AWSCURRENT');
    const first = await tryLogin(request, current);
    if (first.connection !== undefined) return first.connection;
    lastRefusal = first.refusal;

    const pending = await read(deps, request, 'AWSPENDING').catch(notFound);
    if (pending === undefined) continue;
    pendingTried = true;
    // The same login was just refused.
    if (pending.username === current.username && pending.password === current.password) continue;
    const second = await tryLogin(request, pending);
    if (second.connection !== undefined) return second.connection;
    lastRefusal = second.refusal;
  }
  throw new MasterLoginRefusedError(request.masterSecretArn, attempts, pendingTried, lastRefusal);
}

/** Closes a master connection; a failure to close is of no consequence. */
export async function closeMasterConnection(master: MasterConnection): Promise<void> {
  if (master.engine === 'postgresql') {
    await master.client.end().catch(() => undefined);
  } else {
    await master.connection.end().catch(() => undefined);
  }
}

/** One version of the master secret, its password added to the redaction list and its username checked. */
async function read(
  deps: Pick<HandlerDependencies, 'secretsManager'>, request: MasterLoginRequest, stage: MasterSecretStage,
): Promise<MasterCredentials> {
  const credentials = await readMasterCredentials(deps.secretsManager, request.masterSecretArn, stage);
  request.secrets.push(credentials.password);
  request.checkUsername?.(credentials.username);
  return credentials;
}

/** The connection, or the database's refusal of the password; any other failure is thrown. */
async function tryLogin(
  request: MasterLoginRequest, credentials: MasterCredentials,
): Promise<{ connection: MasterConnection; refusal?: undefined } | { connection?: undefined; refusal: unknown }> {
  const { target, tls } = request;
  const { username, password } = credentials;
  try {
    if (target.engine === 'postgresql') {
      return { connection: { engine: 'postgresql', username, client: await connectPostgres(target, tls, username, password) } };
    }
    return { connection: { engine: 'mysql', username, connection: await connectMysql(target, tls, username, password) } };
  } catch (error) {
    if (isPasswordRefusal(error)) return { refusal: error };
    throw error;
  }
}

/** `undefined` for Secrets Manager's "no such version" (no rotation in progress); other errors are rethrown. */
function notFound(error: unknown): undefined {
  if ((error as { name?: string } | null)?.name === 'ResourceNotFoundException') return undefined;
  throw error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

import * as net from 'net';
import type { Duplex } from 'stream';
import { Connection, ConnectionOptions, createConnection } from 'mysql2/promise';
import { isTransientConnectionError } from './connect-errors';
import { credentialSource, CredentialSource } from './credentials';
import { describeError, logNotableEvents, RuntimeEventListener } from './events';
import { HELPER_DEFAULTS, HelperOptions } from './helper-options';
import { InvocationContext, InvocationDeadline } from './invocation-deadline';
import { withConnectRetries } from './retry';
import { isMysqlStatementError } from './session-errors';
import { ConnectionSettings, resolveConnectionSettings } from './settings';
import { letPendingSocketEventsRun, peerHasClosed } from './socket-state';
import { verifiedTls } from './tls';

export type { HelperOptions } from './helper-options';
export type { RuntimeEvent, RuntimeEventListener } from './events';
export type { InvocationContext } from './invocation-deadline';

/** mysql2 internals the helper reads: the core connection's socket. */
interface CoreConnection {
  readonly connection?: { readonly stream?: Duplex };
}

/** The error of a statement that got no answer in time; its connection is closed. */
class StatementTimeoutError extends Error {
  public readonly code = 'ETIMEDOUT';
}

/** Options of the MySQL helper. */
export interface MysqlPoolOptions extends HelperOptions {
  /**
   * More mysql2 connection settings (timezone, dateStrings, ...). Connection, credentials and TLS
   * come from the helper and cannot be set here.
   * @default none
   */
  readonly connectionOptions?: Omit<ConnectionOptions, 'host' | 'port' | 'user' | 'password' | 'database' | 'ssl' | 'authPlugins' | 'uri'>;
}

/** A mysql2 promise connection checked out of the pool; `release()` gives it back. */
export type PooledMysqlConnection = Connection & {
  /** Give the connection back; pass the error if it failed, so a broken one is closed. */
  release(error?: unknown): void;
};

interface IdleConnection {
  readonly connection: Connection;
  readonly since: number;
}

/**
 * A small pool of mysql2 connections sized to the connections the budget counted for the
 * function, each opened with a fresh IAM token (or the current secret) over verified TLS. It
 * opens connections itself, rather than through mysql2's pool, because mysql2's pool keeps one
 * password for its lifetime while tokens expire and secrets rotate. Like the PostgreSQL helper it
 * checks a connection that sat idle and replaces a dead one before the caller's statement is
 * sent, and retries opening with jittered back-off. Create it once per execution environment.
 */
export class ServerlessMysqlPool {
  /** The settings the pool connects with (no credentials). */
  public readonly settings: ConnectionSettings;
  private readonly credentials: CredentialSource;
  private readonly emitEvent: RuntimeEventListener;
  private readonly idle: IdleConnection[] = [];
  private readonly waiters: Array<() => void> = [];
  private open = 0;
  private ended = false;
  private readonly deadline: InvocationDeadline;

  constructor(private readonly options: MysqlPoolOptions = {}) {
    this.settings = resolveConnectionSettings('mysql', options);
    this.credentials = credentialSource(this.settings, options);
    this.emitEvent = options.onEvent ?? logNotableEvents;
    this.deadline = new InvocationDeadline(options.invocationReserveMs ?? HELPER_DEFAULTS.invocationReserveMs);
  }

  /**
   * Tells the pool the invocation's Lambda context, at the start of each invocation: connecting,
   * retrying and statements then never wait past the time it has left (less
   * `invocationReserveMs`). Without it, only the helper's own timeouts apply. On Lambda Managed
   * Instances, where invocations overlap, the latest call counts.
   */
  public setInvocationContext(context: InvocationContext | undefined): void {
    this.deadline.set(context);
  }

  /** Connections open now, checked out or idle. */
  public get totalCount(): number {
    return this.open;
  }

  /** Connections open and waiting to be reused. */
  public get idleCount(): number {
    return this.idle.length;
  }

  /** Runs one statement on a pooled connection (text protocol). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mysql2's own default row type; callers name theirs
  public async query<T = any>(sql: string, values?: unknown[]): Promise<T> {
    return this.singleStatement(async (connection) => (await connection.query(sql, values))[0] as T);
  }

  /** Runs one prepared statement on a pooled connection. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mysql2's own default row type; callers name theirs
  public async execute<T = any>(sql: string, values?: unknown[]): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mysql2's overloads do not accept unknown[]
    return this.singleStatement(async (connection) => (await connection.execute(sql, values as any))[0] as T);
  }

  /**
   * Runs `work` with one connection and always gives it back. If the work failed, the
   * connection is rolled back (one round trip, on the failure path only) and reused when that
   * succeeds, so it never carries an open transaction to the next caller; a connection that is
   * broken, or whose statement got no answer in time, is closed.
   */
  public async withConnection<T>(work: (connection: PooledMysqlConnection) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    let failure: unknown;
    try {
      return await work(connection);
    } catch (error) {
      failure = error;
      if (this.mayStillBeUsable(error)) {
        await connection.query('ROLLBACK').then(() => { failure = undefined; }, (rollbackError: unknown) => { failure = rollbackError; });
      }
      throw error;
    } finally {
      connection.release(failure);
    }
  }

  /**
   * Runs `work` inside a transaction; any error rolls back and is rethrown. After a clean
   * rollback the connection is reused; if the rollback fails too, it is closed.
   */
  public async transaction<T>(work: (connection: PooledMysqlConnection) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    let broken: unknown;
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch((rollbackError: unknown) => { broken = rollbackError; });
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  /**
   * One autocommit statement: the server's error answer to it (a duplicate key, a syntax error)
   * leaves no transaction behind, so the connection is kept without any extra round trip.
   */
  private async singleStatement<T>(work: (connection: PooledMysqlConnection) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    let failure: unknown;
    try {
      return await work(connection);
    } catch (error) {
      if (!isMysqlStatementError(error)) failure = error;
      throw error;
    } finally {
      connection.release(failure);
    }
  }

  /** A failure after which the connection may still answer: not a lost socket or a statement timeout. */
  private mayStillBeUsable(error: unknown): boolean {
    if (error instanceof StatementTimeoutError) return false;
    const e = (error ?? {}) as { fatal?: unknown };
    return e.fatal !== true && !isTransientConnectionError(error);
  }

  /** Checks out a connection: reused when one is idle, opened when the pool has room, else waited for. */
  public getConnection(): Promise<PooledMysqlConnection> {
    return withConnectRetries(() => this.checkout(), this.options.retry, {
      onAuthenticationError: () => {
        this.credentials.refused();
        this.emitEvent({ type: 'credentials-refused', engine: 'mysql' });
      },
      onRetry: (attempt, delayMs, error) => this.emitEvent({ type: 'retry', engine: 'mysql', attempt, delayMs, reason: describeError(error) }),
      remainingMs: () => this.deadline.remainingMs(),
    });
  }

  /** Closes every idle connection and refuses new checkouts. */
  public async end(): Promise<void> {
    this.ended = true;
    const closing = this.idle.splice(0).map(({ connection }) => {
      this.open--;
      return connection.end().catch(() => connection.destroy());
    });
    await Promise.all(closing);
  }

  private async checkout(): Promise<PooledMysqlConnection> {
    const validateAfterIdleMs = this.options.validateAfterIdleMs ?? HELPER_DEFAULTS.validateAfterIdleMs;
    for (;;) {
      if (this.ended) throw new Error('The MySQL pool was ended');
      const reusable = this.idle.pop();
      if (reusable) {
        const idleMs = Date.now() - reusable.since;
        if (idleMs > 0) await letPendingSocketEventsRun();
        if (peerHasClosed((reusable.connection as unknown as CoreConnection).connection?.stream)) {
          // The server's FIN was already read (a KILL, a restart): replace it without a round trip.
          this.discard(reusable.connection);
          this.emitEvent({ type: 'replaced-dead-connection', engine: 'mysql', reason: 'closed by the server while idle' });
          continue;
        }
        if (idleMs < validateAfterIdleMs || await this.isAlive(reusable.connection)) {
          return this.lend(reusable.connection);
        }
        this.discard(reusable.connection);
        continue;
      }
      if (this.open < this.settings.connections) {
        this.open++;
        try {
          return this.lend(await this.openConnection());
        } catch (error) {
          this.open--;
          this.wakeOne();
          throw error;
        }
      }
      await this.waitForRelease();
    }
  }

  private async isAlive(connection: Connection): Promise<boolean> {
    const timeoutMs = this.options.validateTimeoutMs ?? HELPER_DEFAULTS.validateTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        connection.ping(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs); }),
      ]);
      return true;
    } catch (error) {
      this.emitEvent({ type: 'replaced-dead-connection', engine: 'mysql', reason: describeError(error) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async openConnection(): Promise<Connection> {
    const startedAt = Date.now();
    const secret = await this.credentials.password();
    const tls = verifiedTls(this.settings.host, this.options.tls);
    const keepAliveDelay = this.options.keepAliveInitialDelayMs ?? HELPER_DEFAULTS.keepAliveInitialDelayMs;
    // mysql2 presents and checks the `host` it was given as the TLS name and ignores a servername;
    // for an IP address it checks the name "localhost". So with a servername mysql2 gets that name
    // as `host`, with an IP address the socket carries the address to check; either way the
    // socket, opened here, goes to the real address.
    const tlsName = tls ? tls.servername : undefined;
    const ownSocket = tls !== false && (tlsName !== undefined || net.isIP(this.settings.host) !== 0);
    const connection = await createConnection({
      ...this.options.connectionOptions,
      host: tlsName ?? this.settings.host,
      port: this.settings.port,
      ...(ownSocket ? { stream: () => openSocket(this.settings.host, this.settings.port, keepAliveDelay, tlsName === undefined) } : {}),
      user: this.settings.user,
      database: this.settings.database,
      password: secret,
      // mysql2 checks the host name only when asked to (verifyIdentity).
      ssl: tls ? { ...tls, verifyIdentity: true } : undefined,
      connectTimeout: this.deadline.bound(this.options.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs),
      enableKeepAlive: true,
      keepAliveInitialDelay: keepAliveDelay,
      // RDS asks IAM users for the token in clear text, which is safe only because TLS is verified.
      ...(this.settings.auth === 'iam' ? { authPlugins: { mysql_clear_password: () => () => Buffer.from(`${secret}\0`) } } : {}),
    });
    // An idle connection the server closes emits 'error' or 'end'; without an 'error' listener
    // that would crash the process.
    connection.on('error', (error: unknown) => this.forgetIdle(connection, error));
    connection.on('end', () => this.forgetIdle(connection, new Error('connection ended by the server')));
    this.emitEvent({ type: 'connected', engine: 'mysql', elapsedMs: Date.now() - startedAt });
    return connection;
  }

  private lend(connection: Connection): PooledMysqlConnection {
    let released = false;
    const timeoutMs = this.deadline.bound(this.options.queryTimeoutMs ?? HELPER_DEFAULTS.queryTimeoutMs);
    const query = connection.query;
    const execute = connection.execute;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wraps mysql2's overloaded query/execute as they are
    const watched = (method: (...args: any[]) => Promise<any>) => (...args: any[]) => this.watchStatement(connection, timeoutMs, method.apply(connection, args));
    const release = (error?: unknown): void => {
      if (released) return;
      released = true;
      for (const key of ['release', 'query', 'execute'] as const) delete (connection as Partial<PooledMysqlConnection>)[key];
      if (error !== undefined || this.ended) {
        this.discard(connection, isTransientConnectionError(error) || error instanceof StatementTimeoutError);
      } else {
        this.idle.push({ connection, since: Date.now() });
      }
      this.wakeOne();
    };
    return Object.assign(connection, { release, query: watched(query), execute: watched(execute) }) as PooledMysqlConnection;
  }

  /**
   * Fails a statement that got no answer within `timeoutMs` and destroys its connection: on a
   * connection gone silent (no FIN, no reset) nothing else would end the wait before the
   * function timeout.
   */
  private watchStatement<T>(connection: Connection, timeoutMs: number, statement: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        connection.destroy();
        reject(new StatementTimeoutError(`The statement got no answer within ${timeoutMs} ms (queryTimeoutMs, or the invocation's remaining time); its connection was closed`));
      }, timeoutMs);
    });
    return Promise.race([statement, timeout]).finally(() => clearTimeout(timer));
  }

  private discard(connection: Connection, broken = true): void {
    this.open--;
    if (broken) connection.destroy();
    else connection.end().catch(() => connection.destroy());
  }

  private forgetIdle(connection: Connection, reason: unknown): void {
    const index = this.idle.findIndex((entry) => entry.connection === connection);
    if (index >= 0) {
      this.emitEvent({ type: 'idle-connection-closed', engine: 'mysql', reason: describeError(reason) });
      this.idle.splice(index, 1);
      this.discard(connection);
      this.wakeOne();
    }
  }

  private waitForRelease(): Promise<void> {
    const timeoutMs = this.deadline.bound(this.options.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(wake), 1);
        reject(new Error(`No connection was released within ${timeoutMs} ms: all ${this.settings.connections} are checked out (the budget's connectionsPerInvocation)`));
      }, timeoutMs);
      const wake = (): void => { clearTimeout(timer); resolve(); };
      this.waiters.push(wake);
    });
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }
}

let shared: ServerlessMysqlPool | undefined;

/**
 * The execution environment's pool, created on first call: call it outside the handler, or in
 * it (later calls return the same pool; only the first call's options count).
 */
export function getMysqlPool(options?: MysqlPoolOptions): ServerlessMysqlPool {
  shared ??= new ServerlessMysqlPool(options);
  return shared;
}

/** A TCP socket to the real address, for a connection whose TLS name differs from it. */
function openSocket(host: string, port: number, keepAliveInitialDelayMs: number, checkAddress: boolean): net.Socket {
  const socket = net.connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: keepAliveInitialDelayMs });
  // tls.connect checks the certificate against the socket's `_host` when given no name.
  if (checkAddress) (socket as unknown as { _host: string })._host = host;
  return socket;
}

import { Connection, ConnectionOptions, createConnection } from 'mysql2/promise';
import { isTransientConnectionError } from './connect-errors';
import { credentialSource, CredentialSource } from './credentials';
import { describeError, logNotableEvents, RuntimeEventListener } from './events';
import { HELPER_DEFAULTS, HelperOptions } from './helper-options';
import { withConnectRetries } from './retry';
import { ConnectionSettings, resolveConnectionSettings } from './settings';
import { verifiedTls } from './tls';

export type { HelperOptions } from './helper-options';
export type { RuntimeEvent, RuntimeEventListener } from './events';

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

  constructor(private readonly options: MysqlPoolOptions = {}) {
    this.settings = resolveConnectionSettings('mysql', options);
    this.credentials = credentialSource(this.settings, options);
    this.emitEvent = options.onEvent ?? logNotableEvents;
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
    return this.withConnection(async (connection) => (await connection.query(sql, values))[0] as T);
  }

  /** Runs one prepared statement on a pooled connection. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mysql2's own default row type; callers name theirs
  public async execute<T = any>(sql: string, values?: unknown[]): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mysql2's overloads do not accept unknown[]
    return this.withConnection(async (connection) => (await connection.execute(sql, values as any))[0] as T);
  }

  /**
   * Runs `work` with one connection and always gives it back; a connection whose work failed is
   * closed rather than reused, since it may hold an open transaction or be broken.
   */
  public async withConnection<T>(work: (connection: PooledMysqlConnection) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    let failure: unknown;
    try {
      return await work(connection);
    } catch (error) {
      failure = error;
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

  /** Checks out a connection: reused when one is idle, opened when the pool has room, else waited for. */
  public getConnection(): Promise<PooledMysqlConnection> {
    return withConnectRetries(() => this.checkout(), this.options.retry, {
      onAuthenticationError: () => {
        this.credentials.refused();
        this.emitEvent({ type: 'credentials-refused', engine: 'mysql' });
      },
      onRetry: (attempt, delayMs, error) => this.emitEvent({ type: 'retry', engine: 'mysql', attempt, delayMs, reason: describeError(error) }),
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
        if (Date.now() - reusable.since < validateAfterIdleMs || await this.isAlive(reusable.connection)) {
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
    const connection = await createConnection({
      ...this.options.connectionOptions,
      host: this.settings.host,
      port: this.settings.port,
      user: this.settings.user,
      database: this.settings.database,
      password: secret,
      // mysql2 checks the host name only when asked to (verifyIdentity).
      ssl: tls ? { ...tls, verifyIdentity: true } : undefined,
      connectTimeout: this.options.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs,
      enableKeepAlive: true,
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
    const release = (error?: unknown): void => {
      if (released) return;
      released = true;
      delete (connection as Partial<PooledMysqlConnection>).release;
      if (error !== undefined || this.ended) {
        this.discard(connection, isTransientConnectionError(error));
      } else {
        this.idle.push({ connection, since: Date.now() });
      }
      this.wakeOne();
    };
    return Object.assign(connection, { release });
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
    const timeoutMs = this.options.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs;
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

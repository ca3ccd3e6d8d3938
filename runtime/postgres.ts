import { Pool, PoolClient, PoolConfig } from 'pg';
import { isTransientConnectionError } from './connect-errors';
import { credentialSource } from './credentials';
import { describeError, logNotableEvents, RuntimeEventListener } from './events';
import { HELPER_DEFAULTS, HelperOptions } from './helper-options';
import { withConnectRetries } from './retry';
import { ConnectionSettings, resolveConnectionSettings } from './settings';
import { verifiedTls } from './tls';

export type { HelperOptions } from './helper-options';
export type { RuntimeEvent, RuntimeEventListener } from './events';

/** Options of the PostgreSQL helper. */
export interface PostgresPoolOptions extends HelperOptions {
  /**
   * More node-postgres pool settings (statement_timeout, application_name, ...). Connection,
   * credentials, TLS, pool size and connect timeout come from the helper and cannot be set here.
   * @default idleTimeoutMillis 0 (never close an idle connection), allowExitOnIdle and keepAlive true
   */
  readonly poolConfig?: Omit<PoolConfig, 'host' | 'port' | 'user' | 'password' | 'database' | 'ssl' | 'max' | 'connectionString' | 'connectionTimeoutMillis'>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature of pg.Pool's connect callback
type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: any) => void) => void;

/**
 * A node-postgres `Pool` sized to the connections the budget counted for the function, opened
 * with the function's IAM token or secret over verified TLS. Use it wherever a `pg.Pool` goes
 * (plain `pg`, Drizzle, Kysely). On top of `pg.Pool` it:
 * - checks a connection that sat idle (a thawed environment) and replaces it once if it is dead,
 *   before the caller's statement is sent, so no statement is ever sent twice;
 * - retries opening a connection with jittered back-off (failover, restart, a full pooler);
 * - renews the IAM token before it expires, or re-reads a rotated secret.
 * Create it once per execution environment, outside the handler (`getPostgresPool()` does).
 */
export class ServerlessPostgresPool extends Pool {
  /** The settings the pool connects with (no credentials). */
  public readonly settings: ConnectionSettings;
  private readonly helperOptions: HelperOptions;
  private readonly releasedAt: WeakMap<PoolClient, number>;
  private readonly emitEvent: RuntimeEventListener;
  private readonly refusedCredentials: () => void;

  constructor(options: PostgresPoolOptions = {}) {
    const settings = resolveConnectionSettings('postgresql', options);
    const credentials = credentialSource(settings, options);
    super({
      // The connection lives as long as the execution environment; the proxy closes idle clients.
      idleTimeoutMillis: 0,
      allowExitOnIdle: true,
      keepAlive: true,
      ...options.poolConfig,
      host: settings.host,
      port: settings.port,
      user: settings.user,
      database: settings.database,
      password: () => credentials.password(),
      ssl: verifiedTls(settings.host, options.tls),
      max: settings.connections,
      connectionTimeoutMillis: options.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs,
    });
    this.settings = settings;
    this.helperOptions = options;
    this.releasedAt = new WeakMap();
    this.emitEvent = options.onEvent ?? logNotableEvents;
    this.refusedCredentials = () => {
      credentials.refused();
      this.emitEvent({ type: 'credentials-refused', engine: 'postgresql' });
    };
    this.on('release', (_err: Error | undefined, client: PoolClient) => this.releasedAt.set(client, Date.now()));
    // A connection that breaks while checked out (a reset during a statement) emits 'error' on the
    // client as well as failing the statement; unheard, that event would crash the environment.
    // The failed statement reports the error, and a broken client is dropped when released.
    this.on('connect', (client: PoolClient) => client.on('error', () => undefined));
    // pg.Pool drops an idle connection the server closed and re-emits the error here; without a
    // listener that error would crash the execution environment.
    this.on('error', (error: Error) => this.emitEvent({ type: 'idle-connection-closed', engine: 'postgresql', reason: describeError(error) }));
  }

  public override connect(): Promise<PoolClient>;
  public override connect(callback: ConnectCallback): void;
  public override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const checkout = this.checkout();
    if (!callback) return checkout;
    // pg.Pool#query checks out through this callback form.
    checkout.then((client) => callback(undefined, client, (release) => client.release(release)), (error) => callback(error, undefined, () => undefined));
  }

  /**
   * Runs `work` with one connection and always gives it back. A connection the callback left
   * inside a transaction, or that failed, is closed instead of reused, so the next invocation
   * never inherits an open transaction.
   */
  public async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let discard: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      if (isTransientConnectionError(error)) discard = error as Error;
      throw error;
    } finally {
      if (!discard && client.getTransactionStatus() !== 'I') discard = new Error('connection released inside a transaction');
      client.release(discard);
    }
  }

  /** Runs `work` inside BEGIN / COMMIT; any error rolls back and is rethrown. */
  public transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // If ROLLBACK fails too, withClient sees the open transaction and closes the connection.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  private checkout(): Promise<PoolClient> {
    const validateAfterIdleMs = this.helperOptions.validateAfterIdleMs ?? HELPER_DEFAULTS.validateAfterIdleMs;
    return withConnectRetries(async () => {
      // Each idle connection may be dead after a freeze; the pool holds at most `max` of them.
      for (let checked = 0; ; checked++) {
        const startedAt = Date.now();
        const client = await super.connect();
        const idleSince = this.releasedAt.get(client);
        if (idleSince === undefined) {
          this.emitEvent({ type: 'connected', engine: 'postgresql', elapsedMs: Date.now() - startedAt });
          return client;
        }
        if (Date.now() - idleSince < validateAfterIdleMs) return client;
        try {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg honours query_timeout per query; its types omit it
          await client.query({ text: 'SELECT 1', query_timeout: this.helperOptions.validateTimeoutMs ?? HELPER_DEFAULTS.validateTimeoutMs } as any);
          return client;
        } catch (error) {
          client.release(error as Error);
          this.emitEvent({ type: 'replaced-dead-connection', engine: 'postgresql', reason: describeError(error) });
          if (checked >= this.settings.connections) throw error;
        }
      }
    }, this.helperOptions.retry, {
      onAuthenticationError: this.refusedCredentials,
      onRetry: (attempt, delayMs, error) => this.emitEvent({ type: 'retry', engine: 'postgresql', attempt, delayMs, reason: describeError(error) }),
    });
  }
}

let shared: ServerlessPostgresPool | undefined;

/**
 * The execution environment's pool, created on first call: call it outside the handler, or in
 * it (later calls return the same pool; only the first call's options count).
 */
export function getPostgresPool(options?: PostgresPoolOptions): ServerlessPostgresPool {
  shared ??= new ServerlessPostgresPool(options);
  return shared;
}

import { Pool, PoolClient, PoolConfig } from 'pg';
import { isTransientConnectionError } from './connect-errors';
import { credentialSource } from './credentials';
import { describeError, logNotableEvents, RuntimeEventListener } from './events';
import { HELPER_DEFAULTS, HelperOptions } from './helper-options';
import { InvocationContext, InvocationDeadline } from './invocation-deadline';
import { withConnectRetries } from './retry';
import { isPostgresStatementError } from './session-errors';
import { ConnectionSettings, resolveConnectionSettings } from './settings';
import { letPendingSocketEventsRun, peerHasClosed } from './socket-state';
import { verifiedTls } from './tls';

export type { HelperOptions } from './helper-options';
export type { RuntimeEvent, RuntimeEventListener } from './events';
export type { InvocationContext } from './invocation-deadline';

/** Options of the PostgreSQL helper. */
export interface PostgresPoolOptions extends HelperOptions {
  /**
   * More node-postgres pool settings (statement_timeout, application_name, ...). Connection,
   * credentials, TLS, pool size, connect and query timeouts come from the helper and cannot be set here.
   * @default idleTimeoutMillis 0 (never close an idle connection), allowExitOnIdle and keepAlive true
   */
  readonly poolConfig?: Omit<PoolConfig, 'host' | 'port' | 'user' | 'password' | 'database' | 'ssl' | 'max' | 'connectionString' | 'connectionTimeoutMillis' | 'query_timeout'>;
}

/**
 * A connection idle at least this long (an invocation after a pause, when the environment may
 * have been frozen) first lets socket events already waiting run, so a FIN read in the same turn
 * as the invocation is seen. Back-to-back invocations under load skip that turn.
 */
const YIELD_AFTER_IDLE_MS = 50;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature of pg.Pool's connect callback
type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: any) => void) => void;

/** node-postgres internals the helper reads: the socket, and the per-client query timeout. */
interface ClientInternals {
  readonly connection?: import('events').EventEmitter & { readonly stream?: import('stream').Duplex };
  readonly connectionParameters?: { query_timeout?: number };
  readonly readyForQuery?: boolean;
}

/** pg.Pool internals the warm path uses to take an idle client without a turn of the event loop. */
interface PoolInternals {
  readonly ending: boolean;
  readonly _idle: Array<{ readonly client: PoolClient & { ref?: () => void }; readonly idleListener: unknown; readonly timeoutId?: NodeJS.Timeout }>;
  readonly _pendingQueue: unknown[];
  _acquireClient(client: PoolClient, waiter: { callback: (error: Error | undefined, client: PoolClient) => void }, idleListener: unknown, isNew: boolean): void;
}

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
  private readonly deadline: InvocationDeadline;

  constructor(options: PostgresPoolOptions = {}) {
    const settings = resolveConnectionSettings('postgresql', options);
    const credentials = credentialSource(settings, options);
    super({
      // The connection lives as long as the execution environment; the proxy closes idle clients.
      idleTimeoutMillis: 0,
      allowExitOnIdle: true,
      keepAlive: true,
      keepAliveInitialDelayMillis: options.keepAliveInitialDelayMs ?? HELPER_DEFAULTS.keepAliveInitialDelayMs,
      ...options.poolConfig,
      host: settings.host,
      port: settings.port,
      user: settings.user,
      database: settings.database,
      password: () => credentials.password(),
      ssl: verifiedTls(settings.host, options.tls),
      max: settings.connections,
      connectionTimeoutMillis: options.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs ?? HELPER_DEFAULTS.queryTimeoutMs,
    });
    this.settings = settings;
    this.helperOptions = options;
    this.deadline = new InvocationDeadline(options.invocationReserveMs ?? HELPER_DEFAULTS.invocationReserveMs);
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

  /**
   * Tells the pool the invocation's Lambda context, at the start of each invocation: connecting,
   * retrying and statements then never wait past the time it has left (less
   * `invocationReserveMs`). Without it, only the helper's own timeouts apply. On Lambda Managed
   * Instances, where invocations overlap, the latest call counts.
   */
  public setInvocationContext(context: InvocationContext | undefined): void {
    this.deadline.set(context);
  }

  /**
   * The warm path of `query()` (installed on the prototype below, so `query` keeps pg.Pool's
   * types): a connection released moments ago, its socket open, runs the statement at once,
   * without a checkout through the pool's queue (a turn of the event loop). Returns undefined
   * for anything else, which goes through `pg.Pool#query` and the full checkout.
   */
  private warmQuery(args: unknown[]): Promise<unknown> | undefined {
    const [config, values, callback] = args;
    if (callback !== undefined || typeof values === 'function') return undefined;
    if (typeof config !== 'string' && (typeof config !== 'object' || config === null || typeof (config as { submit?: unknown }).submit === 'function')) return undefined;
    const client = this.takeWarmIdleClient();
    if (!client) return undefined;
    return new Promise((resolve, reject) => client.query(config as string, values as unknown[], (error: Error | undefined, result: unknown) => {
      client.release(error ?? undefined);
      if (error) reject(error); else resolve(result);
    }));
  }

  public override connect(): Promise<PoolClient>;
  public override connect(callback: ConnectCallback): void;
  public override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    if (!callback) return this.checkout();
    // pg.Pool#query checks out through this callback form. The warm path (a connection released
    // moments ago, its socket open) stays in callbacks, with no promise or extra turn in between;
    // anything else takes the full checkout with the client already in hand.
    const done = (client: PoolClient) => callback(undefined, client, (release) => client.release(release));
    // With an idle connection and nobody waiting, pg.Pool hands that one out on the next tick: no
    // wait to bound, so no timer to arm (pg.Pool arms one per checkout when a timeout is set).
    const servedFromIdle = this.idleCount > 0 && this.waitingCount === 0;
    (this.options as PoolConfig).connectionTimeoutMillis = servedFromIdle ? 0 : this.deadline.bound(this.helperOptions.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs);
    super.connect((error, client) => {
      if (!error && client && this.isWarm(client)) {
        this.prepareForCaller(client);
        done(client);
        return;
      }
      this.checkout(error ? undefined : client, error).then(done, (failure) => callback(failure, undefined, () => undefined));
    });
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

  /** The most recently released idle client if it is warm and nobody waits, acquired as pg.Pool does. */
  private takeWarmIdleClient(): PoolClient | undefined {
    const pool = this as unknown as PoolInternals;
    if (pool.ending || !Array.isArray(pool._idle) || pool._idle.length === 0 || pool._pendingQueue.length > 0) return undefined;
    const item = pool._idle[pool._idle.length - 1];
    if (typeof pool._acquireClient !== 'function' || !this.isWarm(item.client)) return undefined;
    pool._idle.pop();
    clearTimeout(item.timeoutId);
    item.client.ref?.();
    let acquired: PoolClient | undefined;
    pool._acquireClient(item.client, { callback: (_error, client) => { acquired = client; } }, item.idleListener, false);
    if (acquired) this.prepareForCaller(acquired);
    return acquired;
  }

  /** Reused, released less than YIELD_AFTER_IDLE_MS ago, its socket open: hand it out as it is. */
  private isWarm(client: PoolClient): boolean {
    const idleSince = this.releasedAt.get(client);
    if (idleSince === undefined) return false;
    const idleMs = Date.now() - idleSince;
    return idleMs < YIELD_AFTER_IDLE_MS && idleMs < (this.helperOptions.validateAfterIdleMs ?? HELPER_DEFAULTS.validateAfterIdleMs)
      && !peerHasClosed((client as unknown as ClientInternals).connection?.stream);
  }

  /** The statement timeout for this checkout, and the release that keeps a connection after a statement error. */
  private prepareForCaller(client: PoolClient): void {
    (client as unknown as ClientInternals).connectionParameters!.query_timeout = this.deadline.bound(this.helperOptions.queryTimeoutMs ?? HELPER_DEFAULTS.queryTimeoutMs);
    this.keepAfterStatementErrors(client);
  }

  /**
   * The full checkout: retries, the check of a connection idle past validateAfterIdleMs, the
   * replacement of one the server closed. `inHand` is a client pg.Pool already gave out, or
   * `firstError` the error of that first attempt.
   */
  private checkout(inHand?: PoolClient, firstError?: Error): Promise<PoolClient> {
    const validateAfterIdleMs = this.helperOptions.validateAfterIdleMs ?? HELPER_DEFAULTS.validateAfterIdleMs;
    const connectTimeoutMs = this.helperOptions.connectTimeoutMs ?? HELPER_DEFAULTS.connectTimeoutMs;
    let given: PoolClient | undefined = inHand;
    let givenError: Error | undefined = firstError;
    return withConnectRetries(async () => {
      // Each idle connection may be dead after a freeze; the pool holds at most `max` of them.
      for (let checked = 0; ; checked++) {
        const startedAt = Date.now();
        if (givenError) {
          const error = givenError;
          givenError = undefined;
          throw error;
        }
        // pg.Pool reads its connect timeout at each connect: cut it to the invocation's time.
        (this.options as PoolConfig).connectionTimeoutMillis = this.deadline.bound(connectTimeoutMs);
        const client = given ?? await super.connect();
        given = undefined;
        this.prepareForCaller(client);
        const idleSince = this.releasedAt.get(client);
        if (idleSince === undefined) {
          this.emitEvent({ type: 'connected', engine: 'postgresql', elapsedMs: Date.now() - startedAt });
          return client;
        }
        const idleMs = Date.now() - idleSince;
        if (idleMs >= YIELD_AFTER_IDLE_MS) await letPendingSocketEventsRun();
        if (peerHasClosed((client as unknown as ClientInternals).connection?.stream)) {
          // The server's FIN was already read: replace it without a round trip.
          client.release(new Error('the server closed the connection while it was idle'));
          this.emitEvent({ type: 'replaced-dead-connection', engine: 'postgresql', reason: 'closed by the server while idle' });
          continue;
        }
        if (idleMs < validateAfterIdleMs) return client;
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
      remainingMs: () => this.deadline.remainingMs(),
    });
  }

  /**
   * pg.Pool closes a connection released with any error, `pool.query` releases with the
   * statement's error, and so a constraint violation would cost a handshake and a token use.
   * The server's answer to a statement leaves the session usable when no transaction is open
   * (the connection says so in every ReadyForQuery, no round trip), so those keep the
   * connection. A statement that got no answer in time closes its socket at once: a graceful
   * close would wait on the same silent connection.
   */
  private keepAfterStatementErrors(client: PoolClient): void {
    const poolRelease = client.release;
    const internals = client as unknown as ClientInternals;
    client.release = (error?: Error | boolean) => {
      if (error instanceof Error && isPostgresStatementError(error)) {
        // The error arrives before the server's ReadyForQuery, which carries the session's state.
        const decide = (): void => poolRelease.call(client, client.getTransactionStatus() === 'I' ? undefined : error);
        if (internals.readyForQuery) return decide();
        const connection = internals.connection!;
        const settle = (lost?: Error): void => {
          connection.removeListener('readyForQuery', onReady).removeListener('end', onLost);
          if (lost) poolRelease.call(client, lost); else decide();
        };
        const onReady = (): void => settle();
        const onLost = (): void => settle(error);
        connection.once('readyForQuery', onReady).once('end', onLost);
        return;
      }
      if (error instanceof Error && error.message === 'Query read timeout') internals.connection?.stream?.destroy();
      return poolRelease.call(client, error);
    };
  }
}

const poolQuery = Pool.prototype.query as (...args: unknown[]) => unknown;
ServerlessPostgresPool.prototype.query = function query(this: ServerlessPostgresPool, ...args: unknown[]) {
  return this['warmQuery'](args) ?? poolQuery.apply(this, args);
} as Pool['query'];

let shared: ServerlessPostgresPool | undefined;

/**
 * The execution environment's pool, created on first call: call it outside the handler, or in
 * it (later calls return the same pool; only the first call's options count).
 */
export function getPostgresPool(options?: PostgresPoolOptions): ServerlessPostgresPool {
  shared ??= new ServerlessPostgresPool(options);
  return shared;
}

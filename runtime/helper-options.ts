import { CredentialOverrides } from './credentials';
import { RuntimeEventListener } from './events';
import { RetryOptions } from './retry';
import { ConnectionSettingsOptions } from './settings';
import { TlsOptions } from './tls';

/**
 * Options both the PostgreSQL and the MySQL helper take. Every one has a default.
 *
 * How the waits fit together: every wait below is also cut to the time the invocation has left
 * (less `invocationReserveMs`) once the handler passes its Lambda context to
 * `setInvocationContext(context)`, so the helper's error, not the function timeout, ends an
 * invocation whose database does not answer.
 */
export interface HelperOptions extends ConnectionSettingsOptions, CredentialOverrides {
  /** @default TLS on, verified against Node's roots (see TlsOptions) */
  readonly tls?: TlsOptions;
  /**
   * Retries of opening a connection. Never sleeps or starts an attempt past the invocation's time.
   * @default 5 attempts, full jitter, 250 ms doubling to a 2 s cap (the 4th back-off may reach it)
   */
  readonly retry?: RetryOptions;
  /**
   * A reused connection that sat idle at least this long is checked with one round trip before it
   * is handed out, and replaced if the server or proxy closed it meanwhile (a thawed execution
   * environment). Shorter gaps, the warm path under load, skip the check; a connection whose
   * FIN or reset was already read is replaced whatever the gap, without a round trip.
   * @default 1000
   */
  readonly validateAfterIdleMs?: number;
  /** How long that check may take before the connection counts as dead. @default 2000 */
  readonly validateTimeoutMs?: number;
  /**
   * How long opening one connection (TCP, TLS, login) may take. It matches the proxy's default
   * `ConnectionBorrowTimeout` (30 s, `proxy.borrowTimeout`): a saturated proxy makes clients wait
   * up to that long for a database connection, and a client that gives up sooner only comes back
   * with another attempt, adding load when the proxy has the least room. Set it to your proxy's
   * borrow timeout if you changed that.
   * @default 30000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long one statement may go without an answer before the helper gives up on it and closes
   * its connection: a connection that went silent (no FIN, no reset: a failover, a lost NAT
   * entry) otherwise hangs the invocation until the function timeout. Keep it above your slowest
   * statement and below the function timeout; a statement still running on the server after it
   * is ended there when the connection closes.
   * @default 10000
   */
  readonly queryTimeoutMs?: number;
  /**
   * TCP keepalive starts after this much silence, so a connection that waits on a long statement
   * is not forgotten by a NAT gateway or load balancer (350 s idle timeout), and a long-running
   * environment (Lambda Managed Instances) learns of a dead peer from the kernel.
   * @default 10000
   */
  readonly keepAliveInitialDelayMs?: number;
  /**
   * Time kept back from the invocation's remaining time for the handler to report the failure.
   * @default 250
   */
  readonly invocationReserveMs?: number;
  /** Receives connect, retry and replacement events. @default retries and replacements are logged with console.warn */
  readonly onEvent?: RuntimeEventListener;
}

/** The timing defaults, in one place. */
export const HELPER_DEFAULTS = {
  validateAfterIdleMs: 1000,
  validateTimeoutMs: 2000,
  connectTimeoutMs: 30_000,
  queryTimeoutMs: 10_000,
  keepAliveInitialDelayMs: 10_000,
  invocationReserveMs: 250,
} as const;

import { CredentialOverrides } from './credentials';
import { RuntimeEventListener } from './events';
import { RetryOptions } from './retry';
import { ConnectionSettingsOptions } from './settings';
import { TlsOptions } from './tls';

/** Options both the PostgreSQL and the MySQL helper take. Every one has a default. */
export interface HelperOptions extends ConnectionSettingsOptions, CredentialOverrides {
  /** @default TLS on, verified against Node's roots (see TlsOptions) */
  readonly tls?: TlsOptions;
  /** Retries of opening a connection. @default 5 attempts, full jitter, 100 ms doubling to 2 s */
  readonly retry?: RetryOptions;
  /**
   * A reused connection that sat idle at least this long is checked with one round trip before it
   * is handed out, and replaced if the server or proxy closed it meanwhile (a thawed execution
   * environment). Shorter gaps, the warm path under load, skip the check.
   * @default 1000
   */
  readonly validateAfterIdleMs?: number;
  /** How long that check may take before the connection counts as dead. @default 2000 */
  readonly validateTimeoutMs?: number;
  /** How long opening one connection may take. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Receives connect, retry and replacement events. @default retries and replacements are logged with console.warn */
  readonly onEvent?: RuntimeEventListener;
}

/** The timing defaults, in one place. */
export const HELPER_DEFAULTS = {
  validateAfterIdleMs: 1000,
  validateTimeoutMs: 2000,
  connectTimeoutMs: 5000,
} as const;

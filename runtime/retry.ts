import { isAuthenticationError, isTransientConnectionError } from './connect-errors';

/** Bounded retries for opening a connection. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly attempts?: number;
  /** Upper bound of the first back-off; it doubles each attempt. @default 100 */
  readonly baseDelayMs?: number;
  /** Upper bound of any one back-off. @default 2000 */
  readonly maxDelayMs?: number;
}

/** What the retry loop reports, for logging and tests. */
export interface RetryHooks {
  /** Called before sleeping `delayMs` after a failed attempt. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** The server refused the credentials: drop cached ones before the next attempt. */
  readonly onAuthenticationError?: () => void;
  /** Randomness, for tests. @default Math.random */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `open` until it succeeds, retrying transient connection errors with "full jitter" back-off
 * (a random delay up to an exponentially growing cap), so environments thawed together by a
 * failover do not reconnect in lockstep. A refused credential is retried once, after the hook
 * dropped the cached token or secret. Anything else fails at once.
 */
export async function withConnectRetries<T>(open: () => Promise<T>, options: RetryOptions = {}, hooks: RetryHooks = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 2000;
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`retry attempts must be a whole number of at least 1, got ${attempts}`);
  const random = hooks.random ?? Math.random;
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let refreshedCredentials = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      const authentication = isAuthenticationError(error) && !refreshedCredentials;
      if (attempt >= attempts || !(authentication || isTransientConnectionError(error))) throw error;
      if (authentication) {
        refreshedCredentials = true;
        hooks.onAuthenticationError?.();
      }
      const delayMs = authentication ? 0 : Math.round(random() * Math.min(cap, base * 2 ** (attempt - 1)));
      hooks.onRetry?.(attempt, delayMs, error);
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}

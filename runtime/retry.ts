import { isAuthenticationError, isTransientConnectionError } from './connect-errors';

/** Bounded retries for opening a connection. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly attempts?: number;
  /** Upper bound of the first back-off; it doubles each attempt. @default 250 */
  readonly baseDelayMs?: number;
  /** Upper bound of any one back-off. @default 2000 */
  readonly maxDelayMs?: number;
}

/** The retry defaults: the 4th back-off's bound (250 ms x 2^3) reaches the cap. */
export const RETRY_DEFAULTS = { attempts: 5, baseDelayMs: 250, maxDelayMs: 2000 } as const;

/** What the retry loop reports, for logging and tests. */
export interface RetryHooks {
  /** Called before sleeping `delayMs` after a failed attempt. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** The server refused the credentials: drop cached ones before the next attempt. */
  readonly onAuthenticationError?: () => void;
  /** Time the invocation has left, or undefined when unknown: no back-off or attempt goes past it. */
  readonly remainingMs?: () => number | undefined;
  /** Randomness, for tests. @default Math.random */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The upper bound of the back-off after failed attempt `attempt` (1-based). */
export function backoffBound(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const cap = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  return Math.min(cap, base * 2 ** (attempt - 1));
}

/**
 * Runs `open` until it succeeds, retrying transient connection errors with "full jitter" back-off
 * (a random delay up to an exponentially growing cap), so environments thawed together by a
 * failover do not reconnect in lockstep. A refused credential is retried once, after the hook
 * dropped the cached token or secret. Anything else fails at once, and so does a retry whose
 * back-off would end after the invocation's time.
 */
export async function withConnectRetries<T>(open: () => Promise<T>, options: RetryOptions = {}, hooks: RetryHooks = {}): Promise<T> {
  const attempts = options.attempts ?? RETRY_DEFAULTS.attempts;
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
      const delayMs = authentication ? 0 : Math.round(random() * backoffBound(attempt, options));
      const remaining = hooks.remainingMs?.();
      // An attempt needs time after the back-off; with none left, the caller gets the real error now.
      if (remaining !== undefined && delayMs >= remaining) throw error;
      if (authentication) {
        refreshedCredentials = true;
        hooks.onAuthenticationError?.();
      }
      hooks.onRetry?.(attempt, delayMs, error);
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}

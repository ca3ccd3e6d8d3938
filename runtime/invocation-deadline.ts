/** The part of the Lambda context the helper reads. */
export interface InvocationContext {
  /** Milliseconds left before Lambda stops the invocation (the function's timeout). */
  getRemainingTimeInMillis(): number;
}

/**
 * When the current invocation ends, as told by its Lambda context. Every wait of the helper
 * (opening a connection, a retry's back-off, a statement) ends `reserveMs` before it, so the
 * invocation fails with the helper's error, and a broken connection is closed, instead of being
 * cut off by the function timeout.
 */
export class InvocationDeadline {
  private endsAt?: number;

  constructor(private readonly reserveMs: number, private readonly now: () => number = Date.now) {
    if (!(reserveMs >= 0)) throw new Error(`invocationReserveMs must be 0 or more, got ${reserveMs}`);
  }

  /** Starts an invocation; without a context the helper's own limits apply alone. */
  public set(context: InvocationContext | undefined): void {
    this.endsAt = context ? this.now() + context.getRemainingTimeInMillis() - this.reserveMs : undefined;
  }

  /** Time left for the helper's waits, or undefined when no invocation context was given. */
  public remainingMs(): number | undefined {
    return this.endsAt === undefined ? undefined : Math.max(0, this.endsAt - this.now());
  }

  /** `limitMs`, shortened to the time the invocation has left. At least 1 ms. */
  public bound(limitMs: number): number {
    const remaining = this.remainingMs();
    return Math.max(1, remaining === undefined ? limitMs : Math.min(limitMs, remaining));
  }
}

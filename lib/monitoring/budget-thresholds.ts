/**
 * Alarm thresholds derived from a connection budget. Pure arithmetic, so each one is documented
 * and tested where it is computed.
 */

/** What the thresholds need of a budget plan (a `BudgetPlan` satisfies it as it is). */
export interface ThresholdPlan {
  readonly maxConnections: number;
  readonly capacity: number;
  readonly directConnections: number;
  readonly proxyConnectionLimit: number;
  readonly proxyConnectionsAllocated: number;
  /** The proxy pool less its headroom, when the plan keeps one. */
  readonly proxyAllocatable?: number;
  readonly allocations: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly reservedConcurrency?: number }>;
}

/** How the thresholds are tuned. */
export interface ThresholdOptions {
  /** Percent of a function's cap at which its concurrency alarm fires. */
  readonly concurrencyPercent: number;
  /** Percent of the proxy's allocatable connections at which the pinned-sessions alarm fires. */
  readonly pinnedSessionsPercent: number;
}

/** The thresholds of one wired function. */
export interface FunctionThresholds {
  /** Its allocation name in the budget. */
  readonly name: string;
  /** Its reserved concurrency: the most executions Lambda runs at once. */
  readonly cap: number;
  /** Concurrent executions at which the alarm fires: `ceil(cap x concurrencyPercent / 100)`, at least 1. */
  readonly concurrency: number;
}

/** Every threshold of a budget. */
export interface BudgetThresholds {
  /**
   * Database connections, in percent of `max_connections`, above which connections outside the
   * budget are eating the engine's and administrators' slots: `capacity / max_connections`,
   * rounded up to 0.01 so that exactly `capacity` connections do not alarm.
   */
  readonly databaseConnectionsPercent: number;
  /** Client connections to the proxy above which clients the budget does not know connect: the connections allocated through it. */
  readonly proxyClientConnections: number;
  /** What the proxy may give consumers: the pool less its headroom (or the pool, bounded by the capacity). */
  readonly proxyAllocatable: number;
  /** Pinned sessions at which borrowers start to wait: `ceil(proxyAllocatable x pinnedSessionsPercent / 100)`. */
  readonly pinnedSessions: number;
  /** One entry per function that has a cap. */
  readonly functions: FunctionThresholds[];
}

/** Computes the thresholds of `plan`. */
export function budgetThresholds(plan: ThresholdPlan, options: ThresholdOptions): BudgetThresholds {
  const proxyAllocatable = plan.proxyAllocatable ?? Math.min(plan.proxyConnectionLimit, plan.capacity - plan.directConnections);
  const functions = plan.allocations
    .filter(a => a.kind !== 'RESERVATION' && a.reservedConcurrency !== undefined && a.reservedConcurrency > 0)
    .map(a => ({
      name: a.name,
      cap: a.reservedConcurrency!,
      concurrency: Math.max(1, Math.ceil((a.reservedConcurrency! * options.concurrencyPercent) / 100)),
    }));
  return {
    databaseConnectionsPercent: Math.ceil((10000 * plan.capacity) / plan.maxConnections) / 100,
    proxyClientConnections: plan.proxyConnectionsAllocated,
    proxyAllocatable,
    pinnedSessions: Math.max(1, Math.ceil((proxyAllocatable * options.pinnedSessionsPercent) / 100)),
    functions,
  };
}

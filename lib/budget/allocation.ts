/**
 * How a consumer reaches the database.
 */
export enum ConnectionPath {
  /** Through the RDS Proxy: counted against the proxy's share of the database. */
  PROXY = 'PROXY',
  /** Straight to the instance (migrations, admin tools): taken out before the proxy's share. */
  DIRECT = 'DIRECT',
}

/**
 * What kind of consumer an allocation belongs to.
 */
export enum AllocationKind {
  /** A Lambda function: reserved concurrency x connections per invocation. */
  FUNCTION = 'FUNCTION',
  /** Any other consumer, declared with `ConnectionBudget.reserve()`. */
  RESERVATION = 'RESERVATION',
}

/**
 * Options for `ConnectionBudget.reserve()`.
 */
export interface ReserveOptions {
  /**
   * How the consumer connects.
   *
   * @default ConnectionPath.DIRECT
   */
  readonly path?: ConnectionPath;
}

/**
 * A Lambda function's claim on the budget.
 */
export interface FunctionAllocationOptions {
  /**
   * The function's reserved concurrency, which is also its cap.
   *
   * @default - an equal share of the connections (and account concurrency) that explicit
   * allocations leave
   */
  readonly reservedConcurrency?: number;

  /**
   * Database connections one execution environment holds at most.
   *
   * @default 1
   */
  readonly connectionsPerInvocation?: number;
}

/**
 * One line of the budget: a consumer and the connections it may hold.
 */
export interface BudgetAllocation {
  /** The consumer's name (a function's construct path, or the name given to `reserve()`). */
  readonly name: string;
  /** Function or other consumer. */
  readonly kind: AllocationKind;
  /** Through the proxy or straight to the instance. */
  readonly path: ConnectionPath;
  /** Connections the consumer may hold at once. */
  readonly connections: number;
  /**
   * The function's reserved concurrency.
   * @default - not a function
   */
  readonly reservedConcurrency?: number;
  /**
   * Connections per execution environment.
   * @default - not a function
   */
  readonly connectionsPerInvocation?: number;
  /** True when the concurrency was not given but computed as a share of what was left. */
  readonly computedShare: boolean;
}

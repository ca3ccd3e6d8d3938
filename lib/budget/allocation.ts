import * as lambda from 'aws-cdk-lib/aws-lambda';

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
  /**
   * A Lambda function fed by an SQS queue: its event source's maximum concurrency (2..1000) is
   * its cap, and its reserved concurrency is the same number.
   */
  QUEUE_CONSUMER = 'QUEUE_CONSUMER',
  /**
   * A function on Lambda Managed Instances: one execution environment serves many requests at
   * once, so it counts `maximum environments x connections per environment`.
   */
  MANAGED_INSTANCES = 'MANAGED_INSTANCES',
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

  /**
   * Lambda functions that are this consumer (a migrations function, a report job). The check of
   * the synthesized templates counts them here instead of failing on a database client outside
   * the budget, and fails when their reserved concurrency x connections per invocation exceeds
   * `connections`.
   *
   * @default - the reservation stands for a consumer that is not a Lambda function of this app
   */
  readonly consumers?: lambda.IFunction[];
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
 * A queue consumer's claim on the budget.
 */
export interface QueueConsumerAllocationOptions {
  /**
   * The event source mapping's maximum concurrency (2..1000), also written as the function's
   * reserved concurrency.
   *
   * @default - an equal share of what explicit allocations leave, like a function's
   */
  readonly maxConcurrency?: number;

  /**
   * Database connections one execution environment holds at most.
   *
   * @default 1
   */
  readonly connectionsPerInvocation?: number;
}

/**
 * The claim of a function on Lambda Managed Instances.
 */
export interface ManagedInstancesAllocationOptions {
  /** The most execution environments the function runs at once (its `MaxExecutionEnvironments`). */
  readonly maxEnvironments: number;

  /**
   * Database connections one execution environment holds at most. Requests running at once in
   * an environment share its pool.
   */
  readonly connectionsPerEnvironment: number;
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
  /**
   * Execution environments the consumer runs at most: reserved concurrency, the event source's
   * maximum concurrency, or a managed-instances function's maximum environments.
   * @default - not a function
   */
  readonly environments?: number;
  /**
   * The event source mapping's maximum concurrency of a queue consumer.
   * @default - not a queue consumer
   */
  readonly maximumConcurrency?: number;
}

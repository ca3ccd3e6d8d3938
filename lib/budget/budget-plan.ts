import { BudgetAllocation } from './allocation';

/**
 * The whole budget of one database, as computed at synth time.
 */
export interface BudgetPlan {
  /** Engine name. */
  readonly engine: string;
  /**
   * What consumers connect through ('RDS Proxy', 'PgBouncer' or 'no pooler').
   * @default 'RDS Proxy'
   */
  readonly pooler?: string;
  /** The database's `max_connections`. */
  readonly maxConnections: number;
  /** Where `maxConnections` came from (an instance class formula or the explicit prop). */
  readonly maxConnectionsSource: string;
  /** Slots the engine keeps for superusers and RDS itself. */
  readonly reservedConnections: number;
  /** Slots left free for administrators, rotation and the proxy's own health checks. */
  readonly adminHeadroom: number;
  /** `maxConnections - reservedConnections - adminHeadroom`: what consumers may share. */
  readonly capacity: number;
  /** Connections of consumers that bypass the proxy. */
  readonly directConnections: number;
  /** The proxy's `MaxConnectionsPercent`. */
  readonly proxyMaxConnectionsPercent: number;
  /** Connections the proxy may open: `floor(maxConnections x percent / 100)`. */
  readonly proxyConnectionLimit: number;
  /**
   * Percent of the proxy pool kept free (AWS advises at least 30% above the peak the proxy needs:
   * it spreads its quota over its nodes and keeps monitoring connections).
   */
  readonly proxyHeadroomPercent: number;
  /** Connections of the proxy pool kept free: `proxy pool - proxyAllocatable`. */
  readonly proxyHeadroom: number;
  /** Connections consumers may be given through the proxy: the pool less its headroom. */
  readonly proxyAllocatable: number;
  /** Connections allocated to consumers that go through the proxy. */
  readonly proxyConnectionsAllocated: number;
  /** Sum of the reserved concurrency of the budget's functions. */
  readonly reservedConcurrency: number;
  /**
   * Concurrency the account lets functions reserve (its limit less the unreserved minimum).
   * @default - not known
   */
  readonly reservableConcurrency?: number;
  /**
   * Reserved concurrency taken in the same account and region by functions outside this budget.
   * @default 0
   */
  readonly reservedConcurrencyElsewhere?: number;
  /** Every consumer and its connections. */
  readonly allocations: BudgetAllocation[];
  /** What is wrong with the budget; empty when it fits. */
  readonly problems: string[];
}

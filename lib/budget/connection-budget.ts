import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  AllocationKind,
  BudgetAllocation,
  ConnectionPath,
  FunctionAllocationOptions,
  ManagedInstancesAllocationOptions,
  QueueConsumerAllocationOptions,
  ReserveOptions,
} from './allocation';
import { renderBudgetTable } from './budget-table';
import { BudgetPlan } from './budget-plan';
import { engineFacts } from './engine-facts';
import { DatabaseEngineFamily } from './engine-family';
import { PoolerKind } from './pooler-kind';
import { poolerLabel } from './pooler-label';
import { requireWholeNumber, requireWholeNumberBetween } from '../private/validate';

/** Lambda keeps this much of an account's concurrency unreserved (Lambda quotas). */
const DEFAULT_UNRESERVED_MINIMUM = 100;
/** The default regional "Concurrent executions" quota of an established account. */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
/** AWS: keep MaxConnectionsPercent at least 30% above the peak the proxy needs. */
const DEFAULT_PROXY_HEADROOM_PERCENT = 30;
/** Functions without their own cap take at most half of what the account can still reserve. */
const DEFAULT_SHARED_CONCURRENCY_PERCENT = 50;
/** The event source mapping's `ScalingConfig.MaximumConcurrency` range. */
const QUEUE_MIN_CONCURRENCY = 2;
const QUEUE_MAX_CONCURRENCY = 1000;

/**
 * Properties of a `ConnectionBudget`.
 */
export interface ConnectionBudgetProps {
  /** The database engine. */
  readonly engine: DatabaseEngineFamily;

  /** The database's `max_connections`. */
  readonly maxConnections: number;

  /**
   * Where `maxConnections` came from, shown in the budget table.
   *
   * @default 'maxConnections'
   */
  readonly maxConnectionsSource?: string;

  /**
   * Slots the engine keeps for superusers and RDS's own sessions.
   *
   * @default - 9 for PostgreSQL, 3 for MySQL
   */
  readonly reservedConnections?: number;

  /**
   * Slots left free for administrators, secret rotation and the proxy's own health checks.
   *
   * @default - 5% of `maxConnections`, at least 5
   */
  readonly adminHeadroom?: number;

  /**
   * Overrides the proxy's `MaxConnectionsPercent`. It may not let the proxy open more
   * connections than the capacity minus direct consumers.
   *
   * @default - the largest percent whose connections fit in the capacity minus direct consumers
   */
  readonly proxyMaxConnectionsPercent?: number;

  /**
   * Percent of the proxy's pool that is never allocated to consumers. AWS advises setting
   * `MaxConnectionsPercent` at least 30% above the peak the proxy needs, because the proxy spreads
   * its quota over its nodes and keeps monitoring connections of its own: a pool allocated to the
   * last connection refuses clients before the consumers reach their caps. Lower it only with a
   * measured reason.
   *
   * @default 30
   * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html
   */
  readonly proxyHeadroomPercent?: number;

  /**
   * What consumers connect through. With PgBouncer or no pooler, the pool is the capacity left
   * after direct reservations (no `MaxConnectionsPercent`, no headroom by default).
   *
   * @default PoolerKind.RDS_PROXY
   */
  readonly pooler?: PoolerKind;

  /**
   * The account's "Concurrent executions" quota in the stack's region. Reserved concurrency is
   * taken from it, and Lambda refuses a deploy that leaves less than
   * `unreservedConcurrencyMinimum` unreserved.
   *
   * @default 1000
   */
  readonly accountConcurrencyLimit?: number;

  /**
   * The concurrency Lambda keeps unreserved in the account.
   *
   * @default 100
   */
  readonly unreservedConcurrencyMinimum?: number;

  /**
   * Percent of the concurrency the account can still reserve (after every explicit reservation
   * in the account) that the functions without their own cap may take together. The rest stays
   * unreserved for the account's other functions.
   *
   * @default 50
   */
  readonly sharedConcurrencyPercent?: number;
}

/**
 * What the rest of the account takes from its reservable concurrency: functions of the same
 * account and region outside this budget.
 */
export interface AccountConcurrencyUsage {
  /**
   * Reserved concurrency of functions outside this budget whose reservation is a fixed number.
   *
   * @default 0
   */
  readonly reservedElsewhere?: number;

  /**
   * How many functions of other budgets in the account also take a computed share.
   *
   * @default 0
   */
  readonly sharedFunctionsElsewhere?: number;
}

/** A consumer that runs in execution environments: functions, queue consumers, managed instances. */
interface Claim {
  readonly name: string;
  readonly kind: AllocationKind;
  /** Environments it asked for; undefined takes a share. */
  readonly environments?: number;
  /** Read from a template: whether the figure there was a share the budget computed. */
  readonly computedShare?: boolean;
  readonly connectionsPerEnvironment: number;
  /** Whether its environments are reserved concurrency taken from the account. */
  readonly reservesConcurrency: boolean;
  readonly minimum: number;
  readonly maximum: number;
}

interface Reservation {
  readonly name: string;
  readonly connections: number;
  readonly path: ConnectionPath;
  readonly consumers: lambda.IFunction[];
}

/**
 * A reservation and the functions that stand behind it.
 *
 * @internal
 */
export interface _ReservationConsumers {
  readonly name: string;
  readonly connections: number;
  readonly consumers: lambda.IFunction[];
}

/**
 * The connection budget of one database: how many connections exist, who may hold them, and the
 * Lambda concurrency caps that keep every consumer inside them.
 *
 * Pure arithmetic: it creates no resources. `ServerlessDatabase` owns one and feeds it.
 */
export class ConnectionBudget {
  /** The database's `max_connections`. */
  public readonly maxConnections: number;
  /** Slots the engine keeps for superusers and RDS's own sessions. */
  public readonly reservedConnections: number;
  /** Slots left free for administrators, rotation and proxy health checks. */
  public readonly adminHeadroom: number;
  /** What consumers may share: `maxConnections - reservedConnections - adminHeadroom`. */
  public readonly capacity: number;
  /** The database engine. */
  public readonly engine: DatabaseEngineFamily;
  /** Percent of the proxy pool kept free. */
  public readonly proxyHeadroomPercent: number;
  /** What consumers connect through. */
  public readonly pooler: PoolerKind;

  private readonly props: ConnectionBudgetProps;
  private readonly maxConnectionsSource: string;
  private readonly percentOverride?: number;
  private readonly reservableConcurrency: number;
  private readonly sharedConcurrencyPercent: number;
  private readonly claims: Claim[] = [];
  private readonly reservations: Reservation[] = [];

  constructor(props: ConnectionBudgetProps) {
    requireWholeNumber(props.maxConnections, 'maxConnections');
    this.props = props;
    this.engine = props.engine;
    this.maxConnections = props.maxConnections;
    this.maxConnectionsSource = props.maxConnectionsSource ?? 'maxConnections';
    this.reservedConnections = props.reservedConnections ?? engineFacts(props.engine).reservedConnections;
    requireWholeNumber(this.reservedConnections, 'reservedConnections', 0);
    this.adminHeadroom = props.adminHeadroom ?? Math.max(5, Math.ceil(props.maxConnections * 0.05));
    requireWholeNumber(this.adminHeadroom, 'adminHeadroom', 0);
    this.capacity = this.maxConnections - this.reservedConnections - this.adminHeadroom;
    if (this.capacity < 1) {
      throw new Error(
        `maxConnections (${this.maxConnections}) leaves no capacity after ${this.reservedConnections} engine-reserved ` +
        `connections and an adminHeadroom of ${this.adminHeadroom}: choose a larger instanceType, raise maxConnections ` +
        'or lower adminHeadroom',
      );
    }
    if (props.proxyMaxConnectionsPercent !== undefined) {
      requireWholeNumberBetween(props.proxyMaxConnectionsPercent, 'proxyMaxConnectionsPercent', 1, 100);
    }
    this.pooler = props.pooler ?? PoolerKind.RDS_PROXY;
    if (this.pooler !== PoolerKind.RDS_PROXY && props.proxyMaxConnectionsPercent !== undefined) {
      throw new Error(`proxyMaxConnectionsPercent applies to RDS Proxy only, not to ${poolerLabel(this.pooler)}`);
    }
    this.percentOverride = props.proxyMaxConnectionsPercent;
    this.proxyHeadroomPercent = props.proxyHeadroomPercent ?? (this.pooler === PoolerKind.RDS_PROXY ? DEFAULT_PROXY_HEADROOM_PERCENT : 0);
    requireWholeNumberBetween(this.proxyHeadroomPercent, 'proxyHeadroomPercent', 0, 90);
    this.sharedConcurrencyPercent = props.sharedConcurrencyPercent ?? DEFAULT_SHARED_CONCURRENCY_PERCENT;
    requireWholeNumberBetween(this.sharedConcurrencyPercent, 'sharedConcurrencyPercent', 1, 100);
    const accountLimit = props.accountConcurrencyLimit ?? DEFAULT_ACCOUNT_CONCURRENCY;
    requireWholeNumber(accountLimit, 'accountConcurrencyLimit');
    const unreservedMinimum = props.unreservedConcurrencyMinimum ?? DEFAULT_UNRESERVED_MINIMUM;
    requireWholeNumber(unreservedMinimum, 'unreservedConcurrencyMinimum', 0);
    this.reservableConcurrency = accountLimit - unreservedMinimum;
  }

  /**
   * Sets aside `connections` for a consumer that is not a wired function (migrations, a
   * container service, a BI tool).
   *
   * @param name the consumer, as shown in the budget table; unique in the budget
   * @param connections connections the consumer holds at most
   * @param options how the consumer connects (directly by default)
   */
  public reserve(name: string, connections: number, options: ReserveOptions = {}): void {
    this.requireNewName(name);
    requireWholeNumber(connections, `connections of reservation '${name}'`);
    this.reservations.push({ name, connections, path: options.path ?? ConnectionPath.DIRECT, consumers: [...(options.consumers ?? [])] });
  }

  /**
   * Claims connections for a Lambda function. `ServerlessDatabase` calls this for every function
   * it wires; call it yourself only for functions that reach the database another way.
   *
   * @param name the function, as shown in the budget table; unique in the budget
   * @param options its reserved concurrency (or none, for a share) and connections per invocation
   */
  public allocateFunction(name: string, options: FunctionAllocationOptions = {}): void {
    this.requireNewName(name);
    if (options.reservedConcurrency !== undefined) {
      requireWholeNumber(options.reservedConcurrency, `reservedConcurrentExecutions of function '${name}'`);
    }
    this.claims.push({
      name,
      kind: AllocationKind.FUNCTION,
      environments: options.reservedConcurrency,
      connectionsPerEnvironment: connectionsPerInvocation(name, options.connectionsPerInvocation),
      reservesConcurrency: true,
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    });
  }

  /**
   * Claims connections for a function fed by an SQS queue, capped by its event source's maximum
   * concurrency (which is also its reserved concurrency).
   *
   * @param name the function, as shown in the budget table; unique in the budget
   * @param options its maximum concurrency (or none, for a share) and connections per invocation
   */
  public allocateQueueConsumer(name: string, options: QueueConsumerAllocationOptions = {}): void {
    this.requireNewName(name);
    if (options.maxConcurrency !== undefined) {
      requireWholeNumberBetween(options.maxConcurrency, `maxConcurrency of queue consumer '${name}'`, QUEUE_MIN_CONCURRENCY, QUEUE_MAX_CONCURRENCY);
    }
    this.claims.push({
      name,
      kind: AllocationKind.QUEUE_CONSUMER,
      environments: options.maxConcurrency,
      connectionsPerEnvironment: connectionsPerInvocation(name, options.connectionsPerInvocation),
      reservesConcurrency: true,
      minimum: QUEUE_MIN_CONCURRENCY,
      maximum: QUEUE_MAX_CONCURRENCY,
    });
  }

  /**
   * Claims connections for a function on Lambda Managed Instances: its maximum execution
   * environments x the connections each environment holds.
   *
   * @param name the function, as shown in the budget table; unique in the budget
   * @param options its maximum environments and connections per environment
   */
  public allocateManagedInstances(name: string, options: ManagedInstancesAllocationOptions): void {
    this.requireNewName(name);
    requireWholeNumber(options.maxEnvironments, `maxEnvironments of function '${name}'`);
    requireWholeNumber(options.connectionsPerEnvironment, `connectionsPerEnvironment of function '${name}'`);
    this.claims.push({
      name,
      kind: AllocationKind.MANAGED_INSTANCES,
      environments: options.maxEnvironments,
      connectionsPerEnvironment: options.connectionsPerEnvironment,
      reservesConcurrency: false,
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    });
  }

  /**
   * Whether a function or reservation of that name is in the budget.
   *
   * @param name the allocation's name
   */
  public hasAllocation(name: string): boolean {
    return this.claims.some(f => f.name === name) || this.reservations.some(r => r.name === name);
  }

  /** The proxy's `MaxConnectionsPercent`. */
  public get proxyMaxConnectionsPercent(): number {
    return this.plan().proxyMaxConnectionsPercent;
  }

  /**
   * The execution environments the budget gives a function: its reserved concurrency (or a
   * queue consumer's maximum concurrency), its own when it asked for one, otherwise its share.
   * 0 when the budget cannot give it any (the plan lists the problem).
   *
   * @param name the function's allocation name
   * @param usage what the rest of the account reserves
   */
  public concurrencyOf(name: string, usage: AccountConcurrencyUsage = {}): number {
    const allocation = this.plan(usage).allocations.find(a => a.kind !== AllocationKind.RESERVATION && a.name === name);
    if (!allocation) {
      throw new Error(`No function named '${name}' is allocated in this connection budget`);
    }
    return allocation.environments ?? 0;
  }

  /**
   * Computes every allocation, the proxy's share and what does not fit.
   *
   * @param usage what functions outside this budget take from the same account
   */
  public plan(usage: AccountConcurrencyUsage = {}): BudgetPlan {
    const problems: string[] = [];
    const M = this.maxConnections;
    const reservedElsewhere = usage.reservedElsewhere ?? 0;
    const sharedElsewhere = usage.sharedFunctionsElsewhere ?? 0;
    const directConnections = sum(this.reservations.filter(r => r.path === ConnectionPath.DIRECT).map(r => r.connections));
    const proxyShare = this.capacity - directConnections;
    if (proxyShare < 1) {
      problems.push(
        `Direct reservations take ${directConnections} connections but the capacity is ${this.capacity}, leaving nothing ` +
        'for the proxy: lower them or route them through the proxy (path: ConnectionPath.PROXY).',
      );
    }
    const derivedPercent = Math.max(1, Math.min(100, Math.floor((100 * Math.max(proxyShare, 0)) / M)));
    const percent = this.percentOverride ?? derivedPercent;
    // PgBouncer's pool and the direct path are exact numbers, not a percent of max_connections.
    const rdsProxy = this.pooler === PoolerKind.RDS_PROXY;
    const proxyConnectionLimit = rdsProxy ? Math.floor((M * percent) / 100) : Math.max(0, proxyShare);
    if (rdsProxy && proxyShare >= 1 && proxyConnectionLimit > proxyShare) {
      problems.push(this.percentOverride !== undefined
        ? `proxyMaxConnectionsPercent ${percent} lets the proxy open ${proxyConnectionLimit} connections, but the budget ` +
          `leaves it ${proxyShare} (capacity ${this.capacity} - direct ${directConnections}): use at most ${derivedPercent} ` +
          'or remove the override.'
        : `Direct reservations leave the proxy ${proxyShare} connections, less than 1% of maxConnections (${M}), the ` +
          'smallest share RDS Proxy can be given: lower the direct reservations.');
    }
    const proxyPool = Math.max(0, Math.min(proxyConnectionLimit, proxyShare));
    const proxyAllocatable = Math.floor((proxyPool * (100 - this.proxyHeadroomPercent)) / 100);

    const explicit = this.claims.filter(c => c.environments !== undefined);
    const shared = this.claims.filter(c => c.environments === undefined);
    const environments = new Map<Claim, number>(explicit.map(c => [c, c.environments!]));
    const proxyReservations = this.reservations.filter(r => r.path === ConnectionPath.PROXY);
    const explicitConnections = sum(explicit.map(c => c.environments! * c.connectionsPerEnvironment)) + sum(proxyReservations.map(r => r.connections));
    const explicitReserved = sum(explicit.filter(c => c.reservesConcurrency).map(c => c.environments!));

    if (shared.length > 0) {
      // Connections left after explicit claims are split equally; so is the part of the account's
      // remaining reservable concurrency that shared functions may take (sharedConcurrencyPercent).
      const connectionsPerShare = Math.floor(Math.max(0, proxyAllocatable - explicitConnections) / shared.length);
      const accountLeft = Math.max(0, this.reservableConcurrency - explicitReserved - reservedElsewhere);
      const concurrencyPerShare = Math.floor((accountLeft * this.sharedConcurrencyPercent) / 100 / (shared.length + sharedElsewhere));
      for (const c of shared) {
        const share = Math.min(Math.floor(connectionsPerShare / c.connectionsPerEnvironment), concurrencyPerShare, c.maximum);
        if (share < c.minimum) {
          problems.push(
            `${describe(c)} has no cap of its own and the budget has too little left to share with it (${connectionsPerShare} ` +
            `connections and ${concurrencyPerShare} concurrency per consumer without a cap${c.minimum > 1 ? `, at least ${c.minimum} needed` : ''}): ` +
            'give it an explicit cap and lower the others, or choose a larger instanceType.',
          );
        }
        environments.set(c, Math.max(share, 0));
      }
    }

    const allocations: BudgetAllocation[] = this.claims.map(c => claimAllocation(c, environments.get(c)!));
    for (const r of this.reservations) {
      allocations.push({ name: r.name, kind: AllocationKind.RESERVATION, path: r.path, connections: r.connections, computedShare: false });
    }

    const proxyConnectionsAllocated = sum(allocations.filter(a => a.path === ConnectionPath.PROXY).map(a => a.connections));
    if (proxyConnectionsAllocated > proxyAllocatable) {
      problems.push(
        `The consumers going through the proxy need ${proxyConnectionsAllocated} connections but ${proxyAllocatable} may be ` +
        `allocated (the proxy pool of ${proxyPool} less its ${this.proxyHeadroomPercent}% headroom): lower the functions' ` +
        'reserved concurrency or connections per invocation, remove reservations, or choose a larger instanceType (or set maxConnections).',
      );
    }
    const reservedConcurrency = sum(allocations.filter(a => a.kind !== AllocationKind.MANAGED_INSTANCES).map(a => a.reservedConcurrency ?? 0));
    const reservesAny = this.claims.some(c => c.reservesConcurrency);
    if (reservesAny && this.reservableConcurrency < 1) {
      const limit = this.props.accountConcurrencyLimit ?? DEFAULT_ACCOUNT_CONCURRENCY;
      const minimum = this.props.unreservedConcurrencyMinimum ?? DEFAULT_UNRESERVED_MINIMUM;
      problems.push(
        `The account's concurrency quota (accountConcurrencyLimit ${limit}) does not exceed the concurrency Lambda keeps ` +
        `unreserved (unreservedConcurrencyMinimum ${minimum}), so no function can reserve any: request a higher ` +
        '"Concurrent executions" quota for Lambda, then set accountConcurrencyLimit.',
      );
    } else if (reservesAny && reservedConcurrency + reservedElsewhere > this.reservableConcurrency) {
      const elsewhere = reservedElsewhere > 0 ? ` (${reservedConcurrency} here, ${reservedElsewhere} by other functions of the account)` : '';
      problems.push(
        `The functions reserve ${reservedConcurrency + reservedElsewhere} concurrency${elsewhere} but the account can reserve ` +
        `${this.reservableConcurrency} (accountConcurrencyLimit less the unreserved minimum): Lambda would reject the deploy. ` +
        'Lower reservedConcurrentExecutions, or raise the quota and set accountConcurrencyLimit.',
      );
    }

    return {
      engine: engineFacts(this.engine).displayName,
      pooler: poolerLabel(this.pooler),
      maxConnections: M,
      maxConnectionsSource: this.maxConnectionsSource,
      reservedConnections: this.reservedConnections,
      adminHeadroom: this.adminHeadroom,
      capacity: this.capacity,
      directConnections,
      proxyMaxConnectionsPercent: percent,
      proxyConnectionLimit,
      proxyHeadroomPercent: this.proxyHeadroomPercent,
      proxyHeadroom: proxyPool - proxyAllocatable,
      proxyAllocatable,
      proxyConnectionsAllocated,
      reservedConcurrency,
      reservableConcurrency: Math.max(0, this.reservableConcurrency),
      reservedConcurrencyElsewhere: reservedElsewhere,
      allocations,
      problems,
    };
  }

  /**
   * The budget as a text table, as printed at synth time.
   *
   * @param title what the budget belongs to, shown in the first line
   * @param usage what functions outside this budget take from the same account
   */
  public toTable(title: string, usage: AccountConcurrencyUsage = {}): string {
    return renderBudgetTable(this.plan(usage), title);
  }

  /**
   * The same budget (engine, headroom, account settings, reservations) for other figures, with
   * no functions yet: the template check fills it with what the synthesized templates say.
   *
   * @internal
   */
  public _rebuild(maxConnections: number, maxConnectionsSource: string, proxyMaxConnectionsPercent?: number): ConnectionBudget {
    const copy = new ConnectionBudget({
      ...this.props,
      maxConnections,
      maxConnectionsSource,
      reservedConnections: this.reservedConnections,
      adminHeadroom: this.adminHeadroom,
      proxyMaxConnectionsPercent,
    });
    for (const r of this.reservations) {
      copy.reserve(r.name, r.connections, { path: r.path, consumers: r.consumers });
    }
    return copy;
  }

  /**
   * Adds a function with the limits a synthesized template gives it.
   *
   * @internal
   */
  public _addTemplateClaim(name: string, kind: AllocationKind, environments: number, connectionsPerEnvironment: number, computedShare: boolean): void {
    this.claims.push({
      name,
      kind,
      environments,
      computedShare,
      connectionsPerEnvironment,
      reservesConcurrency: kind !== AllocationKind.MANAGED_INSTANCES,
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
    });
  }

  /**
   * The reservations that name the functions behind them.
   *
   * @internal
   */
  public _reservationConsumers(): _ReservationConsumers[] {
    return this.reservations.filter(r => r.consumers.length > 0).map(r => ({ name: r.name, connections: r.connections, consumers: [...r.consumers] }));
  }

  private requireNewName(name: string): void {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new Error('A budget allocation needs a non-empty name');
    }
    if (this.hasAllocation(name)) {
      throw new Error(`The connection budget already has an allocation named '${name}'`);
    }
  }
}

function connectionsPerInvocation(name: string, value: number | undefined): number {
  const connections = value ?? 1;
  requireWholeNumber(connections, `connectionsPerInvocation of function '${name}'`);
  return connections;
}

function describe(c: Claim): string {
  switch (c.kind) {
    case AllocationKind.QUEUE_CONSUMER: return `Queue consumer '${c.name}'`;
    case AllocationKind.MANAGED_INSTANCES: return `Managed-instances function '${c.name}'`;
    default: return `Function '${c.name}'`;
  }
}

function claimAllocation(c: Claim, environments: number): BudgetAllocation {
  return {
    name: c.name,
    kind: c.kind,
    path: ConnectionPath.PROXY,
    connections: environments * c.connectionsPerEnvironment,
    reservedConcurrency: c.reservesConcurrency ? environments : undefined,
    connectionsPerInvocation: c.connectionsPerEnvironment,
    computedShare: c.computedShare ?? c.environments === undefined,
    environments,
    maximumConcurrency: c.kind === AllocationKind.QUEUE_CONSUMER ? environments : undefined,
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

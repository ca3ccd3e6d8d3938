import { AllocationKind, BudgetAllocation, ConnectionPath, FunctionAllocationOptions, ReserveOptions } from './allocation';
import { renderBudgetTable } from './budget-table';
import { BudgetPlan } from './budget-plan';
import { engineFacts } from './engine-facts';
import { DatabaseEngineFamily } from './engine-family';
import { requireWholeNumber, requireWholeNumberBetween } from '../private/validate';

/** Lambda keeps this much of an account's concurrency unreserved (Lambda quotas). */
const DEFAULT_UNRESERVED_MINIMUM = 100;
/** The default regional "Concurrent executions" quota of an established account. */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;

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
}

interface FunctionClaim {
  readonly name: string;
  readonly reservedConcurrency?: number;
  readonly connectionsPerInvocation: number;
}

interface Reservation {
  readonly name: string;
  readonly connections: number;
  readonly path: ConnectionPath;
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

  private readonly maxConnectionsSource: string;
  private readonly percentOverride?: number;
  private readonly reservableConcurrency: number;
  private readonly functions: FunctionClaim[] = [];
  private readonly reservations: Reservation[] = [];

  constructor(props: ConnectionBudgetProps) {
    requireWholeNumber(props.maxConnections, 'maxConnections');
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
    this.percentOverride = props.proxyMaxConnectionsPercent;
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
    this.reservations.push({ name, connections, path: options.path ?? ConnectionPath.DIRECT });
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
    const connectionsPerInvocation = options.connectionsPerInvocation ?? 1;
    requireWholeNumber(connectionsPerInvocation, `connectionsPerInvocation of function '${name}'`);
    this.functions.push({ name, reservedConcurrency: options.reservedConcurrency, connectionsPerInvocation });
  }

  /**
   * Whether a function or reservation of that name is in the budget.
   *
   * @param name the allocation's name
   */
  public hasAllocation(name: string): boolean {
    return this.functions.some(f => f.name === name) || this.reservations.some(r => r.name === name);
  }

  /**
   * Concurrency reserved outside this budget in the same account (other functions of the stack),
   * and how many functions of other budgets also take a share: read each time the plan is made.
   *
   * @internal
   */
  public _concurrencyElsewhere: () => { reserved: number; sharedFunctions: number } = () => ({ reserved: 0, sharedFunctions: 0 });

  /** The proxy's `MaxConnectionsPercent`. */
  public get proxyMaxConnectionsPercent(): number {
    return this.plan().proxyMaxConnectionsPercent;
  }

  /**
   * The reserved concurrency the budget gives a function: its own when it asked for one,
   * otherwise its share. 0 when the budget cannot give it any (the plan lists the problem).
   *
   * @param name the function's allocation name
   */
  public concurrencyOf(name: string): number {
    const allocation = this.plan().allocations.find(a => a.kind === AllocationKind.FUNCTION && a.name === name);
    if (!allocation) {
      throw new Error(`No function named '${name}' is allocated in this connection budget`);
    }
    return allocation.reservedConcurrency ?? 0;
  }

  /** Computes every allocation, the proxy's share and what does not fit. */
  public plan(): BudgetPlan {
    const problems: string[] = [];
    const M = this.maxConnections;
    const directConnections = sum(this.reservations.filter(r => r.path === ConnectionPath.DIRECT).map(r => r.connections));
    const proxyShare = this.capacity - directConnections;
    if (proxyShare < 1) {
      problems.push(
        `Direct reservations take ${directConnections} of the capacity of ${this.capacity}, leaving nothing for the proxy: ` +
        'lower them or route them through the proxy (path: ConnectionPath.PROXY).',
      );
    }
    const derivedPercent = Math.max(1, Math.min(100, Math.floor((100 * Math.max(proxyShare, 0)) / M)));
    const percent = this.percentOverride ?? derivedPercent;
    const proxyConnectionLimit = Math.floor((M * percent) / 100);
    if (proxyShare >= 1 && proxyConnectionLimit > proxyShare) {
      problems.push(this.percentOverride !== undefined
        ? `proxyMaxConnectionsPercent ${percent} lets the proxy open ${proxyConnectionLimit} connections, but the budget ` +
          `leaves it ${proxyShare} (capacity ${this.capacity} - direct ${directConnections}): use at most ${derivedPercent} ` +
          'or remove the override.'
        : `Direct reservations leave the proxy ${proxyShare} connections, less than 1% of maxConnections (${M}), the ` +
          'smallest share RDS Proxy can be given: lower the direct reservations.');
    }

    const allocations: BudgetAllocation[] = [];
    const explicit = this.functions.filter(f => f.reservedConcurrency !== undefined);
    const shared = this.functions.filter(f => f.reservedConcurrency === undefined);
    for (const f of explicit) {
      allocations.push(functionAllocation(f, f.reservedConcurrency!, false));
    }
    const proxyReservations = this.reservations.filter(r => r.path === ConnectionPath.PROXY);
    const explicitProxyConnections = sum(allocations.map(a => a.connections)) + sum(proxyReservations.map(r => r.connections));
    const explicitConcurrency = sum(explicit.map(f => f.reservedConcurrency!));

    if (shared.length > 0) {
      // Account concurrency is split among every shared function of the account that is known
      // (this budget's and other budgets' in the stack), after all explicit reservations.
      const elsewhere = this._concurrencyElsewhere();
      const connectionsPerFunction = Math.floor(Math.max(0, Math.min(proxyConnectionLimit, proxyShare) - explicitProxyConnections) / shared.length);
      const concurrencyPerFunction = Math.floor(
        Math.max(0, this.reservableConcurrency - explicitConcurrency - elsewhere.reserved) / (shared.length + elsewhere.sharedFunctions));
      for (const f of shared) {
        const concurrency = Math.min(Math.floor(connectionsPerFunction / f.connectionsPerInvocation), concurrencyPerFunction);
        if (concurrency < 1) {
          problems.push(
            `Function '${f.name}' has no reserved concurrency set and the budget has nothing left to share with it ` +
            `(${connectionsPerFunction} connections and ${concurrencyPerFunction} concurrency per function without a cap): ` +
            'set reservedConcurrentExecutions on it and lower the others, or choose a larger instanceType.',
          );
        }
        allocations.push(functionAllocation(f, Math.max(concurrency, 0), true));
      }
    }
    for (const r of this.reservations) {
      allocations.push({ name: r.name, kind: AllocationKind.RESERVATION, path: r.path, connections: r.connections, computedShare: false });
    }

    const proxyConnectionsAllocated = sum(allocations.filter(a => a.path === ConnectionPath.PROXY).map(a => a.connections));
    const proxyLimit = Math.min(proxyConnectionLimit, proxyShare);
    if (proxyConnectionsAllocated > proxyLimit) {
      problems.push(
        `The consumers going through the proxy need ${proxyConnectionsAllocated} connections but the proxy may open ` +
        `${proxyLimit}: lower reservedConcurrentExecutions or connectionsPerInvocation of the functions, ` +
        'remove reservations, or choose a larger instanceType (or set maxConnections).',
      );
    }
    const reservedConcurrency = sum(allocations.map(a => a.reservedConcurrency ?? 0));
    if (this.functions.length > 0 && this.reservableConcurrency < 1) {
      problems.push(
        `The account's concurrency quota leaves nothing to reserve (reservable: ${this.reservableConcurrency}): ` +
        'request a higher "Concurrent executions" quota for Lambda, then set accountConcurrencyLimit.',
      );
    } else if (this.functions.length > 0 && reservedConcurrency > this.reservableConcurrency) {
      problems.push(
        `The functions reserve ${reservedConcurrency} concurrency but the account can reserve ${this.reservableConcurrency} ` +
        '(accountConcurrencyLimit less the unreserved minimum): Lambda would reject the deploy. Lower ' +
        'reservedConcurrentExecutions, or raise the quota and set accountConcurrencyLimit.',
      );
    }

    return {
      engine: engineFacts(this.engine).displayName,
      maxConnections: M,
      maxConnectionsSource: this.maxConnectionsSource,
      reservedConnections: this.reservedConnections,
      adminHeadroom: this.adminHeadroom,
      capacity: this.capacity,
      directConnections,
      proxyMaxConnectionsPercent: percent,
      proxyConnectionLimit,
      proxyConnectionsAllocated,
      reservedConcurrency,
      reservableConcurrency: this.reservableConcurrency,
      allocations,
      problems,
    };
  }

  /**
   * The budget as a text table, as printed at synth time.
   *
   * @param title what the budget belongs to, shown in the first line
   */
  public toTable(title: string): string {
    return renderBudgetTable(this.plan(), title);
  }

  private requireNewName(name: string): void {
    if (!name || name.trim() === '') {
      throw new Error('A budget allocation needs a non-empty name');
    }
    if (this.hasAllocation(name)) {
      throw new Error(`The connection budget already has an allocation named '${name}'`);
    }
  }
}

function functionAllocation(f: FunctionClaim, concurrency: number, computedShare: boolean): BudgetAllocation {
  return {
    name: f.name,
    kind: AllocationKind.FUNCTION,
    path: ConnectionPath.PROXY,
    connections: concurrency * f.connectionsPerInvocation,
    reservedConcurrency: concurrency,
    connectionsPerInvocation: f.connectionsPerInvocation,
    computedShare,
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

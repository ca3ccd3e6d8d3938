/**
 * Does the budget declared at synth time fit the database as it really is? Pure arithmetic over
 * what the RDS API returned, so it is tested without AWS.
 */

/** The budget as declared in the template (custom resource properties arrive as strings). */
export interface DeclaredBudget {
  readonly databasePath: string;
  readonly maxConnections: number;
  readonly proxyMaxConnectionsPercent: number;
  readonly reservedConnections: number;
  readonly adminHeadroom: number;
  readonly directConnections: number;
  /** Connections the budget allocates to consumers through the proxy. */
  readonly proxyConnectionsNeeded: number;
  /** Percent of the proxy pool the budget keeps free (0 when it keeps none). */
  readonly proxyHeadroomPercent: number;
  /** The synth-time budget table, shown when the budget does not fit. */
  readonly table: string;
}

/** The database as the RDS API describes it. */
export interface ActualDatabase {
  readonly instanceClass: string;
  readonly parameterGroup: string;
  /** The parameter's value as RDS stores it (an integer or a formula), or undefined for the engine default. */
  readonly maxConnectionsValue: string;
  readonly maxConnections: number;
  /** Undefined when no proxy is checked. */
  readonly proxyMaxConnectionsPercent?: number;
}

/** The verdict. */
export interface BudgetFit {
  readonly fits: boolean;
  readonly problems: string[];
  /** Declared and actual values side by side. */
  readonly report: string;
}

/** Compares the declared budget with the actual database. */
export function checkBudgetFit(declared: DeclaredBudget, actual: ActualDatabase): BudgetFit {
  const M = actual.maxConnections;
  const percent = actual.proxyMaxConnectionsPercent ?? declared.proxyMaxConnectionsPercent;
  const capacity = M - declared.reservedConnections - declared.adminHeadroom;
  const pool = Math.floor((M * percent) / 100);
  const allocatable = Math.floor((pool * (100 - declared.proxyHeadroomPercent)) / 100);
  const problems: string[] = [];
  if (declared.proxyConnectionsNeeded > allocatable) {
    problems.push(
      `The consumers going through the proxy need ${declared.proxyConnectionsNeeded} connections, but with max_connections ${M} ` +
      `and MaxConnectionsPercent ${percent} the proxy may give them ${allocatable}.`);
  }
  if (pool + declared.directConnections > capacity) {
    problems.push(
      `The proxy may open ${pool} connections and direct consumers hold ${declared.directConnections}: more than the ` +
      `${capacity} left after ${declared.reservedConnections} engine-reserved slots and ${declared.adminHeadroom} of admin headroom ` +
      `(max_connections ${M}); lower the proxy's MaxConnectionsPercent.`);
  }
  if (M < declared.maxConnections) {
    problems.push(`max_connections is ${M} on the instance (${actual.instanceClass}), less than the ${declared.maxConnections} the budget was declared with.`);
  }
  const row = (label: string, d: string | number, a: string | number) => `  ${label.padEnd(34)} ${String(d).padStart(10)} ${String(a).padStart(10)}`;
  const lines = [
    `Deploy-time check of the connection budget of ${declared.databasePath}`,
    row('', 'declared', 'actual'),
    row('instance class', '-', actual.instanceClass),
    row(`max_connections (${actual.parameterGroup})`, declared.maxConnections, M),
    row('  parameter value', '-', truncate(actual.maxConnectionsValue, 10)),
    row('proxy MaxConnectionsPercent', declared.proxyMaxConnectionsPercent, actual.proxyMaxConnectionsPercent ?? '-'),
    row('proxy pool', Math.floor((declared.maxConnections * declared.proxyMaxConnectionsPercent) / 100), pool),
    row('capacity (less reserved and admin)', declared.maxConnections - declared.reservedConnections - declared.adminHeadroom, capacity),
    row('needed through the proxy', declared.proxyConnectionsNeeded, allocatable >= 0 ? `of ${allocatable}` : '-'),
    row('direct consumers', declared.directConnections, declared.directConnections),
  ];
  if (actual.maxConnectionsValue.length > 10) {
    lines.push(`  parameter value: ${actual.maxConnectionsValue}`);
  }
  if (problems.length > 0) {
    lines.push('', '  Problems:', ...problems.map(p => `  - ${p}`));
  }
  lines.push('', declared.table);
  return { fits: problems.length === 0, problems, report: lines.join('\n') };
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 3)}...`;
}

import { AllocationKind, BudgetAllocation, ConnectionPath } from './allocation';
import { BudgetPlan } from './budget-plan';

/**
 * Renders a budget as the table users read at synth time (and in over-commitment errors).
 */
export function renderBudgetTable(plan: BudgetPlan, title: string): string {
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(50)} ${String(value).padStart(6)}`);
  const proxyPool = plan.proxyAllocatable + plan.proxyHeadroom;
  lines.push(`Connection budget of ${title} (${plan.engine})`);
  row(`max_connections (${plan.maxConnectionsSource})`, plan.maxConnections);
  row('- reserved by the engine (superuser, rdsadmin)', -plan.reservedConnections);
  row('- admin headroom (adminHeadroom)', -plan.adminHeadroom);
  row('= capacity', plan.capacity);
  row('- direct consumers (reserve(), path DIRECT)', -plan.directConnections);
  const pooler = plan.pooler ?? 'RDS Proxy';
  if (pooler === 'RDS Proxy') {
    row(`= proxy pool (MaxConnectionsPercent ${plan.proxyMaxConnectionsPercent})`, proxyPool);
    row(`- proxy headroom (${plan.proxyHeadroomPercent}%, AWS guidance)`, -plan.proxyHeadroom);
    row('= allocatable through the proxy', plan.proxyAllocatable);
  } else {
    row(pooler === 'PgBouncer' ? '= PgBouncer pool (max_db_connections, all tasks)' : '= shared by consumers (no pooler)', proxyPool);
    row(`- headroom (${plan.proxyHeadroomPercent}%)`, -plan.proxyHeadroom);
    row(`= allocatable ${pooler === 'PgBouncer' ? 'through PgBouncer' : 'to consumers'}`, plan.proxyAllocatable);
  }
  lines.push('');
  const header = ['consumer', 'path', 'environments (cap)', 'x conn/env', '= connections'];
  const body = plan.allocations.map(a => [
    `${consumerLabel(a.kind)} ${a.name}`,
    a.path === ConnectionPath.PROXY ? pathLabel(pooler) : 'direct',
    capCell(a),
    a.connectionsPerInvocation === undefined ? '-' : String(a.connectionsPerInvocation),
    String(a.connections),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map(r => r[i].length)));
  const format = (cells: string[]) => '  ' + cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  lines.push(format(header));
  for (const cells of body) {
    lines.push(format(cells));
  }
  if (body.length === 0) {
    lines.push('  (no consumers yet)');
  }
  lines.push('');
  lines.push(`  ${pooler === 'RDS Proxy' ? 'through the proxy' : pooler === 'PgBouncer' ? 'through PgBouncer' : 'to consumers'}: ${plan.proxyConnectionsAllocated} of ${plan.proxyAllocatable} allocatable connections allocated`);
  const elsewhere = plan.reservedConcurrencyElsewhere ? ` (+${plan.reservedConcurrencyElsewhere} by other functions of the account)` : '';
  const reservable = plan.reservableConcurrency === undefined ? '' : ` of ${plan.reservableConcurrency} the account can reserve`;
  lines.push(`  reserved Lambda concurrency: ${plan.reservedConcurrency}${elsewhere}${reservable}`);
  if (plan.problems.length > 0) {
    lines.push('');
    lines.push('  Problems:');
    for (const problem of plan.problems) {
      lines.push(`  - ${problem}`);
    }
  }
  return lines.join('\n');
}

function consumerLabel(kind: AllocationKind): string {
  switch (kind) {
    case AllocationKind.FUNCTION: return 'function';
    case AllocationKind.QUEUE_CONSUMER: return 'queue consumer';
    case AllocationKind.MANAGED_INSTANCES: return 'managed instances';
    default: return 'reserve';
  }
}

function capCell(a: BudgetAllocation): string {
  if (a.environments === undefined) {
    return '-';
  }
  const share = a.computedShare ? ' (share)' : '';
  switch (a.kind) {
    case AllocationKind.QUEUE_CONSUMER: return `${a.environments} SQS max${share}`;
    case AllocationKind.MANAGED_INSTANCES: return `${a.environments} envs`;
    default: return `${a.environments} reserved${share}`;
  }
}

function pathLabel(pooler: string): string {
  return pooler === 'RDS Proxy' ? 'proxy' : pooler === 'PgBouncer' ? 'pgbouncer' : 'direct';
}

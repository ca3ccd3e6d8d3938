import { AllocationKind, ConnectionPath } from './allocation';
import { BudgetPlan } from './budget-plan';

/**
 * Renders a budget as the table users read at synth time (and in over-commitment errors).
 */
export function renderBudgetTable(plan: BudgetPlan, title: string): string {
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(50)} ${String(value).padStart(6)}`);
  lines.push(`Connection budget of ${title} (${plan.engine})`);
  row(`max_connections (${plan.maxConnectionsSource})`, plan.maxConnections);
  row('- reserved by the engine (superuser, rdsadmin)', -plan.reservedConnections);
  row('- admin headroom (adminHeadroom)', -plan.adminHeadroom);
  row('= capacity', plan.capacity);
  row('- direct consumers (reserve(), path DIRECT)', -plan.directConnections);
  row(`= proxy pool (MaxConnectionsPercent ${plan.proxyMaxConnectionsPercent})`, plan.proxyConnectionLimit);
  lines.push('');
  const header = ['consumer', 'path', 'reserved concurrency', 'x conn/env', '= connections'];
  const body = plan.allocations.map(a => [
    a.kind === AllocationKind.FUNCTION ? `function ${a.name}` : `reserve ${a.name}`,
    a.path === ConnectionPath.PROXY ? 'proxy' : 'direct',
    a.reservedConcurrency === undefined ? '-' : `${a.reservedConcurrency}${a.computedShare ? ' (share)' : ''}`,
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
  const proxyLimit = Math.min(plan.proxyConnectionLimit, plan.capacity - plan.directConnections);
  lines.push(`  through the proxy: ${plan.proxyConnectionsAllocated} of ${proxyLimit} connections allocated`);
  const reservable = plan.reservableConcurrency === undefined ? '' : ` of ${plan.reservableConcurrency} the account can reserve`;
  lines.push(`  reserved Lambda concurrency: ${plan.reservedConcurrency}${reservable}`);
  if (plan.problems.length > 0) {
    lines.push('');
    lines.push('  Problems:');
    for (const problem of plan.problems) {
      lines.push(`  - ${problem}`);
    }
  }
  return lines.join('\n');
}

import { instanceClassVcpus } from './instance-vcpus';
import { HOURS_PER_MONTH, PRICE_SOURCES, PRICES_RECORDED_ON, RDS_PROXY_MINIMUM_VCPUS, regionPrices } from './pooler-prices';

/** What the PgBouncer estimate assumes: the service the library deploys. */
export interface PgBouncerSizing {
  /** Tasks running at all times. */
  readonly tasks: number;
  /** vCPU of one task. */
  readonly vcpu: number;
  /** Memory of one task, in GB. */
  readonly memoryGb: number;
}

/** The monthly estimate of one pooler choice. */
export interface PoolerCostLine {
  readonly pooler: 'RDS Proxy' | 'PgBouncer' | 'no pooler';
  readonly monthlyUsd: number;
  /** How the figure is made, with the prices used. */
  readonly basis: string;
}

/** The monthly cost of each pooler choice for one instance class and region. */
export interface PoolerCostEstimate {
  readonly region: string;
  readonly instanceClass: string;
  readonly instanceVcpus: number;
  readonly pricesRecordedOn: string;
  readonly hoursPerMonth: number;
  readonly chosen: string;
  readonly options: PoolerCostLine[];
  readonly sources: Record<string, string>;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** Estimates what RDS Proxy, PgBouncer on Fargate and no pooler cost per month (on-demand, 730 h). */
export function estimatePoolerCosts(region: string, instanceClass: string, pgBouncer: PgBouncerSizing, chosen: string): PoolerCostEstimate {
  const prices = regionPrices(region);
  const vcpus = instanceClassVcpus(instanceClass);
  if (vcpus === undefined) {
    throw new Error(`No vCPU count is known for instance class '${instanceClass}': the RDS Proxy estimate needs it`);
  }
  const billedVcpus = Math.max(RDS_PROXY_MINIMUM_VCPUS, vcpus);
  const proxy = billedVcpus * prices.rdsProxyPerVcpuHour * HOURS_PER_MONTH;
  const perTask = pgBouncer.vcpu * prices.fargateArmPerVcpuHour + pgBouncer.memoryGb * prices.fargateArmPerGbHour;
  const bouncer = (pgBouncer.tasks * perTask + prices.networkLoadBalancerPerHour) * HOURS_PER_MONTH;
  return {
    region,
    instanceClass,
    instanceVcpus: vcpus,
    pricesRecordedOn: PRICES_RECORDED_ON,
    hoursPerMonth: HOURS_PER_MONTH,
    chosen,
    options: [
      {
        pooler: 'RDS Proxy',
        monthlyUsd: cents(proxy),
        basis: `${billedVcpus} vCPU${vcpus < RDS_PROXY_MINIMUM_VCPUS ? ` (minimum ${RDS_PROXY_MINIMUM_VCPUS})` : ''} x $${prices.rdsProxyPerVcpuHour}/vCPU-h x ${HOURS_PER_MONTH} h`,
      },
      {
        pooler: 'PgBouncer',
        monthlyUsd: cents(bouncer),
        basis: `${pgBouncer.tasks} Fargate ARM tasks x (${pgBouncer.vcpu} vCPU x $${prices.fargateArmPerVcpuHour} + ${pgBouncer.memoryGb} GB x ` +
          `$${prices.fargateArmPerGbHour}) + NLB $${prices.networkLoadBalancerPerHour}/h, x ${HOURS_PER_MONTH} h (NLCU usage extra)`,
      },
      { pooler: 'no pooler', monthlyUsd: 0, basis: 'nothing between the functions and the instance' },
    ],
    sources: { ...PRICE_SOURCES },
  };
}

/** The estimate as lines under the budget table. */
export function renderPoolerCostTable(estimate: PoolerCostEstimate): string {
  const lines = [
    `Pooler cost for ${estimate.instanceClass} (${estimate.instanceVcpus} vCPU) in ${estimate.region}, on-demand USD per month ` +
    `(prices of ${estimate.pricesRecordedOn}):`,
  ];
  for (const option of estimate.options) {
    const mark = option.pooler === estimate.chosen ? '*' : ' ';
    lines.push(`  ${mark} ${option.pooler.padEnd(10)} ${`$${option.monthlyUsd.toFixed(2)}`.padStart(9)}  ${option.basis}`);
  }
  lines.push('  (* = chosen)');
  return lines.join('\n');
}

/**
 * On-demand prices the pooler cost estimate uses, in USD, per region.
 *
 * Compiled on PRICES_RECORDED_ON for the public AWS price pages named in PRICE_SOURCES; check them
 * there before relying on an estimate (the us-east-1 Fargate ARM rates were cross-checked against a
 * second published table; the other figures were not). Prices change: the estimate says the date,
 * and a region missing here is refused rather than guessed.
 */
export const PRICES_RECORDED_ON = '2026-12-01';

/** Where each figure comes from. */
export const PRICE_SOURCES: Readonly<Record<string, string>> = {
  rdsProxy: 'https://aws.amazon.com/rds/proxy/pricing/ (per vCPU-hour of the instance, minimum 2 vCPUs)',
  fargate: 'https://aws.amazon.com/fargate/pricing/ (Linux/ARM, per vCPU-hour and per GB-hour)',
  networkLoadBalancer: 'https://aws.amazon.com/elasticloadbalancing/pricing/ (Network Load Balancer, per hour; NLCU usage not included)',
};

/** The hourly prices of one region. */
export interface RegionPrices {
  /** RDS Proxy for a provisioned instance, per vCPU-hour of the instance. */
  readonly rdsProxyPerVcpuHour: number;
  /** Fargate Linux/ARM (Graviton), per vCPU-hour. */
  readonly fargateArmPerVcpuHour: number;
  /** Fargate Linux/ARM, per GB-hour of memory. */
  readonly fargateArmPerGbHour: number;
  /** Network Load Balancer, per hour (before NLCU usage). */
  readonly networkLoadBalancerPerHour: number;
}

export const REGION_PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': { rdsProxyPerVcpuHour: 0.015, fargateArmPerVcpuHour: 0.03238, fargateArmPerGbHour: 0.00356, networkLoadBalancerPerHour: 0.0225 },
  'us-west-2': { rdsProxyPerVcpuHour: 0.015, fargateArmPerVcpuHour: 0.03238, fargateArmPerGbHour: 0.00356, networkLoadBalancerPerHour: 0.0225 },
  'eu-west-1': { rdsProxyPerVcpuHour: 0.0165, fargateArmPerVcpuHour: 0.03238, fargateArmPerGbHour: 0.00356, networkLoadBalancerPerHour: 0.0252 },
  'eu-central-1': { rdsProxyPerVcpuHour: 0.018, fargateArmPerVcpuHour: 0.03725, fargateArmPerGbHour: 0.00409, networkLoadBalancerPerHour: 0.027 },
};

/** RDS Proxy bills at least this many vCPUs, whatever the instance has. */
export const RDS_PROXY_MINIMUM_VCPUS = 2;

/** Hours in the month the estimate is given for (AWS price pages use 730). */
export const HOURS_PER_MONTH = 730;

/** The prices of `region`; an error naming the regions known when there are none. */
export function regionPrices(region: string): RegionPrices {
  const prices = REGION_PRICES[region];
  if (!prices) {
    throw new Error(
      `No pooler price table for region '${region}' (prices recorded on ${PRICES_RECORDED_ON} for ${Object.keys(REGION_PRICES).join(', ')}): ` +
      'set pricingRegion to one of them, or leave it unset to skip the estimate for an unknown region',
    );
  }
  return prices;
}

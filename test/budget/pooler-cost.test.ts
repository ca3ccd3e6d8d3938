import { estimatePoolerCosts, renderPoolerCostTable } from '../../lib/pooler/pooler-cost';

const SIZING = { tasks: 2, vcpu: 0.25, memoryGb: 0.5 };

describe('pooler cost estimate', () => {
  test('db.t4g.medium in us-east-1: RDS Proxy 2 vCPU, PgBouncer 2 ARM tasks + NLB, none free', () => {
    const estimate = estimatePoolerCosts('us-east-1', 'db.t4g.medium', SIZING, 'RDS Proxy');
    // 2 x 0.015 x 730 = 21.90
    // 2 x (0.25 x 0.03238 + 0.5 x 0.00356) x 730 + 0.0225 x 730 = 14.42 + 16.43 = 30.84
    expect(estimate.options.map(o => [o.pooler, o.monthlyUsd])).toEqual([['RDS Proxy', 21.9], ['PgBouncer', 30.84], ['no pooler', 0]]);
    expect(estimate.pricesRecordedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(renderPoolerCostTable(estimate)).toContain('* RDS Proxy');
  });

  test('RDS Proxy is billed by the instance vCPUs above the minimum: db.r6g.2xlarge = 8 vCPU', () => {
    const estimate = estimatePoolerCosts('us-east-1', 'db.r6g.2xlarge', SIZING, 'PgBouncer');
    // 8 x 0.015 x 730 = 87.60
    expect(estimate.options[0].monthlyUsd).toBe(87.6);
  });

  test('an unknown region is refused with the regions that have prices', () => {
    expect(() => estimatePoolerCosts('ap-south-9', 'db.t4g.medium', SIZING, 'RDS Proxy')).toThrow(/No pooler price table for region 'ap-south-9'.*us-east-1/);
  });

  test('an unknown instance class is refused', () => {
    expect(() => estimatePoolerCosts('us-east-1', 'db.x9.huge', SIZING, 'RDS Proxy')).toThrow(/No vCPU count/);
  });
});

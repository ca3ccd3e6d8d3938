import fc from 'fast-check';
import { AuroraMaxConnections, DatabaseEngineFamily, MaxConnections } from '../../lib';

const { POSTGRESQL, MYSQL } = DatabaseEngineFamily;

/** Capacities Aurora Serverless v2 accepts: 0 to 256 ACU in steps of 0.5. */
const acu = (lowest: number) => fc.integer({ min: lowest * 2, max: 512 }).map(n => n / 2);

describe('AuroraMaxConnections.forInstanceClass', () => {
  test.each([
    // Aurora MySQL: AWS's published table.
    ['db.t3.medium', MYSQL, 90],
    ['db.t4g.large', MYSQL, 135],
    ['db.r6g.large', MYSQL, 1000],
    ['db.r5.2xlarge', MYSQL, 3000],
    ['db.r7g.16xlarge', MYSQL, 6000],
    ['db.r5.24xlarge', MYSQL, 7000],
    // Aurora PostgreSQL: LEAST(DBInstanceClassMemory/9531392, 5000) with the library's memory model
    // (16 GiB: 17179869184 - 268435456 - 1073741824 = 15837691904 / 9531392 -> 1661).
    ['db.r6g.large', POSTGRESQL, 1661],
    ['db.t4g.medium', POSTGRESQL, 394],
    ['db.r6g.4xlarge', POSTGRESQL, 5000],
  ])('%s on Aurora %s defaults to %i', (instanceClass, engine, expected) => {
    expect(AuroraMaxConnections.forInstanceClass(engine, instanceClass)).toBe(expected);
  });

  test('Aurora PostgreSQL follows the RDS for PostgreSQL formula on every class the memory table knows', () => {
    for (const instanceClass of ['db.t3.medium', 'db.r5.large', 'db.r6i.8xlarge', 'db.r7g.xlarge']) {
      expect(AuroraMaxConnections.forInstanceClass(POSTGRESQL, instanceClass)).toBe(MaxConnections.forInstanceClass(POSTGRESQL, instanceClass));
    }
  });

  test('Aurora MySQL grows with the class within a family', () => {
    const sizes = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
    for (const family of ['r5', 'r6g', 'r6i', 'r7g']) {
      const values = sizes.map(s => AuroraMaxConnections.forInstanceClass(MYSQL, `${family}.${s}`));
      expect([...values].sort((a, b) => a - b)).toEqual(values);
    }
  });

  test('an unknown class and db.serverless throw errors that say what to do', () => {
    expect(AuroraMaxConnections.isKnownInstanceClass(MYSQL, 'db.x2g.large')).toBe(false);
    expect(() => AuroraMaxConnections.forInstanceClass(MYSQL, 'db.x2g.large')).toThrow(/`maxConnections`/);
    expect(AuroraMaxConnections.isKnownInstanceClass(POSTGRESQL, 'db.serverless')).toBe(false);
    expect(() => AuroraMaxConnections.forInstanceClass(POSTGRESQL, 'db.serverless')).toThrow(/forServerlessV2/);
  });
});

describe('AuroraMaxConnections.forServerlessV2', () => {
  test.each([
    // AWS's table of Aurora Serverless v2 maximum capacities.
    [MYSQL, 0.5, 1, 90],
    [MYSQL, 0.5, 16, 2000],
    [MYSQL, 2, 64, 4000],
    [POSTGRESQL, 1, 1, 189],
    [POSTGRESQL, 1, 16, 3360],
    [POSTGRESQL, 2, 32, 5000],
    // With a minimum of 0 or 0.5 ACU Aurora PostgreSQL stops at 2,000.
    [POSTGRESQL, 0.5, 16, 2000],
    [POSTGRESQL, 0, 64, 2000],
    [POSTGRESQL, 0.5, 8, 1669],
    // A maximum between two rows takes the lower one.
    [POSTGRESQL, 1, 12, 1669],
    [MYSQL, 1, 5.5, 135],
  ])('Aurora %s with %d..%d ACU defaults to %i', (engine, min, max, expected) => {
    expect(AuroraMaxConnections.forServerlessV2(engine, min, max)).toBe(expected);
  });

  test('grows with the maximum capacity, never shrinks', () => {
    fc.assert(fc.property(fc.constantFrom(POSTGRESQL, MYSQL), acu(0), acu(1), acu(1), (engine, min, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      fc.pre(min <= low);
      expect(AuroraMaxConnections.forServerlessV2(engine, min, low)).toBeLessThanOrEqual(AuroraMaxConnections.forServerlessV2(engine, min, high));
    }));
  });

  test('never exceeds the PostgreSQL formula on the nominal memory of the maximum (2 GiB per ACU), nor 5000', () => {
    fc.assert(fc.property(acu(0), acu(1), (min, max) => {
      fc.pre(min <= max);
      const value = AuroraMaxConnections.forServerlessV2(POSTGRESQL, min, max);
      expect(value).toBeLessThanOrEqual(Math.min(Math.floor((max * 2 * 1024 ** 3) / 9531392), 5000));
      if (min <= 0.5) {
        expect(value).toBeLessThanOrEqual(2000);
      }
    }));
  });

  test('does not depend on the minimum for Aurora MySQL', () => {
    fc.assert(fc.property(acu(0), acu(0), acu(1), (a, b, max) => {
      fc.pre(a <= max && b <= max);
      expect(AuroraMaxConnections.forServerlessV2(MYSQL, a, max)).toBe(AuroraMaxConnections.forServerlessV2(MYSQL, b, max));
    }));
  });

  test.each([
    [-0.5, 4, /minCapacity must be between 0 and 256/],
    [0.25, 4, /steps of 0.5/],
    [0.5, 0.5, /maxCapacity must be between 1 and 256/],
    [0.5, 300, /maxCapacity must be between 1 and 256/],
    [8, 4, /must not exceed maxCapacity/],
  ])('rejects the range %d..%d', (min, max, message) => {
    expect(() => AuroraMaxConnections.forServerlessV2(POSTGRESQL, min, max)).toThrow(message);
  });
});

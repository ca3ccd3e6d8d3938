import fc from 'fast-check';
import { OBSERVED_DEFAULTS } from './observed-defaults';
import { DatabaseEngineFamily, MaxConnections } from '../../lib';

const { POSTGRESQL, MYSQL } = DatabaseEngineFamily;

const FAMILIES = ['t3', 't4g', 'm5', 'm6g', 'm6i', 'm7g', 'r5', 'r6g', 'r6i', 'r7g'];
const SIZES = [
  'nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge',
  '12xlarge', '16xlarge', '24xlarge', '32xlarge', '48xlarge',
];
/** Every class of the families above that the library's memory table knows. */
const KNOWN_CLASSES = FAMILIES.flatMap(f => SIZES.map(s => `db.${f}.${s}`)).filter(c => MaxConnections.isKnownInstanceClass(c));

describe('MaxConnections.forInstanceClass: the default formulas with the DBInstanceClassMemory model', () => {
  // Hand computation: usable = nominal - 256 MiB - nominal/16, then
  // PostgreSQL floor(usable / 9531392) capped at 5000, MySQL floor(usable / 12582880).
  //   1 GiB:  1073741824 - 268435456 -   67108864 =   738197504 -> PG    77, MySQL    58
  //   2 GiB:  2147483648 - 268435456 -  134217728 =  1744830464 -> PG   183, MySQL   138
  //   4 GiB:  4294967296 - 268435456 -  268435456 =  3758096384 -> PG   394, MySQL   298
  //   8 GiB:  8589934592 - 268435456 -  536870912 =  7784628224 -> PG   816, MySQL   618
  //  16 GiB: 17179869184 - 268435456 - 1073741824 = 15837691904 -> PG  1661, MySQL  1258
  //  32 GiB: 34359738368 - 268435456 - 2147483648 = 31943819264 -> PG  3351, MySQL  2538
  //  64 GiB: 68719476736 - 268435456 - 4294967296 = 64156073984 -> PG  5000 (6731 capped), MySQL 5098
  test.each([
    ['db.t3.micro', POSTGRESQL, 77],
    ['db.t3.micro', MYSQL, 58],
    ['db.t3.small', POSTGRESQL, 183],
    ['db.t3.small', MYSQL, 138],
    ['db.t4g.medium', POSTGRESQL, 394],
    ['db.t4g.medium', MYSQL, 298],
    ['db.m5.large', POSTGRESQL, 816],
    ['db.m5.large', MYSQL, 618],
    ['db.r6g.large', POSTGRESQL, 1661],
    ['db.r6g.large', MYSQL, 1258],
    ['db.m5.2xlarge', POSTGRESQL, 3351],
    ['db.m5.2xlarge', MYSQL, 2538],
    ['db.m5.4xlarge', POSTGRESQL, 5000],
    ['db.m5.4xlarge', MYSQL, 5098],
  ])('%s on %s defaults to %i', (instanceClass, engine, expected) => {
    expect(MaxConnections.forInstanceClass(engine, instanceClass)).toBe(expected);
  });

  test('the estimated DBInstanceClassMemory of 4 GiB is 4 GiB less 256 MiB less 1/16', () => {
    expect(MaxConnections.usableMemoryBytes(4)).toBe(3758096384);
  });

  test('PostgreSQL stops at 5000 on large classes while MySQL keeps growing', () => {
    expect(MaxConnections.forInstanceClass(POSTGRESQL, 'db.r6i.32xlarge')).toBe(5000);
    // 1024 GiB: 1099511627776 - 268435456 - 68719476736 = 1030523715584 / 12582880 -> 81898
    expect(MaxConnections.forInstanceClass(MYSQL, 'db.r6i.32xlarge')).toBe(81898);
  });

  test.each(['t4g.medium', 'db.t4g.medium', 'DB.T4G.MEDIUM', 'T4g.Medium', '  db.t4g.medium  '])(
    'the class name %p is read without caring for the db. prefix or the case',
    name => {
      expect(MaxConnections.forInstanceClass(POSTGRESQL, name)).toBe(394);
      expect(MaxConnections.isKnownInstanceClass(name)).toBe(true);
      expect(MaxConnections.instanceMemoryGib(name)).toBe(4);
    },
  );

  test('an unknown class throws an error that tells the user to set maxConnections', () => {
    expect(MaxConnections.isKnownInstanceClass('db.x2g.large')).toBe(false);
    expect(() => MaxConnections.forInstanceClass(POSTGRESQL, 'db.x2g.large')).toThrow(/db\.x2g\.large/);
    expect(() => MaxConnections.forInstanceClass(MYSQL, 'x2g.large')).toThrow(/`maxConnections`/);
    expect(() => MaxConnections.instanceMemoryGib('db.x2g.large')).toThrow(/db\.x2g\.large is not in/);
  });

  test.each([0, -1, Number.NaN])('forMemory rejects a memory of %p GiB', memoryGib => {
    expect(() => MaxConnections.forMemory(POSTGRESQL, memoryGib)).toThrow(/memoryGib must be a positive number/);
  });

  test('a memory too small for one connection still gives 1, not 0 or a negative number', () => {
    expect(MaxConnections.forMemory(POSTGRESQL, 0.25)).toBe(1);
    expect(MaxConnections.forMemory(MYSQL, 0.25)).toBe(1);
  });
});

describe('the DBInstanceClassMemory model against defaults observed on real instances', () => {
  test('the fixture covers both engines', () => {
    expect(OBSERVED_DEFAULTS.filter(o => o.engine === POSTGRESQL).length).toBeGreaterThanOrEqual(4);
    expect(OBSERVED_DEFAULTS.filter(o => o.engine === MYSQL).length).toBeGreaterThanOrEqual(4);
    for (const o of OBSERVED_DEFAULTS) {
      expect(o.source).toMatch(/^https?:\/\//);
    }
  });

  test.each(OBSERVED_DEFAULTS.map(o => [o.instanceClass, o.engine, o.memoryGib, o.observedMaxConnections] as const))(
    '%s on %s (%i GiB, observed %i): the calculator never promises more, and stays within 15%',
    (_instanceClass, engine, memoryGib, observed) => {
      // WHEN
      const computed = MaxConnections.forMemory(engine, memoryGib);
      // THEN
      expect(computed).toBeLessThanOrEqual(observed);
      expect(computed).toBeGreaterThanOrEqual(Math.ceil(observed * 0.85));
    },
  );
});

describe('the instance memory table', () => {
  test.each(FAMILIES)('family %s has sizes', family => {
    expect(KNOWN_CLASSES.filter(c => c.startsWith(`db.${family}.`)).length).toBeGreaterThan(0);
  });

  test.each([
    ['db.t3.micro', 1], ['db.t3.small', 2], ['db.t3.medium', 4], ['db.t4g.large', 8], ['db.t4g.2xlarge', 32],
    ['db.m5.large', 8], ['db.m6g.xlarge', 16], ['db.m6i.32xlarge', 512], ['db.r5.large', 16], ['db.r7g.16xlarge', 512],
  ])('%s has %i GiB', (instanceClass, gib) => {
    expect(MaxConnections.instanceMemoryGib(instanceClass)).toBe(gib);
  });

  test.each([['m5', 'r5'], ['m6g', 'r6g'], ['m6i', 'r6i'], ['m7g', 'r7g']])(
    'db.%s and db.%s offer the same sizes, the r class with twice the memory',
    (m, r) => {
      const sizesOf = (family: string) => KNOWN_CLASSES.filter(c => c.startsWith(`db.${family}.`)).map(c => c.split('.')[2]);
      expect(sizesOf(r)).toEqual(sizesOf(m));
      for (const size of sizesOf(m)) {
        expect(MaxConnections.instanceMemoryGib(`db.${r}.${size}`)).toBe(2 * MaxConnections.instanceMemoryGib(`db.${m}.${size}`));
      }
    },
  );
});

describe('properties of the formula', () => {
  const engine = fc.constantFrom(POSTGRESQL, MYSQL);
  const memory = fc.double({ min: 0.001, max: 4096, noNaN: true, noDefaultInfinity: true });

  test('forMemory is monotone non-decreasing in memory for both engines', () => {
    fc.assert(fc.property(engine, memory, memory, (e, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      expect(MaxConnections.forMemory(e, low)).toBeLessThanOrEqual(MaxConnections.forMemory(e, high));
    }));
  });

  test('PostgreSQL never exceeds 5000 for any memory up to 4096 GiB', () => {
    fc.assert(fc.property(memory, m => {
      expect(MaxConnections.forMemory(POSTGRESQL, m)).toBeLessThanOrEqual(5000);
    }));
  });

  test('the result is always a whole number of at least 1', () => {
    fc.assert(fc.property(engine, memory, (e, m) => {
      const result = MaxConnections.forMemory(e, m);
      expect(Number.isInteger(result)).toBe(true);
      expect(result).toBeGreaterThanOrEqual(1);
    }));
  });

  test('forInstanceClass over all known classes is monotone in the class memory', () => {
    expect(KNOWN_CLASSES.length).toBeGreaterThan(50);
    const cls = fc.constantFrom(...KNOWN_CLASSES);
    fc.assert(fc.property(engine, cls, cls, (e, a, b) => {
      const [low, high] = MaxConnections.instanceMemoryGib(a) <= MaxConnections.instanceMemoryGib(b) ? [a, b] : [b, a];
      expect(MaxConnections.forInstanceClass(e, low)).toBeLessThanOrEqual(MaxConnections.forInstanceClass(e, high));
    }), { numRuns: 500 });
  });
});

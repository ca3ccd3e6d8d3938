import { DatabaseEngineFamily } from './engine-family';
import { MaxConnections } from './max-connections';
import { normalizeInstanceClass } from './instance-memory';

/**
 * Aurora MySQL's default `max_connections` per provisioned instance class, as AWS tabulates it.
 *
 * Source: Amazon Aurora User Guide, "Maximum connections to an Aurora MySQL DB instance"
 * (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html).
 * The default parameter group computes it with a logarithm of DBInstanceClassMemory; AWS
 * publishes the resulting values, so the library uses them as published instead of modelling
 * the memory the formula sees.
 */
const AURORA_MYSQL_BURSTABLE: Record<string, number> = {
  'db.t3.small': 45, 'db.t3.medium': 90, 'db.t3.large': 135,
  'db.t4g.medium': 90, 'db.t4g.large': 135,
};
const AURORA_MYSQL_MEMORY_OPTIMIZED_SIZES: Record<string, number> = {
  'large': 1000, 'xlarge': 2000, '2xlarge': 3000, '4xlarge': 4000,
  '8xlarge': 5000, '12xlarge': 6000, '16xlarge': 6000, '24xlarge': 7000,
};
const AURORA_MYSQL_MEMORY_OPTIMIZED_FAMILIES = ['r5', 'r6g', 'r6i', 'r7g'];

/**
 * Aurora Serverless v2: the default `max_connections` of an instance follows the memory of the
 * cluster's MAXIMUM capacity (one ACU is about 2 GiB), not of its current capacity, so it does not
 * change while the instance scales. AWS publishes the value for these maximum capacities.
 *
 * Source: Amazon Aurora User Guide, "Performance and scaling for Aurora Serverless v2",
 * section "Maximum connections for Aurora Serverless v2"
 * (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.max-connections).
 * A maximum between two rows takes the lower row: never more than the engine allows.
 */
const SERVERLESS_V2_ROWS: ReadonlyArray<{ maxAcu: number; mysql: number; postgresql: number }> = [
  { maxAcu: 1, mysql: 90, postgresql: 189 },
  { maxAcu: 4, mysql: 135, postgresql: 823 },
  { maxAcu: 8, mysql: 1000, postgresql: 1669 },
  { maxAcu: 16, mysql: 2000, postgresql: 3360 },
  { maxAcu: 32, mysql: 3000, postgresql: 5000 },
  { maxAcu: 64, mysql: 4000, postgresql: 5000 },
  { maxAcu: 128, mysql: 5000, postgresql: 5000 },
  { maxAcu: 192, mysql: 6000, postgresql: 5000 },
  { maxAcu: 256, mysql: 6000, postgresql: 5000 },
];

/**
 * Same source: with a minimum capacity of 0 or 0.5 ACU, Aurora PostgreSQL caps `max_connections`
 * at 2,000 whatever the maximum.
 */
const POSTGRESQL_LOW_MINIMUM_CAP = 2000;
const LOW_MINIMUM_ACU = 0.5;

/** Smallest and largest capacities Aurora Serverless v2 accepts (API ServerlessV2ScalingConfiguration). */
const SERVERLESS_V2_MIN_ACU = 0;
const SERVERLESS_V2_MAX_ACU = 256;

/**
 * The default `max_connections` of Aurora instances, computed at synth time: per provisioned
 * instance class, or for Aurora Serverless v2 from the cluster's capacity range.
 */
export class AuroraMaxConnections {
  /**
   * The default `max_connections` of a provisioned Aurora instance of `instanceClass`.
   *
   * Aurora PostgreSQL: `LEAST({DBInstanceClassMemory/9531392}, 5000)`, the formula of RDS for
   * PostgreSQL, evaluated with the library's DBInstanceClassMemory model. Aurora MySQL: AWS's
   * published table. Throws for a class the library does not know; pass `maxConnections` then.
   *
   * @param engine the engine family of the cluster
   * @param instanceClass an Aurora instance class, with or without the `db.` prefix
   */
  public static forInstanceClass(engine: DatabaseEngineFamily, instanceClass: string): number {
    const normalized = normalizeInstanceClass(instanceClass);
    if (normalized === 'db.serverless') {
      throw new Error('db.serverless takes its max_connections from the capacity range: use AuroraMaxConnections.forServerlessV2()');
    }
    if (engine === DatabaseEngineFamily.POSTGRESQL) {
      return MaxConnections.forInstanceClass(engine, normalized);
    }
    const value = auroraMysqlTable(normalized);
    if (value === undefined) {
      throw new Error(
        `The instance class ${normalized} is not in cdk-serverless-rds's Aurora MySQL table, so its max_connections ` +
        'cannot be computed: set `maxConnections` to the value for this class (shown by `SELECT @@max_connections`).',
      );
    }
    return value;
  }

  /** Whether `forInstanceClass` knows `instanceClass` for `engine`. */
  public static isKnownInstanceClass(engine: DatabaseEngineFamily, instanceClass: string): boolean {
    const normalized = normalizeInstanceClass(instanceClass);
    return engine === DatabaseEngineFamily.POSTGRESQL
      ? normalized !== 'db.serverless' && MaxConnections.isKnownInstanceClass(normalized)
      : auroraMysqlTable(normalized) !== undefined;
  }

  /**
   * The default `max_connections` of an Aurora Serverless v2 instance with the capacity range
   * `minCapacity`..`maxCapacity` (ACU). It follows the maximum, so it holds at every capacity the
   * instance scales to; Aurora PostgreSQL caps it at 2,000 when the minimum is 0 or 0.5 ACU.
   *
   * @param engine the engine family of the cluster
   * @param minCapacity minimum ACU (0 to 256, in steps of 0.5)
   * @param maxCapacity maximum ACU (1 to 256, in steps of 0.5)
   */
  public static forServerlessV2(engine: DatabaseEngineFamily, minCapacity: number, maxCapacity: number): number {
    validateCapacity('minCapacity', minCapacity, SERVERLESS_V2_MIN_ACU);
    validateCapacity('maxCapacity', maxCapacity, 1);
    if (minCapacity > maxCapacity) {
      throw new Error(`minCapacity (${minCapacity} ACU) must not exceed maxCapacity (${maxCapacity} ACU)`);
    }
    const row = [...SERVERLESS_V2_ROWS].reverse().find(r => r.maxAcu <= maxCapacity)!;
    if (engine === DatabaseEngineFamily.MYSQL) {
      return row.mysql;
    }
    return minCapacity <= LOW_MINIMUM_ACU ? Math.min(row.postgresql, POSTGRESQL_LOW_MINIMUM_CAP) : row.postgresql;
  }

  private constructor() {}
}

function auroraMysqlTable(normalized: string): number | undefined {
  if (AURORA_MYSQL_BURSTABLE[normalized] !== undefined) {
    return AURORA_MYSQL_BURSTABLE[normalized];
  }
  const [, family, size] = normalized.split('.');
  return AURORA_MYSQL_MEMORY_OPTIMIZED_FAMILIES.includes(family) ? AURORA_MYSQL_MEMORY_OPTIMIZED_SIZES[size] : undefined;
}

function validateCapacity(name: string, value: number, lowest: number): void {
  if (!Number.isFinite(value) || value < lowest || value > SERVERLESS_V2_MAX_ACU || Math.round(value * 2) !== value * 2) {
    throw new Error(`${name} must be between ${lowest} and ${SERVERLESS_V2_MAX_ACU} ACU in steps of 0.5, got: ${value}`);
  }
}

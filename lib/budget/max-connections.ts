import { engineFacts } from './engine-facts';
import { DatabaseEngineFamily } from './engine-family';
import { instanceMemoryGib, normalizeInstanceClass } from './instance-memory';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * RDS evaluates the default formulas with DBInstanceClassMemory: the class memory less what the
 * operating system and RDS's own processes keep. AWS publishes no figure for it, so the library
 * models it as 256 MiB plus 1/16 of the class memory. Checked against defaults observed on real
 * instances (see test/budget/observed-defaults.ts): the model stays 2-12% below every one, so the
 * value written is never more than the engine would allow by default.
 */
const FIXED_RESERVE_BYTES = 256 * MIB;
const PROPORTIONAL_RESERVE = 1 / 16;

/**
 * The engines' default `max_connections`, computed at synth time for an instance class.
 */
export class MaxConnections {
  /**
   * Estimated DBInstanceClassMemory (bytes) of an instance with `memoryGib` GiB of memory.
   *
   * @param memoryGib nominal memory of the instance class, in GiB
   */
  public static usableMemoryBytes(memoryGib: number): number {
    if (!(memoryGib > 0)) {
      throw new Error(`memoryGib must be a positive number, got: ${memoryGib}`);
    }
    const nominal = memoryGib * GIB;
    return Math.floor(nominal - FIXED_RESERVE_BYTES - nominal * PROPORTIONAL_RESERVE);
  }

  /**
   * The default `max_connections` of `engine` on an instance with `memoryGib` GiB of memory.
   *
   * PostgreSQL: `LEAST(DBInstanceClassMemory/9531392, 5000)`; MySQL:
   * `DBInstanceClassMemory/12582880`, rounded down, at least 1.
   *
   * @param engine the engine whose formula applies
   * @param memoryGib nominal memory of the instance class, in GiB
   */
  public static forMemory(engine: DatabaseEngineFamily, memoryGib: number): number {
    const facts = engineFacts(engine);
    const byMemory = Math.floor(MaxConnections.usableMemoryBytes(memoryGib) / facts.bytesPerConnection);
    const capped = facts.ceiling === undefined ? byMemory : Math.min(byMemory, facts.ceiling);
    return Math.max(1, capped);
  }

  /**
   * The default `max_connections` of `engine` on `instanceClass` (`db.t4g.medium` or `t4g.medium`).
   *
   * Throws when the class is not in the library's table; pass `maxConnections` to the
   * construct in that case.
   *
   * @param engine the engine whose formula applies
   * @param instanceClass an RDS instance class, with or without the `db.` prefix
   */
  public static forInstanceClass(engine: DatabaseEngineFamily, instanceClass: string): number {
    const memory = instanceMemoryGib(instanceClass);
    if (memory === undefined) {
      throw new Error(
        `The instance class ${normalizeInstanceClass(instanceClass)} is not in cdk-serverless-rds's memory table, ` +
        'so its max_connections cannot be computed: set `maxConnections` to the value for this class ' +
        '(for example the `max_connections` shown by the engine on an instance of that class).',
      );
    }
    return MaxConnections.forMemory(engine, memory);
  }

  /**
   * Whether the library's memory table knows `instanceClass`.
   *
   * @param instanceClass an RDS instance class, with or without the `db.` prefix
   */
  public static isKnownInstanceClass(instanceClass: string): boolean {
    return instanceMemoryGib(instanceClass) !== undefined;
  }

  /**
   * Nominal memory of `instanceClass` in GiB; throws for a class not in the table.
   *
   * @param instanceClass an RDS instance class, with or without the `db.` prefix
   */
  public static instanceMemoryGib(instanceClass: string): number {
    const memory = instanceMemoryGib(instanceClass);
    if (memory === undefined) {
      throw new Error(`The instance class ${normalizeInstanceClass(instanceClass)} is not in cdk-serverless-rds's memory table`);
    }
    return memory;
  }

  private constructor() {}
}

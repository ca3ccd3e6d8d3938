import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ManagedDatabaseOptions } from './managed-database-options';
import { Pooler } from '../pooler/pooler';

/**
 * Properties of a `ServerlessDatabase`.
 */
export interface ServerlessDatabaseProps extends ManagedDatabaseOptions {
  /**
   * The engine, with its version: PostgreSQL 15-17 or MySQL 8.0/8.4.
   *
   * @example rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 })
   */
  readonly engine: rds.IInstanceEngine;

  /**
   * The instance class. Its memory sets the default `max_connections` and so the budget.
   *
   * @example ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM)
   */
  readonly instanceType: ec2.InstanceType;

  /**
   * `max_connections` of the database, written as an explicit integer in the parameter group.
   *
   * @default - the engine's default formula for `instanceType`, computed at synth time; required
   * for an instance class the library does not know
   */
  readonly maxConnections?: number;

  /**
   * Extra or overriding parameters of the parameter group (set `max_connections` with
   * `maxConnections` instead).
   *
   * @default - only the tuned parameters
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Whether the instance has a standby in another Availability Zone.
   *
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * Storage allocated at creation, in GiB (gp3).
   *
   * @default 20
   */
  readonly allocatedStorage?: number;

  /**
   * Upper limit of storage autoscaling, in GiB; must be larger than `allocatedStorage`.
   *
   * @default - 100, or twice `allocatedStorage` when that is more
   */
  readonly maxAllocatedStorage?: number;

  /**
   * Whether Performance Insights is on (encrypted with `encryptionKey`). It feeds CloudWatch
   * Database Insights, which replaces the Performance Insights console.
   *
   * RDS for MySQL does not offer it on the micro and small burstable classes (db.t2, db.t3,
   * db.t4g); asking for it there is a synth error. RDS for PostgreSQL offers it on every class.
   *
   * @default - on, except for MySQL on the micro and small burstable classes
   */
  readonly performanceInsights?: boolean;

  /**
   * The mode of CloudWatch Database Insights. Standard keeps 7 days of database load history at
   * no charge. Advanced adds fleet-wide monitoring and execution plans, is charged, and needs
   * 15 months of Performance Insights retention, which the construct then sets. Needs
   * Performance Insights.
   *
   * @example rds.DatabaseInsightsMode.ADVANCED
   * @default - DatabaseInsightsMode.STANDARD when Performance Insights is on, otherwise not set
   */
  readonly databaseInsightsMode?: rds.DatabaseInsightsMode;

  /**
   * What functions connect through: `Pooler.rdsProxy()`, `Pooler.pgBouncer(options)` (PostgreSQL,
   * password from the secret) or `Pooler.none()` (straight to the instance). The synth output and
   * the budget file show the monthly cost of each for the instance class.
   *
   * @default Pooler.rdsProxy()
   */
  readonly pooler?: Pooler;

  /**
   * The region whose prices the pooler cost estimate uses (us-east-1, us-west-2, eu-west-1,
   * eu-central-1). An unknown region is an error.
   *
   * @default - the stack's region when it is known and has prices; otherwise no estimate
   */
  readonly pricingRegion?: string;

}

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ConnectionBudgetOptions } from './budget-options';
import { ProxyPoolOptions } from './proxy-options';

/**
 * Properties of a `ServerlessDatabase`.
 */
export interface ServerlessDatabaseProps extends ConnectionBudgetOptions {
  /** The VPC of the database, its proxy and its functions. */
  readonly vpc: ec2.IVpc;

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
   * Name of the database created on the instance.
   *
   * @default 'app'
   */
  readonly databaseName?: string;

  /**
   * The master user, whose generated credentials the proxy uses and whom functions log in as.
   *
   * @default 'dbadmin'
   */
  readonly username?: string;

  /**
   * Subnets of the instance and the proxy.
   *
   * @default - the VPC's private isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Subnets of wired functions and of the rotation function.
   *
   * @default - the VPC's private subnets with egress if it has any, otherwise its isolated subnets
   */
  readonly functionSubnets?: ec2.SubnetSelection;

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
   * How long automated backups are kept.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * Whether the instance refuses deletion.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the instance when it leaves the stack. The secret and the key are retained
   * unless this is DESTROY.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Customer-managed key for storage, the secret, Performance Insights and function logs. A key
   * you pass must let CloudWatch Logs use it.
   *
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

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
   * Interval of Enhanced Monitoring (0 turns it off).
   *
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;

  /**
   * Whether the master secret is rotated (single-user rotation, which the proxy follows).
   *
   * @default true
   */
  readonly rotation?: boolean;

  /**
   * How often the secret is rotated.
   *
   * @default Duration.days(30)
   */
  readonly rotationInterval?: Duration;

  /**
   * The Secrets Manager interface endpoint the rotation function calls from subnets without
   * internet access.
   *
   * @default - the public Secrets Manager endpoint, reached through the subnets' egress
   */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;

  /**
   * Whether clients authenticate to the proxy with IAM tokens. When false, functions read the
   * password from the secret instead.
   *
   * @default true
   */
  readonly iamAuthentication?: boolean;

  /**
   * Whether every wired function gets its own least-privilege database user (see
   * `databaseUser` of the function props): created by a custom resource in the VPC, IAM
   * authentication only, its connection limit enforced by the database and equal to the
   * function's budget allocation. The proxy then uses end-to-end IAM authentication
   * (`DefaultAuthScheme` IAM_AUTH) and holds no secret: no function and not the proxy can read
   * the master secret, which stays for administration and rotation. Requires `iamAuthentication`.
   *
   * @default false
   */
  readonly functionUsers?: boolean;

  /**
   * Pool settings of the RDS Proxy.
   *
   * @example
   * import { Duration } from 'aws-cdk-lib';
   * import { ServerlessDatabase } from 'cdk-serverless-rds';
   *
   * new ServerlessDatabase(this, 'Db', {
   *   vpc,
   *   engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
   *   instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
   *   proxy: { maxIdleConnectionsPercent: 10, borrowTimeout: Duration.seconds(10) },
   * });
   *
   * @default - derived from the connection budget
   */
  readonly proxy?: ProxyPoolOptions;

  /**
   * Retention of the log group shared by wired functions.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly functionLogRetention?: logs.RetentionDays;

}

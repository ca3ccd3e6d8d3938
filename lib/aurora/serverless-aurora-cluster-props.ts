import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ConnectionBudgetOptions } from '../database/budget-options';
import { ProxyPoolOptions } from '../database/proxy-options';

/**
 * Properties of a `ServerlessAuroraCluster`.
 */
export interface ServerlessAuroraClusterProps extends ConnectionBudgetOptions {
  /** The VPC of the cluster, its proxy and its functions. */
  readonly vpc: ec2.IVpc;

  /**
   * The Aurora engine, with its version: Aurora PostgreSQL or Aurora MySQL 3.
   *
   * @example rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 })
   */
  readonly engine: rds.IClusterEngine;

  /**
   * The instance class of the writer and the readers (provisioned). Leave it unset for Aurora
   * Serverless v2 (`db.serverless`, sized by `minCapacity` and `maxCapacity`).
   *
   * @default - Aurora Serverless v2
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Minimum capacity of Aurora Serverless v2 instances, in ACU (0 to 256, in steps of 0.5). 0
   * lets the cluster pause, which RDS Proxy does not support: use it with `rdsProxy: false` and
   * the Data API.
   *
   * @default 0.5
   */
  readonly minCapacity?: number;

  /**
   * Maximum capacity of Aurora Serverless v2 instances, in ACU (1 to 256, in steps of 0.5). It
   * sets `max_connections` of every instance and so the budget.
   *
   * @default 4
   */
  readonly maxCapacity?: number;

  /**
   * Number of reader instances (same class or capacity as the writer). Readers get a read-only
   * endpoint of the proxy and their own connection budget (`readers.budget`).
   *
   * @default 0
   */
  readonly readers?: number;

  /**
   * `max_connections` of every instance, written as an explicit integer in the instance
   * parameter group.
   *
   * @default - AWS's default for the instance class, or for Serverless v2 for the capacity range
   */
  readonly maxConnections?: number;

  /**
   * Whether functions connect through an RDS Proxy (TLS and IAM required).
   *
   * @default true
   */
  readonly rdsProxy?: boolean;

  /**
   * Whether the RDS Data API (HTTP, no VPC and no connection management in functions) is on.
   * Functions created with `addDataApiFunction()` use it.
   *
   * @default false
   */
  readonly dataApi?: boolean;

  /**
   * Extra or overriding parameters of the cluster parameter group.
   *
   * @default - only the tuned parameters
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Name of the database created in the cluster.
   *
   * @default 'app'
   */
  readonly databaseName?: string;

  /**
   * The master user, whose generated credentials the proxy and the Data API use.
   *
   * @default 'dbadmin'
   */
  readonly username?: string;

  /**
   * Subnets of the cluster and the proxy.
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
   * How long automated backups are kept.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * Whether the cluster refuses deletion.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the cluster when it leaves the stack. The secret and the key are retained
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
   * Pool settings of the RDS Proxy.
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

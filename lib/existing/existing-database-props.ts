import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { ConnectionBudgetOptions } from '../database/budget-options';

/**
 * Properties of an `ExistingDatabase`: an RDS instance and RDS Proxy this app does not create.
 */
export interface ExistingDatabaseProps extends ConnectionBudgetOptions {
  /** The VPC of the database and its proxy; wired functions run in it. */
  readonly vpc: ec2.IVpc;

  /** The database engine. */
  readonly engine: DatabaseEngineFamily;

  /** Identifier of the database instance (its `DBInstanceIdentifier`). */
  readonly instanceIdentifier: string;

  /**
   * The instance's `max_connections`, as it is configured: the budget is computed from it, and
   * the deploy-time guard checks it against the instance.
   */
  readonly maxConnections: number;

  /** The proxy functions connect through, imported with `rds.DatabaseProxy.fromDatabaseProxyAttributes()`. */
  readonly proxy: rds.IDatabaseProxy;

  /**
   * The proxy's security group: an ingress rule lets the wired functions' security group in on
   * the proxy's port (import it mutable, with `ec2.SecurityGroup.fromSecurityGroupId()`).
   */
  readonly proxySecurityGroup: ec2.ISecurityGroup;

  /** The proxy's `MaxConnectionsPercent` as it is configured; the guard checks it. */
  readonly proxyMaxConnectionsPercent: number;

  /** The database functions connect to. */
  readonly databaseName: string;

  /** The database user functions log in as. */
  readonly username: string;

  /**
   * The port the proxy listens on.
   *
   * @default - the engine's default port (5432 or 3306)
   */
  readonly port?: number;

  /**
   * Whether functions log in with IAM authentication through the proxy; otherwise they read
   * `secret`.
   *
   * @default true
   */
  readonly iamAuthentication?: boolean;

  /**
   * The credentials functions read when `iamAuthentication` is false, and the key that encrypts
   * them (given with `secretEncryptionKey`).
   *
   * @default - none; required when `iamAuthentication` is false
   */
  readonly secret?: secretsmanager.ISecret;

  /**
   * The key that encrypts `secret`, which functions may use through Secrets Manager only.
   *
   * @default - none; required with `secret`
   */
  readonly secretEncryptionKey?: kms.IKey;

  /**
   * Subnets wired functions are placed in.
   *
   * @default - private subnets with egress if the VPC has any, otherwise isolated subnets
   */
  readonly functionSubnets?: ec2.SubnetSelection;

  /**
   * Slots the engine keeps for superusers and RDS's own sessions.
   *
   * @default - 9 for PostgreSQL, 3 for MySQL
   */
  readonly reservedConnections?: number;

  /**
   * The key that encrypts the functions' shared log group and the guard's logs.
   *
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the functions' shared log group.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly functionLogRetention?: logs.RetentionDays;

  /**
   * Whether a custom resource checks at deploy time, through the RDS API, that the budget fits
   * the instance and the proxy as they are, and fails the deployment otherwise.
   *
   * @default true
   */
  readonly deployTimeGuard?: boolean;
}

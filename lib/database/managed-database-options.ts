import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ConnectionBudgetOptions } from './budget-options';
import { ProxyPoolOptions } from './proxy-options';

/**
 * What every database the library creates (an RDS instance or an Aurora cluster) takes: its
 * network, names, protection, credentials rotation, proxy pool and function logs.
 */
export interface ManagedDatabaseOptions extends ConnectionBudgetOptions {
  /** The VPC of the database (instance or cluster), its proxy and its functions. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the database and the proxy.
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
   * Name of the database created on the instance or cluster.
   *
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * The master user, whose generated credentials the proxy (and the Data API) use.
   *
   * @default 'dbadmin'
   */
  readonly username?: string;
  /**
   * Customer-managed key for storage, the secret, Performance Insights and function logs. A key
   * you pass must let CloudWatch Logs use it.
   *
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long automated backups are kept.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * Whether the instance or cluster refuses deletion.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the instance or cluster when it leaves the stack. The secret and the key are retained
   * unless this is DESTROY.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
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
   * Whether every function wired through RDS Proxy gets its own least-privilege database user
   * (see `databaseUser` of the function props), created by a custom resource in the VPC, with a
   * connection limit the database enforces, equal to the function's budget allocation, and only
   * the grants asked for. With `iamAuthentication` (the default) the proxy uses IAM from end to
   * end (`DefaultAuthScheme` IAM_AUTH) and holds no secret: the users have no password, and
   * neither the functions nor the proxy can read the master secret, which stays for
   * administration and rotation. Without it, each user has its own secret, registered on the
   * proxy and rotated by the same custom resource; each function reads only its own user's
   * secret. Set it to false to let functions log in as the master user (and use
   * `grantConnect()`).
   *
   * @default true with RDS Proxy; not available with another pooler or without a proxy
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

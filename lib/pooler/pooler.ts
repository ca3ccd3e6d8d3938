import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PoolerKind } from '../budget/pooler-kind';

/**
 * Options of the PgBouncer service (`Pooler.pgBouncer()`).
 */
export interface PgBouncerOptions {
  /**
   * The container image, by reference (nothing is built at synth), e.g.
   * `ecs.ContainerImage.fromRegistry('<registry>/pgbouncer:1.23.1')` or an ECR repository of
   * yours. It needs `pgbouncer` (1.18 or newer) on the PATH, a POSIX shell, and a non-root user:
   * the start command writes the generated configuration, user list and certificates to
   * `/tmp/pgbouncer`, then runs PgBouncer in the foreground.
   */
  readonly image: ecs.ContainerImage;

  /**
   * The certificate PgBouncer presents to clients: a secret whose JSON has `certificate` and
   * `privateKey` (PEM). Clients verify it (the runtime helper's `tls.ca` and `tls.servername`).
   */
  readonly tlsCertificate: secretsmanager.ISecret;

  /**
   * The CA bundle (PEM) PgBouncer verifies the database's certificate against (verify-full): the
   * RDS bundle of the region, https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem.
   */
  readonly serverCaBundle: string;

  /**
   * Tasks running at all times, in different Availability Zones. The budget's pool is split
   * between them (`max_db_connections` per task = pool / tasks).
   *
   * @default 2
   */
  readonly tasks?: number;

  /**
   * Interface endpoints the tasks use in subnets without internet access (ECR, ECR Docker,
   * CloudWatch Logs): their security groups let the tasks in on 443. The database's
   * `secretsManagerEndpoint` is opened to them too.
   *
   * @default - none
   */
  readonly interfaceEndpoints?: ec2.IInterfaceVpcEndpoint[];

  /**
   * CPU units of one task (1024 = 1 vCPU). PgBouncer uses one core.
   *
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Memory of one task, in MiB.
   *
   * @default 512
   */
  readonly memoryLimitMiB?: number;
}

/**
 * What functions connect through: RDS Proxy (the default), PgBouncer on Fargate, or nothing.
 *
 * @example
 * import { Pooler, ServerlessDatabase } from 'cdk-serverless-rds';
 * import * as ecs from 'aws-cdk-lib/aws-ecs';
 * import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
 *
 * new ServerlessDatabase(this, 'Db', {
 *   vpc,
 *   engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
 *   instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
 *   pooler: Pooler.pgBouncer({
 *     image: ecs.ContainerImage.fromRegistry('registry.example.com/pgbouncer:1.23.1'),
 *     tlsCertificate: secretsmanager.Secret.fromSecretNameV2(this, 'PgBouncerCertificate', 'pgbouncer/tls'),
 *     serverCaBundle: '-----BEGIN CERTIFICATE-----\n(the RDS CA bundle of the region)\n-----END CERTIFICATE-----\n',
 *   }),
 * });
 */
export class Pooler {
  /** RDS Proxy: managed, IAM authentication, billed per vCPU of the instance (minimum 2). */
  public static rdsProxy(): Pooler {
    return new Pooler(PoolerKind.RDS_PROXY, undefined);
  }

  /**
   * PgBouncer in transaction mode on ECS Fargate (ARM) behind an internal Network Load Balancer,
   * configured from the budget. PostgreSQL only; clients log in with the password from the secret.
   *
   * @param options image, certificates, tasks and task size
   */
  public static pgBouncer(options: PgBouncerOptions): Pooler {
    return new Pooler(PoolerKind.PGBOUNCER, options);
  }

  /**
   * No pooler: functions connect to the instance, each connection counted against its capacity;
   * reserved concurrency is the only guard.
   */
  public static none(): Pooler {
    return new Pooler(PoolerKind.NONE, undefined);
  }

  /** Which pooler. */
  public readonly kind: PoolerKind;
  /** PgBouncer's options, when the pooler is PgBouncer. */
  public readonly pgBouncerOptions?: PgBouncerOptions;

  private constructor(kind: PoolerKind, pgBouncerOptions: PgBouncerOptions | undefined) {
    this.kind = kind;
    this.pgBouncerOptions = pgBouncerOptions;
  }
}

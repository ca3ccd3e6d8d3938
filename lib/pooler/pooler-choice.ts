import { CfnElement, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PgBouncerService } from './pgbouncer-service';
import { pgBouncerPool } from './pgbouncer-config';
import { Pooler } from './pooler';
import { estimatePoolerCosts, PgBouncerSizing, PoolerCostEstimate, renderPoolerCostTable } from './pooler-cost';
import { regionPrices } from './pooler-prices';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { PoolerKind } from '../budget/pooler-kind';
import { poolerLabel } from '../budget/pooler-label';
import { accountUsage } from '../functions/account-concurrency';

/** Lambda's Node.js runtimes keep the RDS CA certificates in this bundle; newer runtimes no longer load it by default. */
const LAMBDA_RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/** The props of the database the choice reads. */
export interface PoolerChoiceProps {
  readonly iamAuthentication?: boolean;
  readonly functionUsers?: boolean;
  readonly pricingRegion?: string;
}

/** What the pooler needs from the database to connect its functions. */
export interface PoolerConnection {
  readonly target: rds.IDatabaseInstance;
  readonly instance: rds.DatabaseInstance;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly port: number;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly databaseName: string;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly budget: ConnectionBudget;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The Secrets Manager endpoint the tasks read their secrets through, when the subnets have no internet access. */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  readonly deletionProtection: boolean;
  readonly rotation: boolean;
}

/**
 * The parts of `ServerlessDatabase` that depend on the pooler other than RDS Proxy (PgBouncer or
 * none), and the cost estimate of every choice.
 */
export class PoolerChoice {
  private service?: PgBouncerService;
  private instanceEndpoint?: string;
  private readonly pricingRegion?: string;

  constructor(private readonly scope: Construct, private readonly pooler: Pooler, engine: DatabaseEngineFamily,
    props: PoolerChoiceProps, private readonly instanceClass: string) {
    const path = scope.node.path;
    if (pooler.kind === PoolerKind.PGBOUNCER && engine !== DatabaseEngineFamily.POSTGRESQL) {
      throw new Error(`${path}: PgBouncer pools PostgreSQL connections only; choose Pooler.rdsProxy() or Pooler.none() for MySQL`);
    }
    if (pooler.kind === PoolerKind.PGBOUNCER && props.iamAuthentication === true) {
      throw new Error(`${path}: PgBouncer cannot check IAM tokens; with Pooler.pgBouncer() functions log in with the password from the secret (leave iamAuthentication unset)`);
    }
    if (pooler.kind !== PoolerKind.RDS_PROXY && props.functionUsers) {
      throw new Error(`${path}: \`functionUsers\` needs RDS Proxy (end-to-end IAM authentication); it is not available with ${poolerLabel(pooler.kind)}`);
    }
    if (props.pricingRegion !== undefined) {
      try {
        regionPrices(props.pricingRegion);
      } catch (e) {
        throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
      }
    }
    const stackRegion = Stack.of(scope).region;
    this.pricingRegion = props.pricingRegion ?? (Token.isUnresolved(stackRegion) ? undefined : stackRegion);
  }

  /** PgBouncer checks passwords; RDS Proxy and the instance check IAM tokens. */
  public get defaultIamAuthentication(): boolean {
    return this.pooler.kind !== PoolerKind.PGBOUNCER;
  }

  /** Opens the path from the functions to the database, through PgBouncer or straight to the instance. */
  public connect(c: PoolerConnection): void {
    this.instanceEndpoint = c.instance.dbInstanceEndpointAddress;
    const port = ec2.Port.tcp(c.port);
    if (this.pooler.kind === PoolerKind.NONE) {
      c.target.connections.allowFrom(c.clientSecurityGroup, port, 'Wired functions to the instance (no pooler)');
      return;
    }
    const service = new PgBouncerService(this.scope, 'PgBouncer', {
      options: this.pooler.pgBouncerOptions!,
      vpc: c.instance.vpc,
      subnets: c.functionSubnets,
      port: c.port,
      databaseName: c.databaseName,
      instanceEndpoint: c.instance.dbInstanceEndpointAddress,
      secret: c.secret,
      encryptionKey: c.encryptionKey,
      logRetention: c.logRetention,
      removalPolicy: c.removalPolicy,
      deletionProtection: c.deletionProtection,
      rotation: c.rotation,
      pool: () => pgBouncerPool(c.budget.plan(accountUsage(this.scope, c.budget))),
    });
    c.target.connections.allowFrom(service.serviceSecurityGroup, port, 'PgBouncer tasks to the instance');
    c.secretsManagerEndpoint?.connections.allowDefaultPortFrom(service.serviceSecurityGroup, 'PgBouncer tasks read the password and certificate');
    service.loadBalancerSecurityGroup.addIngressRule(c.clientSecurityGroup, port, 'Wired functions to PgBouncer');
    c.clientSecurityGroup.connections.allowTo(service.loadBalancerSecurityGroup, port, 'Wired functions to PgBouncer');
    this.service = service;
  }

  /** The host functions connect to. */
  public endpoint(): string {
    return this.service ? this.service.endpoint : this.instanceEndpoint!;
  }

  /** Environment the functions need for this pooler. */
  public environment(): Record<string, string> {
    // Straight to the instance: its certificate chains to the RDS CA, not to a public root.
    return this.pooler.kind === PoolerKind.NONE ? { NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE } : {};
  }

  /** The security groups a client must pass besides the instance's: PgBouncer's load balancer. */
  public doorSecurityGroups(): CfnElement[] {
    return this.service ? [this.service.loadBalancerSecurityGroup.node.defaultChild as CfnElement] : [];
  }

  /** The cost estimate, or undefined when the region is not known. */
  public costEstimate(): PoolerCostEstimate | undefined {
    if (this.pricingRegion === undefined) {
      return undefined;
    }
    try {
      return estimatePoolerCosts(this.pricingRegion, this.instanceClass, this.pgBouncerSizing(), poolerLabel(this.pooler.kind));
    } catch {
      return undefined; // a stack region without prices: the suffix says so
    }
  }

  /** Lines under the budget table. */
  public costTableSuffix(): string {
    const estimate = this.costEstimate();
    if (estimate) {
      return `\n\n${renderPoolerCostTable(estimate)}`;
    }
    return this.pricingRegion === undefined
      ? '\n\nPooler cost: the stack has no region; set `pricingRegion` to see the monthly cost of each pooler.'
      : `\n\nPooler cost: no price table for ${this.pricingRegion} or ${this.instanceClass}; set \`pricingRegion\` to a region with prices.`;
  }

  /** What the budget file says about the pooler. */
  public artifactExtras(): Record<string, unknown> {
    const config = this.service?.config;
    return {
      poolerCosts: this.costEstimate() ?? null,
      ...(config ? {
        pgBouncer: {
          poolSizePerTask: config.poolSizePerTask,
          maxDbConnectionsPerTask: config.maxDbConnectionsPerTask,
          maxClientConnections: config.maxClientConnections,
          serverConnectionsAllTasks: config.serverConnectionsAllTasks,
        },
      } : {}),
    };
  }

  private pgBouncerSizing(): PgBouncerSizing {
    const options = this.pooler.pgBouncerOptions;
    return { tasks: options?.tasks ?? 2, vcpu: (options?.cpu ?? 256) / 1024, memoryGb: (options?.memoryLimitMiB ?? 512) / 1024 };
  }
}

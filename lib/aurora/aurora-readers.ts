import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { accountUsage } from '../functions/account-concurrency';
import { FunctionWiring } from '../functions/function-wiring';
import { WiredDatabase } from '../database/wired-database';

/** What the cluster hands its readers. @internal */
export interface _AuroraReadersSetup {
  readonly budget: ConnectionBudget;
  readonly engineFamily: DatabaseEngineFamily;
  readonly port: number;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly functionLogGroup: logs.ILogGroup;
  readonly functionPolicy: iam.IManagedPolicy;
  readonly connectPolicy: iam.IManagedPolicy;
  grantConnect(grantee: iam.IGrantable): iam.Grant;
  wiring(readers: AuroraReaders): Omit<FunctionWiring, 'roleScope'>;
}

/**
 * The readers of a `ServerlessAuroraCluster`: functions wired here connect to the proxy's
 * read-only endpoint and draw from the readers' own connection budget (one reader's
 * `max_connections`: the endpoint may send every read connection to one reader, for example while
 * another is replaced). Their client security group reaches the read-only endpoint only.
 */
export class AuroraReaders extends WiredDatabase {
  /** @internal */
  public static _create(scope: Construct, id: string, setup: _AuroraReadersSetup): AuroraReaders {
    return new AuroraReaders(scope, id, setup);
  }

  /** The readers' connection budget: one reader's `max_connections`. */
  public readonly budget: ConnectionBudget;
  /** The engine family. */
  public readonly engineFamily: DatabaseEngineFamily;
  /** The port of the read-only endpoint. */
  public readonly port: number;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Subnets wired functions are placed in. */
  public readonly functionSubnets: ec2.SubnetSelection;
  /** The security group of functions wired for reads; it may reach only the read-only endpoint. */
  public readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The log group wired functions share. */
  public readonly functionLogGroup: logs.ILogGroup;
  /** The customer-managed policy the roles of wired functions share. */
  public readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in through the proxy. */
  public readonly connectPolicy: iam.IManagedPolicy;

  private readonly setup: _AuroraReadersSetup;

  private constructor(scope: Construct, id: string, setup: _AuroraReadersSetup) {
    super(scope, id);
    this.setup = setup;
    this.budget = setup.budget;
    this.engineFamily = setup.engineFamily;
    this.port = setup.port;
    this.vpc = setup.vpc;
    this.functionSubnets = setup.functionSubnets;
    this.clientSecurityGroup = setup.clientSecurityGroup;
    this.functionLogGroup = setup.functionLogGroup;
    this.functionPolicy = setup.functionPolicy;
    this.connectPolicy = setup.connectPolicy;
    this._initWiring({ ...setup.wiring(this), roleScope: new Construct(this, 'FunctionRoles') });
    // Errors only: the cluster shows the readers' table below the writer's.
    this.node.addValidation({ validate: () => this.budget.plan(accountUsage(this, this.budget)).problems.length > 0
      ? [`The readers' connection budget is over-committed.\n${this._table()}`] : [] });
  }

  /**
   * Lets `grantee` log in through the proxy (the same login as the writer's). Opens no network path.
   *
   * @param grantee the principal that logs in
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    return this.setup.grantConnect(grantee);
  }

  /** @internal */
  public _table(): string {
    return this.budget.toTable(this.node.path, accountUsage(this, this.budget));
  }

  /** @internal */
  public _artifactFile(): string {
    return this._budgetArtifactFile();
  }
}

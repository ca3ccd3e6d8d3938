import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { ExistingDatabaseProps } from './existing-database-props';
import { ConnectionBudget } from '../budget/connection-budget';
import { engineFacts } from '../budget/engine-facts';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { functionPolicyStatements, proxyUserArn, secretReadStatements } from '../database/access-policies';
import { acknowledgeNetworkInterfaceWildcard } from '../database/nag-acknowledgments';
import { WiredDatabase } from '../database/wired-database';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';
import { BudgetGuard } from '../guard/budget-guard';
import { requireWholeNumber, requireWholeNumberBetween } from '../private/validate';
import { BudgetVerifier } from '../verify/budget-verifier';

/**
 * An RDS instance and RDS Proxy that already exist, with Lambda functions wired to the proxy
 * under a connection budget, as `ServerlessDatabase` wires them to the database it creates. The
 * budget is computed from the `maxConnections` and `proxyMaxConnectionsPercent` you declare; the
 * deploy-time guard reads the real instance and proxy through the RDS API and fails the
 * deployment when the budget does not fit them.
 *
 * @example
 * import { DatabaseEngineFamily, ExistingDatabase } from 'cdk-serverless-rds';
 *
 * // The proxy's security group, so wired functions can be let in.
 * const proxySecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ProxyGroup', 'sg-0123456789abcdef0');
 * const proxy = rds.DatabaseProxy.fromDatabaseProxyAttributes(this, 'Proxy', {
 *   dbProxyName: 'orders',
 *   dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
 *   endpoint: 'orders.proxy-abcdefghijkl.eu-west-1.rds.amazonaws.com',
 *   securityGroups: [proxySecurityGroup],
 * });
 * const db = new ExistingDatabase(this, 'Orders', {
 *   vpc,
 *   engine: DatabaseEngineFamily.POSTGRESQL,
 *   instanceIdentifier: 'orders',
 *   maxConnections: 394,
 *   proxy,
 *   proxySecurityGroup,
 *   proxyMaxConnectionsPercent: 90,
 *   databaseName: 'app',
 *   username: 'app',
 * });
 * db.addFunction('Api', {
 *   runtime: lambda.Runtime.NODEJS_24_X,
 *   handler: 'index.handler',
 *   code: lambda.Code.fromAsset('api'),
 *   reservedConcurrentExecutions: 40,
 * });
 */
export class ExistingDatabase extends WiredDatabase {
  /** The connection budget every wired function and reservation draws from. */
  public readonly budget: ConnectionBudget;
  /** The proxy functions connect through. */
  public readonly proxy: rds.IDatabaseProxy;
  /** Identifier of the database instance. */
  public readonly instanceIdentifier: string;
  /** The engine family. */
  public readonly engineFamily: DatabaseEngineFamily;
  /** The port the proxy listens on. */
  public readonly port: number;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Subnets wired functions are placed in. */
  public readonly functionSubnets: ec2.SubnetSelection;
  /** The security group every wired function shares; it may reach only the proxy. */
  public readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The key that encrypts the functions' log group and the guard's logs. */
  public readonly encryptionKey: kms.IKey;
  /** The log group wired functions share (unless given their own). */
  public readonly functionLogGroup: logs.ILogGroup;
  /** The customer-managed policy the roles of wired functions share: VPC network interfaces and logs. */
  public readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in to the database through the proxy. */
  public readonly connectPolicy: iam.IManagedPolicy;
  /**
   * The deploy-time guard.
   *
   * @default - none when `deployTimeGuard` is false
   */
  public readonly guard?: BudgetGuard;

  private readonly props: ExistingDatabaseProps;

  constructor(scope: Construct, id: string, props: ExistingDatabaseProps) {
    super(scope, id);
    this.props = props;
    validateExistingProps(this, props);
    this.engineFamily = props.engine;
    this.proxy = props.proxy;
    this.instanceIdentifier = props.instanceIdentifier;
    this.port = props.port ?? engineFacts(props.engine).port;
    this.vpc = props.vpc;
    this.budget = new ConnectionBudget({
      engine: props.engine,
      maxConnections: props.maxConnections,
      maxConnectionsSource: 'maxConnections of the existing instance',
      reservedConnections: props.reservedConnections,
      adminHeadroom: props.adminHeadroom,
      proxyMaxConnectionsPercent: props.proxyMaxConnectionsPercent,
      accountConcurrencyLimit: props.accountConcurrencyLimit,
      unreservedConcurrencyMinimum: props.unreservedConcurrencyMinimum,
      proxyHeadroomPercent: props.proxyHeadroomPercent,
      sharedConcurrencyPercent: props.sharedConcurrencyPercent,
    });
    this.functionSubnets = props.functionSubnets ?? {
      subnetType: props.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };
    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'EncryptionKey', {
      description: `Encrypts the function and guard logs of ${this.node.path}`,
      enableKeyRotation: true,
    });
    this._allowLogsToUseKey(this.encryptionKey);

    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Functions wired to ${this.node.path}: may reach its proxy only`,
    });
    // The proxy's group lets the functions in; theirs lets them out to the proxy only.
    props.proxySecurityGroup.connections.allowFrom(this.clientSecurityGroup, ec2.Port.tcp(this.port), `Functions wired to ${this.node.path}`);

    this.functionLogGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: props.functionLogRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
    });
    const functionPolicy = new iam.ManagedPolicy(this, 'FunctionPolicy', {
      description: `Shared by the functions wired to ${this.node.path}: VPC attachment and logs`,
      statements: functionPolicyStatements(this.functionLogGroup),
    });
    acknowledgeNetworkInterfaceWildcard(functionPolicy);
    this.functionPolicy = functionPolicy;
    this.connectPolicy = new iam.ManagedPolicy(this, 'ConnectPolicy', {
      description: `Logs in to ${this.node.path} through its proxy`,
      statements: this.accessStatements(),
    });

    if (props.deployTimeGuard ?? true) {
      this.guard = new BudgetGuard(this, 'Guard', {
        budget: this.budget,
        instanceIdentifier: props.instanceIdentifier,
        proxy: props.proxy,
        encryptionKey: this.encryptionKey,
        databasePath: this.node.path,
      });
    }

    this._initWiring({
      database: this,
      vpc: this.vpc,
      functionSubnets: this.functionSubnets,
      clientSecurityGroup: this.clientSecurityGroup,
      functionLogGroup: this.functionLogGroup,
      budget: this.budget,
      functionPolicy,
      connectPolicy: this.connectPolicy,
      roleScope: new Construct(this, 'FunctionRoles'),
      tracingPolicy: () => this._tracingPolicy(),
      connectionEnvironment: () => this.connectionEnvironment(),
      // Functions start only once the guard has accepted the budget they were capped by.
      onWired: fn => this.guard && fn.node.addDependency(this.guard.resource),
    });
    this.node.addValidation({ validate: () => this._validateBudget() });
    BudgetVerifier.register({
      construct: this,
      budget: this.budget,
      engine: this.engineFamily,
      vpc: this.vpc,
      artifactFile: () => this._budgetArtifactFile(),
    });
  }

  /**
   * Lets `grantee` log in through the proxy: `rds-db:connect` for the database user, or read
   * access to the secret when IAM authentication is off.
   *
   * @param grantee the principal that logs in
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    if (!(this.props.iamAuthentication ?? true)) {
      return this.props.secret!.grantRead(grantee);
    }
    return iam.Grant.addToPrincipal({ grantee, actions: ['rds-db:connect'], resourceArns: [proxyUserArn(this, this.proxy.dbProxyArn, this.props.username)] });
  }

  private accessStatements(): iam.PolicyStatement[] {
    if (this.props.iamAuthentication ?? true) {
      return [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this, this.proxy.dbProxyArn, this.props.username)] })];
    }
    return secretReadStatements(this, this.props.secret!, this.props.secretEncryptionKey!);
  }

  private connectionEnvironment(): Record<string, string> {
    const e = DatabaseEnvironmentVariables;
    const iamAuth = this.props.iamAuthentication ?? true;
    const environment: Record<string, string> = {
      [e.ENGINE]: this.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql',
      [e.HOST]: this.proxy.endpoint,
      [e.PORT]: String(this.port),
      [e.DATABASE]: this.props.databaseName,
      [e.USER]: this.props.username,
      [e.REGION]: Stack.of(this).region,
      [e.AUTH]: iamAuth ? 'iam' : 'secret',
    };
    if (!iamAuth) {
      environment[e.SECRET_ARN] = this.props.secret!.secretArn;
    }
    return environment;
  }
}

/** Checks what needs no other resource, naming the construct. */
function validateExistingProps(scope: Construct, props: ExistingDatabaseProps): void {
  try {
    requireWholeNumber(props.maxConnections, 'maxConnections');
    requireWholeNumberBetween(props.proxyMaxConnectionsPercent, 'proxyMaxConnectionsPercent', 1, 100);
    if (props.port !== undefined) {
      requireWholeNumberBetween(props.port, 'port', 1, 65535);
    }
    for (const [name, value] of [['instanceIdentifier', props.instanceIdentifier], ['databaseName', props.databaseName], ['username', props.username]]) {
      if (!Token.isUnresolved(value) && (!value || value.trim() === '')) {
        throw new Error(`\`${name}\` must not be empty`);
      }
    }
    if (props.iamAuthentication === false && (!props.secret || !props.secretEncryptionKey)) {
      throw new Error('`secret` and `secretEncryptionKey` are required when `iamAuthentication` is false: functions read the credentials from the secret');
    }
  } catch (e) {
    throw new Error(`${scope.node.path}: ${(e as Error).message}`, { cause: e });
  }
}

import { ArnFormat, CfnElement, CfnOutput, Duration, Lazy, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DatabaseUsers, masterLoginRefused } from './database-users';
import { createFunctionUsers, createProxyRole, proxyLogin } from './function-users-setup';
import { resolveEngine } from './engine-support';
import { instanceInsightsSettings } from './monitoring-defaults';
import { acknowledgeDefaultPort, acknowledgeMonitoringLogStreams, acknowledgeNetworkInterfaceWildcard } from './nag-acknowledgments';
import { functionPolicyStatements, monitoringRole, proxyUserArn, secretReadStatements } from './access-policies';
import { ServerlessDatabaseProps } from './serverless-database-props';
import { tunedParameters } from './tuned-parameters';
import { rotationReachProblems } from './rotation-reach';
import { storageSizes, validateDatabaseProps } from './validate-props';
import { WiredDatabase } from './wired-database';
import { ConnectionBudget } from '../budget/connection-budget';
import { engineFacts } from '../budget/engine-facts';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { MaxConnections } from '../budget/max-connections';
import { accountUsage } from '../functions/account-concurrency';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';
import { PoolerKind } from '../budget/pooler-kind';
import { Pooler } from '../pooler/pooler';
import { PASSWORD_EXCLUDED_CHARACTERS } from '../private/password-policy';
import { PoolerChoice } from '../pooler/pooler-choice';
import { BudgetVerifier } from '../verify/budget-verifier';

/**
 * An RDS database (PostgreSQL or MySQL) for serverless applications: the instance with a tuned
 * parameter group whose `max_connections` is known at synth time, an RDS Proxy with TLS and IAM
 * authentication, rotated credentials, and Lambda functions wired to the proxy whose reserved
 * concurrency is capped by the database's connection budget.
 *
 * @example
 * import { ServerlessDatabase } from 'cdk-serverless-rds';
 *
 * const db = new ServerlessDatabase(this, 'Db', {
 *   vpc,
 *   engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
 *   instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
 * });
 * db.addNodejsFunction('Api', { entry: 'src/api.ts', reservedConcurrentExecutions: 40 });
 * db.budget.reserve('Migrations', 5);
 */
export class ServerlessDatabase extends WiredDatabase {
  /** The database instance. */
  public readonly instance: rds.DatabaseInstance;
  /** What functions connect through: RDS Proxy (default), PgBouncer or nothing. */
  public readonly pooler: Pooler;
  /** The master credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The key encrypting storage, the secret, Performance Insights and function logs. */
  public readonly encryptionKey: kms.IKey;
  /** The parameter group with the explicit `max_connections`. */
  public readonly parameterGroup: rds.IParameterGroup;
  /** The connection budget every wired function and reservation draws from. */
  public readonly budget: ConnectionBudget;
  /** The database's `max_connections`. */
  public readonly maxConnections: number;
  /** The engine family. */
  public readonly engineFamily: DatabaseEngineFamily;
  /** The engine's port, on which the proxy and the instance listen. */
  public readonly port: number;
  /** The name of the database on the instance. */
  public readonly databaseName: string;
  /** The database user functions log in as. */
  public readonly username: string;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Subnets wired functions are placed in. */
  public readonly functionSubnets: ec2.SubnetSelection;
  /** The security group every wired function shares; it may reach only the proxy. */
  public readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The log group wired functions share (unless given their own). */
  public readonly functionLogGroup: logs.ILogGroup;
  /**
   * The customer-managed policy the roles of wired functions share: VPC network interfaces and
   * writing to `functionLogGroup`. Attach it to the role of a function you build yourself.
   */
  public readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in to the database through the proxy. */
  public readonly connectPolicy: iam.IManagedPolicy;

  private readonly rdsProxy?: rds.DatabaseProxy;
  private readonly poolerChoice: PoolerChoice;
  private readonly iamAuthentication: boolean;
  private readonly maxIdleConnectionsPercent?: number;
  /** Per-function database users (`functionUsers`), created before the proxy, which logs in as them. */
  private readonly users?: DatabaseUsers;

  constructor(scope: Construct, id: string, props: ServerlessDatabaseProps) {
    super(scope, id);
    validateDatabaseProps(this, props);
    const engine = resolveEngine(props.engine, this);
    const instanceClass = `db.${props.instanceType.toString()}`;
    this.engineFamily = engine.family;
    this.port = engineFacts(engine.family).port;
    this.vpc = props.vpc;
    this.databaseName = props.databaseName ?? 'app';
    this.username = props.username ?? 'dbadmin';
    this.pooler = props.pooler ?? Pooler.rdsProxy();
    this.poolerChoice = new PoolerChoice(this, this.pooler, engine.family, props, instanceClass);
    this.iamAuthentication = props.iamAuthentication ?? this.poolerChoice.defaultIamAuthentication;
    this.maxIdleConnectionsPercent = props.proxy?.maxIdleConnectionsPercent;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const keepOnDelete = removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.maxConnections = props.maxConnections ?? MaxConnections.forInstanceClass(engine.family, instanceClass);
    this.budget = new ConnectionBudget({
      engine: engine.family,
      maxConnections: this.maxConnections,
      maxConnectionsSource: props.maxConnections === undefined ? `default formula for ${instanceClass}` : 'maxConnections',
      adminHeadroom: props.adminHeadroom,
      proxyMaxConnectionsPercent: props.proxy?.maxConnectionsPercent,
      accountConcurrencyLimit: props.accountConcurrencyLimit,
      unreservedConcurrencyMinimum: props.unreservedConcurrencyMinimum,
      proxyHeadroomPercent: props.proxyHeadroomPercent,
      sharedConcurrencyPercent: props.sharedConcurrencyPercent,
      pooler: this.pooler.kind,
    });

    const dbSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.functionSubnets = props.functionSubnets ?? {
      subnetType: props.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'EncryptionKey', {
      description: `Encrypts the storage, secret, Performance Insights and function logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: keepOnDelete,
    });
    this._allowLogsToUseKey(this.encryptionKey);

    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Database instance of ${this.node.path}: reachable from its proxy only`,
    });
    const proxySecurityGroup = this.pooler.kind !== PoolerKind.RDS_PROXY ? undefined : new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `RDS Proxy of ${this.node.path}: reachable from wired functions only`,
    });
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Functions wired to ${this.node.path}: may reach its proxy only`,
    });

    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: props.engine,
      description: `Tuned for serverless clients: max_connections ${this.maxConnections} (${this.node.path})`,
      parameters: { ...tunedParameters(engine.family, this.maxConnections), ...(props.parameters ?? {}) },
    });

    const insights = instanceInsightsSettings(this, engine.family, instanceClass, props, this.encryptionKey);
    const monitoringInterval = props.monitoringInterval ?? Duration.seconds(60);
    const storage = storageSizes(props);
    const monitoring = monitoringInterval.toSeconds() > 0;
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: props.engine,
      instanceType: props.instanceType,
      vpc: props.vpc,
      vpcSubnets: dbSubnets,
      securityGroups: [databaseSecurityGroup],
      port: this.port,
      credentials: rds.Credentials.fromGeneratedSecret(this.username, {
        encryptionKey: this.encryptionKey,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      }),
      databaseName: this.databaseName,
      parameterGroup: this.parameterGroup,
      optionGroup: engine.family === DatabaseEngineFamily.MYSQL ? this.auditOptionGroup(props.engine) : undefined,
      multiAz: props.multiAz ?? true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: storage.allocated,
      maxAllocatedStorage: storage.maximum,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      backupRetention: props.backupRetention ?? Duration.days(7),
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
      iamAuthentication: true,
      cloudwatchLogsExports: engine.cloudwatchLogsExports,
      ...insights,
      monitoringInterval: monitoring ? monitoringInterval : undefined,
      monitoringRole: monitoring ? this.monitoringRole() : undefined,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    });
    this.secret = this.instance.secret!;
    // instance.secret is the attachment; the generated secret itself is the instance's child.
    (this.instance.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(keepOnDelete);

    acknowledgeDefaultPort(this.instance);

    // The instance as the proxy and the rotation function see it: with its port as a number, so
    // security group rules carry literal ports that rule packs can check (the L2's port is a token).
    const target = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, 'Target', {
      instanceIdentifier: this.instance.instanceIdentifier,
      instanceEndpointAddress: this.instance.dbInstanceEndpointAddress,
      port: this.port,
      securityGroups: [databaseSecurityGroup],
      engine: props.engine,
      instanceResourceId: this.instance.instanceResourceId,
    });

    if (props.rotation ?? true) {
      this.addRotation(props, target);
      this.node.addValidation({ validate: () => rotationReachProblems(this, props, this.functionSubnets) });
    }
    // Per-function users are the default behind RDS Proxy: end-to-end IAM, or per-user secrets in secret mode.
    if (props.functionUsers ?? this.pooler.kind === PoolerKind.RDS_PROXY) {
      this.users = createFunctionUsers(this, props, {
        engineFamily: this.engineFamily, iamAuthentication: this.iamAuthentication,
        endpointAddress: this.instance.dbInstanceEndpointAddress, resourceId: this.instance.instanceResourceId!,
        database: this.instance, databaseConnections: this.instance.connections, port: this.port, databaseName: this.databaseName,
        masterUsername: this.username, secret: this.secret, encryptionKey: this.encryptionKey,
        functionSubnets: this.functionSubnets, budget: this.budget, removalPolicy: keepOnDelete,
      });
    }
    if (proxySecurityGroup) {
      const proxyRole = createProxyRole(this, this.users, this.secret, this.encryptionKey);
      this.rdsProxy = this.createProxy(props, target, dbSubnets, proxySecurityGroup, proxyRole);
      this.users?.useProxy(this.rdsProxy, proxyRole);
      this.rdsProxy.connections.allowFrom(this.clientSecurityGroup, ec2.Port.tcp(this.port), 'Wired functions to the proxy');
    } else {
      this.poolerChoice.connect({
        target, instance: this.instance, clientSecurityGroup: this.clientSecurityGroup, port: this.port, functionSubnets: this.functionSubnets,
        databaseName: this.databaseName, secret: this.secret, encryptionKey: this.encryptionKey, budget: this.budget,
        logRetention: props.functionLogRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy: keepOnDelete,
        secretsManagerEndpoint: props.secretsManagerEndpoint, deletionProtection: props.deletionProtection ?? true,
        rotation: props.rotation ?? true,
      });
    }

    this.functionLogGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: props.functionLogRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
      removalPolicy: keepOnDelete,
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

    const roleScope = new Construct(this, 'FunctionRoles');
    this._initWiring({
      database: this,
      vpc: this.vpc,
      functionSubnets: this.functionSubnets,
      clientSecurityGroup: this.clientSecurityGroup,
      functionLogGroup: this.functionLogGroup,
      budget: this.budget,
      functionPolicy,
      connectPolicy: this.connectPolicy,
      roleScope,
      tracingPolicy: () => this._tracingPolicy(),
      connectionEnvironment: () => this.connectionEnvironment(),
      functionUsers: this.users,
    });

    if (this.rdsProxy) {
      new CfnOutput(this, 'ProxyEndpoint', { value: this.rdsProxy.endpoint, description: 'Host name functions connect to' });
    } else {
      new CfnOutput(this, 'PoolerEndpoint', { value: this.poolerChoice.endpoint(), description: 'Host name functions connect to' });
    }
    new CfnOutput(this, 'SecretArn', { value: this.secret.secretArn, description: 'Master credentials (rotated)' });
    new CfnOutput(this, 'MaxConnections', { value: String(this.maxConnections), description: 'max_connections of the database' });

    this.node.addValidation({ validate: () => this.validateBudget() });
    BudgetVerifier.register({
      construct: this,
      budget: this.budget,
      engine: this.engineFamily,
      instance: this.instance.node.defaultChild as CfnElement,
      proxy: this.rdsProxy?.node.defaultChild as CfnElement | undefined,
      poolerSecurityGroups: this.poolerChoice.doorSecurityGroups(),
      artifactFile: () => this._budgetArtifactFile(),
      artifactExtras: () => ({ ...(this.users ? { databaseUsers: this.users.consumersByUser() } : {}), ...this.poolerChoice.artifactExtras() }),
    });
  }

  /**
   * Lets `grantee` log in through the proxy: `rds-db:connect` for the database user on the
   * proxy, or read access to the secret when IAM authentication is off. Opens no network path.
   *
   * @param grantee the principal that logs in
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    if (this.users) {
      throw masterLoginRefused(this);
    }
    if (!this.iamAuthentication) {
      return this.secret.grantRead(grantee);
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['rds-db:connect'],
      resourceArns: [this.loginArn()],
    });
  }

  /**
   * The RDS Proxy functions connect through. Throws when the pooler is PgBouncer or none.
   */
  public get proxy(): rds.DatabaseProxy {
    if (!this.rdsProxy) {
      throw new Error(`${this.node.path} has no RDS Proxy: its pooler is ${this.pooler.kind}`);
    }
    return this.rdsProxy;
  }

  /** What a role logs in as: the user on the proxy, or on the instance when there is no proxy. */
  private loginArn(): string {
    return this.rdsProxy
      ? proxyUserArn(this, this.rdsProxy.dbProxyArn, this.username)
      : Stack.of(this).formatArn({
        service: 'rds-db', resource: 'dbuser', resourceName: `${this.instance.instanceResourceId}/${this.username}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
  }

  /** Single-user rotation: the proxy reads the secret again, so it follows every rotation. */
  private addRotation(props: ServerlessDatabaseProps, target: rds.IDatabaseInstance): void {
    new secretsmanager.SecretRotation(this, 'Rotation', {
      application: this.engineFamily === DatabaseEngineFamily.POSTGRESQL
        ? secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER
        : secretsmanager.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
      secret: this.secret,
      target,
      vpc: props.vpc,
      vpcSubnets: this.functionSubnets,
      endpoint: props.secretsManagerEndpoint,
      automaticallyAfter: props.rotationInterval ?? Duration.days(30),
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
  }

  /** The proxy: TLS and (by default) IAM required, its pool sized by the budget. */
  private createProxy(
    props: ServerlessDatabaseProps,
    target: rds.IDatabaseInstance,
    subnets: ec2.SubnetSelection,
    securityGroup: ec2.ISecurityGroup,
    role: iam.Role,
  ): rds.DatabaseProxy {
    return new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(target),
      dbProxyName: Names.uniqueResourceName(this, { maxLength: 60, separator: '-' }),
      ...proxyLogin(this, this.users, this.secret),
      role: role.withoutPolicyUpdates(),
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [securityGroup],
      requireTLS: true,
      iamAuth: this.iamAuthentication,
      maxConnectionsPercent: Lazy.number({ produce: () => this.budget.proxyMaxConnectionsPercent }),
      maxIdleConnectionsPercent: props.proxy?.maxIdleConnectionsPercent
        ?? Lazy.number({ produce: () => Math.floor(this.budget.proxyMaxConnectionsPercent / 2) }),
      borrowTimeout: props.proxy?.borrowTimeout ?? Duration.seconds(30),
      idleClientTimeout: props.proxy?.idleClientTimeout ?? Duration.minutes(30),
    });
  }

  private accessStatements(): iam.PolicyStatement[] {
    if (this.iamAuthentication) {
      return [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [this.loginArn()] })];
    }
    return secretReadStatements(this, this.secret, this.encryptionKey);
  }

  private monitoringRole(): iam.IRole {
    const role = monitoringRole(this, 'MonitoringRole');
    acknowledgeMonitoringLogStreams(this.node.findChild('MonitoringRolePolicy'));
    return role;
  }

  private connectionEnvironment(): Record<string, string> {
    const e = DatabaseEnvironmentVariables;
    const environment: Record<string, string> = {
      [e.ENGINE]: this.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql',
      [e.HOST]: this.rdsProxy ? this.rdsProxy.endpoint : this.poolerChoice.endpoint(),
      [e.PORT]: String(this.port),
      [e.DATABASE]: this.databaseName,
      [e.USER]: this.username,
      [e.REGION]: Stack.of(this).region,
      [e.AUTH]: this.iamAuthentication ? 'iam' : 'secret',
    };
    if (!this.iamAuthentication && !this.users) {
      // With per-function users each function gets its own user's secret instead (DatabaseUsers).
      environment[e.SECRET_ARN] = this.secret.secretArn;
    }
    return { ...environment, ...this.poolerChoice.environment() };
  }

  /** The MariaDB audit plugin feeds the `audit` log export of RDS for MySQL. */
  private auditOptionGroup(engine: rds.IInstanceEngine): rds.IOptionGroup {
    return new rds.OptionGroup(this, 'AuditOptions', {
      engine,
      description: `Audit log of connections and schema changes (${this.node.path})`,
      configurations: [{
        name: 'MARIADB_AUDIT_PLUGIN',
        settings: { SERVER_AUDIT_EVENTS: 'CONNECT,QUERY_DDL,QUERY_DCL' },
      }],
    });
  }

  private validateBudget(): string[] {
    const plan = this.budget.plan(accountUsage(this, this.budget));
    const idle = this.maxIdleConnectionsPercent;
    return this._validateBudget(idle !== undefined && idle > plan.proxyMaxConnectionsPercent
      ? [`\`proxy.maxIdleConnectionsPercent\` (${idle}) must not exceed the proxy's MaxConnectionsPercent (${plan.proxyMaxConnectionsPercent}, from the connection budget)`]
      : [], `${this.users?.toTable() ? `\n\n${this.users.toTable()}` : ''}${this.poolerChoice.costTableSuffix()}`);
  }
}

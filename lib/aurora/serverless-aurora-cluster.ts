import { CfnElement, CfnOutput, Duration, Lazy, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AuroraReaders } from './aurora-readers';
import { auroraShape, AuroraShape, clusterParameters } from './aurora-shape';
import { createDataApiFunction, dataApiPolicy, DataApiWiring } from './data-api';
import { DataApiFunctionProps, DataApiNodejsFunctionProps } from './data-api-props';
import { ServerlessAuroraClusterProps } from './serverless-aurora-cluster-props';
import { ConnectionBudget, ConnectionBudgetProps } from '../budget/connection-budget';
import { engineFacts } from '../budget/engine-facts';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { functionPolicyStatements, monitoringRole, proxyUserArn, secretReadStatements } from '../database/access-policies';
import { DatabaseUsers, masterLoginRefused } from '../database/database-users';
import { createFunctionUsers, createProxyRole, proxyLogin } from '../database/function-users-setup';
import { acknowledgeDefaultPort, acknowledgeMonitoringLogStreams, acknowledgeNetworkInterfaceWildcard } from '../database/nag-acknowledgments';
import { rotationReachProblems } from '../database/rotation-reach';
import { ServerlessDatabaseProps } from '../database/serverless-database-props';
import { WiredDatabase } from '../database/wired-database';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';
import { FunctionWiring } from '../functions/function-wiring';
import { BudgetVerifier } from '../verify/budget-verifier';

/** Characters left out of generated passwords: they break connection strings and shells. */
const PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/**
 * An Aurora cluster (PostgreSQL or MySQL; provisioned or Serverless v2) for serverless
 * applications, with the defaults and the connection budget of `ServerlessDatabase`: a writer
 * whose `max_connections` is known at synth time, optional readers behind a read-only proxy
 * endpoint with their own budget, an RDS Proxy with TLS and IAM authentication, rotated
 * credentials encrypted with a customer-managed key, and optionally the RDS Data API for
 * functions that need no connection at all.
 *
 * @example
 * import { ServerlessAuroraCluster } from 'cdk-serverless-rds';
 *
 * const db = new ServerlessAuroraCluster(this, 'Db', {
 *   vpc,
 *   engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 }),
 *   minCapacity: 1,
 *   maxCapacity: 16,
 *   readers: 1,
 * });
 * db.addNodejsFunction('Api', { entry: 'src/api.ts', reservedConcurrentExecutions: 40 });
 * db.readers!.addNodejsFunction('Reports', { entry: 'src/reports.ts', reservedConcurrentExecutions: 20 });
 */
export class ServerlessAuroraCluster extends WiredDatabase {
  /** The Aurora cluster. */
  public readonly cluster: rds.DatabaseCluster;
  /** The RDS Proxy functions connect through (unless `rdsProxy` is false). */
  public readonly proxy?: rds.DatabaseProxy;
  /** The proxy's read-only endpoint, when the cluster has readers. */
  public readonly readOnlyEndpoint?: rds.IDatabaseProxyEndpoint;
  /** Functions wired for reads, with the readers' budget, when the cluster has readers. */
  public readonly readers?: AuroraReaders;
  /** The master credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The key encrypting storage, the secret, Performance Insights and function logs. */
  public readonly encryptionKey: kms.IKey;
  /** The writer's connection budget, which functions, reservations and the Data API draw from. */
  public readonly budget: ConnectionBudget;
  /** `max_connections` of every instance of the cluster. */
  public readonly maxConnections: number;
  /** The engine family. */
  public readonly engineFamily: DatabaseEngineFamily;
  /** The engine's port, on which the proxy and the cluster listen. */
  public readonly port: number;
  /** The name of the database in the cluster. */
  public readonly databaseName: string;
  /** The database user functions log in as. */
  public readonly username: string;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Subnets wired functions are placed in. */
  public readonly functionSubnets: ec2.SubnetSelection;
  /** The security group every function wired to the writer shares; it may reach only the proxy. */
  public readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The log group wired functions share (unless given their own). */
  public readonly functionLogGroup: logs.ILogGroup;
  /** The customer-managed policy the roles of wired functions share: VPC network interfaces and logs. */
  public readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in to the database through the proxy. */
  public readonly connectPolicy: iam.IManagedPolicy;
  /** Whether the Data API is on. */
  public readonly dataApiEnabled: boolean;

  private readonly shape: AuroraShape;
  private readonly iamAuthentication: boolean;
  private readonly keepOnDelete: RemovalPolicy;
  private dataApiPolicyCache?: iam.IManagedPolicy;
  /** Per-function database users (`functionUsers`), logged in as by the proxy. */
  private readonly users?: DatabaseUsers;

  constructor(scope: Construct, id: string, props: ServerlessAuroraClusterProps) {
    super(scope, id);
    const shape = auroraShape(this, props);
    this.shape = shape;
    this.engineFamily = shape.family;
    this.port = engineFacts(shape.family).port;
    this.maxConnections = shape.maxConnections;
    this.vpc = props.vpc;
    this.databaseName = props.databaseName ?? 'app';
    this.username = props.username ?? 'dbadmin';
    this.iamAuthentication = props.iamAuthentication ?? true;
    this.dataApiEnabled = props.dataApi ?? false;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    this.keepOnDelete = removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const budgetOptions = {
      engine: shape.family,
      maxConnections: shape.maxConnections,
      maxConnectionsSource: shape.maxConnectionsSource,
      adminHeadroom: props.adminHeadroom,
      proxyMaxConnectionsPercent: props.proxy?.maxConnectionsPercent,
      accountConcurrencyLimit: props.accountConcurrencyLimit,
      unreservedConcurrencyMinimum: props.unreservedConcurrencyMinimum,
      proxyHeadroomPercent: props.proxyHeadroomPercent,
      sharedConcurrencyPercent: props.sharedConcurrencyPercent,
    };
    this.budget = new ConnectionBudget(budgetOptions);

    const dbSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.functionSubnets = props.functionSubnets ?? {
      subnetType: props.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };
    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'EncryptionKey', {
      description: `Encrypts the storage, secret, Performance Insights and function logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: this.keepOnDelete,
    });
    this._allowLogsToUseKey(this.encryptionKey);

    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Aurora cluster of ${this.node.path}: reachable from its proxy only`,
    });
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Functions wired to ${this.node.path}: may reach its proxy only`,
    });

    this.cluster = this.createCluster(props, shape, dbSubnets, databaseSecurityGroup);
    this.secret = this.cluster.secret!;
    (this.cluster.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(this.keepOnDelete);
    acknowledgeDefaultPort(this.cluster);

    // The cluster as the proxy and the rotation function see it: its port as a number, so
    // security group rules carry literal ports that rule packs (and the template check) can read.
    const target = rds.DatabaseCluster.fromDatabaseClusterAttributes(this, 'Target', {
      clusterIdentifier: this.cluster.clusterIdentifier,
      clusterEndpointAddress: this.cluster.clusterEndpoint.hostname,
      port: this.port,
      securityGroups: [databaseSecurityGroup],
      engine: props.engine,
    });
    if (props.rotation ?? true) {
      this.addRotation(props, target);
      const asDatabaseProps = { vpc: props.vpc, secretsManagerEndpoint: props.secretsManagerEndpoint } as ServerlessDatabaseProps;
      this.node.addValidation({ validate: () => rotationReachProblems(this, asDatabaseProps, this.functionSubnets) });
    }

    this.functionLogGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: props.functionLogRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
      removalPolicy: this.keepOnDelete,
    });
    const functionPolicy = new iam.ManagedPolicy(this, 'FunctionPolicy', {
      description: `Shared by the functions wired to ${this.node.path}: VPC attachment and logs`,
      statements: functionPolicyStatements(this.functionLogGroup),
    });
    acknowledgeNetworkInterfaceWildcard(functionPolicy);
    this.functionPolicy = functionPolicy;

    const rdsProxy = props.rdsProxy ?? true;
    // Per-function users are the default: for functions behind the proxy, and for Data API functions.
    if (props.functionUsers ?? true) {
      this.users = createFunctionUsers(this, props, {
        engineFamily: this.engineFamily, iamAuthentication: this.iamAuthentication,
        endpointAddress: this.cluster.clusterEndpoint.hostname, resourceId: this.cluster.clusterResourceIdentifier,
        database: this.cluster, databaseConnections: this.cluster.connections, port: this.port, databaseName: this.databaseName,
        masterUsername: this.username, secret: this.secret, encryptionKey: this.encryptionKey,
        functionSubnets: this.functionSubnets, budget: this.budget, removalPolicy: this.keepOnDelete,
      });
    }

    if (rdsProxy) {
      const proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
        vpc: props.vpc, allowAllOutbound: false, description: `RDS Proxy of ${this.node.path}: reachable from functions wired to the writer only`,
      });
      proxySecurityGroup.connections.allowTo(databaseSecurityGroup, ec2.Port.tcp(this.port), 'The proxy to the cluster');
      const proxy = this.createProxy(props, target, dbSubnets, proxySecurityGroup);
      this.proxy = proxy;
      proxy.connections.allowFrom(this.clientSecurityGroup, ec2.Port.tcp(this.port), 'Wired functions to the proxy');
      this.connectPolicy = new iam.ManagedPolicy(this, 'ConnectPolicy', {
        description: `Logs in to ${this.node.path} through its proxy`,
        statements: this.accessStatements(proxy),
      });
      this._initWiring(this.wiring(proxy.endpoint, this.clientSecurityGroup, this.budget, new Construct(this, 'FunctionRoles')));
      new CfnOutput(this, 'ProxyEndpoint', { value: proxy.endpoint, description: 'Host name functions connect to (writer)' });
      if (shape.readers > 0) {
        const read = this.createReaders(props, proxy, dbSubnets, databaseSecurityGroup, budgetOptions);
        this.readers = read.readers;
        this.readOnlyEndpoint = read.endpoint;
      }
    } else {
      // Without a proxy no function is wired by network: only the Data API path is open.
      this._noWiringReason = 'has no RDS Proxy (`rdsProxy: false`), so no function is wired by network: create it with ' +
        'addDataApiFunction() or addNodejsDataApiFunction() (with `dataApi: true`), or keep `rdsProxy` on';
      this.connectPolicy = new iam.ManagedPolicy(this, 'ConnectPolicy', {
        description: `Reads the credentials of ${this.node.path} (no proxy: used by administrators only)`,
        statements: secretReadStatements(this, this.secret, this.encryptionKey),
      });
    }

    new CfnOutput(this, 'SecretArn', { value: this.secret.secretArn, description: 'Master credentials (rotated)' });
    new CfnOutput(this, 'ClusterArn', { value: this.cluster.clusterArn, description: 'The Aurora cluster' });
    new CfnOutput(this, 'MaxConnections', { value: String(this.maxConnections), description: 'max_connections of every instance' });

    // The table at synth shows the writer and, below it, the readers.
    this.node.addValidation({ validate: () => this._validateBudget([], `${this.readers ? `\n\n${this.readers._table()}` : ''}${this.users?.toTable() ? `\n\n${this.users.toTable()}` : ''}`) });
    const writer = this.cluster.node.findChild('Writer').node.defaultChild as CfnElement;
    BudgetVerifier.register({
      construct: this,
      budget: this.budget,
      engine: this.engineFamily,
      instance: writer,
      proxy: this.proxy?.node.defaultChild as CfnElement | undefined,
      artifactFile: () => this._budgetArtifactFile(),
      artifactExtras: () => (this.users ? { databaseUsers: this.users.consumersByUser() } : {}),
    });
  }

  /**
   * Creates a function that uses the RDS Data API: no VPC, no connection to manage, permission to
   * run statements on this cluster only and to read its secret only. Its reserved concurrency is
   * required and counted in the writer's budget (every in-flight statement or open transaction
   * of the Data API holds one connection on the writer).
   *
   * @param id construct id of the function, under this database's `DataApiFunctions` scope
   * @param props the function's props; `vpc` must be left unset
   */
  public addDataApiFunction(id: string, props: DataApiFunctionProps): lambda.Function {
    return createDataApiFunction(this.dataApiScope(), id, props, this.dataApiWiring(), (scope, fnId, fnProps) => new lambda.Function(scope, fnId, fnProps));
  }

  /**
   * Creates a Node.js function bundled with esbuild (AWS SDK included) that uses the RDS Data
   * API, like `addDataApiFunction()`. Runtime: Node.js 24 unless given.
   *
   * @param id construct id of the function, under this database's `DataApiFunctions` scope
   * @param props the function's props; `vpc` must be left unset
   */
  public addNodejsDataApiFunction(id: string, props: DataApiNodejsFunctionProps): nodejs.NodejsFunction {
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    const bundling = { bundleAwsSDK: true, ...props.bundling };
    return createDataApiFunction(this.dataApiScope(), id, { ...props, runtime, bundling }, this.dataApiWiring(),
      (scope, fnId, fnProps) => new nodejs.NodejsFunction(scope, fnId, fnProps)) as nodejs.NodejsFunction;
  }

  private dataApiScope(): Construct {
    if (!this.dataApiEnabled) {
      throw new Error(`${this.node.path}: Data API functions need the Data API: set \`dataApi: true\``);
    }
    return (this.node.tryFindChild('DataApiFunctions') as Construct | undefined) ?? new Construct(this, 'DataApiFunctions');
  }

  private dataApiWiring(): DataApiWiring {
    return {
      database: this,
      budget: this.budget,
      policy: this.dataApiPolicy(),
      logGroup: this.functionLogGroup,
      environment: {
        [DatabaseEnvironmentVariables.ENGINE]: this.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql',
        [DatabaseEnvironmentVariables.DATABASE]: this.databaseName,
        // With per-function users each Data API function gets its own user's secret instead.
        ...(this.users ? {} : { [DatabaseEnvironmentVariables.SECRET_ARN]: this.secret.secretArn }),
        [DatabaseEnvironmentVariables.REGION]: Stack.of(this).region,
      },
      resourceArn: this.cluster.clusterArn,
      tracingPolicy: () => this._tracingPolicy(),
      users: this.users,
    };
  }

  /**
   * Lets `grantee` log in through the proxy: `rds-db:connect` for the database user on the
   * proxy, or read access to the secret when IAM authentication is off (or there is no proxy).
   * Opens no network path.
   *
   * @param grantee the principal that logs in
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    if (this.users) {
      throw masterLoginRefused(this);
    }
    if (!this.iamAuthentication || !this.proxy) {
      return this.secret.grantRead(grantee);
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['rds-db:connect'],
      resourceArns: [proxyUserArn(this, this.proxy.dbProxyArn, this.username)],
    });
  }

  private createCluster(props: ServerlessAuroraClusterProps, shape: AuroraShape, subnets: ec2.SubnetSelection, securityGroup: ec2.ISecurityGroup): rds.DatabaseCluster {
    const instanceParameters = new rds.ParameterGroup(this, 'InstanceParameters', {
      engine: props.engine,
      description: `Instances of ${this.node.path}: max_connections ${shape.maxConnections}`,
      parameters: { max_connections: String(shape.maxConnections) },
    });
    const parameters = { ...clusterParameters(shape.family), ...(props.parameters ?? {}) };
    if (this.dataApiEnabled && shape.family === DatabaseEngineFamily.POSTGRESQL) {
      // The Data API logs in to Aurora PostgreSQL 14+ with scram-sha-256 only.
      parameters.password_encryption = parameters.password_encryption ?? 'scram-sha-256';
    }
    const clusterParameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: props.engine,
      description: `Cluster parameters of ${this.node.path}: TLS only, tuned for serverless clients`,
      parameters,
    });
    const common = {
      parameterGroup: instanceParameters,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    };
    const instance = (name: string, reader: boolean): rds.IClusterInstance => shape.serverless
      ? rds.ClusterInstance.serverlessV2(name, { ...common, scaleWithWriter: reader ? true : undefined })
      : rds.ClusterInstance.provisioned(name, { ...common, instanceType: props.instanceType! });
    const monitoringInterval = props.monitoringInterval ?? Duration.seconds(60);
    const monitoring = monitoringInterval.toSeconds() > 0;
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: props.engine,
      writer: instance('Writer', false),
      readers: Array.from({ length: shape.readers }, (_, i) => instance(`Reader${i + 1}`, true)),
      serverlessV2MinCapacity: shape.serverless ? shape.minCapacity : undefined,
      serverlessV2MaxCapacity: shape.serverless ? shape.maxCapacity : undefined,
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [securityGroup],
      port: this.port,
      credentials: rds.Credentials.fromGeneratedSecret(this.username, {
        encryptionKey: this.encryptionKey,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      }),
      defaultDatabaseName: this.databaseName,
      parameterGroup: clusterParameterGroup,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      backup: { retention: props.backupRetention ?? Duration.days(7) },
      // Backtrack rewinds Aurora MySQL in place; Aurora Serverless v2 does not offer it.
      backtrackWindow: shape.family === DatabaseEngineFamily.MYSQL && !shape.serverless ? Duration.hours(24) : undefined,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      copyTagsToSnapshot: true,
      iamAuthentication: true,
      cloudwatchLogsExports: shape.cloudwatchLogsExports,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      monitoringInterval: monitoring ? monitoringInterval : undefined,
      monitoringRole: monitoring ? this.monitoringRole() : undefined,
      enableDataApi: this.dataApiEnabled || undefined,
      autoMinorVersionUpgrade: true,
    });
    if (shape.family === DatabaseEngineFamily.MYSQL && shape.serverless) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS14',
        reason: 'Backtrack is not available for Aurora Serverless v2; the retained automated backups give point-in-time restore instead.',
      });
    }
    return cluster;
  }

  /** Single-user rotation: the proxy and the Data API read the secret again, so they follow every rotation. */
  private addRotation(props: ServerlessAuroraClusterProps, target: rds.IDatabaseCluster): void {
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

  /** The proxy: TLS and (by default) IAM required, its pool sized by the writer's budget. */
  private createProxy(props: ServerlessAuroraClusterProps, target: rds.IDatabaseCluster, subnets: ec2.SubnetSelection, securityGroup: ec2.ISecurityGroup): rds.DatabaseProxy {
    const role = createProxyRole(this, this.users, this.secret, this.encryptionKey);
    const proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromCluster(target),
      dbProxyName: Names.uniqueResourceName(this, { maxLength: 60, separator: '-' }),
      ...proxyLogin(this, this.users, this.secret),
      role: role.withoutPolicyUpdates(),
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [securityGroup],
      requireTLS: true,
      iamAuth: this.iamAuthentication,
      maxConnectionsPercent: Lazy.number({ produce: () => this.proxyPercent() }),
      maxIdleConnectionsPercent: props.proxy?.maxIdleConnectionsPercent
        ?? Lazy.number({ produce: () => Math.floor(this.proxyPercent() / 2) }),
      borrowTimeout: props.proxy?.borrowTimeout ?? Duration.seconds(30),
      idleClientTimeout: props.proxy?.idleClientTimeout ?? Duration.minutes(30),
    });
    this.users?.useProxy(proxy, role);
    return proxy;
  }

  /**
   * The readers: a read-only endpoint of the proxy with its own security group, reachable only
   * from the readers' client security group, and a budget of one reader's `max_connections`
   * with the same proxy percentage (MaxConnectionsPercent applies to each instance of the cluster).
   */
  private createReaders(
    props: ServerlessAuroraClusterProps, proxy: rds.DatabaseProxy, subnets: ec2.SubnetSelection, databaseSecurityGroup: ec2.ISecurityGroup,
    budgetOptions: ConnectionBudgetProps,
  ): { readers: AuroraReaders; endpoint: rds.IDatabaseProxyEndpoint } {
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'ReadOnlyEndpointSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Read-only proxy endpoint of ${this.node.path}: reachable from functions wired for reads only`,
    });
    const readerClients = new ec2.SecurityGroup(this, 'ReaderClientSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Functions wired to the readers of ${this.node.path}: may reach the read-only endpoint only`,
    });
    endpointSecurityGroup.connections.allowFrom(readerClients, ec2.Port.tcp(this.port), 'Functions wired for reads to the read-only endpoint');
    // Connections from the read-only endpoint to the readers may leave from its own network interfaces.
    endpointSecurityGroup.connections.allowTo(databaseSecurityGroup, ec2.Port.tcp(this.port), 'The read-only endpoint to the readers');
    const endpoint = proxy.addEndpoint('ReadOnly', {
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [endpointSecurityGroup],
      targetRole: rds.ProxyEndpointTargetRole.READ_ONLY,
    });
    const budget = new ConnectionBudget({
      ...budgetOptions,
      maxConnectionsSource: `${budgetOptions.maxConnectionsSource} (one reader of ${this.shape.readers})`,
    });
    this.users?.addBudget(budget);
    const readers = AuroraReaders._create(this, 'Readers', {
      budget,
      engineFamily: this.engineFamily,
      port: this.port,
      vpc: this.vpc,
      functionSubnets: this.functionSubnets,
      clientSecurityGroup: readerClients,
      functionLogGroup: this.functionLogGroup,
      functionPolicy: this.functionPolicy,
      connectPolicy: this.connectPolicy,
      grantConnect: grantee => this.grantConnect(grantee),
      wiring: self => {
        const { roleScope: _unused, ...rest } = this.wiring(endpoint.endpoint, readerClients, budget, self);
        return { ...rest, database: self };
      },
    });
    new CfnOutput(this, 'ReadOnlyEndpoint', { value: endpoint.endpoint, description: 'Host name functions wired for reads connect to' });
    const readerInstances = Array.from({ length: this.shape.readers }, (_, i) => this.cluster.node.findChild(`Reader${i + 1}`).node.defaultChild as CfnElement);
    BudgetVerifier.register({
      construct: readers,
      budget,
      engine: this.engineFamily,
      instance: readerInstances[0],
      alsoInstances: readerInstances.slice(1),
      proxy: proxy.node.defaultChild as CfnElement,
      proxyEndpoint: endpoint.node.defaultChild as CfnElement,
      artifactFile: () => readers._artifactFile(),
    });
    return { readers, endpoint };
  }

  /**
   * One MaxConnectionsPercent serves every instance of the cluster: the smaller of what the
   * writer's and the readers' budgets allow (the writer's direct consumers, such as the Data API,
   * lower its share), so the pool fits every instance and each budget is checked against it.
   */
  private proxyPercent(): number {
    return Math.min(this.budget.proxyMaxConnectionsPercent, this.readers?.budget.proxyMaxConnectionsPercent ?? 100);
  }

  private wiring(host: string, clientSecurityGroup: ec2.ISecurityGroup, budget: ConnectionBudget, roleScope: Construct): FunctionWiring {
    const e = DatabaseEnvironmentVariables;
    return {
      database: this,
      vpc: this.vpc,
      functionSubnets: this.functionSubnets,
      clientSecurityGroup,
      functionLogGroup: this.functionLogGroup,
      budget,
      functionPolicy: this.functionPolicy,
      connectPolicy: this.connectPolicy,
      roleScope,
      tracingPolicy: () => this._tracingPolicy(),
      functionUsers: this.users,
      connectionEnvironment: () => {
        const environment: Record<string, string> = {
          [e.ENGINE]: this.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql',
          [e.HOST]: host,
          [e.PORT]: String(this.port),
          [e.DATABASE]: this.databaseName,
          [e.USER]: this.username,
          [e.REGION]: Stack.of(this).region,
          [e.AUTH]: this.iamAuthentication ? 'iam' : 'secret',
        };
        if (!this.iamAuthentication && !this.users) {
          // With per-function users each function gets its own user's secret instead.
          environment[e.SECRET_ARN] = this.secret.secretArn;
        }
        return environment;
      },
    };
  }

  private accessStatements(proxy: rds.DatabaseProxy): iam.PolicyStatement[] {
    if (this.iamAuthentication) {
      return [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this, proxy.dbProxyArn, this.username)] })];
    }
    return secretReadStatements(this, this.secret, this.encryptionKey);
  }

  private dataApiPolicy(): iam.IManagedPolicy {
    if (!this.dataApiPolicyCache) {
      this.dataApiPolicyCache = dataApiPolicy(this, 'DataApiPolicy', {
        clusterArn: this.cluster.clusterArn, secret: this.users ? undefined : this.secret, key: this.encryptionKey, logGroup: this.functionLogGroup,
      });
    }
    return this.dataApiPolicyCache;
  }

  private monitoringRole(): iam.IRole {
    const role = monitoringRole(this, 'MonitoringRole');
    acknowledgeMonitoringLogStreams(this.node.findChild('MonitoringRolePolicy'));
    return role;
  }

}

import * as fs from 'fs';
import * as path from 'path';
import { Annotations, ArnFormat, attachCustomSynthesis, CfnOutput, Duration, Lazy, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { resolveEngine, supportsPerformanceInsights } from './engine-support';
import { acknowledgeDefaultPort, acknowledgeMonitoringLogStreams, acknowledgeNetworkInterfaceWildcard, acknowledgeXrayWildcard } from './nag-acknowledgments';
import { functionPolicyStatements, monitoringRole, proxyUserArn, secretReadStatements } from './access-policies';
import { ServerlessDatabaseProps } from './serverless-database-props';
import { tunedParameters } from './tuned-parameters';
import { storageSizes, validateDatabaseProps } from './validate-props';
import { ConnectionBudget } from '../budget/connection-budget';
import { engineFacts } from '../budget/engine-facts';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { defineAuthMode } from '../bundling/auth-mode-define';
import { bundleInProcess } from '../bundling/in-process-esbuild';
import { MaxConnections } from '../budget/max-connections';
import { concurrencyElsewhere, reservedConcurrencyProblems } from '../functions/account-concurrency';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';
import { ConnectFunctionOptions, DatabaseFunctionProps, DatabaseNodejsFunctionProps } from '../functions/function-props';
import { connectExistingFunction, finishWiring, FunctionWiring, wireFunctionProps } from '../functions/function-wiring';

/** Characters left out of generated passwords: they break connection strings and shells. */
const PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/**
 * An RDS database (PostgreSQL or MySQL) for serverless applications: the instance with a tuned
 * parameter group whose `max_connections` is known at synth time, an RDS Proxy with TLS and IAM
 * authentication, rotated credentials, and Lambda functions wired to the proxy whose reserved
 * concurrency is capped by the database's connection budget.
 *
 * @example
 * const db = new ServerlessDatabase(this, 'Db', {
 *   vpc,
 *   engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
 *   instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
 * });
 * db.addNodejsFunction('Api', { entry: 'src/api.ts', reservedConcurrentExecutions: 40 });
 * db.budget.reserve('Migrations', 5);
 */
export class ServerlessDatabase extends Construct {
  /** The database instance. */
  public readonly instance: rds.DatabaseInstance;
  /** The RDS Proxy functions connect through. */
  public readonly proxy: rds.DatabaseProxy;
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

  private readonly iamAuthentication: boolean;
  private readonly maxIdleConnectionsPercent?: number;
  private readonly functionsScope: Construct;
  private readonly wiring: FunctionWiring;

  constructor(scope: Construct, id: string, props: ServerlessDatabaseProps) {
    super(scope, id);
    const engine = resolveEngine(props.engine);
    const instanceClass = `db.${props.instanceType.toString()}`;
    this.engineFamily = engine.family;
    this.port = engineFacts(engine.family).port;
    this.vpc = props.vpc;
    this.databaseName = props.databaseName ?? 'app';
    this.username = props.username ?? 'dbadmin';
    this.iamAuthentication = props.iamAuthentication ?? true;
    this.maxIdleConnectionsPercent = props.proxy?.maxIdleConnectionsPercent;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const keepOnDelete = removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    validateDatabaseProps(props);
    this.maxConnections = props.maxConnections ?? MaxConnections.forInstanceClass(engine.family, instanceClass);
    this.budget = new ConnectionBudget({
      engine: engine.family,
      maxConnections: this.maxConnections,
      maxConnectionsSource: props.maxConnections === undefined ? `default formula for ${instanceClass}` : 'maxConnections',
      adminHeadroom: props.adminHeadroom,
      proxyMaxConnectionsPercent: props.proxy?.maxConnectionsPercent,
      accountConcurrencyLimit: props.accountConcurrencyLimit,
      unreservedConcurrencyMinimum: props.unreservedConcurrencyMinimum,
    });

    this.budget._concurrencyElsewhere = () => concurrencyElsewhere(Stack.of(this), this.budget);

    const dbSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.functionSubnets = props.functionSubnets ?? {
      subnetType: props.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'EncryptionKey', {
      description: `Encrypts the storage, secret, Performance Insights and function logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: keepOnDelete,
    });
    this.allowLogsToUseKey();

    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: props.vpc, allowAllOutbound: false, description: `Database instance of ${this.node.path}: reachable from its proxy only`,
    });
    const proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
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

    const performanceInsights = props.performanceInsights ?? supportsPerformanceInsights(instanceClass);
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
      enablePerformanceInsights: performanceInsights,
      performanceInsightEncryptionKey: performanceInsights ? this.encryptionKey : undefined,
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
    }
    this.proxy = this.createProxy(props, target, dbSubnets, proxySecurityGroup);
    this.proxy.connections.allowFrom(this.clientSecurityGroup, ec2.Port.tcp(this.port), 'Wired functions to the proxy');

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

    this.functionsScope = new Construct(this, 'Functions');
    const roleScope = new Construct(this, 'FunctionRoles');
    this.wiring = {
      vpc: this.vpc,
      functionSubnets: this.functionSubnets,
      clientSecurityGroup: this.clientSecurityGroup,
      functionLogGroup: this.functionLogGroup,
      budget: this.budget,
      functionPolicy,
      connectPolicy: this.connectPolicy,
      roleScope,
      tracingPolicy: () => this.tracingPolicy(),
      connectionEnvironment: () => this.connectionEnvironment(),
    };

    new CfnOutput(this, 'ProxyEndpoint', { value: this.proxy.endpoint, description: 'Host name functions connect to' });
    new CfnOutput(this, 'SecretArn', { value: this.secret.secretArn, description: 'Master credentials (rotated)' });
    new CfnOutput(this, 'MaxConnections', { value: String(this.maxConnections), description: 'max_connections of the database' });

    this.node.addValidation({ validate: () => this.validateBudget() });
    attachCustomSynthesis(this, { onSynthesize: session => this.writeBudgetArtifact(session.outdir) });
  }

  /**
   * Creates a Lambda function (any runtime) wired to the database: in its VPC, allowed through
   * the proxy, given the database environment variables and a reserved concurrency the budget
   * accepts.
   *
   * @param id construct id of the function, under this database's `Functions` scope
   * @param props the function's props; `vpc` is filled in and must be left unset
   */
  public addFunction(id: string, props: DatabaseFunctionProps): lambda.Function {
    const wired = wireFunctionProps(this.wiring, id, props);
    const fn = new lambda.Function(this.functionsScope, id, wired.props);
    finishWiring(this.wiring, fn, wired, props.runtime);
    return fn;
  }

  /**
   * Creates a Node.js function bundled with esbuild (locally when esbuild is installed), wired
   * like `addFunction()`. Runtime: Node.js 24 unless given. The AWS SDK modules the handler
   * imports are bundled too (`bundling.bundleAwsSDK` defaults to true here): AWS recommends
   * shipping your own SDK rather than relying on the copy in Lambda's runtime, whose version and
   * contents (the runtime helper's `@aws-sdk/rds-signer`) are not guaranteed.
   *
   * Bundles are built for size, since every cold start parses them: `bundling.minify` defaults
   * to true (with esbuild's tree-shaking), `bundling.sourceMap` to false (set it to true, and
   * `NODE_OPTIONS=--enable-source-maps`, for stack traces in your sources). esbuild runs inside
   * the synth process through its JavaScript API, found once in your project, and functions with
   * the same entry and options share one build; options that need NodejsFunction's own bundling
   * (command hooks, `nodeModules`, pre-compilation, Docker, `esbuildArgs`) get it as before.
   * esbuild is told the function's auth mode, so the runtime helper's client for the other mode
   * (RDS signer or Secrets Manager) is left out of the bundle.
   *
   * @param id construct id of the function, under this database's `Functions` scope
   * @param props the function's props; `vpc` is filled in and must be left unset
   */
  public addNodejsFunction(id: string, props: DatabaseNodejsFunctionProps): nodejs.NodejsFunction {
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    const wired = wireFunctionProps(this.wiring, id, { ...props, runtime });
    const bundling = defineAuthMode({ bundleAwsSDK: true, minify: true, sourceMap: false, ...props.bundling }, wired.props.environment);
    const bundled = props.code ? undefined : bundleInProcess(this.functionsScope, id, { ...props, runtime, bundling });
    const fn = new nodejs.NodejsFunction(this.functionsScope, id, { ...wired.props, bundling, ...bundled });
    finishWiring(this.wiring, fn, wired, runtime);
    return fn;
  }

  /**
   * Wires a function you built yourself. It must already be in the database's VPC (use
   * `vpc`, `functionSubnets` and `clientSecurityGroup` when you create it): this adds the client
   * security group if missing, the environment variables, `connectPolicy` to its role and the
   * budget allocation. Give its role `functionPolicy` and its logs `functionLogGroup` to match
   * the functions `addFunction()` creates.
   *
   * @param fn a function already placed in the database's VPC
   * @param options how many connections one execution environment opens
   */
  public connectFunction(fn: lambda.Function, options: ConnectFunctionOptions = {}): void {
    connectExistingFunction(this.wiring, fn, options.connectionsPerInvocation ?? 1);
  }

  /**
   * Lets `grantee` log in through the proxy: `rds-db:connect` for the database user on the
   * proxy, or read access to the secret when IAM authentication is off. Opens no network path.
   *
   * @param grantee the principal that logs in
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    if (!this.iamAuthentication) {
      return this.secret.grantRead(grantee);
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['rds-db:connect'],
      resourceArns: [proxyUserArn(this, this.proxy.dbProxyArn, this.username)],
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
  ): rds.DatabaseProxy {
    return new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(target),
      dbProxyName: Names.uniqueResourceName(this, { maxLength: 60, separator: '-' }),
      // Without its key, so the proxy adds no key-policy grant (ProxyPolicy holds the permissions;
      // a grant naming the role in the key policy would close a dependency cycle through the secret).
      secrets: [secretsmanager.Secret.fromSecretCompleteArn(this, 'ProxySecret', this.secret.secretArn)],
      role: this.proxyRole().withoutPolicyUpdates(),
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
      return [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this, this.proxy.dbProxyArn, this.username)] })];
    }
    return secretReadStatements(this, this.secret, this.encryptionKey);
  }

  /** X-Ray actions for functions with active tracing, shared so tracing adds no policy per function. */
  private tracingPolicy(): iam.IManagedPolicy {
    const existing = this.node.tryFindChild('TracingPolicy') as iam.IManagedPolicy | undefined;
    if (existing) {
      return existing;
    }
    const policy = new iam.ManagedPolicy(this, 'TracingPolicy', {
      description: `X-Ray tracing of the functions wired to ${this.node.path}`,
      statements: [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] })],
    });
    acknowledgeXrayWildcard(policy);
    return policy;
  }

  /** The proxy reads the credentials with a customer-managed policy instead of an inline one. */
  private proxyRole(): iam.Role {
    const policy = new iam.ManagedPolicy(this, 'ProxyPolicy', {
      description: `Lets the RDS Proxy of ${this.node.path} read the database credentials`,
      statements: secretReadStatements(this, this.secret, this.encryptionKey),
    });
    return new iam.Role(this, 'ProxyRole', {
      assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
      description: `RDS Proxy of ${this.node.path}`,
      managedPolicies: [policy],
    });
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
      [e.HOST]: this.proxy.endpoint,
      [e.PORT]: String(this.port),
      [e.DATABASE]: this.databaseName,
      [e.USER]: this.username,
      [e.REGION]: Stack.of(this).region,
      [e.AUTH]: this.iamAuthentication ? 'iam' : 'secret',
    };
    if (!this.iamAuthentication) {
      environment[e.SECRET_ARN] = this.secret.secretArn;
    }
    return environment;
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

  /** CloudWatch Logs encrypts the shared function log group with the database's key. */
  private allowLogsToUseKey(): void {
    const stack = Stack.of(this);
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }));
  }

  private validateBudget(): string[] {
    const plan = this.budget.plan();
    const table = this.budget.toTable(this.node.path);
    const errors: string[] = [];
    if (plan.problems.length > 0) {
      errors.push(`The connection budget is over-committed.\n${table}`);
    }
    const idle = this.maxIdleConnectionsPercent;
    if (idle !== undefined && idle > plan.proxyMaxConnectionsPercent) {
      errors.push(`\`proxy.maxIdleConnectionsPercent\` (${idle}) must not exceed the proxy's MaxConnectionsPercent (${plan.proxyMaxConnectionsPercent}, from the connection budget)`);
    }
    if (this.isFirstDatabaseOfStack()) {
      errors.push(...reservedConcurrencyProblems(Stack.of(this), plan.reservableConcurrency ?? Number.MAX_SAFE_INTEGER, plan.reservedConcurrency));
    }
    if (errors.length === 0) {
      Annotations.of(this).addInfo(table);
    }
    return errors;
  }

  /** The stack-wide concurrency check runs once per stack, not once per database. */
  private isFirstDatabaseOfStack(): boolean {
    return Stack.of(this).node.findAll().find(c => c instanceof ServerlessDatabase) === this;
  }

  private writeBudgetArtifact(outdir: string): void {
    const stack = Stack.of(this);
    const file = path.join(outdir, `${stack.artifactId}.${Names.uniqueId(this)}.connection-budget.json`);
    fs.writeFileSync(file, JSON.stringify({ database: this.node.path, ...this.budget.plan() }, undefined, 2));
  }
}

import * as path from 'path';
import { ArnFormat, CustomResource, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { NETWORK_INTERFACE_ACTIONS, logWriteStatement, proxyUserArn, secretReadStatements } from './access-policies';
import { DatabaseUserOptions } from './database-user-options';
import { acknowledgeUserProviderFindings } from './database-users-acknowledgments';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';
import { Engine, requireIdentifier, requireUserName } from '../private/sql-identifiers';

/** What the database hands its users: where the instance is, who administers it, what it may spend. */
export interface DatabaseUsersProps {
  readonly engineFamily: DatabaseEngineFamily;
  readonly instance: rds.DatabaseInstance;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  /** Subnets of the handler, which reaches the instance and Secrets Manager. */
  readonly subnets: ec2.SubnetSelection;
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  readonly budget: ConnectionBudget;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The wiring calls this for every function it wires when the database has per-function users. */
export interface FunctionUserRegistry {
  addConsumer(fn: lambda.Function, role: iam.IRole, allocationName: string, options?: DatabaseUserOptions): void;
}

interface UserEntry {
  readonly name: string;
  readonly explicit: boolean;
  readonly grantsKey: string;
  readonly consumers: string[];
  readonly resource: CustomResource;
  readonly connectPolicy: iam.ManagedPolicy;
}

/** X-Ray actions of functions with active tracing; they support no resource-level permissions. */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/** The budget line of the users handler's own connection. */
const USERS_HANDLER_RESERVATION = 'Database users (custom resource)';

const HANDLER_CODE = path.join(__dirname, '..', 'handlers', 'database-users', 'bundle');

/**
 * One least-privilege login user per wired function (or per shared name), created by a custom
 * resource in the VPC: IAM authentication only, a connection limit equal to the function's budget
 * allocation, and only the grants asked for. The proxy logs in to the database with IAM as that
 * user (end-to-end IAM), so no function and not the proxy needs the master secret.
 */
export class DatabaseUsers extends Construct implements FunctionUserRegistry {
  /** The proxy's permission to log in to the instance as each user (end-to-end IAM). */
  public readonly proxyConnectPolicy: iam.ManagedPolicy;
  private readonly provider: cr.Provider;
  private readonly users = new Map<string, UserEntry>();
  private readonly engine: Engine;
  private securityGroup!: ec2.SecurityGroup;
  private proxy?: rds.IDatabaseProxy;
  /** The last user created: users are created one after the other, by a handler of concurrency 1. */
  private lastUser?: CustomResource;

  constructor(scope: Construct, id: string, private readonly props: DatabaseUsersProps) {
    super(scope, id);
    this.engine = props.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql';
    requireIdentifier(this.engine, 'object', `databaseName of ${scope.node.path}`, props.databaseName);
    this.proxyConnectPolicy = new iam.ManagedPolicy(this, 'ProxyConnectPolicy', {
      description: `Lets the RDS Proxy of ${scope.node.path} log in to the instance as each function's database user`,
    });
    this.provider = this.createProvider();
    this.node.addValidation({
      validate: () => this.users.size > 0 ? [] : [
        `${scope.node.path} has functionUsers on but no wired function: the proxy could not log in as anyone. Wire a function or turn functionUsers off.`,
      ],
    });
  }

  /** Sets the proxy functions log in through; called once, right after the proxy exists. */
  public useProxy(proxy: rds.IDatabaseProxy): void {
    this.proxy = proxy;
  }

  /** The user of each consumer (budget name), for the budget table. */
  public consumersByUser(): Array<{ user: string; consumers: string[] }> {
    return [...this.users.values()].map((u) => ({ user: u.name, consumers: [...u.consumers] }));
  }

  /** A table of users and the connection limits the database enforces for them. */
  public toTable(): string {
    const plan = this.props.budget.plan();
    const lines = ['  database user (CONNECTION LIMIT enforced by the database)   limit  consumers'];
    for (const user of this.users.values()) {
      lines.push(`  ${user.name.padEnd(58)} ${String(this.connectionLimit(user, plan)).padStart(5)}  ${user.consumers.join(', ')}`);
    }
    return lines.join('\n');
  }

  public addConsumer(fn: lambda.Function, role: iam.IRole, allocationName: string, options: DatabaseUserOptions = {}): void {
    if (!this.proxy) {
      throw new Error(`${this.node.path}: functions can be wired only after the proxy exists`);
    }
    const consumer = allocationName;
    const explicit = options.userName !== undefined;
    const name = explicit
      ? requireUserName(this.engine, options.userName, this.props.masterUsername)
      : this.derivedName(fn.node.id);
    const grantsKey = JSON.stringify(this.grantProperties(options, `function '${consumer}'`));
    let user = this.users.get(name);
    if (user && !(explicit && user.explicit)) {
      throw new Error(`Function '${consumer}': database user name '${name}' is already taken by ${user.consumers.join(', ')}; give \`databaseUser.userName\` to both to share it on purpose`);
    }
    if (user && user.grantsKey !== grantsKey) {
      throw new Error(`Function '${consumer}' shares database user '${name}' with ${user.consumers.join(', ')} but asks for other grants; a shared user has one set of grants`);
    }
    if (!user) {
      user = this.createUser(name, explicit, grantsKey, options);
      this.users.set(name, user);
    }
    user.consumers.push(consumer);
    fn.addEnvironment(DatabaseEnvironmentVariables.USER, name);
    role.addManagedPolicy(user.connectPolicy);
    // The function is (re)deployed only once its user exists, and removed before its user is.
    fn.node.addDependency(user.resource);
  }

  private createUser(name: string, explicit: boolean, grantsKey: string, options: DatabaseUserOptions): UserEntry {
    const scope = new Construct(this, name);
    const entry: UserEntry = {
      name, explicit, grantsKey, consumers: [],
      connectPolicy: new iam.ManagedPolicy(scope, 'ConnectPolicy', {
        description: `Logs in through the proxy of ${this.node.scope!.node.path} as database user ${name}`,
        statements: [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this, this.proxy!.dbProxyArn, name)] })],
      }),
      resource: undefined as unknown as CustomResource,
    };
    const grants = this.grantProperties(options, `database user '${name}'`);
    const resource = new CustomResource(scope, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::DatabaseUser',
      properties: {
        Engine: this.engine,
        Host: this.props.instance.dbInstanceEndpointAddress,
        Port: String(this.props.port),
        Database: this.props.databaseName,
        MasterSecretArn: this.props.secret.secretArn,
        UserName: name,
        ConnectionLimit: Lazy.string({ produce: () => String(this.connectionLimit(entry, this.props.budget.plan())) }),
        ...grants,
      },
    });
    // The handler reaches the instance only once the security group rules on both sides exist.
    for (const group of [...this.props.instance.connections.securityGroups, this.securityGroup]) resource.node.addDependency(group);
    if (this.lastUser) {
      resource.node.addDependency(this.lastUser);
    }
    this.lastUser = resource;
    (entry as { resource: CustomResource }).resource = resource;
    const stack = Stack.of(this);
    this.proxyConnectPolicy.addStatements(new iam.PolicyStatement({
      actions: ['rds-db:connect'],
      resources: [stack.formatArn({
        service: 'rds-db', resource: 'dbuser', arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: `${this.props.instance.instanceResourceId}/${name}`,
      })],
    }));
    return entry;
  }

  /** The sum of the budget allocations of the user's consumers (at least 1). */
  private connectionLimit(user: UserEntry, plan: ReturnType<ConnectionBudget['plan']>): number {
    const total = plan.allocations.filter((a) => user.consumers.includes(a.name)).reduce((sum, a) => sum + a.connections, 0);
    return Math.max(1, total);
  }

  /** The grants as the handler reads them; names are checked now so a bad one fails the synth, not the deploy. */
  private grantProperties(options: DatabaseUserOptions, owner: string): Record<string, unknown> {
    const names = (list: string[] | undefined, what: string) =>
      (list ?? []).map((n) => requireIdentifier(this.engine, 'object', `${what} of ${owner}`, n));
    const readOnly = names(options.readOnlySchemas, 'readOnlySchemas');
    const privileges = (options.privileges ?? []).map((p) => ({
      Privileges: p.privileges.map((x) => x.toUpperCase()),
      ...(p.schema === undefined ? {} : { Schema: requireIdentifier(this.engine, 'object', `privileges schema of ${owner}`, p.schema) }),
      ...(p.table === undefined ? {} : { Table: requireIdentifier(this.engine, 'object', `privileges table of ${owner}`, p.table) }),
    }));
    const defaultSchema = this.engine === 'postgresql' ? 'public' : this.props.databaseName;
    const readWrite = options.readWriteSchemas === undefined && readOnly.length === 0 && privileges.length === 0
      ? [defaultSchema]
      : names(options.readWriteSchemas, 'readWriteSchemas');
    return { ReadOnlySchemas: readOnly, ReadWriteSchemas: readWrite, Privileges: privileges };
  }

  /** `Api-Handler` becomes `api_handler`; a second function with the same id gets `_2`. */
  private derivedName(id: string): string {
    let base = id.toLowerCase().replace(/[^a-z0-9_]/g, '_');
    if (!/^[a-z_]/.test(base)) base = `fn_${base}`;
    base = base.slice(0, 29);
    let name = base;
    for (let n = 2; this.users.has(name); n++) name = `${base}_${n}`;
    return requireUserName(this.engine, name, this.props.masterUsername);
  }

  /** The handler in the VPC with its own security group, and the Provider framework in front of it. */
  private createProvider(): cr.Provider {
    const { vpc, subnets, instance, port, secret, encryptionKey } = this.props;
    const where = this.node.scope!.node.path;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: this.props.logRetention, encryptionKey, removalPolicy: this.props.removalPolicy,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc, allowAllOutbound: false, description: `Database users of ${where}: reaches the instance and Secrets Manager only`,
    });
    this.securityGroup = securityGroup;
    instance.connections.allowFrom(securityGroup, ec2.Port.tcp(port), 'Database users handler to the instance');
    if (this.props.secretsManagerEndpoint) {
      this.props.secretsManagerEndpoint.connections.allowDefaultPortFrom(securityGroup, 'Database users handler to Secrets Manager');
    } else {
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager API over HTTPS');
    }

    const handlerPolicy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: `Database users handler of ${where}: reads the master secret, VPC attachment, logs`,
      statements: [
        ...secretReadStatements(this, secret, encryptionKey),
        new iam.PolicyStatement({ actions: [...NETWORK_INTERFACE_ACTIONS, ...XRAY_ACTIONS], resources: ['*'] }),
        logWriteStatement(logGroup),
      ],
    });
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Database users handler of ${where}`,
      managedPolicies: [handlerPolicy],
    });
    const handler = new lambda.Function(this, 'Handler', {
      description: `Creates, updates and drops the database users of ${where}`.slice(0, 256),
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(HANDLER_CODE),
      timeout: Duration.minutes(2),
      memorySize: 256,
      vpc, vpcSubnets: subnets, securityGroups: [securityGroup],
      role: handlerRole.withoutPolicyUpdates(),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    // Set on the L1: the L2 would add the X-Ray actions as an inline policy (the role is immutable here).
    (handler.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    // The handler logs in to the instance as the master user: one connection, counted in the budget.
    (handler.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    this.props.budget.reserve(USERS_HANDLER_RESERVATION, 1, { consumers: [handler] });

    const frameworkPolicy = new iam.ManagedPolicy(this, 'FrameworkPolicy', {
      description: `Provider framework of the database users of ${where}: invokes the handler, logs`,
      statements: [
        // The framework invokes the unqualified function ARN only.
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction', 'lambda:GetFunction'], resources: [handler.functionArn] }),
        new iam.PolicyStatement({ actions: XRAY_ACTIONS, resources: ['*'] }),
        logWriteStatement(logGroup),
      ],
    });
    const frameworkRole = new iam.Role(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Provider framework of the database users of ${where}`,
      managedPolicies: [frameworkPolicy],
    });
    // The framework only relays between CloudFormation and the handler and reaches nothing in the
    // VPC: outside it, it needs no Lambda or S3 endpoint in isolated subnets.
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: handler,
      frameworkOnEventRole: frameworkRole.withoutPolicyUpdates(),
      logGroup,
    });
    // The framework's function is the one Lambda function the Provider creates.
    const framework = provider.node.findAll().find((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)!;
    framework.memorySize = 256;
    framework.tracingConfig = { mode: 'Active' };
    acknowledgeUserProviderFindings({ functions: [handler, framework], policies: [handlerPolicy, frameworkPolicy], outsideVpc: framework });
    return provider;
  }
}

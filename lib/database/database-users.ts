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
import { NETWORK_INTERFACE_ACTIONS, kmsViaSecretsManager, logWriteStatement, proxyUserArn, secretReadStatements, userSecretReadStatements } from './access-policies';
import { DatabaseUserOptions } from './database-user-options';
import { acknowledgeUserProviderFindings } from './database-users-acknowledgments';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { DatabaseEnvironmentVariables } from '../functions/environment-variables';
import { PASSWORD_EXCLUDED_CHARACTERS, PASSWORD_LENGTH } from '../private/password-policy';
import { Engine, requireIdentifier, requireUserName } from '../private/sql-identifiers';

/** How the per-function users log in (to the proxy, and the proxy to the database). */
export enum UserAuthentication {
  /** End-to-end IAM: IAM tokens to the proxy, and the proxy logs in to the database with IAM as the user. */
  IAM = 'iam',
  /** A password per user, kept in the user's own rotated secret, which the proxy reads. */
  PASSWORD = 'password',
}

/** What the database hands its users: where the database is, who administers it, what it may spend. */
export interface DatabaseUsersProps {
  readonly engineFamily: DatabaseEngineFamily;
  readonly authentication: UserAuthentication;
  /** The host name the handler (and password rotation) logs in to: the instance or cluster writer. */
  readonly endpointAddress: string;
  /** The resource id (`db-...` / `cluster-...`) in the `rds-db:connect` ARNs the proxy logs in with. */
  readonly resourceId: string;
  /** The database's network side, opened to the handler. */
  readonly databaseConnections: ec2.Connections;
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
  /** How often the password users' secrets rotate (PASSWORD only). */
  readonly rotationInterval: Duration;
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
  /** The user's own password secret (PASSWORD only). */
  readonly secret?: secretsmanager.Secret;
}

/** X-Ray actions of functions with active tracing; they support no resource-level permissions. */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/** The budget line of the users handler's own connection. */
const USERS_HANDLER_RESERVATION = 'Database users (custom resource)';

const HANDLER_CODE = path.join(__dirname, '..', 'handlers', 'database-users', 'bundle');

/**
 * One least-privilege login user per wired function (or per shared name), created by a custom
 * resource in the VPC: a connection limit equal to the function's budget allocation and only the
 * grants asked for. With IAM (the default) the user has no password and the proxy logs in to the
 * database with IAM as that user (end-to-end IAM), so neither the functions nor the proxy read the
 * master secret. With passwords, each user has its own secret, registered on the proxy and
 * rotated by the same handler; each function reads only its own user's secret.
 *
 * Nothing is created until the first function is wired: a database without functions has no
 * handler and no users.
 */
export class DatabaseUsers extends Construct implements FunctionUserRegistry {
  private readonly users = new Map<string, UserEntry>();
  private readonly engine: Engine;
  private provider?: { readonly provider: cr.Provider; readonly handler: lambda.Function; readonly securityGroup: ec2.SecurityGroup };
  private proxy?: rds.IDatabaseProxy;
  private proxyRole?: iam.Role;
  /** The proxy's permission to log in as each user (IAM) or to read each user's secret (PASSWORD). */
  private proxyPolicy?: iam.ManagedPolicy;
  /** The last user created: users are created one after the other, by a handler of concurrency 1. */
  private lastUser?: CustomResource;

  constructor(scope: Construct, id: string, private readonly props: DatabaseUsersProps) {
    super(scope, id);
    this.engine = props.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql';
    requireIdentifier(this.engine, 'object', `databaseName of ${scope.node.path}`, props.databaseName);
  }

  /** How the users log in. */
  public get authentication(): UserAuthentication {
    return this.props.authentication;
  }

  /**
   * Sets the proxy functions log in through and its role; called once, right after the proxy
   * exists. With passwords, the proxy's `Auth` lists the users' secrets (the master secret only
   * while no function is wired, so the proxy is never left without a login).
   */
  public useProxy(proxy: rds.DatabaseProxy, proxyRole: iam.Role): void {
    this.proxy = proxy;
    this.proxyRole = proxyRole;
    if (this.props.authentication === UserAuthentication.PASSWORD) {
      (proxy.node.defaultChild as rds.CfnDBProxy).auth = Lazy.any({
        produce: () => this.proxySecretArns().map((secretArn) => ({ authScheme: 'SECRETS', iamAuth: 'DISABLED', secretArn })),
      });
      this.proxyRole.addManagedPolicy(new iam.ManagedPolicy(this, 'ProxySecretsPolicy', {
        description: `Lets the RDS Proxy of ${this.node.scope!.node.path} read the secrets of the function users`,
        statements: [
          new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: Lazy.list({ produce: () => this.proxySecretArns() }) }),
          kmsViaSecretsManager(this, this.props.encryptionKey, ['kms:Decrypt']),
        ],
      }));
    }
  }

  /** The user of each consumer (budget name), for the budget table. */
  public consumersByUser(): Array<{ user: string; consumers: string[] }> {
    return [...this.users.values()].map((u) => ({ user: u.name, consumers: [...u.consumers] }));
  }

  /** The database user of each consumer (budget name). */
  public userOfConsumer(consumer: string): string | undefined {
    return [...this.users.values()].find((u) => u.consumers.includes(consumer))?.name;
  }

  /** A table of users and the connection limits the database enforces for them; empty without users. */
  public toTable(): string {
    if (this.users.size === 0) return '';
    const plan = this.props.budget.plan();
    const lines = [`  database user (${this.props.authentication === UserAuthentication.IAM ? 'IAM' : 'password'}; limit enforced by the database)`.padEnd(62) + ' limit  consumers'];
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
    if (user.secret) {
      // Password users: the function reads its own user's secret, never the master secret.
      fn.addEnvironment(DatabaseEnvironmentVariables.SECRET_ARN, user.secret.secretArn);
    }
    role.addManagedPolicy(user.connectPolicy);
    // The function is (re)deployed only once its user exists, and removed before its user is.
    fn.node.addDependency(user.resource);
  }

  private createUser(name: string, explicit: boolean, grantsKey: string, options: DatabaseUserOptions): UserEntry {
    const { provider, securityGroup } = this.ensureProvider();
    const scope = new Construct(this, name);
    const secret = this.props.authentication === UserAuthentication.PASSWORD ? this.createUserSecret(scope, name) : undefined;
    const where = this.node.scope!.node.path;
    const entry: UserEntry = {
      name, explicit, grantsKey, consumers: [], secret,
      connectPolicy: new iam.ManagedPolicy(scope, 'ConnectPolicy', {
        description: secret
          ? `Reads the secret of database user ${name} of ${where} (its login through the proxy)`
          : `Logs in through the proxy of ${where} as database user ${name}`,
        statements: secret
          ? userSecretReadStatements(this, secret, this.props.encryptionKey)
          : [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [proxyUserArn(this, this.proxy!.dbProxyArn, name)] })],
      }),
      resource: undefined as unknown as CustomResource,
    };
    const grants = this.grantProperties(options, `database user '${name}'`);
    const resource = new CustomResource(scope, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::DatabaseUser',
      properties: {
        Engine: this.engine,
        Host: this.props.endpointAddress,
        Port: String(this.props.port),
        Database: this.props.databaseName,
        MasterSecretArn: this.props.secret.secretArn,
        UserName: name,
        ConnectionLimit: Lazy.string({ produce: () => String(this.connectionLimit(entry, this.props.budget.plan())) }),
        ...(secret ? { PasswordSecretArn: secret.secretArn } : {}),
        ...grants,
      },
    });
    // The handler reaches the database only once the security group rules on both sides exist.
    for (const group of [...this.props.databaseConnections.securityGroups, securityGroup]) resource.node.addDependency(group);
    if (this.lastUser) {
      resource.node.addDependency(this.lastUser);
    }
    this.lastUser = resource;
    (entry as { resource: CustomResource }).resource = resource;
    if (!secret) {
      this.ensureProxyPolicy().addStatements(new iam.PolicyStatement({
        actions: ['rds-db:connect'],
        resources: [Stack.of(this).formatArn({
          service: 'rds-db', resource: 'dbuser', arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${this.props.resourceId}/${name}`,
        })],
      }));
    }
    return entry;
  }

  /**
   * The user's secret in the format of RDS secrets (so the handler can rotate it with the master's
   * help): generated, encrypted with the database's key, rotated by the users handler.
   */
  private createUserSecret(scope: Construct, name: string): secretsmanager.Secret {
    const stack = Stack.of(this);
    const secret = new secretsmanager.Secret(scope, 'Secret', {
      description: `Login of database user ${name} of ${this.node.scope!.node.path} (rotated; read by its functions and the proxy)`,
      encryptionKey: this.props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: stack.toJsonString({
          engine: this.engine === 'postgresql' ? 'postgres' : 'mysql',
          host: this.props.endpointAddress,
          port: this.props.port,
          dbname: this.props.databaseName,
          username: name,
          masterarn: this.props.secret.secretArn,
        }),
        generateStringKey: 'password',
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
        passwordLength: PASSWORD_LENGTH,
      },
      // The user is dropped with its resource; its password is of no use after that.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Scheduled on the secret as imported, without its key: the handler's own policy holds the
    // key permissions, and a grant naming its role in the key policy would close a dependency cycle.
    new secretsmanager.RotationSchedule(scope, 'Rotation', {
      secret: secretsmanager.Secret.fromSecretCompleteArn(scope, 'RotatedSecret', secret.secretArn),
      rotationLambda: this.ensureProvider().handler,
      automaticallyAfter: this.props.rotationInterval,
    });
    return secret;
  }

  /** The secrets the proxy logs in with: the users', or the master's while no function is wired. */
  private proxySecretArns(): string[] {
    const secrets = [...this.users.values()].flatMap((u) => (u.secret ? [u.secret.secretArn] : []));
    return secrets.length > 0 ? secrets : [this.props.secret.secretArn];
  }

  /** The proxy's `rds-db:connect` policy, attached to its role with the first IAM user. */
  private ensureProxyPolicy(): iam.ManagedPolicy {
    if (!this.proxyPolicy) {
      this.proxyPolicy = new iam.ManagedPolicy(this, 'ProxyConnectPolicy', {
        description: `Lets the RDS Proxy of ${this.node.scope!.node.path} log in to the database as each function's database user`,
      });
      this.proxyRole!.addManagedPolicy(this.proxyPolicy);
    }
    return this.proxyPolicy;
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

  /** The handler in the VPC with its own security group, and the Provider framework in front of it; made with the first user. */
  private ensureProvider(): { provider: cr.Provider; handler: lambda.Function; securityGroup: ec2.SecurityGroup } {
    if (this.provider) return this.provider;
    const { vpc, subnets, databaseConnections, port, secret, encryptionKey } = this.props;
    const where = this.node.scope!.node.path;
    const passwords = this.props.authentication === UserAuthentication.PASSWORD;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: this.props.logRetention, encryptionKey, removalPolicy: this.props.removalPolicy,
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc, allowAllOutbound: false, description: `Database users of ${where}: reaches the database and Secrets Manager only`,
    });
    databaseConnections.allowFrom(securityGroup, ec2.Port.tcp(port), 'Database users handler to the database');
    if (this.props.secretsManagerEndpoint) {
      this.props.secretsManagerEndpoint.connections.allowDefaultPortFrom(securityGroup, 'Database users handler to Secrets Manager');
    } else {
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager API over HTTPS');
    }

    const handlerPolicy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: `Database users handler of ${where}: reads the master secret${passwords ? ', rotates the users\' secrets' : ''}, VPC attachment, logs`,
      statements: [
        ...secretReadStatements(this, secret, encryptionKey),
        new iam.PolicyStatement({ actions: [...NETWORK_INTERFACE_ACTIONS, ...XRAY_ACTIONS], resources: ['*'] }),
        logWriteStatement(logGroup),
        ...(passwords ? this.rotationStatements() : []),
      ],
    });
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Database users handler of ${where}`,
      managedPolicies: [handlerPolicy],
    });
    const handler = new lambda.Function(this, 'Handler', {
      description: `Creates, updates and drops the database users of ${where}${passwords ? ' and rotates their passwords' : ''}`.slice(0, 256),
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
    // The handler logs in to the database as the master user (and, rotating, as a user): one connection, counted in the budget.
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
    this.provider = { provider, handler, securityGroup };
    return this.provider;
  }

  /** Single-user rotation of the users' secrets, with the master's help: only these secrets, only through Secrets Manager. */
  private rotationStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: Lazy.list({ produce: () => [...this.users.values()].flatMap((u) => (u.secret ? [u.secret.secretArn] : [])) }),
      }),
      // GetRandomPassword acts on no resource.
      new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }),
      kmsViaSecretsManager(this, this.props.encryptionKey, ['kms:Decrypt', 'kms:GenerateDataKey']),
    ];
  }
}

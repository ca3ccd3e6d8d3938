import { ArnFormat, CustomResource, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';
import { kmsViaSecretsManager } from './access-policies';
import { DatabaseUserOptions } from './database-user-options';
import { createUsersHandler, reserveHandlerConnection, rotationStatements, UsersHandler } from './database-users-handler';
import { UserLoginAccess } from './user-login-access';
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
  /** What must exist before the users can be created: the instance, or the cluster with its instances. */
  readonly database: IDependable;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  /** Subnets of the handler, which reaches the instance and Secrets Manager. */
  readonly subnets: ec2.SubnetSelection;
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** The budgets the users' consumers are allocated in; each reserves the handler's connection. */
  readonly budgets: ConnectionBudget[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** How often the password users' secrets rotate (PASSWORD only). */
  readonly rotationInterval: Duration;
}

/** Why `grantConnect()` is refused on a database with per-function users. */
export function masterLoginRefused(database: Construct): Error {
  return new Error(`${database.node.path}: consumers log in only as per-function database users (functionUsers, on by default), never as the master user: wire the consumer as a function (addFunction, connectFunction, addDataApiFunction) to give it its own user, or set \`functionUsers: false\``);
}

/** The wiring calls this for every function it wires when the database has per-function users. */
export interface FunctionUserRegistry {
  addConsumer(fn: lambda.Function, role: iam.IRole, allocationName: string, options?: DatabaseUserOptions): void;
}

interface UserEntry {
  readonly name: string;
  readonly explicit: boolean;
  readonly grantsKey: string;
  readonly grants: Record<string, unknown>;
  readonly consumers: string[];
  /** The user's own password secret (password users only). */
  readonly secret?: secretsmanager.Secret;
  /** Whether a consumer logs in through the proxy (not only through the Data API). */
  viaProxy: boolean;
}

/**
 * One least-privilege login user per wired function (or per shared name), created by one custom
 * resource in the VPC for all users of the database: a connection limit equal to the consumers'
 * budget allocations and only the grants asked for. With IAM (the default) the user has no
 * password and the proxy logs in to the database with IAM as that user (end-to-end IAM), so
 * neither the functions nor the proxy read the master secret. With passwords, each user has its
 * own secret, registered on the proxy and rotated by the same handler; each function reads only
 * its own user's secret.
 *
 * A wired function adds no resource here: its role is tagged with its user, which one shared
 * policy turns into the right to log in as that user only. Nothing is created until the first
 * function is wired.
 */
export class DatabaseUsers extends Construct implements FunctionUserRegistry {
  private readonly users = new Map<string, UserEntry>();
  private readonly engine: Engine;
  private handler?: UsersHandler;
  private resource?: CustomResource;
  private readonly access: UserLoginAccess;
  private proxy?: rds.IDatabaseProxy;
  private proxyRole?: iam.Role;
  /** The proxy's permission to log in as each user (IAM users). */
  private proxyPolicy?: iam.ManagedPolicy;

  private readonly budgets: ConnectionBudget[];

  constructor(scope: Construct, id: string, private readonly props: DatabaseUsersProps) {
    super(scope, id);
    this.budgets = [...props.budgets];
    this.engine = props.engineFamily === DatabaseEngineFamily.POSTGRESQL ? 'postgresql' : 'mysql';
    requireIdentifier(this.engine, 'object', `databaseName of ${scope.node.path}`, props.databaseName);
    this.access = new UserLoginAccess(this, {
      proxy: () => this.proxy!, encryptionKey: props.encryptionKey, userSecretArns: () => this.userSecretArns(),
      scopeOf: (name) => this.userScope(name),
    });
  }

  /** Counts the allocations of another budget of the same database (Aurora readers) in the users' limits. */
  public addBudget(budget: ConnectionBudget): void {
    this.budgets.push(budget);
    if (this.handler) reserveHandlerConnection(budget, this.handler.handler);
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
    if (this.passwords) {
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

  /** A table of users and the connection limits the database enforces for them; empty without users. */
  public toTable(): string {
    if (this.users.size === 0) return '';
    const lines = [`  ${'database user (limit enforced by the database)'.padEnd(50)} login     limit  consumers`];
    for (const user of this.users.values()) {
      const login = user.secret ? 'password' : 'IAM';
      lines.push(`  ${user.name.padEnd(50)} ${login.padEnd(8)} ${String(this.connectionLimit(user)).padStart(6)}  ${user.consumers.join(', ')}`);
    }
    return lines.join('\n');
  }

  public addConsumer(fn: lambda.Function, role: iam.IRole, allocationName: string, options: DatabaseUserOptions = {}): void {
    if (!this.proxy) {
      throw new Error(`${this.node.path}: functions can be wired only after the proxy exists`);
    }
    this.addUserConsumer(fn, role, allocationName, options, this.passwords, true);
  }

  /**
   * A function that runs statements through the RDS Data API, which logs in with a secret: it gets
   * a password user of its own (its secret rotated like every user's), never the master secret.
   */
  public addDataApiConsumer(fn: lambda.Function, role: iam.IRole, reservationName: string, options: DatabaseUserOptions = {}): void {
    this.addUserConsumer(fn, role, reservationName, options, true, false);
  }

  private addUserConsumer(fn: lambda.Function, role: iam.IRole, consumer: string, options: DatabaseUserOptions, password: boolean, viaProxy: boolean): void {
    const explicit = options.userName !== undefined;
    const name = explicit
      ? requireUserName(this.engine, options.userName, this.props.masterUsername)
      : this.derivedName(fn.node.id);
    const grants = this.grantProperties(options, `function '${consumer}'`);
    const grantsKey = JSON.stringify(grants);
    let user = this.users.get(name);
    if (user && !(explicit && user.explicit)) {
      throw new Error(`Function '${consumer}': database user name '${name}' is already taken by ${user.consumers.join(', ')}; give \`databaseUser.userName\` to both to share it on purpose`);
    }
    if (user && user.grantsKey !== grantsKey) {
      throw new Error(`Function '${consumer}' shares database user '${name}' with ${user.consumers.join(', ')} but asks for other grants; a shared user has one set of grants`);
    }
    if (user && (user.secret !== undefined) !== password) {
      throw new Error(`Function '${consumer}' shares database user '${name}' with ${user.consumers.join(', ')}, which log in ${password ? 'with IAM' : 'with a password'}; a shared user logs in one way (the Data API needs a password)`);
    }
    if (!user) {
      user = this.createUser(name, explicit, grants, password);
      this.users.set(name, user);
    }
    user.consumers.push(consumer);
    user.viaProxy ||= viaProxy;
    fn.addEnvironment(DatabaseEnvironmentVariables.USER, name);
    if (user.secret) {
      // Password users: the function reads its own user's secret, never the master secret.
      fn.addEnvironment(DatabaseEnvironmentVariables.SECRET_ARN, user.secret.secretArn);
    }
    this.access.allow(role, { name, secret: user.secret });
    // The function is (re)deployed only once its user exists, and removed before its user is.
    fn.node.addDependency(this.resource!);
  }

  /** `Members/<user>`: a user's own resources, apart from the handler's (a user may be named `Logs`). */
  private userScope(name: string): Construct {
    const members = this.node.tryFindChild('Members') ?? new Construct(this, 'Members');
    return members.node.tryFindChild(name) as Construct ?? new Construct(members, name);
  }

  private get passwords(): boolean {
    return this.props.authentication === UserAuthentication.PASSWORD;
  }

  private createUser(name: string, explicit: boolean, grants: Record<string, unknown>, password: boolean): UserEntry {
    this.ensureResource();
    const secret = password ? this.createUserSecret(name) : undefined;
    const entry: UserEntry = { name, explicit, grantsKey: JSON.stringify(grants), grants, consumers: [], secret, viaProxy: false };
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

  /** The one custom resource holding every user, made with the first user. */
  private ensureResource(): CustomResource {
    if (this.resource) return this.resource;
    this.handler = createUsersHandler(this, {
      vpc: this.props.vpc, subnets: this.props.subnets, databaseConnections: this.props.databaseConnections, port: this.props.port,
      secret: this.props.secret, encryptionKey: this.props.encryptionKey, secretsManagerEndpoint: this.props.secretsManagerEndpoint,
      budgets: this.budgets, logRetention: this.props.logRetention, removalPolicy: this.props.removalPolicy,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.provider.serviceToken,
      resourceType: 'Custom::DatabaseUsers',
      properties: {
        Engine: this.engine,
        Host: this.props.endpointAddress,
        Port: String(this.props.port),
        Database: this.props.databaseName,
        MasterSecretArn: this.props.secret.secretArn,
        Users: Lazy.any({ produce: () => [...this.users.values()].map((u) => this.userProperties(u)) }),
      },
    });
    // The handler reaches the database only once the security group rules on both sides exist.
    for (const group of [...this.props.databaseConnections.securityGroups, this.handler.securityGroup]) this.resource.node.addDependency(group);
    this.resource.node.addDependency(this.props.database);
    return this.resource;
  }

  private userProperties(user: UserEntry): Record<string, unknown> {
    return {
      UserName: user.name,
      ConnectionLimit: String(this.connectionLimit(user)),
      ...(user.secret ? { PasswordSecretArn: user.secret.secretArn } : {}),
      ...user.grants,
    };
  }

  /**
   * The user's secret in the format of RDS secrets (so the handler can rotate it with the master's
   * help): generated, encrypted with the database's key, rotated by the users handler.
   */
  private createUserSecret(name: string): secretsmanager.Secret {
    const scope = this.userScope(name);
    const secret = new secretsmanager.Secret(scope, 'Secret', {
      description: `Login of database user ${name} of ${this.node.scope!.node.path} (rotated; read by its functions and the proxy)`,
      encryptionKey: this.props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: Stack.of(this).toJsonString({
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
      // The user is dropped with the users resource; its password is of no use after that.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.access.tagSecret(secret, name);
    if (this.userSecretArns().length === 0) {
      // The first password user: the handler may now rotate the users' secrets (and only those).
      this.handler!.policy.addStatements(...rotationStatements(this, this.props.encryptionKey, () => this.userSecretArns()));
    }
    // Scheduled on the secret as imported, without its key: the handler's own policy holds the
    // key permissions, and a grant naming its role in the key policy would close a dependency cycle.
    new secretsmanager.RotationSchedule(scope, 'Rotation', {
      secret: secretsmanager.Secret.fromSecretCompleteArn(scope, 'RotatedSecret', secret.secretArn),
      rotationLambda: this.handler!.handler,
      automaticallyAfter: this.props.rotationInterval,
    });
    return secret;
  }

  private userSecretArns(): string[] {
    return [...this.users.values()].flatMap((u) => (u.secret ? [u.secret.secretArn] : []));
  }

  /** The secrets the proxy logs in with: the users', or the master's while no function is wired. */
  private proxySecretArns(): string[] {
    // Only the users of functions behind the proxy: a Data API user's secret is no login there.
    const secrets = [...this.users.values()].flatMap((u) => (u.secret && u.viaProxy ? [u.secret.secretArn] : []));
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
  private connectionLimit(user: UserEntry): number {
    const total = this.budgets.flatMap((b) => b.plan().allocations)
      .filter((a) => user.consumers.includes(a.name)).reduce((sum, a) => sum + a.connections, 0);
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
}

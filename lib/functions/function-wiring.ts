import { Annotations, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accountUsage } from './account-concurrency';
import { DatabaseEnvironmentVariables } from './environment-variables';
import { ConnectFunctionOptions } from './function-props';
import { recordWiredFunction, wiredFunctionInfo } from './wired-registry';
import { AllocationKind } from '../budget/allocation';
import { ConnectionBudget } from '../budget/connection-budget';
import { logWriteStatement } from '../database/access-policies';
import { DatabaseUserOptions } from '../database/database-user-options';
import type { FunctionUserRegistry } from '../database/database-users';
import { acknowledgeFunctionRoleWildcard } from '../database/nag-acknowledgments';
import { requireWholeNumber } from '../private/validate';

/** What a database hands the wiring code: the network, the logs and the grants its functions need. */
export interface FunctionWiring {
  /** The database construct, named in errors. */
  readonly database: Construct;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly functionLogGroup: logs.ILogGroup;
  readonly budget: ConnectionBudget;
  /** The customer-managed policy every wired function's role shares: VPC attachment and logs. */
  readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in to the database. */
  readonly connectPolicy: iam.IManagedPolicy;
  /** Scope of the roles created for wired functions. */
  readonly roleScope: Construct;
  /** The customer-managed policy with the X-Ray actions, created on first use. */
  tracingPolicy(): iam.IManagedPolicy;
  /** The database environment variables, without the per-function connection count. */
  connectionEnvironment(): Record<string, string>;
  /** Called for every function once it is wired (a database kind orders it after its own resources). */
  onWired?(fn: lambda.Function): void;
  /**
   * Per-function database users, when the database has them: each function then logs in as its
   * own user (and gets no `connectPolicy`, which names the master user).
   */
  readonly functionUsers?: FunctionUserRegistry;
}

/** The props every wired function shares, whatever its flavour. */
interface WireableProps extends lambda.FunctionOptions {
  readonly connectionsPerInvocation?: number;
  readonly databaseUser?: DatabaseUserOptions;
}

/** Props ready for the function's constructor, and what is finished once the function exists. */
export interface WiredProps<T> {
  readonly props: T;
  readonly role: iam.IRole;
  readonly tracing?: lambda.Tracing;
  readonly connectionsPerInvocation: number;
  readonly databaseUser?: DatabaseUserOptions;
}

/**
 * Fills in what a wired function needs: the database's VPC, subnets and client security group,
 * a role that carries the database's shared customer-managed policy (so a function adds only
 * itself and its role to the stack), the shared log group and the database environment variables.
 */
export function wireFunctionProps<T extends WireableProps>(wiring: FunctionWiring, id: string, props: T): WiredProps<T> {
  if (props.vpc && props.vpc !== wiring.vpc) {
    throw new Error(`Function '${id}' of ${wiring.database.node.path}: \`vpc\` must be left unset (or be the database's VPC); wired functions run in the database's VPC`);
  }
  if (wiring.roleScope.node.tryFindChild(id)) {
    throw new Error(`${wiring.database.node.path} already has a function with the id '${id}': give each wired function its own id`);
  }
  if (props.vpcSubnets) {
    requireSubnetsOfVpc(wiring, id, props.vpcSubnets);
  }
  const connectionsPerInvocation = props.connectionsPerInvocation ?? 1;
  requireWholeNumber(connectionsPerInvocation, `connectionsPerInvocation of function '${id}'`);
  if (props.reservedConcurrentExecutions !== undefined) {
    requireWholeNumber(props.reservedConcurrentExecutions, `reservedConcurrentExecutions of function '${id}'`);
  }
  const environment = { ...(props.environment ?? {}) };
  for (const [name, value] of Object.entries(databaseEnvironment(wiring, connectionsPerInvocation))) {
    if (name in environment) {
      throw new Error(`Function '${id}': the environment variable ${name} is set by ServerlessDatabase; remove it from \`environment\``);
    }
    environment[name] = value;
  }
  if (props.logRetention !== undefined) {
    throw new Error(
      `Function '${id}': \`logRetention\` is not supported on wired functions (it is deprecated in aws-cdk-lib and its ` +
      'log group would be outside the role\'s permissions): pass a `logGroup` with the retention you want, or leave it ' +
      'unset to use the database\'s shared log group (functionLogRetention)',
    );
  }
  requireFunctionUsersFor(wiring, id, props.databaseUser);
  const ownLogGroup = props.logGroup;
  const loginPolicies = wiring.functionUsers ? [] : [wiring.connectPolicy];
  let role = props.role;
  if (role) {
    role.addManagedPolicy(wiring.functionPolicy);
    loginPolicies.forEach(p => role!.addManagedPolicy(p));
  } else {
    role = new iam.Role(wiring.roleScope, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the database function ${id}`,
      managedPolicies: [wiring.functionPolicy, ...loginPolicies],
    });
    acknowledgeFunctionRoleWildcard(role);
  }
  if (ownLogGroup) {
    role.addToPrincipalPolicy(logWriteStatement(ownLogGroup));
  }
  const wired: T = {
    ...props,
    vpc: wiring.vpc,
    vpcSubnets: props.vpcSubnets ?? wiring.functionSubnets,
    securityGroups: [wiring.clientSecurityGroup, ...(props.securityGroups ?? [])],
    role,
    logGroup: ownLogGroup ?? wiring.functionLogGroup,
    environment,
    // Set on the L1 after creation: the L2 would add the X-Ray actions as an inline policy per function.
    tracing: undefined,
  };
  delete (wired as { connectionsPerInvocation?: number }).connectionsPerInvocation;
  delete (wired as { databaseUser?: DatabaseUserOptions }).databaseUser;
  return { props: wired, role, tracing: props.tracing, connectionsPerInvocation, databaseUser: props.databaseUser };
}

/**
 * Finishes a function created from `wireFunctionProps`: tracing, runtime check, budget. Returns
 * its allocation name.
 */
export function finishWiring<T>(
  wiring: FunctionWiring, fn: lambda.Function, wired: WiredProps<T>, runtime: lambda.Runtime, claim?: FunctionClaim,
): string {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  if (wired.tracing === lambda.Tracing.ACTIVE) {
    cfn.tracingConfig = { mode: 'Active' };
    wired.role.addManagedPolicy(wiring.tracingPolicy());
  } else if (wired.tracing === lambda.Tracing.PASS_THROUGH) {
    cfn.tracingConfig = { mode: 'PassThrough' };
  }
  warnOnOldNodeRuntime(fn, runtime);
  const name = registerFunction(wiring, fn, claim ?? { kind: AllocationKind.FUNCTION, connectionsPerInvocation: wired.connectionsPerInvocation });
  wiring.functionUsers?.addConsumer(fn, wired.role, name, wired.databaseUser);
  return name;
}

/** How a function claims its share: what the wiring learnt from its props or options. */
export interface FunctionClaim {
  readonly kind: AllocationKind;
  readonly connectionsPerInvocation: number;
  /** Managed instances: connections one environment holds and its maximum environments. */
  readonly connectionsPerEnvironment?: number;
  readonly maxEnvironments?: number;
  /** Queue consumers: the maximum concurrency asked for. */
  readonly maxConcurrency?: number;
}

/**
 * Enters a function in the budget. Without its own cap it gets the budget's share, written
 * lazily because the share depends on every function added later, in this stack or any other
 * stack of the same account.
 */
export function registerFunction(wiring: FunctionWiring, fn: lambda.Function, claim: FunctionClaim): string {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const budget = wiring.budget;
  const name = budgetName(wiring, fn);
  const explicit = cfn.reservedConcurrentExecutions;
  if (explicit !== undefined && Token.isUnresolved(explicit)) {
    throw new Error(`reservedConcurrentExecutions of function '${fn.node.path}' must be a number known at synth time, got an unresolved token`);
  }
  const share = () => budget.concurrencyOf(name, accountUsage(wiring.database, budget));
  let connectionsPerEnvironment = claim.connectionsPerInvocation;
  let shared = false;
  switch (claim.kind) {
    case AllocationKind.MANAGED_INSTANCES:
      connectionsPerEnvironment = claim.connectionsPerEnvironment!;
      budget.allocateManagedInstances(name, { maxEnvironments: claim.maxEnvironments!, connectionsPerEnvironment });
      break;
    case AllocationKind.QUEUE_CONSUMER: {
      const maxConcurrency = claim.maxConcurrency ?? explicit;
      budget.allocateQueueConsumer(name, { maxConcurrency, connectionsPerInvocation: claim.connectionsPerInvocation });
      shared = maxConcurrency === undefined;
      if (explicit === undefined) {
        cfn.reservedConcurrentExecutions = maxConcurrency ?? Lazy.number({ produce: share });
      }
      break;
    }
    default:
      budget.allocateFunction(name, { reservedConcurrency: explicit, connectionsPerInvocation: claim.connectionsPerInvocation });
      shared = explicit === undefined;
      if (shared) {
        cfn.reservedConcurrentExecutions = Lazy.number({ produce: share });
      }
  }
  recordWiredFunction(cfn, { budget, name, kind: claim.kind, shared, connectionsPerEnvironment });
  wiring.onWired?.(fn);
  return name;
}

/**
 * Wires a function the user built: it must already be in the database's VPC. Its role gets the
 * database's connect policy; its network and log permissions stay the user's. A function on a
 * Lambda Managed Instances capacity provider is counted by environments x connections each.
 */
export function connectExistingFunction(wiring: FunctionWiring, fn: lambda.Function, options: ConnectFunctionOptions, queue?: { maxConcurrency?: number }): string {
  const connectionsPerInvocation = options.connectionsPerInvocation ?? 1;
  requireWholeNumber(connectionsPerInvocation, `connectionsPerInvocation of function '${fn.node.path}'`);
  requireFunctionUsersFor(wiring, fn.node.path, options.databaseUser);
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  if (wiredFunctionInfo(cfn)) {
    throw new Error(`Function '${fn.node.path}' is already wired to a database (the connection budget already has an allocation named '${budgetName(wiring, fn)}')`);
  }
  const managed = managedInstancesClaim(wiring, fn, options, connectionsPerInvocation);
  // A function on Managed Instances runs in its capacity provider's network: create the provider
  // with db.clientSecurityGroup and subnets of db.vpc (the template check verifies the VPC).
  if (!managed) {
    if (!fn.isBoundToVpc) {
      throw new Error(
        `Function '${fn.node.path}' is not in a VPC, so it cannot reach the proxy of ${wiring.database.node.path}: create it with ` +
        '`vpc: db.vpc, vpcSubnets: db.functionSubnets, securityGroups: [db.clientSecurityGroup]`, or use db.addFunction()',
      );
    }
    addClientSecurityGroup(wiring, fn);
  }
  for (const [name, value] of Object.entries(databaseEnvironment(wiring, connectionsPerInvocation, managed?.connectionsPerEnvironment))) {
    fn.addEnvironment(name, value);
  }
  if (!fn.role) {
    throw new Error(`Function '${fn.node.path}' has no role to grant the database login to`);
  }
  if (!wiring.functionUsers) {
    fn.role.addManagedPolicy(wiring.connectPolicy);
  }
  if (managed && queue) {
    throw new Error(`Function '${fn.node.path}' runs on Lambda Managed Instances and cannot be wired as a queue consumer: connect it with connectFunction()`);
  }
  const name = registerFunction(wiring, fn, managed ?? {
    kind: queue ? AllocationKind.QUEUE_CONSUMER : AllocationKind.FUNCTION,
    connectionsPerInvocation,
    maxConcurrency: queue?.maxConcurrency,
  });
  wiring.functionUsers?.addConsumer(fn, fn.role, name, options.databaseUser);
  return name;
}

function requireFunctionUsersFor(wiring: FunctionWiring, name: string, databaseUser?: DatabaseUserOptions): void {
  if (databaseUser && !wiring.functionUsers) {
    throw new Error(`Function '${name}': \`databaseUser\` needs per-function users; set \`functionUsers: true\` on the database`);
  }
}

/** Puts the function in the client security group, which alone may reach the proxy. */
function addClientSecurityGroup(wiring: FunctionWiring, fn: lambda.Function): void {
  if (fn.connections.securityGroups.includes(wiring.clientSecurityGroup)) {
    return;
  }
  fn.connections.addSecurityGroup(wiring.clientSecurityGroup);
  // lambda.Function wrote its security group ids when it was built: follow the connections.
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  cfn.vpcConfig = {
    ...(cfn.vpcConfig as lambda.CfnFunction.VpcConfigProperty),
    securityGroupIds: Lazy.list({ produce: () => fn.connections.securityGroups.map(g => g.securityGroupId) }),
  };
}

/**
 * A function on a capacity provider runs many requests per environment: its cap is its maximum
 * environments, written into the template when the user gave it as an option.
 */
function managedInstancesClaim(wiring: FunctionWiring, fn: lambda.Function, options: ConnectFunctionOptions, connectionsPerInvocation: number): FunctionClaim | undefined {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const config = Stack.of(fn).resolve(cfn.capacityProviderConfig);
  if (!config) {
    if (options.maxEnvironments !== undefined || options.connectionsPerEnvironment !== undefined) {
      throw new Error(`Function '${fn.node.path}': \`maxEnvironments\` and \`connectionsPerEnvironment\` apply to functions on a Lambda Managed Instances capacity provider only`);
    }
    return undefined;
  }
  const scaling = Stack.of(fn).resolve(cfn.functionScalingConfig) ?? {};
  const maxEnvironments = options.maxEnvironments ?? scaling.maxExecutionEnvironments;
  if (maxEnvironments === undefined) {
    throw new Error(
      `Function '${fn.node.path}' runs on Lambda Managed Instances without a maximum number of execution environments, so ` +
      `its connections to ${wiring.database.node.path} have no bound: pass \`maxEnvironments\` to connectFunction()`,
    );
  }
  requireWholeNumber(maxEnvironments, `maxEnvironments of function '${fn.node.path}'`);
  if (options.maxEnvironments !== undefined) {
    cfn.functionScalingConfig = { ...scaling, maxExecutionEnvironments: maxEnvironments };
  }
  const perEnvironment = config.lambdaManagedInstancesCapacityProviderConfig?.perExecutionEnvironmentMaxConcurrency
    ?? config.LambdaManagedInstancesCapacityProviderConfig?.PerExecutionEnvironmentMaxConcurrency;
  const connectionsPerEnvironment = options.connectionsPerEnvironment ?? connectionsPerInvocation * (typeof perEnvironment === 'number' ? perEnvironment : 1);
  requireWholeNumber(connectionsPerEnvironment, `connectionsPerEnvironment of function '${fn.node.path}'`);
  return { kind: AllocationKind.MANAGED_INSTANCES, connectionsPerInvocation, connectionsPerEnvironment, maxEnvironments };
}

/** Subnets handed to a wired function must be subnets of the database's VPC. */
function requireSubnetsOfVpc(wiring: FunctionWiring, id: string, selection: ec2.SubnetSelection): void {
  const known = [...wiring.vpc.publicSubnets, ...wiring.vpc.privateSubnets, ...wiring.vpc.isolatedSubnets].map(s => s.subnetId);
  if (known.length === 0 || !selection.subnets) {
    return;
  }
  const foreign = selection.subnets.filter(s => !known.includes(s.subnetId));
  if (foreign.length > 0) {
    throw new Error(
      `Function '${id}' of ${wiring.database.node.path}: \`vpcSubnets\` names ${foreign.length} subnet(s) outside the database's VPC ` +
      '(a function cannot reach the proxy from another VPC): choose subnets of db.vpc, or leave vpcSubnets unset for db.functionSubnets',
    );
  }
}

/**
 * Paths inside the database's stack keep the budget table readable; a function of another stack
 * is named by its full path, so names stay unique across stacks.
 */
function budgetName(wiring: FunctionWiring, fn: lambda.Function): string {
  const stack = Stack.of(fn);
  return stack === Stack.of(wiring.database) ? fn.node.path.slice(stack.node.path.length + 1) : fn.node.path;
}

/** Warns when a Node.js function uses a runtime older than Node.js 22. */
function warnOnOldNodeRuntime(fn: lambda.Function, runtime: lambda.Runtime): void {
  const match = /^nodejs(\d+)\.x$/.exec(runtime.name);
  if (match && Number(match[1]) < 22) {
    Annotations.of(fn).addWarningV2(
      'cdk-serverless-rds:oldNodeRuntime',
      `Function uses ${runtime.name}, which Lambda has deprecated or soon will: use lambda.Runtime.NODEJS_22_X or newer`,
    );
  }
}

function databaseEnvironment(wiring: FunctionWiring, connectionsPerInvocation: number, connectionsPerEnvironment?: number): Record<string, string> {
  const environment: Record<string, string> = {
    ...wiring.connectionEnvironment(),
    [DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION]: String(connectionsPerInvocation),
  };
  if (connectionsPerEnvironment !== undefined) {
    environment[DatabaseEnvironmentVariables.CONNECTIONS_PER_ENVIRONMENT] = String(connectionsPerEnvironment);
  }
  return environment;
}

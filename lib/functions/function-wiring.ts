import { Annotations, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DatabaseEnvironmentVariables } from './environment-variables';
import { ConnectionBudget } from '../budget/connection-budget';
import { logWriteStatement } from '../database/access-policies';
import { DatabaseUserOptions } from '../database/database-user-options';
import type { FunctionUserRegistry } from '../database/database-users';
import { acknowledgeFunctionRoleWildcard } from '../database/nag-acknowledgments';
import { requireWholeNumber } from '../private/validate';

/** What a database hands the wiring code: the network, the logs and the grants its functions need. */
export interface FunctionWiring {
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
  /**
   * Per-function database users, when the database has them: each function then logs in as its
   * own user (and gets no `connectPolicy`, which names the master user).
   */
  readonly functionUsers?: FunctionUserRegistry;
}

/** The budget each wired function belongs to, and whether its concurrency is a computed share. */
const WIRED_FUNCTIONS = new WeakMap<lambda.CfnFunction, { budget: ConnectionBudget; shared: boolean }>();

/** What a wired function's entry in the registry says, or undefined for functions not wired. */
export function wiredFunctionInfo(cfn: lambda.CfnFunction): { budget: ConnectionBudget; shared: boolean } | undefined {
  return WIRED_FUNCTIONS.get(cfn);
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
    throw new Error(`Function '${id}': \`vpc\` must be left unset (or be the database's VPC); wired functions run in the database's VPC`);
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

/** Finishes a function created from `wireFunctionProps`: tracing, runtime check, budget. */
export function finishWiring<T>(wiring: FunctionWiring, fn: lambda.Function, wired: WiredProps<T>, runtime: lambda.Runtime): void {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  if (wired.tracing === lambda.Tracing.ACTIVE) {
    cfn.tracingConfig = { mode: 'Active' };
    wired.role.addManagedPolicy(wiring.tracingPolicy());
  } else if (wired.tracing === lambda.Tracing.PASS_THROUGH) {
    cfn.tracingConfig = { mode: 'PassThrough' };
  }
  warnOnOldNodeRuntime(fn, runtime);
  registerFunction(wiring.budget, fn, wired.connectionsPerInvocation);
  wiring.functionUsers?.addConsumer(fn, wired.role, wired.databaseUser);
}

/**
 * Enters a function in the budget. Without its own reserved concurrency it gets the budget's
 * share, written lazily because the share depends on every function added later.
 */
function registerFunction(budget: ConnectionBudget, fn: lambda.Function, connectionsPerInvocation: number): void {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const explicit = cfn.reservedConcurrentExecutions;
  const name = budgetName(fn);
  if (explicit !== undefined && Token.isUnresolved(explicit)) {
    throw new Error(`reservedConcurrentExecutions of function '${name}' must be a number known at synth time, got an unresolved token`);
  }
  budget.allocateFunction(name, { reservedConcurrency: explicit, connectionsPerInvocation });
  WIRED_FUNCTIONS.set(cfn, { budget, shared: explicit === undefined });
  if (explicit === undefined) {
    cfn.reservedConcurrentExecutions = Lazy.number({ produce: () => budget.concurrencyOf(name) });
  }
}

/**
 * Wires a function the user built: it must already be in the database's VPC. Its role gets the
 * database's connect policy; its network and log permissions stay the user's.
 */
export function connectExistingFunction(
  wiring: FunctionWiring, fn: lambda.Function, connectionsPerInvocation: number, databaseUser?: DatabaseUserOptions,
): void {
  requireWholeNumber(connectionsPerInvocation, `connectionsPerInvocation of function '${fn.node.path}'`);
  requireFunctionUsersFor(wiring, fn.node.path, databaseUser);
  if (wiredFunctionInfo(fn.node.defaultChild as lambda.CfnFunction)) {
    throw new Error(`Function '${fn.node.path}' is already wired to a database (the connection budget already has an allocation named '${budgetName(fn)}')`);
  }
  if (!fn.isBoundToVpc) {
    throw new Error(
      `Function '${fn.node.path}' is not in a VPC, so it cannot reach the proxy: create it with ` +
      '`vpc: db.vpc, vpcSubnets: db.functionSubnets, securityGroups: [db.clientSecurityGroup]`, or use db.addFunction()',
    );
  }
  if (!fn.connections.securityGroups.includes(wiring.clientSecurityGroup)) {
    fn.connections.addSecurityGroup(wiring.clientSecurityGroup);
    // lambda.Function wrote its security group ids when it was built: follow the connections.
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.vpcConfig = {
      ...(cfn.vpcConfig as lambda.CfnFunction.VpcConfigProperty),
      securityGroupIds: Lazy.list({ produce: () => fn.connections.securityGroups.map(g => g.securityGroupId) }),
    };
  }
  for (const [name, value] of Object.entries(databaseEnvironment(wiring, connectionsPerInvocation))) {
    fn.addEnvironment(name, value);
  }
  if (!fn.role) {
    throw new Error(`Function '${fn.node.path}' has no role to grant the database login to`);
  }
  if (!wiring.functionUsers) {
    fn.role.addManagedPolicy(wiring.connectPolicy);
  }
  registerFunction(wiring.budget, fn, connectionsPerInvocation);
  wiring.functionUsers?.addConsumer(fn, fn.role, databaseUser);
}

function requireFunctionUsersFor(wiring: FunctionWiring, name: string, databaseUser?: DatabaseUserOptions): void {
  if (databaseUser && !wiring.functionUsers) {
    throw new Error(`Function '${name}': \`databaseUser\` needs per-function users; set \`functionUsers: true\` on the database`);
  }
}

/** Paths inside the stack keep the budget table readable; they are unique within it. */
function budgetName(fn: lambda.Function): string {
  return fn.node.path.slice(Stack.of(fn).node.path.length + 1);
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

function databaseEnvironment(wiring: FunctionWiring, connectionsPerInvocation: number): Record<string, string> {
  return {
    ...wiring.connectionEnvironment(),
    [DatabaseEnvironmentVariables.CONNECTIONS_PER_INVOCATION]: String(connectionsPerInvocation),
  };
}

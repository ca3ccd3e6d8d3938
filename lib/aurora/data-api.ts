import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConnectionPath } from '../budget/allocation';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseUserOptions } from '../database/database-user-options';
import { logWriteStatement, secretReadStatements } from '../database/access-policies';
import { requireWholeNumber } from '../private/validate';
import { recordHttpConsumer } from '../verify/http-consumers';
import { DataApiEnvironmentVariables } from './data-api-props';

/** The RDS Data API actions, all on the one cluster (rds-data supports the cluster ARN as resource). */
const DATA_API_ACTIONS = [
  'rds-data:ExecuteStatement',
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:RollbackTransaction',
];

/** What the cluster hands the Data API wiring. */
export interface DataApiWiring {
  readonly database: Construct;
  readonly budget: ConnectionBudget;
  readonly policy: iam.IManagedPolicy;
  readonly logGroup: logs.ILogGroup;
  readonly environment: Record<string, string>;
  readonly resourceArn: string;
  /** The shared X-Ray policy, for functions with active tracing. */
  tracingPolicy(): iam.IManagedPolicy;
  /** Per-function database users: each Data API function gets a password user of its own. */
  readonly users?: DataApiUserRegistry;
}

/** Gives a Data API function its own password user (its secret instead of the master's). */
export interface DataApiUserRegistry {
  addDataApiConsumer(fn: lambda.Function, role: iam.IRole, reservationName: string, options?: DatabaseUserOptions): void;
}

/** The customer-managed policy Data API functions share: the cluster's statements, its secret, the logs. */
export function dataApiPolicy(scope: Construct, id: string, options: {
  clusterArn: string; secret?: secretsmanager.ISecret; key: kms.IKey; logGroup: logs.ILogGroup;
}): iam.IManagedPolicy {
  return new iam.ManagedPolicy(scope, id, {
    description: `Runs statements on ${scope.node.path} through the RDS Data API`,
    statements: [
      new iam.PolicyStatement({ actions: DATA_API_ACTIONS, resources: [options.clusterArn] }),
      // Without per-function users the Data API logs in with the master secret; with them each
      // function reads only its own user's secret (a policy of the users).
      ...(options.secret ? secretReadStatements(scope, options.secret, options.key) : []),
      logWriteStatement(options.logGroup),
    ],
  });
}

/**
 * A function that reaches the database over HTTPS through the Data API. AWS documents that the
 * Data API runs every query on the writer instance, logging in as the secret's user ("Limitations
 * for the Amazon RDS Data API"); it publishes no pool size, so the library counts what a caller can
 * hold at once: one connection per statement in flight or transaction open. The function is a
 * direct reservation of reservedConcurrentExecutions x statementsPerInvocation on the writer.
 */
export function createDataApiFunction<P extends lambda.FunctionOptions & { statementsPerInvocation?: number; databaseUser?: DatabaseUserOptions }>(
  scope: Construct, id: string, props: P, wiring: DataApiWiring, build: (scope: Construct, id: string, props: P) => lambda.Function,
): lambda.Function {
  const path = `${wiring.database.node.path}/DataApiFunctions/${id}`;
  if (props.vpc) {
    throw new Error(`${path}: \`vpc\` must be left unset: Data API functions reach the database over HTTPS, with no network path to the cluster`);
  }
  if (props.reservedConcurrentExecutions === undefined) {
    throw new Error(`${path}: \`reservedConcurrentExecutions\` is required: it bounds the connections the Data API opens on the writer for this function`);
  }
  requireWholeNumber(props.reservedConcurrentExecutions, `reservedConcurrentExecutions of function '${id}'`);
  const statements = props.statementsPerInvocation ?? 1;
  requireWholeNumber(statements, `statementsPerInvocation of function '${id}'`);
  const environment = { ...(props.environment ?? {}) };
  for (const [name, value] of Object.entries({ ...wiring.environment, [DataApiEnvironmentVariables.RESOURCE_ARN]: wiring.resourceArn })) {
    if (name in environment) {
      throw new Error(`${path}: the environment variable ${name} is set by the cluster; remove it from \`environment\``);
    }
    environment[name] = value;
  }
  let role = props.role;
  if (role) {
    role.addManagedPolicy(wiring.policy);
  } else {
    role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the Data API function ${id}`,
      managedPolicies: [wiring.policy],
    });
  }
  // Tracing is set on the L1 with the shared X-Ray policy: the L2 would add an inline wildcard policy per function.
  const fnProps: P = { ...props, role, environment, logGroup: props.logGroup ?? wiring.logGroup, tracing: undefined };
  delete fnProps.statementsPerInvocation;
  delete fnProps.databaseUser;
  if (props.databaseUser && !wiring.users) {
    throw new Error(`${path}: \`databaseUser\` needs per-function users; leave \`functionUsers\` on (the default) on the cluster`);
  }
  const fn = build(scope, id, fnProps);
  if (props.tracing === lambda.Tracing.ACTIVE || props.tracing === lambda.Tracing.PASS_THROUGH) {
    (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: props.tracing === lambda.Tracing.ACTIVE ? 'Active' : 'PassThrough' };
    if (props.tracing === lambda.Tracing.ACTIVE) {
      role.addManagedPolicy(wiring.tracingPolicy());
    }
  }
  if (props.logGroup) {
    role.addToPrincipalPolicy(logWriteStatement(props.logGroup));
  }
  const reason = 'A Data API function reaches Aurora over HTTPS with IAM-signed requests scoped to one cluster; it needs no network path to the database, so it runs outside the VPC by design.';
  for (const rule of ['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']) {
    Validations.of(fn).acknowledge({ id: rule, reason });
  }
  recordHttpConsumer(fn.node.defaultChild as lambda.CfnFunction);
  const reservation = `Data API: ${fn.node.path.slice(Stack.of(fn).node.path.length + 1)}`;
  wiring.budget.reserve(reservation, props.reservedConcurrentExecutions! * statements, {
    path: ConnectionPath.DIRECT,
    consumers: [fn],
  });
  wiring.users?.addDataApiConsumer(fn, role, reservation, props.databaseUser);
  return fn;
}

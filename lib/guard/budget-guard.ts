import * as path from 'path';
import { ArnFormat, CustomResource, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeGuardFunction, acknowledgeGuardPolicyWildcards } from './guard-acknowledgments';
import { ConnectionBudget } from '../budget/connection-budget';
import { allowLogsToUseKey, logWriteStatement } from '../database/access-policies';

/**
 * Properties of a `BudgetGuard`.
 */
export interface BudgetGuardProps {
  /** The budget declared at synth time. */
  readonly budget: ConnectionBudget;

  /** Identifier of the database instance to check (its `DBInstanceIdentifier`). */
  readonly instanceIdentifier: string;

  /**
   * The proxy whose `MaxConnectionsPercent` and target are checked.
   *
   * @default - no proxy is checked
   */
  readonly proxy?: rds.IDatabaseProxy;

  /**
   * The key that encrypts the guard function's log group. It must let CloudWatch Logs use it.
   *
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What the budget belongs to, named in the table and in errors.
   *
   * @default - the guard's scope
   */
  readonly databasePath?: string;
}

/**
 * A custom resource that checks, at deploy time, that the declared connection budget fits the
 * real database: it reads the instance class, the `max_connections` of its parameter group
 * (evaluating RDS's formula when the value is one) and the proxy's `MaxConnectionsPercent` and
 * target through the RDS API, and fails the deployment with the budget table when the budget does
 * not fit. It runs when it is created and whenever the declared budget changes.
 */
export class BudgetGuard extends Construct {
  /** The custom resource. */
  public readonly resource: CustomResource;
  /** The function that runs the check. */
  public readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: BudgetGuardProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.instanceIdentifier) && props.instanceIdentifier.trim() === '') {
      throw new Error(`${this.node.path}: \`instanceIdentifier\` must not be empty`);
    }
    const stack = Stack.of(this);
    const key = props.encryptionKey ?? this.logKey();
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: key,
      retention: logs.RetentionDays.ONE_YEAR,
    });
    const rdsArn = (resource: string, name: string) => stack.formatArn({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const statements = [
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [rdsArn('db', props.instanceIdentifier)] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBParameters'], resources: [rdsArn('pg', '*')] }),
      logWriteStatement(logGroup),
      new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
    ];
    if (props.proxy) {
      statements.push(new iam.PolicyStatement({
        actions: ['rds:DescribeDBProxyTargetGroups', 'rds:DescribeDBProxyTargets'],
        resources: [props.proxy.dbProxyArn, rdsArn('target-group', '*')],
      }));
    }
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Reads the database and proxy settings the connection budget guard of ${this.node.path} checks`,
      statements,
    });
    acknowledgeGuardPolicyWildcards(policy);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Connection budget guard of ${this.node.path}`,
      managedPolicies: [policy],
    });
    const fn = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'handlers', 'budget-guard', 'bundle')),
      description: `Checks at deploy time that the connection budget of ${props.databasePath ?? this.node.scope?.node.path} fits the database`,
      memorySize: 256,
      timeout: Duration.minutes(2),
      role,
      logGroup,
      // One check at a time is all a deployment needs, and it keeps the guard off the account's pool.
      reservedConcurrentExecutions: 1,
    });
    // Set on the L1: the L2 would add the X-Ray actions as an inline policy.
    (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    acknowledgeGuardFunction(fn);
    this.handler = fn;

    const budget = props.budget;
    const databasePath = props.databasePath ?? this.node.scope?.node.path ?? this.node.path;
    const plan = () => budget.plan() as ReturnType<ConnectionBudget['plan']> & { proxyHeadroomPercent?: number };
    const value = (produce: () => string | number | undefined) => Lazy.string({ produce: () => String(produce() ?? '') });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::ConnectionBudgetGuard',
      properties: {
        DatabasePath: databasePath,
        InstanceIdentifier: props.instanceIdentifier,
        ProxyName: props.proxy?.dbProxyName ?? '',
        Engine: budget.engine,
        MaxConnections: value(() => plan().maxConnections),
        ProxyMaxConnectionsPercent: value(() => plan().proxyMaxConnectionsPercent),
        ReservedConnections: value(() => plan().reservedConnections),
        AdminHeadroom: value(() => plan().adminHeadroom),
        DirectConnections: value(() => plan().directConnections),
        ProxyConnectionsNeeded: value(() => plan().proxyConnectionsAllocated),
        ProxyHeadroomPercent: value(() => plan().proxyHeadroomPercent ?? 0),
        BudgetTable: Lazy.string({ produce: () => budget.toTable(databasePath) }),
      },
    });
    this.resource.node.addDependency(policy);
  }

  /** A key for the guard's logs, usable by CloudWatch Logs of this region. */
  private logKey(): kms.IKey {
    const key = new kms.Key(this, 'LogKey', {
      description: `Encrypts the logs of the connection budget guard ${this.node.path}`,
      enableKeyRotation: true,
    });
    allowLogsToUseKey(this, key);
    return key;
  }
}

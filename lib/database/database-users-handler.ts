import * as path from 'path';
import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { NETWORK_INTERFACE_ACTIONS, kmsViaSecretsManager, logWriteStatement, secretReadStatements } from './access-policies';
import { acknowledgeUserProviderFindings } from './database-users-acknowledgments';
import { ConnectionBudget } from '../budget/connection-budget';

/** X-Ray actions of functions with active tracing; they support no resource-level permissions. */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/** The budget line of the users handler's own connection. */
export const USERS_HANDLER_RESERVATION = 'Database users (custom resource)';

const HANDLER_CODE = path.join(__dirname, '..', 'handlers', 'database-users', 'bundle');

export interface UsersHandlerProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly databaseConnections: ec2.Connections;
  readonly port: number;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** Every budget of the database: the handler can reach each of its instances, so each reserves its connection. */
  readonly budgets: ConnectionBudget[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The parts of the users handler its users are wired to. */
export interface UsersHandler {
  readonly provider: cr.Provider;
  /** The handler's policy; the rotation statements join it with the first password user. */
  readonly policy: iam.ManagedPolicy;
  readonly handler: lambda.Function;
  readonly securityGroup: ec2.SecurityGroup;
}

/**
 * The database-users handler in the VPC, with its own security group, and the Provider framework
 * in front of it, as children of `scope`. The handler logs in as the master (one connection,
 * reserved in the budget) and, with password users, rotates their secrets.
 */
export function createUsersHandler(scope: Construct, props: UsersHandlerProps): UsersHandler {
  const { vpc, subnets, databaseConnections, port, secret, encryptionKey } = props;
  const where = scope.node.scope!.node.path;
  const logGroup = new logs.LogGroup(scope, 'Logs', { retention: props.logRetention, encryptionKey, removalPolicy: props.removalPolicy });
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc, allowAllOutbound: false, description: `Database users of ${where}: reaches the database and Secrets Manager only`,
  });
  databaseConnections.allowFrom(securityGroup, ec2.Port.tcp(port), 'Database users handler to the database');
  if (props.secretsManagerEndpoint) {
    props.secretsManagerEndpoint.connections.allowDefaultPortFrom(securityGroup, 'Database users handler to Secrets Manager');
  } else {
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager API over HTTPS');
  }

  const handlerPolicy = new iam.ManagedPolicy(scope, 'HandlerPolicy', {
    description: `Database users handler of ${where}: reads the master secret (and rotates password users' secrets), VPC attachment, logs`,
    statements: [
      ...secretReadStatements(scope, secret, encryptionKey),
      new iam.PolicyStatement({ actions: [...NETWORK_INTERFACE_ACTIONS, ...XRAY_ACTIONS], resources: ['*'] }),
      logWriteStatement(logGroup),
    ],
  });
  const handlerRole = new iam.Role(scope, 'HandlerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Database users handler of ${where}`,
    managedPolicies: [handlerPolicy],
  });
  const handler = new lambda.Function(scope, 'Handler', {
    description: `Creates, updates and drops the database users of ${where}, and rotates the passwords of password users`.slice(0, 256),
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(HANDLER_CODE),
    timeout: Duration.minutes(5),
    memorySize: 256,
    vpc, vpcSubnets: subnets, securityGroups: [securityGroup],
    role: handlerRole.withoutPolicyUpdates(),
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
  });
  const cfnHandler = handler.node.defaultChild as lambda.CfnFunction;
  // Set on the L1: the L2 would add the X-Ray actions as an inline policy (the role is immutable here).
  cfnHandler.tracingConfig = { mode: 'Active' };
  // One connection at a time (as the master, or as a user testing a rotation), counted in the budget.
  cfnHandler.reservedConcurrentExecutions = 1;
  for (const budget of props.budgets) reserveHandlerConnection(budget, handler);

  const frameworkPolicy = new iam.ManagedPolicy(scope, 'FrameworkPolicy', {
    description: `Provider framework of the database users of ${where}: invokes the handler, logs`,
    statements: [
      // The framework invokes the unqualified function ARN only.
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction', 'lambda:GetFunction'], resources: [handler.functionArn] }),
      new iam.PolicyStatement({ actions: XRAY_ACTIONS, resources: ['*'] }),
      logWriteStatement(logGroup),
    ],
  });
  const frameworkRole = new iam.Role(scope, 'FrameworkRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Provider framework of the database users of ${where}`,
    managedPolicies: [frameworkPolicy],
  });
  // The framework only relays between CloudFormation and the handler and reaches nothing in the
  // VPC: outside it, it needs no Lambda or S3 endpoint in isolated subnets.
  const provider = new cr.Provider(scope, 'Provider', {
    onEventHandler: handler,
    frameworkOnEventRole: frameworkRole.withoutPolicyUpdates(),
    logGroup,
  });
  // The framework's function is the one Lambda function the Provider creates.
  const framework = provider.node.findAll().find((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)!;
  framework.memorySize = 256;
  framework.tracingConfig = { mode: 'Active' };
  acknowledgeUserProviderFindings({ functions: [handler, framework], policies: [handlerPolicy, frameworkPolicy], outsideVpc: framework });
  return { provider, handler, securityGroup, policy: handlerPolicy };
}

/** The handler's one connection in `budget`. */
export function reserveHandlerConnection(budget: ConnectionBudget, handler: lambda.IFunction): void {
  budget.reserve(USERS_HANDLER_RESERVATION, 1, { consumers: [handler] });
}

/** Single-user rotation of the users' secrets, with the master's help: only these secrets, only through Secrets Manager. */
export function rotationStatements(scope: Construct, key: kms.IKey, secretArns: () => string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      resources: Lazy.list({ produce: secretArns }),
    }),
    // GetRandomPassword acts on no resource.
    new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }),
    kmsViaSecretsManager(scope, key, ['kms:Decrypt', 'kms:GenerateDataKey']),
  ];
}

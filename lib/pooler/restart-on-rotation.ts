import * as path from 'path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../private/managed-policy-role';

/** @internal */
export interface RestartOnRotationProps {
  readonly cluster: ecs.ICluster;
  readonly service: ecs.FargateService;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Replaces the PgBouncer tasks when Secrets Manager reports that the database secret was rotated
 * (EventBridge `RotationSucceeded`), so that PgBouncer checks clients and logs in with the new
 * password. A rolling deployment keeps the old tasks until the new ones are healthy.
 *
 * @internal
 */
export class RestartOnRotation extends Construct {
  public readonly handler: lambda.Function;

  constructor(scope: Construct, id: string, props: RestartOnRotationProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention, encryptionKey: props.encryptionKey, removalPolicy: props.removalPolicy,
    });
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey, enforceSSL: true, retentionPeriod: Duration.days(14),
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Restarts the PgBouncer service of ${scope.node.path} after a rotation of the database secret`,
      statements: [
        new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [props.service.serviceArn] }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
        new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
      ],
    });
    const role = new ManagedPolicyRole(this, 'Role', policy, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Restarts the PgBouncer service of ${scope.node.path} after a rotation`,
    });
    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'handlers', 'pgbouncer-restart', 'bundle')),
      description: `Restarts the PgBouncer tasks of ${scope.node.path} after the database secret is rotated`,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      // Rotations are rare; one restart at a time keeps it off the account's pool.
      reservedConcurrentExecutions: 1,
      deadLetterQueue,
      environment: { CLUSTER_ARN: props.cluster.clusterArn, SERVICE_NAME: props.service.serviceName },
    });
    // Set on the L1: the L2 would add the X-Ray actions as an inline policy.
    (this.handler.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };

    new events.Rule(this, 'Rotated', {
      description: `Rotation of the database secret of ${scope.node.path}`,
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: { eventName: ['RotationSucceeded'], additionalEventData: { SecretId: [props.secret.secretArn] } },
      },
      targets: [new targets.LambdaFunction(this.handler, { deadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(1) })],
    });

    const outsideVpc = 'The function calls only the ECS control-plane API (UpdateService); it reaches nothing inside the VPC.';
    for (const ruleId of ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']) {
      Validations.of(this.handler).acknowledge({ id: ruleId, reason: outsideVpc });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (the statement aws-cdk-lib writes for Tracing.ACTIVE).',
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is the dead-letter queue of the restart function and its rule: its messages are kept 14 days for inspection, not redriven further.',
    });
  }
}

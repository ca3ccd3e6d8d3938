import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Lambda needs these to attach a function to a VPC; they support no resource-level scoping. */
export const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** `arn:<partition>:rds-db:<region>:<account>:dbuser:<prx-resource-id>/<user>`. */
export function proxyUserArn(scope: Construct, proxyArn: string, username: string): string {
  const proxyResourceId = Fn.select(6, Fn.split(':', proxyArn));
  return Stack.of(scope).formatArn({
    service: 'rds-db',
    resource: 'dbuser',
    resourceName: `${proxyResourceId}/${username}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Read access to a secret encrypted with `key`, only through Secrets Manager. */
export function secretReadStatements(scope: Construct, secret: secretsmanager.ISecret, key: kms.IKey): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [secret.secretArn] }),
    kmsViaSecretsManager(scope, key, ['kms:Decrypt']),
  ];
}

/**
 * Read access to one database user's secret: the key may decrypt only that secret (Secrets
 * Manager passes the secret's ARN as encryption context), not the master secret it shares the key with.
 */
export function userSecretReadStatements(scope: Construct, secret: secretsmanager.ISecret, key: kms.IKey): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [secret.secretArn] }),
    kmsViaSecretsManager(scope, key, ['kms:Decrypt'], { 'kms:EncryptionContext:SecretARN': secret.secretArn }),
  ];
}

/** `actions` on `key`, only when Secrets Manager of the scope's region makes the call. */
export function kmsViaSecretsManager(scope: Construct, key: kms.IKey, actions: string[], moreConditions: Record<string, unknown> = {}): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}`, ...moreConditions } },
  });
}

/** Statements every wired function's role shares: network interfaces and the shared log group. */
export function functionPolicyStatements(logGroup: logs.ILogGroup): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: NETWORK_INTERFACE_ACTIONS, resources: ['*'] }),
    logWriteStatement(logGroup),
  ];
}

/** Writing log events to one log group. */
export function logWriteStatement(logGroup: logs.ILogGroupRef): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupRef.logGroupArn],
  });
}

/**
 * The Enhanced Monitoring role with the permissions of AmazonRDSEnhancedMonitoringRole written as
 * a customer-managed policy and narrowed to the one log group RDS writes (RDSOSMetrics).
 */
export function monitoringRole(scope: Construct, id: string): iam.IRole {
  const stack = Stack.of(scope);
  const logGroup = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'RDSOSMetrics', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const policy = new iam.ManagedPolicy(scope, `${id}Policy`, {
    description: 'Enhanced Monitoring of the database instance',
    statements: [
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], resources: [logGroup] }),
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
        resources: [`${logGroup}:log-stream:*`],
      }),
    ],
  });
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
    description: 'Enhanced Monitoring of the database instance',
    managedPolicies: [policy],
  });
}

/** Lets CloudWatch Logs of the scope's account and region encrypt log groups with `key`. */
export function allowLogsToUseKey(scope: Construct, key: kms.IKey): void {
  const stack = Stack.of(scope);
  key.addToResourcePolicy(new iam.PolicyStatement({
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

import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Findings of compliance rule packs (cdk-nag) that the library's design answers, acknowledged on
 * the library's own resources with the reason, so users see them in the report as decisions.
 */
export function acknowledgeNetworkInterfaceWildcard(policy: IConstruct): void {
  const reason = 'Lambda needs ec2:CreateNetworkInterface and related actions to attach a VPC function; ' +
    'the Describe actions support no resource-level permissions (the same statement as AWSLambdaVPCAccessExecutionRole).';
  Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
}

export function acknowledgeFunctionRoleWildcard(role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'Serverless-LambdaStarPermissions',
    reason: 'The only wildcard is the resource of the VPC network-interface actions, which support no resource-level permissions.',
  });
}

export function acknowledgeMonitoringLogStreams(policy: IConstruct): void {
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:RDSOSMetrics:log-stream:*]',
    reason: 'Enhanced Monitoring names one log stream per instance after its resource id, known only after creation.',
  });
}

export function acknowledgeDefaultPort(instance: IConstruct): void {
  Validations.of(instance).acknowledge({
    id: 'AwsSolutions-RDS11',
    reason: 'RDS Proxy listens only on the engine default port, and the instance is reachable from the proxy security group alone, in isolated subnets; a non-default port would add no protection.',
  });
}

export function acknowledgeXrayWildcard(policy: IConstruct): void {
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (the statement aws-cdk-lib writes for Tracing.ACTIVE).',
  });
}

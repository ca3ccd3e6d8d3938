import { Stack, Token, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Findings of compliance packs that the guard's design answers, each with its reason. */
export function acknowledgeGuardFunction(fn: IConstruct): void {
  const outsideVpc = 'The guard calls only the RDS control-plane API (Describe actions) and the CloudFormation response URL; ' +
    'it reaches nothing inside the VPC, so attaching it to the VPC would only require a NAT or endpoints for those APIs.';
  for (const id of ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']) {
    Validations.of(fn).acknowledge({ id, reason: outsideVpc });
  }
  const synchronous = 'Invoked synchronously by CloudFormation, which records the failure and rolls the deployment back: there is no asynchronous event to dead-letter.';
  for (const id of ['Serverless-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ']) {
    Validations.of(fn).acknowledge({ id, reason: synchronous });
  }
}

export function acknowledgeGuardPolicyWildcards(policy: IConstruct): void {
  // The finding names the ARN as written: literal region and account when the stack has them.
  const stack = Stack.of(policy);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const prefix = `arn:<AWS::Partition>:rds:${region}:${account}`;
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${prefix}:pg:*]`,
    reason: 'The instance\'s parameter group is read from the instance at deploy time (it may change without this stack); the action is read-only.',
  });
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${prefix}:target-group:*]`,
    reason: 'RDS names a proxy\'s target group with a generated id that no API of the proxy\'s attributes exposes; the actions are read-only.',
  });
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (the statement aws-cdk-lib writes for Tracing.ACTIVE).',
  });
}

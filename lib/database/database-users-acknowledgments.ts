import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The functions and policies of the database users' custom resource. */
export interface UserProviderParts {
  readonly functions: IConstruct[];
  readonly policies: IConstruct[];
  /** The Provider framework's function, which runs outside the VPC. */
  readonly outsideVpc: IConstruct;
}

/**
 * Findings of the compliance packs on the custom resource that manages database users, answered
 * by its design: it runs only while CloudFormation deploys, invoked synchronously.
 */
export function acknowledgeUserProviderFindings(parts: UserProviderParts): void {
  for (const fn of parts.functions) {
    for (const id of ['Serverless-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ']) {
      Validations.of(fn).acknowledge({
        id,
        reason: 'Invoked synchronously: by CloudFormation through the Provider framework (a failure is returned to the stack with its reason) and, for password users, by Secrets Manager rotation (a failed step is recorded on the secret and retried); both are logged, so there is no asynchronous event to dead-letter.',
      });
    }
    for (const id of ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency']) {
      Validations.of(fn).acknowledge({
        id,
        reason: 'Runs only during deployments (and password rotations), a few invocations at a time; reserving concurrency for it would take from the account pool that the connection budget hands to the wired functions.',
      });
    }
  }
  for (const id of ['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC']) {
    Validations.of(parts.outsideVpc).acknowledge({
      id,
      reason: 'The Provider framework only relays between CloudFormation and the handler (Lambda invoke, S3 response URL) and reaches nothing in the VPC; the handler that logs in to the database runs in the VPC.',
    });
  }
  for (const policy of parts.policies) {
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The only wildcard resources are the X-Ray trace actions and (handler only) the VPC network-interface actions Lambda needs to attach a VPC function; neither supports resource-level permissions.',
    });
  }
}

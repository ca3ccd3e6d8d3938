import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose added statements (the grants aws-cdk-lib writes for images, logs, queues) land in
 * one customer-managed policy instead of an inline DefaultPolicy.
 */
export class ManagedPolicyRole extends iam.Role {
  constructor(scope: Construct, id: string, private readonly managedPolicy: iam.ManagedPolicy, props: iam.RoleProps) {
    super(scope, id, { ...props, managedPolicies: [managedPolicy, ...(props.managedPolicies ?? [])] });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.managedPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.managedPolicy };
  }
}

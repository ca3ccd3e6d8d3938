import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { ServerlessDatabaseProps } from './serverless-database-props';

/**
 * The rotation function runs in the function subnets and calls Secrets Manager. In subnets
 * without a route out (isolated) it can reach it only through an interface endpoint of the VPC;
 * otherwise every rotation times out and the secret is never rotated. Checked at validation, so
 * an endpoint added to the VPC after the database counts.
 */
export function rotationReachProblems(scope: IConstruct, props: ServerlessDatabaseProps, functionSubnets: ec2.SubnetSelection): string[] {
  if (props.secretsManagerEndpoint) {
    return [];
  }
  const vpc = props.vpc;
  const isolated = new Set(vpc.isolatedSubnets.map(s => s.subnetId));
  const selected = vpc.selectSubnets(functionSubnets).subnets;
  if (selected.length === 0 || !selected.every(s => isolated.has(s.subnetId))) {
    return [];
  }
  if (hasSecretsManagerEndpoint(scope, vpc)) {
    return [];
  }
  return [
    `The rotation function of ${scope.node.path} runs in isolated subnets (no route out) and the VPC has no Secrets Manager ` +
    'endpoint, so it can never reach Secrets Manager and the secret would never rotate: add one with ' +
    "vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER }) and pass it as " +
    '`secretsManagerEndpoint`, give the VPC private subnets with egress (or choose them in `functionSubnets`), or set `rotation: false`.',
  ];
}

/** Whether the app defines an interface endpoint for Secrets Manager in `vpc`. */
function hasSecretsManagerEndpoint(scope: IConstruct, vpc: ec2.IVpc): boolean {
  const stack = Stack.of(scope);
  const vpcId = JSON.stringify(stack.resolve(vpc.vpcId));
  return scope.node.root.node.findAll().some(c => c instanceof ec2.CfnVPCEndpoint
    && JSON.stringify(Stack.of(c).resolve(c.serviceName)).includes('secretsmanager')
    && (Stack.of(c) === stack ? JSON.stringify(stack.resolve(c.vpcId)) === vpcId : true));
}

import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ServerlessDatabaseProps } from '../lib';

/**
 * A VPC without internet access for the demo: isolated subnets in two zones, flow logs to an
 * encrypted log group, and the Secrets Manager endpoint the rotation function calls.
 */
export class IsolatedVpc extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly key: kms.Key;
  public readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Demo data and logs' });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    this.addFlowLogs();
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      open: false, // the rotation function's security group is let in by the database construct
    });
  }

  /** Where a database goes in this network: its VPC, the key and the Secrets Manager endpoint. */
  public databasePlacement(): Pick<ServerlessDatabaseProps, 'vpc' | 'encryptionKey' | 'secretsManagerEndpoint'> {
    return { vpc: this.vpc, encryptionKey: this.key, secretsManagerEndpoint: this.secretsManagerEndpoint };
  }

  private addFlowLogs(): void {
    const logGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: this.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
    }));
    const policy = new iam.ManagedPolicy(this, 'FlowLogsPolicy', {
      statements: [new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [logGroup.logGroupArn],
      })],
    });
    const role = new iam.Role(this, 'FlowLogsRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      managedPolicies: [policy],
    });
    this.vpc.addFlowLog('All', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, role.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}

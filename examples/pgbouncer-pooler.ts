import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { Pooler, ServerlessDatabase } from '../lib';

/**
 * The demo's db.t4g.medium behind PgBouncer instead of RDS Proxy: two Fargate ARM tasks behind an
 * internal Network Load Balancer, configured from the budget (transaction pooling, TLS on both
 * sides). The network has no internet access, so the image comes from the account's ECR through
 * endpoints. The PgBouncer certificate is a secret you create (`certificate`, `privateKey` in
 * PEM); the RDS CA bundle is the region's from truststore.pki.rds.amazonaws.com.
 */
export class PgBouncerPoolerStack extends Stack {
  public readonly database: ServerlessDatabase;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    // Closed endpoints: the database construct lets the PgBouncer tasks in.
    const interfaceEndpoints = ([
      ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ] as const).map(([name, service]) => network.vpc.addInterfaceEndpoint(name, { service, open: false }));
    network.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 }); // ECR image layers

    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      pricingRegion: 'eu-west-1',
      pooler: Pooler.pgBouncer({
        image: ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this, 'PgBouncerImage', 'pgbouncer'), '1.23.1'),
        tlsCertificate: secretsmanager.Secret.fromSecretNameV2(this, 'PgBouncerCertificate', 'pgbouncer/tls'),
        interfaceEndpoints,
        serverCaBundle: '-----BEGIN CERTIFICATE-----\n(the eu-west-1 RDS CA bundle)\n-----END CERTIFICATE-----\n',
      }),
    });
    const handlerDefaults = { entry: path.join(__dirname, 'handlers', 'worker.ts'), memorySize: 512, timeout: Duration.seconds(30), tracing: lambda.Tracing.ACTIVE };
    const api = this.database.addNodejsFunction('Api', { ...handlerDefaults, reservedConcurrentExecutions: 100 });
    const reports = this.database.addNodejsFunction('Reports', handlerDefaults);
    acknowledgeDemoDecisions(this.database, [api, reports]);
  }
}

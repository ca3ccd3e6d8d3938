import * as path from 'path';
import { Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { newestPythonRuntime } from '../bin/python-runtime';
import { ServerlessDatabase } from '../lib';

/**
 * A function built with the plain aws-cdk-lib construct, then wired with `connectFunction()`,
 * on a database whose proxy takes passwords from the secret instead of IAM tokens.
 */
export class BringYourOwnFunctionStack extends Stack {
  public readonly database: ServerlessDatabase;
  public readonly report: lambda.Function;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
      iamAuthentication: false,
    });
    // A role of your own: the database's shared policy covers the VPC attachment and its logs.
    const role = new iam.Role(this, 'ReportRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [this.database.functionPolicy],
    });
    this.report = new lambda.Function(this, 'Report', {
      role,
      logGroup: this.database.functionLogGroup,
      runtime: newestPythonRuntime(),
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'handlers', 'python_report')),
      memorySize: 256,
      timeout: Duration.seconds(30),
      vpc: this.database.vpc,
      vpcSubnets: this.database.functionSubnets,
      securityGroups: [this.database.clientSecurityGroup],
      reservedConcurrentExecutions: 10,
    });
    this.database.connectFunction(this.report);
    acknowledgeDemoDecisions(this.database, [this.report]);
    Validations.of(this.report).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason: 'Shows a plain aws-cdk-lib function: Tracing.ACTIVE there writes X-Ray permissions as an inline policy, which the HIPAA, NIST and PCI packs reject; functions created with addFunction() get tracing through a shared managed policy.',
    });
  }
}

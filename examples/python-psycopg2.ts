import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { newestPythonRuntime } from '../bin/python-runtime';
import { ServerlessDatabase } from '../lib';

/**
 * A Python function created and wired by `addFunction()`: psycopg2 with the connection created
 * outside the handler and reused (`handlers/python_orders/orders.py`), an IAM token from boto3,
 * TLS verified. Vendor psycopg2 into the handler folder before deploying (see its docstring).
 */
export class PythonPsycopg2Stack extends Stack {
  public readonly database: ServerlessDatabase;
  public readonly orders: lambda.Function;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
    });
    this.orders = this.database.addFunction('Orders', {
      runtime: newestPythonRuntime(),
      handler: 'orders.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'handlers', 'python_orders')),
      memorySize: 256,
      timeout: Duration.seconds(15),
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: 30,
    });
    acknowledgeDemoDecisions(this.database, [this.orders]);
  }
}

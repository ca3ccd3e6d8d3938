import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { ServerlessDatabase } from '../lib';

/**
 * PostgreSQL 16 with a Node.js function that uses Drizzle ORM on the runtime helper's pool
 * (`handlers/drizzle-orders.ts`): one connection per execution environment, IAM token, TLS.
 */
export class DrizzleOrdersStack extends Stack {
  public readonly database: ServerlessDatabase;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL),
    });
    const orders = this.database.addNodejsFunction('Orders', {
      entry: path.join(__dirname, 'handlers', 'drizzle-orders.ts'),
      memorySize: 512,
      timeout: Duration.seconds(15),
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: 50,
    });
    acknowledgeDemoDecisions(this.database, [orders]);
  }
}

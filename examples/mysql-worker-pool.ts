import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { ConnectionPath, ServerlessDatabase } from '../lib';

/**
 * MySQL 8.4 on a memory-optimized instance: a worker whose execution environments each hold a
 * pool of four connections, and a container service that shares the proxy.
 */
export class MysqlWorkerPoolStack extends Stack {
  public readonly database: ServerlessDatabase;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_5 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE),
    });
    const worker = this.database.addNodejsFunction('Worker', {
      entry: path.join(__dirname, 'handlers', 'worker.ts'),
      memorySize: 1024,
      tracing: lambda.Tracing.ACTIVE,
      timeout: Duration.minutes(1),
      reservedConcurrentExecutions: 100,
      connectionsPerInvocation: 4,
    });
    // An ECS service of 10 tasks with a pool of 20 each, also through the proxy.
    this.database.budget.reserve('OrdersService', 200, { path: ConnectionPath.PROXY });
    acknowledgeDemoDecisions(this.database, [worker]);
  }
}

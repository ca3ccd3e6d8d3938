import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { ServerlessAuroraCluster } from '../lib';

/**
 * Aurora MySQL Serverless v2 that pauses when idle (0 to 8 ACU), reached only through the RDS
 * Data API: no proxy (RDS Proxy cannot serve a pausing cluster), functions outside the VPC, and
 * the Data API's connections counted on the writer (max_connections 1000: AWS's Serverless v2
 * default for 8 ACU).
 */
export class AuroraMysqlDataApiStack extends Stack {
  public readonly database: ServerlessAuroraCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessAuroraCluster(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_08_0 }),
      minCapacity: 0,
      maxCapacity: 8,
      rdsProxy: false,
      dataApi: true,
    });
    const orders = this.database.addNodejsDataApiFunction('Orders', {
      entry: path.join(__dirname, 'handlers', 'data-api-orders.ts'),
      memorySize: 256,
      timeout: Duration.seconds(40),
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: 100,
    });
    acknowledgeDemoDecisions(this.database, [orders]);
  }
}

import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions } from '../bin/compliance';
import { IsolatedVpc } from '../bin/isolated-vpc';
import { ServerlessAuroraCluster } from '../lib';

/**
 * Aurora Serverless v2 PostgreSQL (1 to 16 ACU) behind RDS Proxy, with one reader: the order API
 * writes through the proxy, the report reads through its read-only endpoint, each within its own
 * budget (max_connections 3360 on every instance: AWS's Serverless v2 default for 16 ACU).
 */
export class AuroraServerlessReaderStack extends Stack {
  public readonly database: ServerlessAuroraCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessAuroraCluster(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 }),
      minCapacity: 1,
      maxCapacity: 16,
      readers: 1,
    });
    const defaults = { memorySize: 512, timeout: Duration.seconds(10), tracing: lambda.Tracing.ACTIVE };
    const api = this.database.addNodejsFunction('Orders', {
      ...defaults, entry: path.join(__dirname, 'handlers', 'drizzle-orders.ts'), reservedConcurrentExecutions: 200,
    });
    const report = this.database.readers!.addNodejsFunction('Report', {
      ...defaults, entry: path.join(__dirname, 'handlers', 'order-report.ts'), reservedConcurrentExecutions: 300,
    });
    acknowledgeDemoDecisions(this.database, [api, report]);
  }
}

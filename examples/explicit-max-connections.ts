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
 * An instance class outside the library's memory table (x2g), so `maxConnections` is given, with
 * a larger admin headroom and pool settings of one's own.
 */
export class ExplicitMaxConnectionsStack extends Stack {
  public readonly database: ServerlessDatabase;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');
    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.X2G, ec2.InstanceSize.LARGE),
      maxConnections: 2000,
      adminHeadroom: 50,
      proxy: {
        maxIdleConnectionsPercent: 10,
        borrowTimeout: Duration.seconds(10),
        idleClientTimeout: Duration.minutes(15),
      },
    });
    const handlerDefaults = { entry: path.join(__dirname, 'handlers', 'worker.ts'), memorySize: 512, timeout: Duration.seconds(30), tracing: lambda.Tracing.ACTIVE };
    const ingest = this.database.addNodejsFunction('Ingest', { ...handlerDefaults, reservedConcurrentExecutions: 300 });
    const exporter = this.database.addNodejsFunction('Export', handlerDefaults);
    acknowledgeDemoDecisions(this.database, [ingest, exporter]);
  }
}

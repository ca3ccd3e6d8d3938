import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeDemoDecisions, acknowledgeQueueConsumer } from './compliance';
import { IsolatedVpc } from './isolated-vpc';
import { newestPythonRuntime } from './python-runtime';
import { ServerlessDatabase } from '../lib';

/**
 * The demo: one PostgreSQL database behind RDS Proxy, two Node.js functions and a Python
 * function wired to it, and a reservation for migrations.
 */
export class DemoStack extends Stack {
  public readonly database: ServerlessDatabase;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const network = new IsolatedVpc(this, 'Network');

    this.database = new ServerlessDatabase(this, 'Db', {
      ...network.databasePlacement(),
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      // The demo has no fixed region; price the pooler options for this one.
      pricingRegion: 'us-east-1',
    });

    const handlerDefaults = { memorySize: 512, timeout: Duration.seconds(10), tracing: lambda.Tracing.ACTIVE };
    // An HTTP API with a fixed cap: 40 execution environments, one connection each.
    const api = this.database.addNodejsFunction('Api', {
      ...handlerDefaults,
      entry: path.join(__dirname, 'handlers', 'api.ts'),
      reservedConcurrentExecutions: 40,
    });
    // A worker with a pool of two per environment and no cap of its own: it gets what is left.
    const worker = this.database.addNodejsFunction('Worker', {
      ...handlerDefaults,
      entry: path.join(__dirname, 'handlers', 'api.ts'),
      connectionsPerInvocation: 2,
    });
    // Any runtime can be wired: the same environment variables reach a Python handler.
    const report = this.database.addFunction('Report', {
      ...handlerDefaults,
      runtime: newestPythonRuntime(),
      handler: 'report.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'handlers', 'report')),
      reservedConcurrentExecutions: 5,
    });
    // A queue consumer: the event source's maximum concurrency is its cap, taken from the budget.
    const deadLetters = new sqs.Queue(this, 'JobsDeadLetters', { enforceSSL: true, retentionPeriod: Duration.days(14) });
    const jobs = new sqs.Queue(this, 'Jobs', {
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
    });
    const consumer = this.database.addNodejsQueueConsumer('JobConsumer', {
      ...handlerDefaults,
      entry: path.join(__dirname, 'handlers', 'jobs.ts'),
      queue: jobs,
      maxConcurrency: 20,
    });
    // Schema migrations connect directly, outside the proxy.
    this.database.budget.reserve('Migrations', 5);

    acknowledgeDemoDecisions(this.database, [api, worker, report]);
    acknowledgeQueueConsumer(consumer, deadLetters);
  }
}

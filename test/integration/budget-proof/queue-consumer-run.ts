import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { environmentPool, INSERT, measure, OpenConnections, ProofResult, ProofTarget } from './proof-runs';
import { ServerlessDatabase } from '../../../lib';

/** What the synthesized template gives a queue consumer of a PostgreSQL database of one class. */
export interface QueueConsumerTemplate {
  readonly maxConnections: number;
  /** The event source mapping's ScalingConfig.MaximumConcurrency. */
  readonly maximumConcurrency: number;
  readonly reservedConcurrency: number;
}

/**
 * Synthesizes a database of `instanceClass` with one queue consumer (no cap of its own, so it gets
 * its share) and reads the figures from the template, as deployed.
 */
export function queueConsumerTemplate(instanceClass: string): QueueConsumerTemplate {
  const app = new App();
  const stack = new Stack(app, 'Proof', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const db = new ServerlessDatabase(stack, 'Db', {
    vpc,
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    instanceType: new ec2.InstanceType(instanceClass.replace(/^db\./, '')),
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  });
  const queue = new sqs.Queue(stack, 'Jobs', { enforceSSL: true });
  db.addQueueConsumer('Consumer', {
    runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'), queue,
  });
  const resources = Object.values<any>(app.synth().getStackByName(stack.stackName).template.Resources);
  const mapping = resources.find(r => r.Type === 'AWS::Lambda::EventSourceMapping');
  const fn = resources.find(r => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.SERVERLESS_RDS_HOST);
  const parameters = resources.find(r => r.Type === 'AWS::RDS::DBParameterGroup');
  return {
    maxConnections: Number(parameters.Properties.Parameters.max_connections),
    maximumConcurrency: mapping.Properties.ScalingConfig.MaximumConcurrency,
    reservedConcurrency: fn.Properties.ReservedConcurrentExecutions,
  };
}

/**
 * A queue of `messages` drained by an SQS event source with `maximumConcurrency`: that many
 * execution environments at most, each taking the next message and writing it through the runtime
 * helper's pool of one connection, reused for every message the environment handles.
 */
export async function runQueueConsumer(target: ProofTarget, run: string, maximumConcurrency: number, messages: number): Promise<ProofResult> {
  let retries = 0;
  const open = new OpenConnections();
  const pools = Array.from({ length: maximumConcurrency }, () => environmentPool(target, (event) => {
    if (event === 'retry') retries++;
    if (event === 'connected') open.opened();
  }));
  try {
    return await measure(target, `queue consumer: MaximumConcurrency ${maximumConcurrency} (from its template)`, run, maximumConcurrency, messages,
      (environment) => async (message) => { await pools[environment].query(INSERT, [run, message]); }, () => retries, open);
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

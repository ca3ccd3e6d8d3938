import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Client } from 'pg';
import { environmentPool, ProofResult, ProofTarget } from './proof-runs';
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
 * execution environments at most, each taking batches of `batchSize` messages and writing each
 * message through the runtime helper's pool of one connection, reused across batches.
 */
export async function runQueueConsumer(target: ProofTarget, run: string, maximumConcurrency: number, messages: number, batchSize: number): Promise<ProofResult> {
  let retries = 0;
  let open = 0;
  let peak = 0;
  const pools = Array.from({ length: maximumConcurrency }, () => environmentPool(target, (event) => {
    if (event === 'retry') retries++;
    if (event === 'connected') peak = Math.max(peak, ++open);
  }));
  const queue = Array.from({ length: messages }, (_, i) => i);
  let succeeded = 0;
  let connectionErrors = 0;
  let otherErrors = 0;
  const errors = new Set<string>();
  const startedAt = Date.now();
  try {
    await Promise.all(pools.map(async (pool) => {
      for (let batch = queue.splice(0, batchSize); batch.length > 0; batch = queue.splice(0, batchSize)) {
        for (const message of batch) {
          try {
            await pool.query('INSERT INTO proof_writes (run, invocation) VALUES ($1, $2)', [run, message]);
            succeeded++;
          } catch (error) {
            const e = error as { code?: string; message?: string };
            if (e.code === '53300' || /too many clients|Connection terminated|ECONNRESET/i.test(e.message ?? '')) connectionErrors++;
            else otherErrors++;
            errors.add(`${e.code ?? 'no code'}: ${e.message}`);
          }
        }
      }
    }));
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
  const wallMs = Date.now() - startedAt;
  const admin = new Client(target.adminConfig);
  await admin.connect();
  const { rows } = await admin.query('SELECT count(*)::int AS n FROM proof_writes WHERE run = $1', [run]);
  await admin.end();
  return {
    setup: `queue consumer: MaximumConcurrency ${maximumConcurrency}, batches of ${batchSize}`,
    concurrency: maximumConcurrency, invocations: messages, succeeded, connectionErrors, otherErrors, rowsWritten: rows[0].n,
    lostWrites: messages - rows[0].n, peakConnections: peak, retries, wallMs, errors: [...errors],
  };
}

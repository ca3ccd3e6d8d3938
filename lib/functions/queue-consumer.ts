import { Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { accountUsage } from './account-concurrency';
import { QueueConsumerOptions } from './function-props';
import { connectExistingFunction, finishWiring, FunctionWiring, WiredProps } from './function-wiring';
import { AllocationKind } from '../budget/allocation';

/**
 * Wires `fn`, built by the user, as a consumer of `options.queue`: the event source mapping's
 * maximum concurrency comes from the budget (its own when given, otherwise its share), and so
 * does the function's reserved concurrency, so the mapping never asks for more environments than
 * Lambda keeps for it.
 */
export function connectQueueConsumer(wiring: FunctionWiring, fn: lambda.Function, options: QueueConsumerOptions): void {
  const explicit = explicitReservedConcurrency(fn, options);
  const name = connectExistingFunction(wiring, fn, { connectionsPerInvocation: options.connectionsPerInvocation, databaseUser: options.databaseUser }, { maxConcurrency: options.maxConcurrency });
  addQueueSource(wiring, fn, name, options, explicit);
}

/** Finishes a queue consumer created by the database from wired props. */
export function finishQueueConsumer<T>(
  wiring: FunctionWiring, fn: lambda.Function, wired: WiredProps<T>, runtime: lambda.Runtime, options: QueueConsumerOptions,
): void {
  const explicit = explicitReservedConcurrency(fn, options);
  const name = finishWiring(wiring, fn, wired, runtime, {
    kind: AllocationKind.QUEUE_CONSUMER,
    connectionsPerInvocation: wired.connectionsPerInvocation,
    maxConcurrency: options.maxConcurrency,
  });
  addQueueSource(wiring, fn, name, options, explicit);
}

/** Separates a queue consumer's props into the function's props and the queue options. */
export function splitQueueConsumerProps<T extends QueueConsumerOptions>(props: T): { functionProps: Omit<T, 'queue' | 'maxConcurrency' | 'batchSize' | 'maxBatchingWindow' | 'reportBatchItemFailures'>; queueOptions: QueueConsumerOptions } {
  const { queue, maxConcurrency, batchSize, maxBatchingWindow, reportBatchItemFailures, ...functionProps } = props;
  return {
    functionProps,  // keeps connectionsPerInvocation and databaseUser, which the wiring reads
    queueOptions: { queue, maxConcurrency, batchSize, maxBatchingWindow, reportBatchItemFailures, connectionsPerInvocation: props.connectionsPerInvocation },
  };
}

/** The function's own reserved concurrency, refused when it is below the queue's maximum concurrency. */
function explicitReservedConcurrency(fn: lambda.Function, options: QueueConsumerOptions): number | undefined {
  if (!options.queue) {
    throw new Error(`Queue consumer '${fn.node.path}' needs a \`queue\``);
  }
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const explicit = Stack.of(fn).resolve(cfn.reservedConcurrentExecutions);
  if (options.maxConcurrency !== undefined && typeof explicit === 'number' && explicit < options.maxConcurrency) {
    throw new Error(
      `Queue consumer '${fn.node.path}': maxConcurrency (${options.maxConcurrency}) is above its reservedConcurrentExecutions ` +
      `(${explicit}), so Lambda would throttle the queue's batches: leave reservedConcurrentExecutions unset (it follows maxConcurrency)`,
    );
  }
  return typeof explicit === 'number' ? explicit : undefined;
}

/**
 * The event source mapping, and the permissions to consume the queue in a customer-managed policy
 * of the function's role (SqsEventSource would add them as an inline policy).
 */
function addQueueSource(wiring: FunctionWiring, fn: lambda.Function, name: string, options: QueueConsumerOptions, explicit?: number): void {
  const maxConcurrency = options.maxConcurrency
    ?? explicit
    ?? Lazy.number({ produce: () => wiring.budget.concurrencyOf(name, accountUsage(wiring.database, wiring.budget)) });
  const reportBatchItemFailures = options.reportBatchItemFailures ?? true;
  const mapping = fn.addEventSourceMapping('QueueSource', {
    eventSourceArn: options.queue.queueArn,
    batchSize: options.batchSize,
    maxBatchingWindow: options.maxBatchingWindow,
    maxConcurrency,
    reportBatchItemFailures,
  });
  const statements = [new iam.PolicyStatement({ actions: QUEUE_CONSUME_ACTIONS, resources: [options.queue.queueArn] })];
  if (options.queue.encryptionMasterKey) {
    statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [options.queue.encryptionMasterKey.keyArn] }));
  }
  const policy = new iam.ManagedPolicy(fn, 'QueuePolicy', {
    description: `Lets ${fn.node.path} consume its queue`,
    statements,
  });
  if (!fn.role) {
    throw new Error(`Queue consumer '${fn.node.path}' has no role to let consume its queue`);
  }
  policy.attachToRole(fn.role);
  mapping.node.addDependency(policy);
}

/** What Lambda's poller needs on an SQS queue (the actions `grantConsumeMessages()` gives). */
const QUEUE_CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

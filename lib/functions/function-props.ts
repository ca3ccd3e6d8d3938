import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DatabaseUserOptions } from '../database/database-user-options';

/**
 * Options for wiring a function that already exists to the database.
 */
export interface ConnectFunctionOptions {
  /**
   * Database connections one execution environment opens at most (a pool size of 1 is the
   * usual choice for Lambda). The budget counts reserved concurrency x this number.
   *
   * @default 1
   */
  readonly connectionsPerInvocation?: number;

  /**
   * For a function on a Lambda Managed Instances capacity provider: the most execution
   * environments it may run, written into its `FunctionScalingConfig`.
   *
   * @default - the function's own `FunctionScalingConfig.MaxExecutionEnvironments`; required when
   * it has none
   */
  readonly maxEnvironments?: number;

  /**
   * For a function on a Lambda Managed Instances capacity provider: connections one execution
   * environment opens in all. The requests running at once in an environment share this pool
   * (the runtime helper reads it from `SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT`).
   *
   * @default - connectionsPerInvocation x the function's PerExecutionEnvironmentMaxConcurrency
   */
  readonly connectionsPerEnvironment?: number;

  /**
   * The function's own database user, when the database has `functionUsers` on.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
}

/**
 * How a function consumes an SQS queue. The event source mapping's maximum concurrency is the
 * function's cap (Lambda scales SQS consumers up to it without throttling and retrying), and the
 * function's reserved concurrency is set to the same number.
 */
export interface QueueConsumerOptions {
  /** The queue the function consumes. */
  readonly queue: sqs.IQueue;

  /**
   * The event source mapping's maximum concurrency (2..1000), the consumer's claim on the budget.
   *
   * @default - an equal share of what explicit allocations leave, between 2 and 1000
   */
  readonly maxConcurrency?: number;

  /**
   * Records per invocation.
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers records before invoking the function.
   *
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Whether the function reports failed records individually (`batchItemFailures`).
   *
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Database connections one execution environment opens at most.
   *
   * @default 1
   */
  readonly connectionsPerInvocation?: number;

  /**
   * The function's own database user, when the database has `functionUsers` on.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
}

/**
 * Properties of a queue consumer created with `ServerlessDatabase.addQueueConsumer()`: any Lambda
 * function, wired like `DatabaseFunctionProps`, fed by an SQS queue.
 */
export interface DatabaseQueueConsumerProps extends lambda.FunctionProps, QueueConsumerOptions {
}

/**
 * Properties of a function created with `ServerlessDatabase.addFunction()`: any Lambda function
 * (Python, Java, container-less Node.js...). VPC, subnets, the shared client security group, the
 * role, the log group and the database environment variables are filled in; leave `vpc` unset.
 *
 * `reservedConcurrentExecutions` is the function's claim on the connection budget; without it the
 * function gets a share of what the other consumers leave.
 */
export interface DatabaseFunctionProps extends lambda.FunctionProps {
  /**
   * Database connections one execution environment opens at most.
   *
   * @default 1
   */
  readonly connectionsPerInvocation?: number;

  /**
   * The function's own database user, when the database has `functionUsers` on.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
}

/**
 * Properties of a Node.js function created with `ServerlessDatabase.addNodejsFunction()`,
 * bundled with esbuild at synth time. Wired like `DatabaseFunctionProps`.
 *
 * `runtime` defaults to Node.js 24, and `bundling.bundleAwsSDK` to true (the runtime helper's
 * `@aws-sdk/rds-signer` ships with the handler instead of being expected in Lambda's runtime).
 */
export interface DatabaseNodejsFunctionProps extends nodejs.NodejsFunctionProps {
  /**
   * Database connections one execution environment opens at most.
   *
   * @default 1
   */
  readonly connectionsPerInvocation?: number;

  /**
   * The function's own database user, when the database has `functionUsers` on.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
}

/**
 * Properties of a Node.js queue consumer created with
 * `ServerlessDatabase.addNodejsQueueConsumer()`: bundled like `DatabaseNodejsFunctionProps`, fed by
 * an SQS queue like `DatabaseQueueConsumerProps`.
 */
export interface DatabaseNodejsQueueConsumerProps extends nodejs.NodejsFunctionProps, QueueConsumerOptions {
}

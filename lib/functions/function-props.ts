import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
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
   * The function's own database user, when the database has `functionUsers` on.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
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

import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { DatabaseUserOptions } from '../database/database-user-options';

/**
 * Environment variables of functions that use the RDS Data API (besides the engine, database,
 * secret ARN and region of `DatabaseEnvironmentVariables`).
 */
export class DataApiEnvironmentVariables {
  /** ARN of the Aurora cluster the Data API runs statements on. */
  public static readonly RESOURCE_ARN = 'SERVERLESS_RDS_DATA_API_RESOURCE_ARN';

  private constructor() {}
}

/**
 * Props of a function that uses the RDS Data API. `reservedConcurrentExecutions` is required:
 * it bounds the Data API connections the function can hold on the writer.
 */
export interface DataApiFunctionProps extends lambda.FunctionProps {
  /**
   * Statements (or open transactions) one invocation runs at the same time.
   *
   * @default 1
   */
  readonly statementsPerInvocation?: number;

  /**
   * The function's own database user, when the cluster has `functionUsers` on (the default): the
   * Data API logs in as a password user of the function's own, whose secret only this function
   * (and the users handler, which rotates it) can read.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
}

/**
 * Props of a Node.js function (bundled with esbuild) that uses the RDS Data API.
 * `reservedConcurrentExecutions` is required, as for `DataApiFunctionProps`.
 */
export interface DataApiNodejsFunctionProps extends nodejs.NodejsFunctionProps {
  /**
   * Statements (or open transactions) one invocation runs at the same time.
   *
   * @default 1
   */
  readonly statementsPerInvocation?: number;

  /**
   * The function's own database user, when the cluster has `functionUsers` on (the default): the
   * Data API logs in as a password user of the function's own, whose secret only this function
   * (and the users handler, which rotates it) can read.
   *
   * @default - a user named after the function's construct id, read-write on the default schema
   */
  readonly databaseUser?: DatabaseUserOptions;
}

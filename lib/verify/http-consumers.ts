import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Functions that reach their database over HTTP (the RDS Data API) rather than a network path:
 * the template check counts them in their reservation without asking them to be in the VPC.
 */
const HTTP_CONSUMERS = new WeakSet<lambda.CfnFunction>();

/** Marks a function as reaching the database over HTTP. */
export function recordHttpConsumer(fn: lambda.CfnFunction): void {
  HTTP_CONSUMERS.add(fn);
}

/** Whether the function reaches the database over HTTP. */
export function isHttpConsumer(fn: lambda.CfnFunction): boolean {
  return HTTP_CONSUMERS.has(fn);
}

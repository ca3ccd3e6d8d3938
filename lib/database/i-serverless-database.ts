import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { ConnectFunctionOptions, QueueConsumerOptions } from '../functions/function-props';

/**
 * A database functions can be wired to from any stack of the app. Pass it to the stack that holds
 * your functions and call `connectFunction()` there: the function's stack imports what it needs
 * (the proxy endpoint, the client security group, the connect policy) and the database's stack
 * references nothing of it, so the stacks have no circular dependency; the function is counted in
 * the database's connection budget like any other.
 */
export interface IServerlessDatabase extends IConstruct {
  /** The connection budget every wired function and reservation draws from. */
  readonly budget: ConnectionBudget;
  /** The engine family. */
  readonly engineFamily: DatabaseEngineFamily;
  /** The engine's port, on which the proxy and the instance listen. */
  readonly port: number;
  /** The VPC wired functions run in. */
  readonly vpc: ec2.IVpc;
  /** Subnets wired functions are placed in. */
  readonly functionSubnets: ec2.SubnetSelection;
  /** The security group wired functions share; it may reach only the proxy. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The log group wired functions share. */
  readonly functionLogGroup: logs.ILogGroup;
  /** The customer-managed policy for VPC network interfaces and `functionLogGroup`. */
  readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in to the database. */
  readonly connectPolicy: iam.IManagedPolicy;

  /**
   * Wires a function built in the database's VPC, in any stack of the app.
   *
   * @param fn the function
   * @param options how many connections it opens
   */
  connectFunction(fn: lambda.Function, options?: ConnectFunctionOptions): void;

  /**
   * Wires a function built in the database's VPC as the consumer of an SQS queue, its maximum
   * concurrency taken from the budget.
   *
   * @param fn the function
   * @param options the queue and how the consumer connects
   */
  connectQueueConsumer(fn: lambda.Function, options: QueueConsumerOptions): void;

  /**
   * Lets `grantee` log in. Opens no network path and adds nothing to the budget: use it for
   * principals that are not Lambda functions, or together with `budget.reserve()`.
   *
   * @param grantee the principal that logs in
   */
  grantConnect(grantee: iam.IGrantable): iam.Grant;
}

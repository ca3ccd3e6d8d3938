import * as path from 'path';
import { Annotations, Names, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allowLogsToUseKey } from './access-policies';
import { IServerlessDatabase } from './i-serverless-database';
import { acknowledgeXrayWildcard } from './nag-acknowledgments';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { defineAuthMode } from '../bundling/auth-mode-define';
import { bundleInProcess } from '../bundling/in-process-esbuild';
import { accountUsage } from '../functions/account-concurrency';
import {
  ConnectFunctionOptions, DatabaseFunctionProps, DatabaseNodejsFunctionProps, DatabaseNodejsQueueConsumerProps, DatabaseQueueConsumerProps, QueueConsumerOptions,
} from '../functions/function-props';
import { connectExistingFunction, finishWiring, FunctionWiring, wireFunctionProps } from '../functions/function-wiring';
import { connectQueueConsumer, finishQueueConsumer, splitQueueConsumerProps } from '../functions/queue-consumer';

/**
 * What every database kind of the library shares: functions wired to it under its connection
 * budget (created, connected, or fed by a queue), the budget shown at synth, and its artifact.
 * A database kind creates or imports the database and its pooler, then hands the wiring its
 * network, grants and environment with `_initWiring()`.
 */
export abstract class WiredDatabase extends Construct implements IServerlessDatabase {
  /** The connection budget every wired function and reservation draws from. */
  public abstract readonly budget: ConnectionBudget;
  /** The engine family. */
  public abstract readonly engineFamily: DatabaseEngineFamily;
  /** The port functions connect to. */
  public abstract readonly port: number;
  /** The VPC wired functions run in. */
  public abstract readonly vpc: ec2.IVpc;
  /** Subnets wired functions are placed in. */
  public abstract readonly functionSubnets: ec2.SubnetSelection;
  /** The security group every wired function shares; it may reach only the database's pooler. */
  public abstract readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The log group wired functions share (unless given their own). */
  public abstract readonly functionLogGroup: logs.ILogGroup;
  /**
   * The customer-managed policy the roles of wired functions share: VPC network interfaces and
   * writing to `functionLogGroup`. Attach it to the role of a function you build yourself.
   */
  public abstract readonly functionPolicy: iam.IManagedPolicy;
  /** The customer-managed policy that lets a role log in to the database. */
  public abstract readonly connectPolicy: iam.IManagedPolicy;

  /**
   * Why this database wires no function by network, when its kind decided so (named in the error).
   *
   * @internal
   */
  protected _noWiringReason?: string;

  private wiringState?: { readonly wiring: FunctionWiring; readonly functionsScope: Construct };

  /**
   * Creates a Lambda function (any runtime) wired to the database: in its VPC, allowed through
   * the pooler, given the database environment variables and a reserved concurrency the budget
   * accepts.
   *
   * @param id construct id of the function, under this database's `Functions` scope
   * @param props the function's props; `vpc` is filled in and must be left unset
   */
  public addFunction(id: string, props: DatabaseFunctionProps): lambda.Function {
    const { wiring, functionsScope } = this.wiringOrThrow();
    const wired = wireFunctionProps(wiring, id, props);
    const fn = new lambda.Function(functionsScope, id, wired.props);
    finishWiring(wiring, fn, wired, props.runtime);
    return fn;
  }

  /**
   * Creates a Node.js function bundled with esbuild (locally when esbuild is installed), wired
   * like `addFunction()`. Runtime: Node.js 24 unless given. The AWS SDK modules the handler
   * imports are bundled too (`bundling.bundleAwsSDK` defaults to true here): AWS recommends
   * shipping your own SDK rather than relying on the copy in Lambda's runtime, whose version and
   * contents (the runtime helper's `@aws-sdk/rds-signer`) are not guaranteed.
   *
   * Bundles are built for size, since every cold start parses them: `bundling.minify` defaults
   * to true (with esbuild's tree-shaking), `bundling.sourceMap` to false (set it to true, and
   * `NODE_OPTIONS=--enable-source-maps`, for stack traces in your sources). esbuild runs inside
   * the synth process through its JavaScript API, found once in your project, and functions with
   * the same entry and options share one build; options that need NodejsFunction's own bundling
   * (command hooks, `nodeModules`, pre-compilation, Docker, `esbuildArgs`) get it as before.
   * esbuild is told the function's auth mode, so the runtime helper's client for the other mode
   * (RDS signer or Secrets Manager) is left out of the bundle.
   *
   * @param id construct id of the function, under this database's `Functions` scope
   * @param props the function's props; `vpc` is filled in and must be left unset
   */
  public addNodejsFunction(id: string, props: DatabaseNodejsFunctionProps): nodejs.NodejsFunction {
    const { wiring, functionsScope } = this.wiringOrThrow();
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    const wired = wireFunctionProps(wiring, id, { ...props, runtime });
    const fn = new nodejs.NodejsFunction(functionsScope, id, bundledProps(functionsScope, id, props, wired.props, runtime));
    finishWiring(wiring, fn, wired, runtime);
    return fn;
  }

  /**
   * Creates a function that consumes an SQS queue, wired like `addFunction()`: the event source
   * mapping's maximum concurrency is the function's cap in the budget (`maxConcurrency` when given,
   * otherwise its share), and its reserved concurrency follows it, so the queue never starts more
   * execution environments than the budget counted.
   *
   * @param id construct id of the function, under this database's `Functions` scope
   * @param props the function's props and its queue
   */
  public addQueueConsumer(id: string, props: DatabaseQueueConsumerProps): lambda.Function {
    const { wiring, functionsScope } = this.wiringOrThrow();
    const { functionProps, queueOptions } = splitQueueConsumerProps(props);
    const wired = wireFunctionProps(wiring, id, functionProps);
    const fn = new lambda.Function(functionsScope, id, wired.props);
    finishQueueConsumer(wiring, fn, wired, props.runtime, queueOptions);
    return fn;
  }

  /**
   * Creates a Node.js queue consumer bundled with esbuild, wired like `addQueueConsumer()` and
   * bundled like `addNodejsFunction()`.
   *
   * @param id construct id of the function, under this database's `Functions` scope
   * @param props the function's props and its queue
   */
  public addNodejsQueueConsumer(id: string, props: DatabaseNodejsQueueConsumerProps): nodejs.NodejsFunction {
    const { wiring, functionsScope } = this.wiringOrThrow();
    const { functionProps, queueOptions } = splitQueueConsumerProps(props);
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    const wired = wireFunctionProps(wiring, id, { ...functionProps, runtime });
    const fn = new nodejs.NodejsFunction(functionsScope, id, bundledProps(functionsScope, id, props, wired.props, runtime));
    finishQueueConsumer(wiring, fn, wired, runtime, queueOptions);
    return fn;
  }

  /**
   * Wires a function you built yourself, in this stack or any other stack of the app. It must
   * already be in the database's VPC (use `vpc`, `functionSubnets` and `clientSecurityGroup` when
   * you create it): this adds the client security group if missing, the environment variables,
   * `connectPolicy` to its role and the budget allocation. Give its role `functionPolicy` and its
   * logs `functionLogGroup` to match the functions `addFunction()` creates. A function on a Lambda
   * Managed Instances capacity provider needs `maxEnvironments`.
   *
   * @param fn a function already placed in the database's VPC
   * @param options how many connections one execution environment opens
   */
  public connectFunction(fn: lambda.Function, options: ConnectFunctionOptions = {}): void {
    connectExistingFunction(this.wiringOrThrow().wiring, fn, options);
  }

  /**
   * Wires a function you built yourself as the consumer of an SQS queue: like `connectFunction()`,
   * and adds the queue's event source with a maximum concurrency from the budget.
   *
   * @param fn a function already placed in the database's VPC
   * @param options the queue and how the consumer connects
   */
  public connectQueueConsumer(fn: lambda.Function, options: QueueConsumerOptions): void {
    connectQueueConsumer(this.wiringOrThrow().wiring, fn, options);
  }

  /**
   * Lets `grantee` log in. Opens no network path and adds nothing to the budget.
   *
   * @param grantee the principal that logs in
   */
  public abstract grantConnect(grantee: iam.IGrantable): iam.Grant;

  /**
   * Hands the wiring what functions need; called once by the database kind's constructor.
   *
   * @internal
   */
  protected _initWiring(wiring: FunctionWiring): void {
    this.wiringState = { wiring, functionsScope: new Construct(this, 'Functions') };
  }

  /**
   * The X-Ray actions for functions with active tracing, in one policy shared by the database's
   * functions, so tracing adds no policy per function.
   *
   * @internal
   */
  protected _tracingPolicy(): iam.IManagedPolicy {
    const existing = this.node.tryFindChild('TracingPolicy') as iam.IManagedPolicy | undefined;
    if (existing) {
      return existing;
    }
    const policy = new iam.ManagedPolicy(this, 'TracingPolicy', {
      description: `X-Ray tracing of the functions wired to ${this.node.path}`,
      statements: [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] })],
    });
    acknowledgeXrayWildcard(policy);
    return policy;
  }

  /**
   * Lets CloudWatch Logs use `key` for the log groups of this account and region.
   *
   * @internal
   */
  protected _allowLogsToUseKey(key: kms.IKey): void {
    allowLogsToUseKey(this, key);
  }

  /**
   * The budget as declared: errors when over-committed, the table as an info annotation otherwise.
   *
   * @internal
   */
  protected _validateBudget(extraErrors: string[] = [], tableSuffix: string = ''): string[] {
    const usage = accountUsage(this, this.budget);
    const plan = this.budget.plan(usage);
    const table = this.budget.toTable(this.node.path, usage) + tableSuffix;
    const errors = plan.problems.length > 0 ? [`The connection budget is over-committed.\n${table}`, ...extraErrors] : extraErrors;
    if (errors.length === 0) {
      Annotations.of(this).addInfo(table);
    }
    return errors;
  }

  /**
   * Where the budget is written at synth, beside the templates: `<stack>.<database>.connection-budget.json`.
   *
   * @internal
   */
  protected _budgetArtifactFile(extension = 'json'): string {
    const stack = Stack.of(this);
    return path.join(Stage.of(stack)!.outdir, `${stack.artifactId}.${Names.uniqueId(this)}.connection-budget.${extension}`);
  }

  private wiringOrThrow(): { wiring: FunctionWiring; functionsScope: Construct } {
    if (!this.wiringState) {
      throw new Error(`${this.node.path} ${this._noWiringReason ?? 'has not set up its function wiring yet'}`);
    }
    return this.wiringState;
  }
}

/**
 * A wired Node.js function's props with the library's bundling: for size, told the auth mode,
 * and built in the synth process unless the function brings its own code.
 */
function bundledProps(
  scope: Construct, id: string, props: nodejs.NodejsFunctionProps, wired: nodejs.NodejsFunctionProps, runtime: lambda.Runtime,
): nodejs.NodejsFunctionProps {
  const bundling = defineAuthMode({ bundleAwsSDK: true, minify: true, sourceMap: false, ...props.bundling }, wired.environment);
  const bundled = props.code ? undefined : bundleInProcess(scope, id, { ...props, runtime, bundling });
  return { ...wired, bundling, ...bundled };
}

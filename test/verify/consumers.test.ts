import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { budgetArtifact, synthFailure, synthOk, templateOf } from './verify-test-utils';
import { AllocationKind, DatabaseEnvironmentVariables } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

function resourcesOfType(template: any, type: string): any[] {
  return Object.values<any>(template.Resources).filter(r => r.Type === type);
}

function functionNamed(template: any, fragment: string): any {
  const [, fn] = Object.entries<any>(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.includes(fragment))!;
  return fn;
}

describe('queue consumers are capped by their event source', () => {
  test('addQueueConsumer() writes the same cap into the mapping and the reserved concurrency', () => {
    const { app, stack, db } = newDatabase();
    const queue = new sqs.Queue(stack, 'Jobs', { enforceSSL: true, visibilityTimeout: Duration.minutes(1) });
    db.addQueueConsumer('Worker', { ...inlineFunctionProps(), queue, maxConcurrency: 20, connectionsPerInvocation: 2 });
    synthOk(app);

    const template = templateOf(app, stack);
    const [mapping] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 20 });
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(functionNamed(template, 'Worker').Properties.ReservedConcurrentExecutions).toBe(20);
    const line = budgetArtifact(app, stack).allocations.find((a: any) => a.name === 'Db/Functions/Worker');
    expect(line).toMatchObject({ kind: AllocationKind.QUEUE_CONSUMER, environments: 20, connections: 40 });
  });

  test('without maxConcurrency the consumer gets its share, within the mapping range', () => {
    const { app, stack, db } = newDatabase();
    const queue = new sqs.Queue(stack, 'Jobs', { enforceSSL: true });
    db.addQueueConsumer('Worker', { ...inlineFunctionProps(), queue, connectionsPerInvocation: 2 });
    synthOk(app);
    const template = templateOf(app, stack);
    const [mapping] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    // 253 allocatable / 2 per invocation = 126 environments
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 126 });
    expect(functionNamed(template, 'Worker').Properties.ReservedConcurrentExecutions).toBe(126);
  });

  test('connectQueueConsumer() wires a function the user built', () => {
    const { app, stack, vpc, db } = newDatabase();
    const queue = new sqs.Queue(stack, 'Jobs', { enforceSSL: true });
    const fn = new lambda.Function(stack, 'Own', { ...inlineFunctionProps(), vpc, securityGroups: [db.clientSecurityGroup] });
    db.connectQueueConsumer(fn, { queue, maxConcurrency: 5 });
    synthOk(app);
    const [mapping] = resourcesOfType(templateOf(app, stack), 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
  });

  test('maxConcurrency outside what SQS accepts, or above the reserved concurrency, is refused at once', () => {
    const { stack, db } = newDatabase();
    const queue = new sqs.Queue(stack, 'Jobs', { enforceSSL: true });
    expect(() => db.addQueueConsumer('One', { ...inlineFunctionProps(), queue, maxConcurrency: 1 }))
      .toThrow('`maxConcurrency of queue consumer \'Db/Functions/One\'` must be a whole number between 2 and 1000, got: 1');
    expect(() => db.addQueueConsumer('Two', { ...inlineFunctionProps(), queue, maxConcurrency: 20, reservedConcurrentExecutions: 10 }))
      .toThrow('maxConcurrency (20) is above its reservedConcurrentExecutions (10)');
  });

  test('a mapping added by hand with MaximumConcurrency above the reserved concurrency fails synth', () => {
    const { app, stack, db } = newDatabase();
    const queue = new sqs.Queue(stack, 'Jobs', { enforceSSL: true });
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    fn.addEventSource(new SqsEventSource(queue, { maxConcurrency: 100 }));
    expect(synthFailure(app)).toMatch(/has MaximumConcurrency 100, above the function's reserved concurrency 10/);
  });
});

describe('provisioned concurrency must fit inside the reserved concurrency', () => {
  test('an alias provisioning more than the function reserves fails synth', () => {
    const { app, stack, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion, provisionedConcurrentExecutions: 50 });
    expect(synthFailure(app)).toContain('asks for 50 provisioned concurrency but reserves 10');
  });

  test('provisioned concurrency within the reservation passes', () => {
    const { app, stack, db } = newDatabase();
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion, provisionedConcurrentExecutions: 5 });
    synthOk(app);
  });
});

describe('Lambda Managed Instances count environments x connections each', () => {
  function managedFunction() {
    const { app, stack, vpc, db } = newDatabase();
    const provider = new lambda.CapacityProvider(stack, 'Capacity', {
      securityGroups: [db.clientSecurityGroup],
      subnets: vpc.selectSubnets(db.functionSubnets).subnets,
    });
    const fn = new lambda.Function(stack, 'Managed', { ...inlineFunctionProps(), memorySize: 2048 });
    provider.addFunction(fn, { perExecutionEnvironmentMaxConcurrency: 8 });
    return { app, stack, vpc, db, fn, provider };
  }

  test('connectFunction() writes the maximum environments and sizes the helper\'s pool for the environment', () => {
    const { app, stack, db, fn } = managedFunction();
    db.connectFunction(fn, { maxEnvironments: 4 });
    synthOk(app);
    const props = functionNamed(templateOf(app, stack), 'Managed').Properties;
    expect(props.FunctionScalingConfig).toEqual({ MaxExecutionEnvironments: 4 });
    expect(props.Environment.Variables[DatabaseEnvironmentVariables.CONNECTIONS_PER_ENVIRONMENT]).toBe('8');
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
    const line = budgetArtifact(app, stack).allocations.find((a: any) => a.name === 'Managed');
    expect(line).toMatchObject({ kind: AllocationKind.MANAGED_INSTANCES, environments: 4, connections: 32 });
  });

  test('without a maximum number of environments the function is refused', () => {
    const { db, fn } = managedFunction();
    expect(() => db.connectFunction(fn)).toThrow('runs on Lambda Managed Instances without a maximum number of execution environments');
  });

  test('a maximum raised by override is checked in the template', () => {
    const { app, db, fn } = managedFunction();
    db.connectFunction(fn, { maxEnvironments: 4 });
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('FunctionScalingConfig.MaxExecutionEnvironments', 100);
    expect(synthFailure(app)).toMatch(/managed instances Managed\s+proxy\s+100 envs\s+8\s+800/i);
  });

  test('a capacity provider in another VPC fails synth', () => {
    const { app, stack, db } = newDatabase();
    const other = new ec2.Vpc(stack, 'Other', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'I', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const provider = new lambda.CapacityProvider(stack, 'Capacity', {
      securityGroups: [new ec2.SecurityGroup(stack, 'OtherGroup', { vpc: other })], subnets: other.isolatedSubnets,
    });
    const fn = new lambda.Function(stack, 'Managed', { ...inlineFunctionProps(), memorySize: 2048 });
    provider.addFunction(fn, { perExecutionEnvironmentMaxConcurrency: 2 });
    db.connectFunction(fn, { maxEnvironments: 2 });
    expect(synthFailure(app)).toContain('of another VPC than TestStack/Db\'s');
  });
});

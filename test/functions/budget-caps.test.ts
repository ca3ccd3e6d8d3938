import { Fn, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { connectionsOf, lambdaFunctions, resourceOf, synthesizedPool } from './function-test-utils';
import { DatabaseEnvironmentVariables, ServerlessDatabase } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

/** Without per-function users: the users handler would add its own reservation (1 concurrency, 1 connection) to the figures below, which are of the functions alone. */
const FUNCTIONS_ONLY = { functionUsers: false } as const;

describe('reserved concurrency from the connection budget', () => {
  let stack: Stack;
  let db: ServerlessDatabase;
  let template: Template;
  let worker: lambda.Function;
  let worker2: lambda.Function;
  let double: lambda.Function;

  beforeAll(() => {
    // GIVEN a db.t4g.medium PostgreSQL database (max_connections 394)
    ({ stack, db } = newDatabase(FUNCTIONS_ONLY));

    // WHEN one capped and three uncapped functions are wired, one of them opening 2 connections
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    worker = db.addFunction('Worker', inlineFunctionProps());
    worker2 = db.addFunction('Worker2', inlineFunctionProps());
    double = db.addFunction('Double', { ...inlineFunctionProps(), connectionsPerInvocation: 2 });
    template = Template.fromStack(stack);
  });

  test('an uncapped function gets ReservedConcurrentExecutions equal to its budget share', () => {
    // THEN
    const share = db.budget.concurrencyOf('Db/Functions/Worker');
    expect(share).toBeGreaterThan(0);
    expect(resourceOf(template, worker).Properties.ReservedConcurrentExecutions).toBe(share);
  });

  test('the share is what the capped functions leave of the allocatable pool, split equally, within half the account', () => {
    // THEN: pool floor(394 x 92 / 100) = 362, allocatable floor(362 x 70 / 100) = 253;
    // connections floor((253 - 40) / 3) = 71; account floor((900 - 40) x 50 / 100 / 3) = 143; min(71, 143) = 71
    const { proxyConnections } = synthesizedPool(template);
    const allocatable = Math.floor((proxyConnections * 70) / 100);
    expect(allocatable).toBe(253);
    const expected = Math.min(Math.floor((allocatable - 40) / 3), Math.floor(((900 - 40) * 50) / 100 / 3));
    expect(expected).toBe(71);
    expect(resourceOf(template, worker).Properties.ReservedConcurrentExecutions).toBe(expected);
  });

  test('two uncapped functions with the same connectionsPerInvocation share equally', () => {
    // THEN
    expect(resourceOf(template, worker2).Properties.ReservedConcurrentExecutions)
      .toBe(resourceOf(template, worker).Properties.ReservedConcurrentExecutions);
  });

  test('connectionsPerInvocation 2 halves the concurrency of the share', () => {
    // THEN
    const single = resourceOf(template, worker).Properties.ReservedConcurrentExecutions;
    expect(resourceOf(template, double).Properties.ReservedConcurrentExecutions).toBe(Math.floor(single / 2));
    expect(db.budget.concurrencyOf('Db/Functions/Double')).toBe(Math.floor(single / 2));
  });

  test('the functions keep the proxy headroom: sum(concurrency x connections) <= floor(floor(max_connections x MaxConnectionsPercent / 100) x 70 / 100)', () => {
    // THEN
    const { maxConnections, maxConnectionsPercent, proxyConnections } = synthesizedPool(template);
    expect(maxConnections).toBe(394);
    expect(maxConnectionsPercent).toBeGreaterThan(0);
    const allocatable = Math.floor((proxyConnections * (100 - 30)) / 100);
    const functions = lambdaFunctions(template).filter(f => f.Properties.Environment?.Variables?.[DatabaseEnvironmentVariables.HOST]);
    expect(functions).toHaveLength(4);
    const total = functions.reduce((sum, f) => sum + connectionsOf(f), 0);
    // 40 + 71 + 71 + 35 x 2 = 252 <= 253
    expect(total).toBeLessThanOrEqual(allocatable);
    expect(total).toBeGreaterThan(allocatable - 4); // the shares use up what may be allocated, less rounding
  });
});

describe('budget.reserve()', () => {
  test('a direct reservation lowers the proxy MaxConnectionsPercent so both fit in the capacity', () => {
    // GIVEN two identical databases
    const plain = newDatabase(FUNCTIONS_ONLY);
    const reserved = newDatabase(FUNCTIONS_ONLY);

    // WHEN one of them reserves 5 direct connections for migrations
    reserved.db.budget.reserve('Migrations', 5);

    // THEN
    const before = synthesizedPool(Template.fromStack(plain.stack));
    const after = synthesizedPool(Template.fromStack(reserved.stack));
    expect(after.maxConnectionsPercent).toBeLessThan(before.maxConnectionsPercent);
    expect(after.proxyConnections + 5).toBeLessThanOrEqual(reserved.db.budget.capacity);
  });
});

describe('over-commitment fails the synth', () => {
  test('reservedConcurrentExecutions 1000 on db.t4g.medium: the error shows the budget table and the fix', () => {
    // GIVEN
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);

    // WHEN
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1000 });

    // THEN
    expect(() => Template.fromStack(stack)).toThrow(
      /over-committed[\s\S]*max_connections[\s\S]*capacity[\s\S]*function Db\/Functions\/Api[\s\S]*Problems[\s\S]*reservedConcurrentExecutions/,
    );
  });

  test('an uncapped function left with no share fails the synth', () => {
    // GIVEN capped functions that take every connection the proxy may allocate (253)
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);
    db.addFunction('Greedy', { ...inlineFunctionProps(), reservedConcurrentExecutions: db.budget.plan().proxyAllocatable });

    // WHEN
    db.addFunction('Starved', inlineFunctionProps());

    // THEN: connections floor((253 - 253) / 1) = 0; account floor((900 - 253) x 50 / 100) = 323
    expect(() => Template.fromStack(stack)).toThrow(
      /over-committed[\s\S]*Function 'Db\/Functions\/Starved' has no cap of its own and the budget has too little left to share with it \(0 connections and 323 concurrency per consumer without a cap\)/,
    );
  });

  test('accountConcurrencyLimit 10 leaves nothing to reserve: the error mentions the Concurrent executions quota', () => {
    // GIVEN
    const { stack, db } = newDatabase({ ...FUNCTIONS_ONLY, accountConcurrencyLimit: 10 });

    // WHEN
    db.addFunction('Api', inlineFunctionProps());

    // THEN
    expect(() => Template.fromStack(stack)).toThrow(/over-committed[\s\S]*"Concurrent executions"/);
  });

  test('wired functions reserving more than accountConcurrencyLimit - 100 fail the synth', () => {
    // GIVEN an account that can reserve 300 - 100 = 200
    const { stack, db } = newDatabase({ ...FUNCTIONS_ONLY, accountConcurrencyLimit: 300 });

    // WHEN two functions reserve 150 each (300 connections fit in the proxy pool)
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 150 });
    db.addFunction('Worker', { ...inlineFunctionProps(), reservedConcurrentExecutions: 150 });

    // THEN
    expect(() => Template.fromStack(stack)).toThrow(/reserve 300 concurrency but the account can reserve 200/);
  });

  test('an unwired function of the same stack counts against the account: 890 + 20 > 900 fails, naming both parts', () => {
    // GIVEN a plain function outside the budget reserving 890
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);
    new lambda.Function(stack, 'Plain', { ...inlineFunctionProps(), reservedConcurrentExecutions: 890 });

    // WHEN a wired function reserves 20 more
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 20 });

    // THEN
    expect(() => Template.fromStack(stack)).toThrow(
      /^(?=[\s\S]*reserved Lambda concurrency: 20 \(\+890 by other functions of the account\) of 900 the account can reserve)(?=[\s\S]*The functions reserve 910 concurrency \(20 here, 890 by other functions of the account\) but the account can reserve 900)/,
    );
  });

  test('an unwired function of the same stack within the account: 880 + 20 = 900 synthesizes', () => {
    // GIVEN
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);
    new lambda.Function(stack, 'Plain', { ...inlineFunctionProps(), reservedConcurrentExecutions: 880 });

    // WHEN
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 20 });

    // THEN
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

describe('the share of an uncapped function and the rest of the stack', () => {
  test('an uncapped function shrinks its share to half of what an unwired function of the stack leaves', () => {
    // GIVEN a plain function outside the budget reserving 600 of the 900 the account can reserve
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);
    new lambda.Function(stack, 'Plain', { ...inlineFunctionProps(), reservedConcurrentExecutions: 600 });

    // WHEN an uncapped function is wired
    const fn = db.addFunction('Api', inlineFunctionProps());

    // THEN the synth succeeds and the share is half the 300 left: min(253 connections, floor((900 - 600) x 50 / 100)) = 150
    const template = Template.fromStack(stack);
    expect(resourceOf(template, fn).Properties.ReservedConcurrentExecutions).toBe(150);
  });
});

describe('addFunction rejects bad input', () => {
  test.each([
    ['0', 0, /`reservedConcurrentExecutions of function 'Api'` must be a positive whole number, got: 0/],
    ['-5', -5, /`reservedConcurrentExecutions of function 'Api'` must be a positive whole number, got: -5/],
    ['2.5', 2.5, /`reservedConcurrentExecutions of function 'Api'` must be a positive whole number, got: 2\.5/],
    ['a token', Token.asNumber(Fn.ref('X')), /`reservedConcurrentExecutions of function 'Api'` must be a number known at synth time/],
  ])('reservedConcurrentExecutions %s', (_, reservedConcurrentExecutions, error) => {
    // GIVEN
    const { db } = newDatabase(FUNCTIONS_ONLY);

    // WHEN / THEN
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions })).toThrow(error);
  });

  test.each([
    ['0', 0, /`connectionsPerInvocation of function 'Api'` must be a positive whole number, got: 0/],
    ['1.5', 1.5, /`connectionsPerInvocation of function 'Api'` must be a positive whole number, got: 1\.5/],
    ['a token', Token.asNumber(Fn.ref('X')), /`connectionsPerInvocation of function 'Api'` must be a number known at synth time/],
  ])('connectionsPerInvocation %s', (_, connectionsPerInvocation, error) => {
    // GIVEN
    const { db } = newDatabase(FUNCTIONS_ONLY);

    // WHEN / THEN
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), connectionsPerInvocation })).toThrow(error);
  });

  test('a vpc other than the database VPC, naming `vpc`', () => {
    // GIVEN
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);
    const otherVpc = new ec2.Vpc(stack, 'OtherVpc', { maxAzs: 2 });

    // WHEN / THEN
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), vpc: otherVpc })).toThrow(/`vpc` must be left unset/);
  });

  test('the database VPC passed as `vpc` is accepted', () => {
    // GIVEN
    const { vpc, db } = newDatabase(FUNCTIONS_ONLY);

    // WHEN
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), vpc });

    // THEN
    expect(fn.isBoundToVpc).toBe(true);
  });

  // SECRET_ARN is set only with IAM authentication off, CONNECTIONS_PER_ENVIRONMENT only on Lambda Managed Instances
  // (connectFunction): neither is set on an addFunction() function with the defaults, so neither collides.
  test.each(DatabaseEnvironmentVariables.all().filter(name =>
    name !== DatabaseEnvironmentVariables.SECRET_ARN && name !== DatabaseEnvironmentVariables.CONNECTIONS_PER_ENVIRONMENT))(
    'an environment variable named %s set by the database',
    name => {
      // GIVEN
      const { db } = newDatabase(FUNCTIONS_ONLY);

      // WHEN / THEN
      expect(() => db.addFunction('Api', { ...inlineFunctionProps(), environment: { [name]: 'mine' } }))
        .toThrow(new RegExp(`the environment variable ${name} is set by ServerlessDatabase; remove it from \`environment\``));
    },
  );

  test('SERVERLESS_RDS_CONNECTIONS_PER_ENVIRONMENT set by the user is not rejected, but the template check counts it', () => {
    // GIVEN
    const { stack, db } = newDatabase(FUNCTIONS_ONLY);

    // WHEN a function reserving 100 claims 3 connections per environment through the variable
    db.addFunction('Api', {
      ...inlineFunctionProps(),
      reservedConcurrentExecutions: 100,
      environment: { [DatabaseEnvironmentVariables.CONNECTIONS_PER_ENVIRONMENT]: '3' },
    });

    // THEN 100 x 3 = 300 > 253 allocatable: the check of the synthesized template fails synth
    expect(() => Template.fromStack(stack)).toThrow(/need 300 connections but 253 may be allocated/);
  });

  test('the same function id twice, naming the id', () => {
    // GIVEN
    const { db } = newDatabase(FUNCTIONS_ONLY);
    db.addFunction('Api', inlineFunctionProps());

    // WHEN / THEN
    expect(() => db.addFunction('Api', inlineFunctionProps())).toThrow(/already .*'Api'/);
  });
});

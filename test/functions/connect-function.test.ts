import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { budgetName, logicalIdOf, resourceOf } from './function-test-utils';
import { userLoginPolicyRef } from '../database/template-helpers';
import { AllocationKind, ServerlessDatabase } from '../../lib';
import { inlineFunctionProps, newDatabase } from '../helpers';

describe('ServerlessDatabase.connectFunction', () => {
  let stack: Stack;
  let db: ServerlessDatabase;
  let template: Template;
  let capped: lambda.Function;
  let uncapped: lambda.Function;
  let ownGroup: ec2.SecurityGroup;

  beforeAll(() => {
    // GIVEN a database and two functions the user built in its VPC
    let vpc: ec2.Vpc;
    ({ stack, vpc, db } = newDatabase());
    ownGroup = new ec2.SecurityGroup(stack, 'OwnGroup', { vpc });
    capped = new lambda.Function(stack, 'Capped', {
      ...inlineFunctionProps(),
      vpc,
      vpcSubnets: db.functionSubnets,
      securityGroups: [db.clientSecurityGroup],
      reservedConcurrentExecutions: 25,
      environment: { APP_MODE: 'test' },
    });
    uncapped = new lambda.Function(stack, 'Uncapped', { ...inlineFunctionProps(), vpc, securityGroups: [ownGroup] });

    // WHEN they are connected to the database
    db.connectFunction(capped);
    db.connectFunction(uncapped, { connectionsPerInvocation: 2 });
    template = Template.fromStack(stack);
  });

  test('does not add the client security group a second time when the function already has it', () => {
    // THEN
    expect(resourceOf(template, capped).Properties.VpcConfig.SecurityGroupIds).toEqual([
      stack.resolve(db.clientSecurityGroup.securityGroupId),
    ]);
  });

  test('adds the client security group next to the function own security group', () => {
    // THEN
    expect(resourceOf(template, uncapped).Properties.VpcConfig.SecurityGroupIds).toEqual([
      stack.resolve(ownGroup.securityGroupId),
      stack.resolve(db.clientSecurityGroup.securityGroupId),
    ]);
  });

  test('adds the database environment variables and keeps the user variables', () => {
    // THEN
    expect(resourceOf(template, capped).Properties.Environment.Variables).toEqual({
      APP_MODE: 'test',
      SERVERLESS_RDS_ENGINE: 'postgresql',
      SERVERLESS_RDS_HOST: { 'Fn::GetAtt': [logicalIdOf(db.proxy), 'Endpoint'] },
      SERVERLESS_RDS_PORT: '5432',
      SERVERLESS_RDS_DATABASE: 'app',
      SERVERLESS_RDS_USER: 'capped',
      SERVERLESS_RDS_REGION: 'eu-west-1',
      SERVERLESS_RDS_AUTH: 'iam',
      SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '1',
    });
    expect(resourceOf(template, uncapped).Properties.Environment.Variables.SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION).toBe('2');
  });

  test('attaches the login policy of the function\'s own user to its role and keeps its own policies', () => {
    // THEN
    for (const fn of [capped, uncapped]) {
      const arns = resourceOf(template, fn.role!).Properties.ManagedPolicyArns;
      expect(arns).toContainEqual(userLoginPolicyRef(template, fn.node.id.toLowerCase()));
      expect(arns).not.toContainEqual({ Ref: logicalIdOf(db.connectPolicy) });
      expect(JSON.stringify(arns)).toMatch(/AWSLambdaVPCAccessExecutionRole/);
    }
  });

  test('counts the function own reservedConcurrentExecutions in the budget', () => {
    // THEN
    const allocation = db.budget.plan().allocations.find(a => a.name === budgetName(capped));
    expect(budgetName(capped)).toBe('Capped');
    expect(allocation).toMatchObject({ kind: AllocationKind.FUNCTION, reservedConcurrency: 25, connections: 25, computedShare: false });
    expect(resourceOf(template, capped).Properties.ReservedConcurrentExecutions).toBe(25);
  });

  test('gives a function without reservedConcurrentExecutions the budget share', () => {
    // THEN
    const share = db.budget.concurrencyOf(budgetName(uncapped));
    expect(share).toBeGreaterThan(0);
    expect(resourceOf(template, uncapped).Properties.ReservedConcurrentExecutions).toBe(share);
    const allocation = db.budget.plan().allocations.find(a => a.name === 'Uncapped');
    expect(allocation).toMatchObject({ reservedConcurrency: share, connectionsPerInvocation: 2, connections: share * 2, computedShare: true });
  });
});

describe('ServerlessDatabase.connectFunction rejects', () => {
  test('a function that is not in a VPC, naming `vpc`', () => {
    // GIVEN
    const { stack, db } = newDatabase();
    const fn = new lambda.Function(stack, 'Outside', inlineFunctionProps());

    // WHEN / THEN
    expect(() => db.connectFunction(fn)).toThrow(/not in a VPC[\s\S]*`vpc: db\.vpc/);
  });

  test.each([
    [0, /connectionsPerInvocation[\s\S]*positive whole number, got: 0/],
    [1.5, /connectionsPerInvocation[\s\S]*positive whole number, got: 1\.5/],
    [-1, /connectionsPerInvocation[\s\S]*positive whole number, got: -1/],
  ])('connectionsPerInvocation %p', (connectionsPerInvocation, error) => {
    // GIVEN
    const { stack, vpc, db } = newDatabase();
    const fn = new lambda.Function(stack, 'Fn', { ...inlineFunctionProps(), vpc, securityGroups: [db.clientSecurityGroup] });

    // WHEN / THEN
    expect(() => db.connectFunction(fn, { connectionsPerInvocation })).toThrow(error);
  });

  test('the same function twice (with its own reserved concurrency), naming the duplicate allocation', () => {
    // GIVEN a function already connected
    const { stack, vpc, db } = newDatabase();
    const fn = new lambda.Function(stack, 'Fn', { ...inlineFunctionProps(), vpc, reservedConcurrentExecutions: 10 });
    db.connectFunction(fn);

    // WHEN / THEN
    expect(() => db.connectFunction(fn)).toThrow(/already has an allocation named 'Fn'/);
  });

  test('the same function twice (without reserved concurrency), naming the duplicate allocation', () => {
    // GIVEN a function already connected
    const { stack, vpc, db } = newDatabase();
    const fn = new lambda.Function(stack, 'Fn', { ...inlineFunctionProps(), vpc });
    db.connectFunction(fn);

    // WHEN / THEN
    expect(() => db.connectFunction(fn)).toThrow(/already has an allocation named 'Fn'/);
  });
});

describe('ServerlessDatabase.grantConnect', () => {
  test('grants rds-db:connect on the proxy dbuser ARN to any principal (without per-function users)', () => {
    // GIVEN
    const { stack, db } = newDatabase({ functionUsers: false });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });

    // WHEN
    db.grantConnect(role);

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(role) }],
      PolicyDocument: {
        Statement: [{
          Action: 'rds-db:connect',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': ['', Match.arrayWith([
              { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': [logicalIdOf(db.proxy), 'DBProxyArn'] }] }] },
              '/dbadmin',
            ])],
          },
        }],
      },
    });
  });
});

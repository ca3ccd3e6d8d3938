import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BudgetMonitoring, DatabaseEngineFamily, ExistingDatabase, ExistingDatabaseProps } from '../../lib';
import { inlineFunctionProps, newStack } from '../helpers';

const PROXY_ARN = 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0';

/** A stack with an imported proxy and security group, and the props of an existing PostgreSQL db.t4g.medium. */
function existing(overrides: Partial<ExistingDatabaseProps> = {}) {
  const { app, stack, vpc } = newStack();
  const proxySecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'ProxySg', 'sg-0123456789abcdef0');
  const proxy = rds.DatabaseProxy.fromDatabaseProxyAttributes(stack, 'Proxy', {
    dbProxyName: 'orders-proxy', dbProxyArn: PROXY_ARN, endpoint: 'orders-proxy.proxy-abc.eu-west-1.rds.amazonaws.com', securityGroups: [proxySecurityGroup],
  });
  const props: ExistingDatabaseProps = {
    vpc, engine: DatabaseEngineFamily.POSTGRESQL, instanceIdentifier: 'orders', maxConnections: 394,
    proxy, proxySecurityGroup, proxyMaxConnectionsPercent: 90, databaseName: 'app', username: 'app_user', ...overrides,
  };
  return { app, stack, vpc, props };
}

describe('functions wired to an existing instance and proxy', () => {
  let stack: Stack;
  let db: ExistingDatabase;
  let template: Template;

  beforeAll(() => {
    // GIVEN an existing database whose proxy may use 90% of 394 connections
    let props: ExistingDatabaseProps;
    ({ stack, props } = existing());
    db = new ExistingDatabase(stack, 'Orders', props);

    // WHEN two functions are wired and migrations reserve 5 direct connections
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    db.addFunction('Worker', { ...inlineFunctionProps(), connectionsPerInvocation: 2 });
    db.budget.reserve('Migrations', 5);
    template = Template.fromStack(stack);
  });

  test('the budget uses the declared max_connections and proxy percent', () => {
    const plan = db.budget.plan();
    expect(plan).toMatchObject({ maxConnections: 394, proxyMaxConnectionsPercent: 90, proxyConnectionLimit: 354, directConnections: 5, problems: [] });
    Annotations.fromStack(stack).hasInfo('/TestStack/Orders', Match.stringLikeRegexp('Connection budget of TestStack/Orders[\\s\\S]*maxConnections of the existing instance'));
  });

  test('functions get the proxy endpoint, their caps, the proxy login and a way in through the proxy security group', () => {
    const share = db.budget.concurrencyOf('Orders/Functions/Worker');
    expect(40 + 2 * share).toBeLessThanOrEqual(354);
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 40,
      Environment: { Variables: Match.objectLike({ SERVERLESS_RDS_HOST: 'orders-proxy.proxy-abc.eu-west-1.rds.amazonaws.com', SERVERLESS_RDS_PORT: '5432', SERVERLESS_RDS_USER: 'app_user', SERVERLESS_RDS_AUTH: 'iam' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: share, Environment: { Variables: Match.objectLike({ SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: '2' }) } });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0123456789abcdef0', IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersClientSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Action: 'rds-db:connect', Effect: 'Allow', Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }) }] },
    });
    const connect = JSON.stringify(Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find(p => JSON.stringify(p).includes('rds-db:connect')));
    expect(connect).toContain('prx-0123456789abcdef0/app_user');
  });

  test('the guard custom resource carries the declared budget', () => {
    const share = db.budget.concurrencyOf('Orders/Functions/Worker');
    template.hasResourceProperties('Custom::ConnectionBudgetGuard', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersGuardHandler'), 'Arn'] },
      DatabasePath: 'TestStack/Orders',
      InstanceIdentifier: 'orders',
      ProxyName: 'orders-proxy',
      Engine: 'POSTGRESQL',
      MaxConnections: '394',
      ProxyMaxConnectionsPercent: '90',
      ReservedConnections: '9',
      AdminHeadroom: '20',
      DirectConnections: '5',
      ProxyConnectionsNeeded: String(40 + 2 * share),
      ProxyHeadroomPercent: Match.stringLikeRegexp('^\\d+$'),
      BudgetTable: Match.stringLikeRegexp('^Connection budget of TestStack/Orders \\(PostgreSQL\\)[\\s\\S]*function Orders/Functions/Api'),
    });
  });

  test('the guard function: bundled handler, Node.js 24, one at a time, traced, logs encrypted', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler', Runtime: 'nodejs24.x', ReservedConcurrentExecutions: 1, MemorySize: 256, Timeout: 120,
      TracingConfig: { Mode: 'Active' },
      Description: Match.stringLikeRegexp('connection budget of TestStack/Orders fits'),
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^OrdersGuardLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersEncryptionKey'), 'Arn'] }, RetentionInDays: 365 });
  });

  test('the guard may only describe the instance, parameter groups and the proxy', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .find(p => JSON.stringify(p).includes('rds:DescribeDBInstances'))!;
    const statements = policy.Properties.PolicyDocument.Statement;
    const rdsArn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:eu-west-1:123456789012:${suffix}`]] });
    expect(statements).toEqual(expect.arrayContaining([
      { Action: 'rds:DescribeDBInstances', Effect: 'Allow', Resource: rdsArn('db:orders') },
      { Action: 'rds:DescribeDBParameters', Effect: 'Allow', Resource: rdsArn('pg:*') },
      { Action: ['rds:DescribeDBProxyTargetGroups', 'rds:DescribeDBProxyTargets'], Effect: 'Allow', Resource: [PROXY_ARN, rdsArn('target-group:*')] },
    ]));
    expect(JSON.stringify(statements)).not.toMatch(/rds:\*|rds:Modify|rds:Delete/);
  });

  test('wired functions are deployed after the guard has passed', () => {
    const guardId = Object.keys(template.findResources('Custom::ConnectionBudgetGuard'))[0];
    const wired = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter(f => f.Properties.Environment?.Variables?.SERVERLESS_RDS_HOST);
    expect(wired).toHaveLength(2);
    for (const fn of wired) {
      expect(fn.DependsOn).toContain(guardId);
    }
  });

  test('BudgetMonitoring.forExistingDatabase watches the existing instance and proxy', () => {
    const { stack: other, props } = existing();
    const orders = new ExistingDatabase(other, 'Orders', props);
    orders.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40 });
    BudgetMonitoring.forExistingDatabase(orders);
    const t = Template.fromStack(other);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ClientConnections', Dimensions: [{ Name: 'ProxyName', Value: 'orders-proxy' }], Threshold: 40 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders' }] }) }) })]) });
  });
});

describe('existing database options and errors', () => {
  test('without the guard there is no custom resource and no dependency', () => {
    const { stack, props } = existing({ deployTimeGuard: false });
    const db = new ExistingDatabase(stack, 'Orders', props);
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::ConnectionBudgetGuard', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(db.guard).toBeUndefined();
  });

  test('secret authentication: the secret ARN reaches functions, which may read it', () => {
    const { stack, props } = existing({ iamAuthentication: false });
    const key = kms.Key.fromKeyArn(stack, 'SecretKey', 'arn:aws:kms:eu-west-1:123456789012:key/abc');
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf');
    const db = new ExistingDatabase(stack, 'Orders', { ...props, iamAuthentication: false, secret, secretEncryptionKey: key, engine: DatabaseEngineFamily.MYSQL });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SERVERLESS_RDS_AUTH: 'secret', SERVERLESS_RDS_ENGINE: 'mysql', SERVERLESS_RDS_PORT: '3306', SERVERLESS_RDS_SECRET_ARN: secret.secretArn }) },
    });
    template.hasResourceProperties('Custom::ConnectionBudgetGuard', { Engine: 'MYSQL', ReservedConnections: '3' });
  });

  test('a declared proxy percent that takes the admin slots is an over-committed budget at synth', () => {
    const { app, stack, props } = existing({ proxyMaxConnectionsPercent: 100 });
    new ExistingDatabase(stack, 'Orders', props).addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    expect(() => app.synth()).toThrow(/TestStack\/Orders[\s\S]*over-committed[\s\S]*proxyMaxConnectionsPercent 100/);
  });

  test.each<[string, Partial<ExistingDatabaseProps>, RegExp]>([
    ['maxConnections 0', { maxConnections: 0 }, /TestStack\/Orders: `maxConnections` must be a positive whole number, got: 0/],
    ['percent 101', { proxyMaxConnectionsPercent: 101 }, /TestStack\/Orders: `proxyMaxConnectionsPercent` must be a whole number between 1 and 100, got: 101/],
    ['empty identifier', { instanceIdentifier: '' }, /TestStack\/Orders: `instanceIdentifier` must not be empty/],
    ['empty user', { username: ' ' }, /`username` must not be empty/],
    ['port 70000', { port: 70000 }, /`port` must be a whole number between 1 and 65535/],
    ['secret mode without a secret', { iamAuthentication: false }, /`secret` and `secretEncryptionKey` are required when `iamAuthentication` is false/],
  ])('rejects %s', (_name, overrides, message) => {
    const { stack, props } = existing(overrides);
    expect(() => new ExistingDatabase(stack, 'Orders', props)).toThrow(message);
  });

  test('connectFunction wires a function built in the VPC and orders it after the guard', () => {
    const { stack, props, vpc } = existing();
    const db = new ExistingDatabase(stack, 'Orders', props);
    const fn = new lambda.Function(stack, 'Own', {
      ...inlineFunctionProps(), vpc, vpcSubnets: db.functionSubnets, securityGroups: [db.clientSecurityGroup], reservedConcurrentExecutions: 5,
    });
    db.connectFunction(fn);
    expect(db.budget.plan().allocations.map(a => a.name)).toEqual(['Own']);
    const template = Template.fromStack(stack);
    const own = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('Own'))!;
    expect(own[1].DependsOn).toContain(Object.keys(template.findResources('Custom::ConnectionBudgetGuard'))[0]);
  });
});


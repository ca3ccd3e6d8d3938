import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { logicalIdOf, resourceOf, TemplateResource } from './function-test-utils';
import { userLoginPolicyRef } from '../database/template-helpers';
import { ServerlessDatabase } from '../../lib';
import { FIXTURE_HANDLER, inlineFunctionProps, newDatabase, POSTGRES_17, T4G_MEDIUM } from '../helpers';

/** The variables every function wired to `newDatabase()`'s database receives. */
function expectedDatabaseEnvironment(stack: Stack, db: ServerlessDatabase, connectionsPerInvocation: string, user: string): Record<string, unknown> {
  return {
    SERVERLESS_RDS_ENGINE: 'postgresql',
    SERVERLESS_RDS_HOST: stack.resolve(db.proxy.endpoint),
    SERVERLESS_RDS_PORT: '5432',
    SERVERLESS_RDS_DATABASE: 'app',
    // Each function logs in as its own database user (per-function users, on by default).
    SERVERLESS_RDS_USER: user,
    SERVERLESS_RDS_REGION: 'eu-west-1',
    SERVERLESS_RDS_AUTH: 'iam',
    SERVERLESS_RDS_CONNECTIONS_PER_INVOCATION: connectionsPerInvocation,
  };
}

describe('ServerlessDatabase.addFunction', () => {
  let stack: Stack;
  let vpc: ec2.Vpc;
  let db: ServerlessDatabase;
  let template: Template;
  let api: lambda.Function;
  let worker: lambda.Function;
  let traced: lambda.Function[];
  let passThrough: lambda.Function;
  let withExtraGroup: lambda.Function;
  let extraGroup: ec2.SecurityGroup;
  let python: lambda.Function;
  let ownRole: iam.Role;
  let withOwnRole: lambda.Function;

  beforeAll(() => {
    // GIVEN a PostgreSQL database in a VPC with public, private-with-egress and isolated subnets
    ({ stack, vpc, db } = newDatabase());
    extraGroup = new ec2.SecurityGroup(stack, 'ExtraGroup', { vpc });
    ownRole = new iam.Role(stack, 'OwnRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN functions of every flavour are added to it
    api = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 40, environment: { APP_MODE: 'test' } });
    worker = db.addFunction('Worker', { ...inlineFunctionProps(), connectionsPerInvocation: 3 });
    traced = [
      db.addFunction('Traced1', { ...inlineFunctionProps(), tracing: lambda.Tracing.ACTIVE }),
      db.addFunction('Traced2', { ...inlineFunctionProps(), tracing: lambda.Tracing.ACTIVE }),
    ];
    passThrough = db.addFunction('PassThrough', { ...inlineFunctionProps(), tracing: lambda.Tracing.PASS_THROUGH });
    withExtraGroup = db.addFunction('ExtraGroup', { ...inlineFunctionProps(), securityGroups: [extraGroup] });
    python = db.addFunction('Python', {
      runtime: lambda.Runtime.PYTHON_3_13,
      handler: 'index.handler',
      code: lambda.Code.fromInline('def handler(event, context):\n    return 1\n'),
    });
    withOwnRole = db.addFunction('OwnRole', { ...inlineFunctionProps(), role: ownRole });
    template = Template.fromStack(stack);
  });

  const fnResource = (fn: lambda.Function): TemplateResource => resourceOf(template, fn);

  test('places the function in the private-with-egress subnets of the VPC by default', () => {
    // THEN
    const expected = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds.map(id => stack.resolve(id));
    expect(expected).toHaveLength(2);
    expect(fnResource(api).Properties.VpcConfig.SubnetIds).toEqual(expected);
  });

  test('gives the function the shared client security group', () => {
    // THEN
    expect(fnResource(api).Properties.VpcConfig.SecurityGroupIds).toEqual([stack.resolve(db.clientSecurityGroup.securityGroupId)]);
  });

  test('puts user-supplied security groups after the client security group', () => {
    // THEN
    expect(fnResource(withExtraGroup).Properties.VpcConfig.SecurityGroupIds).toEqual([
      stack.resolve(db.clientSecurityGroup.securityGroupId),
      stack.resolve(extraGroup.securityGroupId),
    ]);
  });

  test('keeps an explicit reservedConcurrentExecutions', () => {
    // THEN
    expect(fnResource(api).Properties.ReservedConcurrentExecutions).toBe(40);
  });

  test('sends the logs to the shared FunctionLogs log group', () => {
    // THEN
    expect(fnResource(api).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logicalIdOf(db.functionLogGroup) } });
    expect(logicalIdOf(db.functionLogGroup)).toMatch(/^DbFunctionLogs/);
  });

  test('sets the database environment variables and keeps the user variables', () => {
    // THEN
    expect(stack.resolve(db.proxy.endpoint)).toEqual({ 'Fn::GetAtt': [logicalIdOf(db.proxy), 'Endpoint'] });
    expect(fnResource(api).Properties.Environment.Variables).toEqual({
      APP_MODE: 'test',
      ...expectedDatabaseEnvironment(stack, db, '1', 'api'),
    });
  });

  test('writes the given connectionsPerInvocation to the environment', () => {
    // THEN
    expect(fnResource(worker).Properties.Environment.Variables).toEqual(expectedDatabaseEnvironment(stack, db, '3', 'worker'));
  });

  test('creates a role carrying only the FunctionPolicy and the login policy of its own user (customer-managed)', () => {
    // THEN
    const role = resourceOf(template, api.role!);
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.ManagedPolicyArns).toEqual([
      { Ref: logicalIdOf(db.functionPolicy) },
      userLoginPolicyRef(template, 'api'),
    ]);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).not.toMatch(/aws:policy/);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(fnResource(api).Properties.Role).toEqual({ 'Fn::GetAtt': [logicalIdOf(api.role!), 'Arn'] });
  });

  test('creates no inline AWS::IAM::Policy for any wired function', () => {
    // THEN
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('FunctionPolicy allows the network interface actions on * and writing to the shared log group', () => {
    // THEN
    const policy = resourceOf(template, db.functionPolicy);
    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Effect: 'Allow',
        Resource: '*',
      },
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdOf(db.functionLogGroup), 'Arn'] },
      },
    ]);
  });

  test('ConnectPolicy allows rds-db:connect on the dbuser ARN built from the proxy ARN', () => {
    // THEN
    const policy = resourceOf(template, db.connectPolicy);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Action: 'rds-db:connect',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':rds-db:eu-west-1:123456789012:dbuser:',
          { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': [logicalIdOf(db.proxy), 'DBProxyArn'] }] }] },
          '/dbadmin',
        ]],
      },
    }]);
  });

  test('Tracing.ACTIVE sets mode Active and attaches one shared TracingPolicy to every traced function', () => {
    // THEN
    const tracingPolicies = template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Description: Match.stringLikeRegexp('^X-Ray tracing') },
    });
    const tracingPolicyIds = Object.keys(tracingPolicies);
    expect(tracingPolicyIds).toHaveLength(1);
    expect(tracingPolicies[tracingPolicyIds[0]].Properties.PolicyDocument.Statement).toEqual([
      { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
    ]);
    for (const fn of traced) {
      expect(fnResource(fn).Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(resourceOf(template, fn.role!).Properties.ManagedPolicyArns).toEqual([
        { Ref: logicalIdOf(db.functionPolicy) },
        { Ref: tracingPolicyIds[0] },
        userLoginPolicyRef(template, fn.node.id.toLowerCase()),
      ]);
    }
  });

  test('functions without tracing get no TracingConfig and no TracingPolicy', () => {
    // THEN
    expect(fnResource(api).Properties.TracingConfig).toBeUndefined();
    expect(resourceOf(template, api.role!).Properties.ManagedPolicyArns).toHaveLength(2);
  });

  test('Tracing.PASS_THROUGH sets mode PassThrough without the TracingPolicy', () => {
    // THEN
    expect(fnResource(passThrough).Properties.TracingConfig).toEqual({ Mode: 'PassThrough' });
    expect(resourceOf(template, passThrough.role!).Properties.ManagedPolicyArns).toHaveLength(2);
  });

  test('wires a Python function the same way', () => {
    // THEN
    const props = fnResource(python).Properties;
    expect(props.Runtime).toBe('python3.13');
    expect(props.VpcConfig.SecurityGroupIds).toEqual([stack.resolve(db.clientSecurityGroup.securityGroupId)]);
    expect(props.Environment.Variables).toEqual(expectedDatabaseEnvironment(stack, db, '1', 'python'));
    expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: logicalIdOf(db.functionLogGroup) } });
  });

  test('a user-supplied role is used and given the FunctionPolicy and its user\'s login policy', () => {
    // THEN
    expect(withOwnRole.role).toBe(ownRole);
    expect(fnResource(withOwnRole).Properties.Role).toEqual({ 'Fn::GetAtt': [logicalIdOf(ownRole), 'Arn'] });
    expect(resourceOf(template, ownRole).Properties.ManagedPolicyArns).toEqual([
      { Ref: logicalIdOf(db.functionPolicy) },
      userLoginPolicyRef(template, 'ownrole'),
    ]);
    expect(db.node.findChild('FunctionRoles').node.tryFindChild('OwnRole')).toBeUndefined();
  });
});

describe('ServerlessDatabase.addFunction with a user-supplied log group', () => {
  test('logs to that log group and lets the role write to it', () => {
    // GIVEN
    const { stack, db } = newDatabase();
    const ownLogs = new logs.LogGroup(stack, 'OwnLogs');

    // WHEN
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), logGroup: ownLogs });

    // THEN
    const template = Template.fromStack(stack);
    expect(resourceOf(template, fn).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logicalIdOf(ownLogs) } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(fn.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalIdOf(ownLogs), 'Arn'] },
        }]),
      },
    });
    expect(resourceOf(template, fn.role!).Properties.ManagedPolicyArns).toEqual([
      { Ref: logicalIdOf(db.functionPolicy) },
      userLoginPolicyRef(template, 'api'),
    ]);
  });
});

describe('ServerlessDatabase.addFunction with logRetention', () => {
  test('is rejected, naming `logGroup`, since the role could not write to the function log group', () => {
    // GIVEN
    const { db } = newDatabase();

    // WHEN / THEN
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), logRetention: logs.RetentionDays.ONE_WEEK })).toThrow(/`logGroup`/);
  });
});

describe('ServerlessDatabase.addFunction in a VPC with isolated subnets only', () => {
  test('places the function in the isolated subnets', () => {
    // GIVEN a VPC without NAT or public subnets
    const app = new App();
    const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    // the rotation function, in the same isolated subnets, reaches Secrets Manager through an endpoint
    const secretsManagerEndpoint = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    const db = new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, secretsManagerEndpoint });

    // WHEN
    const fn = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });

    // THEN
    const template = Template.fromStack(stack);
    const isolated = vpc.isolatedSubnets.map(s => stack.resolve(s.subnetId));
    expect(isolated).toHaveLength(2);
    expect(resourceOf(template, fn).Properties.VpcConfig.SubnetIds).toEqual(isolated);
  });
});

describe('ServerlessDatabase.addNodejsFunction', () => {
  let stack: Stack;
  let db: ServerlessDatabase;
  let template: Template;
  let annotations: Annotations;
  let current: lambda.Function;

  beforeAll(() => {
    // GIVEN
    ({ stack, db } = newDatabase());

    // WHEN Node.js functions are bundled (local esbuild) with the default, a current and an old runtime
    current = db.addNodejsFunction('Api', { entry: FIXTURE_HANDLER, reservedConcurrentExecutions: 20 });
    db.addNodejsFunction('Node22', { entry: FIXTURE_HANDLER, runtime: lambda.Runtime.NODEJS_22_X });
    db.addNodejsFunction('Old', { entry: FIXTURE_HANDLER, runtime: lambda.Runtime.NODEJS_20_X });
    template = Template.fromStack(stack);
    annotations = Annotations.fromStack(stack);
  });

  test('defaults to the nodejs24.x runtime', () => {
    // THEN
    expect(resourceOf(template, current).Properties.Runtime).toBe('nodejs24.x');
  });

  test('is wired like addFunction: subnets, client security group, log group, environment, role', () => {
    // THEN
    const props = resourceOf(template, current).Properties;
    expect(props.ReservedConcurrentExecutions).toBe(20);
    expect(props.VpcConfig.SecurityGroupIds).toEqual([stack.resolve(db.clientSecurityGroup.securityGroupId)]);
    expect(props.VpcConfig.SubnetIds).toEqual(
      db.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds.map(id => stack.resolve(id)),
    );
    expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: logicalIdOf(db.functionLogGroup) } });
    expect(props.Environment.Variables).toEqual(expect.objectContaining(expectedDatabaseEnvironment(stack, db, '1', 'api')));
    expect(resourceOf(template, current.role!).Properties.ManagedPolicyArns).toEqual([
      { Ref: logicalIdOf(db.functionPolicy) },
      userLoginPolicyRef(template, 'api'),
    ]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('warns with cdk-serverless-rds:oldNodeRuntime on a runtime older than Node.js 22', () => {
    // THEN
    annotations.hasWarning('/TestStack/Db/Functions/Old', Match.stringLikeRegexp('cdk-serverless-rds:oldNodeRuntime'));
    annotations.hasWarning('/TestStack/Db/Functions/Old', Match.stringLikeRegexp('nodejs20\\.x'));
  });

  test.each(['Api', 'Node22'])('does not warn about the runtime of %s (Node.js 22 or newer)', id => {
    // THEN
    annotations.hasNoWarning(`/TestStack/Db/Functions/${id}`, Match.stringLikeRegexp('oldNodeRuntime'));
  });
});

describe('ServerlessDatabase.addFunction with IAM authentication turned off', () => {
  test('passes the function\'s own user secret, which alone its role may read (never the master secret)', () => {
    // GIVEN
    const { stack, db } = newDatabase({ iamAuthentication: false });

    // WHEN
    const fn = db.addFunction('Api', inlineFunctionProps());

    // THEN
    const template = Template.fromStack(stack);
    const variables = resourceOf(template, fn).Properties.Environment.Variables;
    expect(variables.SERVERLESS_RDS_AUTH).toBe('secret');
    expect(variables.SERVERLESS_RDS_USER).toBe('api');
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret', { Properties: { Description: Match.stringLikeRegexp('database user api ') } }));
    expect(variables.SERVERLESS_RDS_SECRET_ARN).toEqual({ Ref: secretId });
    expect(variables.SERVERLESS_RDS_SECRET_ARN).not.toEqual(stack.resolve(db.secret.secretArn));
    const policy = userLoginPolicyRef(template, 'api');
    const statements = template.findResources('AWS::IAM::ManagedPolicy')[policy.Ref].Properties.PolicyDocument.Statement;
    // Only the users' secrets, and of those only the one tagged with the role's own user.
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: [{ Ref: secretId }] });
    const [[resourceTag, principalTag]] = Object.entries(statements[0].Condition.StringEquals);
    expect(resourceTag).toMatch(/^aws:ResourceTag\/serverless-rds-user-/);
    expect(principalTag).toBe(`\${aws:PrincipalTag/${resourceTag.slice('aws:ResourceTag/'.length)}}`);
    expect(statements[1]).toMatchObject({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:EncryptionContext:SecretARN': [{ Ref: secretId }] } } });
    expect(resourceOf(template, fn.role!).Properties.ManagedPolicyArns).toEqual([{ Ref: logicalIdOf(db.functionPolicy) }, policy]);
  });
});

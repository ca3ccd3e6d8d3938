import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { groupIdRef, logicalIdOf, rulesOf } from './template-helpers';
import { acknowledgeDemoDecisions, applyCompliancePacks } from '../../bin/compliance';
import { IsolatedVpc } from '../../bin/isolated-vpc';
import { Pooler, ServerlessDatabase } from '../../lib';
import { acknowledgments, synthesizeWithFindings } from '../compliance-report';
import { inlineFunctionProps, MYSQL_8_0, newDatabase, POSTGRES_17, T4G_MEDIUM } from '../helpers';

const ROOT = path.join(__dirname, '..', '..');

beforeAll(() => {
  // The construct ships the handler bundled at package build; build it if this checkout has not yet.
  if (!fs.existsSync(path.join(ROOT, 'lib', 'handlers', 'database-users', 'bundle', 'index.js'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-handlers.js')], { stdio: 'ignore' });
  }
});

/** `arn:<partition>:rds-db:eu-west-1:123456789012:dbuser:<prefix>/<user>` as the template writes it. */
function dbUserArn(prefix: unknown, user: string) {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:', prefix, `/${user}`]] };
}
const proxyId = (db: ServerlessDatabase) => ({ 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': [logicalIdOf(db.proxy), 'DBProxyArn'] }] }] });
const instanceResourceId = (db: ServerlessDatabase) => ({ 'Fn::GetAtt': [logicalIdOf(db.instance), 'DbiResourceId'] });

/** Every statement that reaches a role: its managed policies (by Ref) and inline policies. */
function statementsOfRole(template: Template, roleLogicalId: string): any[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  const managed = template.findResources('AWS::IAM::ManagedPolicy');
  const statements: any[] = [];
  for (const arn of role.Properties.ManagedPolicyArns ?? []) {
    if (arn.Ref) {
      statements.push(...managed[arn.Ref].Properties.PolicyDocument.Statement);
    } else {
      // Only the role lambda.Function made for the user's own function carries AWS managed policies (logs, VPC).
      expect(JSON.stringify(arn)).toMatch(/:iam::aws:policy\/service-role\/AWSLambda(BasicExecutionRole|VPCAccessExecutionRole)"/);
    }
  }
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (JSON.stringify(policy.Properties.Roles ?? []).includes(`"${roleLogicalId}"`)) statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  return statements;
}

/** The one custom resource holding every user of the database. */
const usersResource = (template: Template): [string, any] => {
  const found = Object.entries(template.findResources('Custom::DatabaseUsers'));
  expect(found).toHaveLength(1);
  return found[0];
};
const userResources = (template: Template) => {
  const [logicalId, resource] = usersResource(template);
  return resource.Properties.Users.map((user: any) => [logicalId, user] as [string, any]);
};
/** One user's entry, with the properties its resource shares with the other users. */
const userNamed = (template: Template, name: string) => {
  const [logicalId, resource] = usersResource(template);
  const found = resource.Properties.Users.filter((u: any) => u.UserName === name);
  expect(found).toHaveLength(1);
  const { Users: _users, ServiceToken: _token, ...common } = resource.Properties;
  return { logicalId, resource: { Properties: { ...common, ...found[0] } } };
};
/** The principal tag of a role, as the template writes it. */
const tagOf = (template: Template, roleLogicalId: string, key: string) =>
  (template.findResources('AWS::IAM::Role')[roleLogicalId].Properties.Tags ?? []).find((t: any) => t.Key === key)?.Value;

describe('functionUsers on PostgreSQL: one least-privilege user per function', () => {
  let stack: Stack;
  let db: ServerlessDatabase;
  let template: Template;
  let fns: Record<string, lambda.Function>;

  beforeAll(() => {
    ({ stack, db } = newDatabase({ functionUsers: true }));
    const api = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 20 });
    const report = db.addFunction('Report', {
      ...inlineFunctionProps(), reservedConcurrentExecutions: 5, connectionsPerInvocation: 2,
      databaseUser: { userName: 'reports', readOnlySchemas: ['sales'] },
    });
    const nightly = db.addFunction('Nightly', {
      ...inlineFunctionProps(), reservedConcurrentExecutions: 3, databaseUser: { userName: 'reports', readOnlySchemas: ['sales'] },
    });
    const byo = new lambda.Function(stack, 'Byo', {
      ...inlineFunctionProps(), vpc: db.vpc, vpcSubnets: db.functionSubnets, securityGroups: [db.clientSecurityGroup], reservedConcurrentExecutions: 4,
    });
    db.connectFunction(byo, { databaseUser: { privileges: [{ privileges: ['select', 'INSERT'], schema: 'sales', table: 'orders' }] } });
    fns = { api, report, nightly, byo };
    template = Template.fromStack(stack);
  });

  test('one Custom::DatabaseUsers lists a user per function (or shared name), its connection limit the sum of its functions\' budget allocations', () => {
    expect(userResources(template).map(([, u]: [string, any]) => u.UserName).sort()).toEqual(['api', 'byo', 'reports']);
    const common = {
      Engine: 'postgresql', Port: '5432', Database: 'app',
      Host: { 'Fn::GetAtt': [logicalIdOf(db.instance), 'Endpoint.Address'] },
      MasterSecretArn: { Ref: logicalIdOf(db.secret) },
    };
    expect(userNamed(template, 'api').resource.Properties).toMatchObject({
      ...common, ConnectionLimit: '20', ReadOnlySchemas: [], ReadWriteSchemas: ['public'], Privileges: [],
    });
    // Shared by Report (5 x 2) and Nightly (3 x 1).
    expect(userNamed(template, 'reports').resource.Properties).toMatchObject({
      ...common, ConnectionLimit: '13', ReadOnlySchemas: ['sales'], ReadWriteSchemas: [], Privileges: [],
    });
    expect(userNamed(template, 'byo').resource.Properties).toMatchObject({
      ...common, ConnectionLimit: '4', ReadOnlySchemas: [], ReadWriteSchemas: [],
      Privileges: [{ Privileges: ['SELECT', 'INSERT'], Schema: 'sales', Table: 'orders' }],
    });
    const plan = db.budget.plan();
    expect(plan.allocations.filter(a => a.kind === 'FUNCTION').map(a => a.connections).reduce((a, b) => a + b)).toBe(20 + 13 + 4);
  });

  test('each function logs in as its own user (SERVERLESS_RDS_USER) and is deployed after the users', () => {
    const expected: Record<string, string> = { api: 'api', report: 'reports', nightly: 'reports', byo: 'byo' };
    const [usersId, users] = usersResource(template);
    // Created only once the security group rules on both sides exist.
    const groups = users.DependsOn.filter((d: string) => template.findResources('AWS::EC2::SecurityGroup')[d]);
    expect(groups.sort()).toEqual([logicalIdOf(db.instance.connections.securityGroups[0]), expect.stringMatching(/^DbUsersSecurityGroup/)].sort());
    for (const [key, fn] of Object.entries(fns)) {
      const resource = template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)];
      expect(resource.Properties.Environment.Variables.SERVERLESS_RDS_USER).toBe(expected[key]);
      expect(resource.DependsOn).toEqual(expect.arrayContaining([usersId]));
    }
  });

  test('rds-db:connect is scoped to the function\'s own user on the proxy (its role\'s tag); no function can read the master secret', () => {
    const expected: Record<string, string> = { api: 'api', report: 'reports', nightly: 'reports', byo: 'byo' };
    const shared = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => /^DbUsersLoginPolicy/.test(id));
    expect(shared).toHaveLength(1);
    const tagKey = /tag (serverless-rds-user-[0-9a-f]{8})/.exec(shared[0][1].Properties.Description)![1];
    for (const [key, fn] of Object.entries(fns)) {
      const roleId = logicalIdOf(fn.role!);
      expect(tagOf(template, roleId, tagKey)).toBe(expected[key]);
      const statements = statementsOfRole(template, roleId);
      const connect = statements.filter(st => JSON.stringify(st.Action).includes('rds-db'));
      expect(connect).toEqual([{ Effect: 'Allow', Action: 'rds-db:connect', Resource: dbUserArn(proxyId(db), `\${aws:PrincipalTag/${tagKey}}`) }]);
      const text = JSON.stringify(statements);
      expect(text).not.toContain('secretsmanager:');
      expect(text).not.toContain('kms:Decrypt');
      expect(text).not.toContain(logicalIdOf(db.secret));
    }
    // The shared policy naming the master user is attached to no role.
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain(`"${logicalIdOf(db.connectPolicy)}"`);
  });

  test('a role shared by functions with different users gets a policy naming each user', () => {
    const { stack: s, db: d } = newDatabase();
    const role = new iam.Role(s, 'SharedRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    d.addFunction('First', { ...inlineFunctionProps(), role });
    d.addFunction('Second', { ...inlineFunctionProps(), role });
    const t = Template.fromStack(s);
    const statements = statementsOfRole(t, logicalIdOf(role));
    const resources = statements.filter(st => st.Action === 'rds-db:connect').map(st => JSON.stringify(st.Resource));
    expect(resources).toHaveLength(2);
    expect(resources[0]).toContain('PrincipalTag');
    expect(resources[1]).toContain('/second"');
  });

  test('the proxy uses end-to-end IAM: no secret, and logs in to the instance only as the function users', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', { DefaultAuthScheme: 'IAM_AUTH', Auth: Match.absent(), RequireTLS: true });
    const proxy = Object.values(template.findResources('AWS::RDS::DBProxy'))[0];
    const statements = statementsOfRole(template, proxy.Properties.RoleArn['Fn::GetAtt'][0]);
    expect(statements).toEqual(['api', 'reports', 'byo'].map(user => ({
      Effect: 'Allow', Action: 'rds-db:connect', Resource: dbUserArn(instanceResourceId(db), user),
    })));
  });

  test('the handler runs in the VPC with its own security group, reaching only the instance and HTTPS', () => {
    const handlers = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, f]) => f.Properties.Handler === 'index.handler' && f.Properties.Description?.startsWith('Creates, updates and drops'));
    expect(handlers).toHaveLength(1);
    const [, handler] = handlers[0];
    expect(handler.Properties.Runtime).toBe('nodejs24.x');
    expect(handler.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const subnets = stack.resolve(db.vpc.selectSubnets(db.functionSubnets).subnetIds);
    expect(handler.Properties.VpcConfig.SubnetIds).toEqual(subnets);
    const [groupRef] = handler.Properties.VpcConfig.SecurityGroupIds;
    const group = groupRef['Fn::GetAtt'][0];
    const databaseGroup = logicalIdOf(db.instance.connections.securityGroups[0]);
    expect(rulesOf(template, group, 'egress')).toEqual(expect.arrayContaining([
      { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: databaseGroup, cidr: undefined },
      { protocol: 'tcp', fromPort: 443, toPort: 443, peerGroup: undefined, cidr: '0.0.0.0/0' },
    ]));
    expect(rulesOf(template, group, 'egress')).toHaveLength(2);
    expect(rulesOf(template, databaseGroup, 'ingress')).toContainEqual({ protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: group, cidr: undefined });
    expect(groupRef).toEqual(groupIdRef(group));
  });

  test('the handler role reads the master secret and decrypts through Secrets Manager only; no AWS managed policy anywhere', () => {
    const handler = Object.values(template.findResources('AWS::Lambda::Function'))
      .find(f => f.Properties.Description?.startsWith('Creates, updates and drops'))!;
    const statements = statementsOfRole(template, handler.Properties.Role['Fn::GetAtt'][0]);
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalIdOf(db.secret) } },
      {
        Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalIdOf(db.encryptionKey), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } } },
      },
    ]));
    const wildcards = statements.filter(s => s.Resource === '*').flatMap(s => s.Action);
    expect(wildcards.every((a: string) => /^ec2:.*NetworkInterface|^ec2:.*PrivateIpAddresses|^ec2:DescribeSubnets|^xray:/.test(a))).toBe(true);
    const libraryRoles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => id !== logicalIdOf(fns.byo.role!));
    expect(JSON.stringify(libraryRoles)).not.toContain(':iam::aws:policy/');
  });

  test('the Provider framework may invoke the handler and nothing else', () => {
    const framework = Object.values(template.findResources('AWS::Lambda::Function'))
      .find(f => String(f.Properties.Description).startsWith('AWS CDK resource provider framework'))!;
    const statements = statementsOfRole(template, framework.Properties.Role['Fn::GetAtt'][0]);
    const lambdaActions = statements.filter(s => JSON.stringify(s.Action).includes('lambda:'));
    expect(lambdaActions).toHaveLength(1);
    expect(lambdaActions[0].Action).toEqual(['lambda:InvokeFunction', 'lambda:GetFunction']);
    expect(JSON.stringify(lambdaActions[0].Resource)).toMatch(/^\{"Fn::GetAtt":\["DbUsersHandler[0-9A-F]+","Arn"\]\}$/);
    expect(JSON.stringify(statements)).not.toContain('secretsmanager:');
  });

  test('the budget table and its artifact show the user of each function', () => {
    const info = Annotations.fromStack(stack).findInfo('/TestStack/Db', Match.stringLikeRegexp('database user'));
    expect(info).toHaveLength(1);
    const text = String(info[0].entry.data);
    expect(text).toMatch(/api\s+IAM\s+20\s+Db\/Functions\/Api/);
    expect(text).toMatch(/reports\s+IAM\s+13\s+Db\/Functions\/Report, Db\/Functions\/Nightly/);
    expect(text).toMatch(/byo\s+IAM\s+4\s+Byo/);
    expect(db.budget.plan().problems).toEqual([]);
  });
});

describe('functionUsers in secret mode (iamAuthentication false): a rotated secret per user, registered on the proxy', () => {
  let stack: Stack;
  let db: ServerlessDatabase;
  let template: Template;
  let api: lambda.Function;
  let worker: lambda.Function;
  const secretOf = (user: string) => {
    const found = Object.keys(template.findResources('AWS::SecretsManager::Secret', { Properties: { Description: Match.stringLikeRegexp(`^Login of database user ${user} `) } }));
    expect(found).toHaveLength(1);
    return found[0];
  };

  beforeAll(() => {
    ({ stack, db } = newDatabase({ iamAuthentication: false }));
    api = db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    worker = db.addFunction('Worker', { ...inlineFunctionProps(), reservedConcurrentExecutions: 3, databaseUser: { readOnlySchemas: ['sales'] } });
    template = Template.fromStack(stack);
  });

  test('each user has its own generated secret (KMS, RDS format, no password in the template) and its resource names it', () => {
    for (const user of ['api', 'worker']) {
      const secret = template.findResources('AWS::SecretsManager::Secret')[secretOf(user)];
      expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(db.encryptionKey), 'Arn'] });
      expect(secret.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'password', PasswordLength: 32 });
      const templateText = JSON.stringify(secret.Properties.GenerateSecretString.SecretStringTemplate);
      for (const field of ['engine', 'host', 'port', 'dbname', 'username', 'masterarn']) expect(templateText).toContain(`\\"${field}\\"`);
      expect(templateText).not.toContain('password');
      expect(userNamed(template, user).resource.Properties.PasswordSecretArn).toEqual({ Ref: secretOf(user) });
    }
  });

  test('the proxy lists exactly the users\' secrets, with passwords and no IAM; its role reads only those', () => {
    const proxy = Object.values(template.findResources('AWS::RDS::DBProxy'))[0];
    expect(proxy.Properties.DefaultAuthScheme).toBeUndefined();
    expect(proxy.Properties.RequireTLS).toBe(true);
    expect(proxy.Properties.Auth).toEqual(['api', 'worker'].map(user => ({ AuthScheme: 'SECRETS', IAMAuth: 'DISABLED', SecretArn: { Ref: secretOf(user) } })));
    const statements = statementsOfRole(template, proxy.Properties.RoleArn['Fn::GetAtt'][0]);
    expect(statements[0]).toEqual({
      Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: [{ Ref: secretOf('api') }, { Ref: secretOf('worker') }],
    });
    expect(JSON.stringify(statements)).not.toContain(logicalIdOf(db.secret));
  });

  test('each function reads only its own user\'s secret (tag-matched), decrypting only users\' secrets; none can read the master secret', () => {
    const [sharedId, shared] = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).find(([id]) => /^DbUsersSecretLoginPolicy/.test(id))!;
    const tagKey = /tag (serverless-rds-user-[0-9a-f]{8})/.exec(shared.Properties.Description)![1];
    expect(shared.Properties.PolicyDocument.Statement[0]).toEqual({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: [{ Ref: secretOf('api') }, { Ref: secretOf('worker') }],
      // The role's tag names its user; each user's secret carries the same tag.
      Condition: { StringEquals: { [`aws:ResourceTag/${tagKey}`]: `\${aws:PrincipalTag/${tagKey}}` } },
    });
    expect(shared.Properties.PolicyDocument.Statement[1].Condition.StringEquals['kms:EncryptionContext:SecretARN'])
      .toEqual([{ Ref: secretOf('api') }, { Ref: secretOf('worker') }]);
    for (const [fn, user] of [[api, 'api'], [worker, 'worker']] as const) {
      const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)].Properties.Environment.Variables;
      expect(variables).toMatchObject({ SERVERLESS_RDS_AUTH: 'secret', SERVERLESS_RDS_USER: user, SERVERLESS_RDS_SECRET_ARN: { Ref: secretOf(user) } });
      expect(tagOf(template, logicalIdOf(fn.role!), tagKey)).toBe(user);
      const secret = template.findResources('AWS::SecretsManager::Secret')[secretOf(user)];
      expect(secret.Properties.Tags).toContainEqual({ Key: tagKey, Value: user });
      const roleText = JSON.stringify(template.findResources('AWS::IAM::Role')[logicalIdOf(fn.role!)].Properties.ManagedPolicyArns);
      expect(roleText).toContain(sharedId);
      const statements = statementsOfRole(template, logicalIdOf(fn.role!));
      expect(JSON.stringify(statements)).not.toContain(logicalIdOf(db.secret));
      expect(JSON.stringify(statements)).not.toContain('rds-db:connect');
    }
  });

  test('the users handler rotates the users\' secrets: a schedule per secret, invoked by Secrets Manager, scoped permissions', () => {
    const handler = Object.entries(template.findResources('AWS::Lambda::Function'))
      .find(([, f]) => String(f.Properties.Description).startsWith('Creates, updates and drops'))!;
    for (const user of ['api', 'worker']) {
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        SecretId: { Ref: secretOf(user) },
        RotationLambdaARN: { 'Fn::GetAtt': [handler[0], 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
    }
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [handler[0], 'Arn'] }, Principal: 'secretsmanager.amazonaws.com', Action: 'lambda:InvokeFunction',
    });
    const statements = statementsOfRole(template, handler[1].Properties.Role['Fn::GetAtt'][0]);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      Resource: [{ Ref: secretOf('api') }, { Ref: secretOf('worker') }],
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' });
    // The key policy names no role (its permissions are in the roles' policies).
    const key = template.findResources('AWS::KMS::Key')[logicalIdOf(db.encryptionKey)];
    expect(JSON.stringify(key.Properties.KeyPolicy)).not.toMatch(/Role[0-9A-F]{8}/);
  });

  test('a function that can reach the proxy and read a user\'s secret without being wired fails the synth', () => {
    const { app, stack: s, db: d } = newDatabase({ iamAuthentication: false });
    d.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const rogue = new lambda.Function(s, 'Rogue', { ...inlineFunctionProps(), vpc: d.vpc, securityGroups: [d.clientSecurityGroup] });
    // The user's secret, as a consumer would find it in the tree.
    const secret = d.node.findAll().find((c): c is secretsmanager.Secret => c instanceof secretsmanager.Secret && c.node.path.endsWith('/Users/Members/api/Secret'))!;
    secret.grantRead(rogue);
    expect(() => app.synth()).toThrow(/Rogue[0-9A-F]* can reach the proxy of TestStack\/Db and log in/);
  });

  test('with no function wired the proxy still has a login (the master secret) and there is no handler', () => {
    const { stack: s } = newDatabase({ iamAuthentication: false });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::RDS::DBProxy', { Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'DISABLED', SecretArn: Match.anyValue() })] });
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
  });
});

describe('functionUsers on MySQL', () => {
  test('the default grant is read-write on the database itself; the engine is mysql', () => {
    const { stack, db } = newDatabase({ engine: MYSQL_8_0, functionUsers: true });
    db.addFunction('Worker', { ...inlineFunctionProps(), reservedConcurrentExecutions: 7 });
    const template = Template.fromStack(stack);
    expect(userNamed(template, 'worker').resource.Properties).toMatchObject({
      Engine: 'mysql', Port: '3306', Database: 'app', ConnectionLimit: '7', ReadWriteSchemas: ['app'],
    });
    template.hasResourceProperties('AWS::RDS::DBProxy', { DefaultAuthScheme: 'IAM_AUTH', EngineFamily: 'MYSQL' });
  });
});

describe('functionUsers turned off, or bad names, fail at synth with a clear error', () => {
  // Per-function users are the default behind RDS Proxy.
  const withUsers = () => newDatabase();

  test('databaseUser on a database with functionUsers turned off', () => {
    const { db } = newDatabase({ functionUsers: false });
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), databaseUser: { readOnlySchemas: ['sales'] } }))
      .toThrow("Function 'Api': `databaseUser` needs per-function users; set `functionUsers: true` on the database");
  });

  test('functionUsers with a pooler other than RDS Proxy', () => {
    expect(() => newDatabase({ functionUsers: true, pooler: Pooler.none() }))
      .toThrow(/Db: `functionUsers` needs RDS Proxy/);
  });

  test.each([
    ['x"; DROP ROLE dbadmin; --', /User name "x\\"; DROP ROLE dbadmin; --" is not a valid name/],
    ['rdsadmin', /User name "rdsadmin" is reserved/],
    ['dbadmin', /User name "dbadmin" is reserved \(engine, RDS or master user\)/],
  ])('user name %s', (userName, message) => {
    const { db } = withUsers();
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), databaseUser: { userName } })).toThrow(message);
  });

  test('a schema name that is not an identifier', () => {
    const { db } = withUsers();
    expect(() => db.addFunction('Api', { ...inlineFunctionProps(), databaseUser: { readOnlySchemas: ['sales; drop'] } }))
      .toThrow(/readOnlySchemas of function 'Db\/Functions\/Api' "sales; drop" is not a valid name/);
  });

  test('a shared user asked for with other grants', () => {
    const { db } = withUsers();
    db.addFunction('A', { ...inlineFunctionProps(), databaseUser: { userName: 'shared', readOnlySchemas: ['sales'] } });
    expect(() => db.addFunction('B', { ...inlineFunctionProps(), databaseUser: { userName: 'shared' } }))
      .toThrow("Function 'Db/Functions/B' shares database user 'shared' with Db/Functions/A but asks for other grants");
  });

  test('a name derived for one function and given explicitly to another', () => {
    const { db } = withUsers();
    db.addFunction('Api', inlineFunctionProps());
    expect(() => db.addFunction('Other', { ...inlineFunctionProps(), databaseUser: { userName: 'api' } }))
      .toThrow("Function 'Db/Functions/Other': database user name 'api' is already taken by Db/Functions/Api");
  });

  test('grantConnect, which would name the master user the proxy no longer logs in as', () => {
    const { stack, db } = withUsers();
    db.addFunction('Api', inlineFunctionProps());
    const role = new iam.Role(stack, 'Task', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => db.grantConnect(role)).toThrow(/Db: consumers log in only as per-function database users .* or set `functionUsers: false`/);
  });

  test('a database with no wired function synthesizes: no users, no handler, the proxy holds no secret', () => {
    const { stack } = withUsers();
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::DatabaseUser', 0);
    template.resourceCountIs('AWS::CloudFormation::CustomResource', 0);
    template.hasResourceProperties('AWS::RDS::DBProxy', { DefaultAuthScheme: 'IAM_AUTH', Auth: Match.absent() });
  });
});

describe('functionUsers in an isolated VPC, held to the five compliance packs', () => {
  let app: App;
  let result: ReturnType<typeof synthesizeWithFindings>;
  let template: Template;
  let network: IsolatedVpc;

  beforeAll(() => {
    app = new App();
    const stack = new Stack(app, 'UsersCompliance'); // environment-agnostic, like the demo
    network = new IsolatedVpc(stack, 'Network');
    const db = new ServerlessDatabase(stack, 'Db', { ...network.databasePlacement(), engine: POSTGRES_17, instanceType: T4G_MEDIUM, functionUsers: true });
    const defaults = { memorySize: 512, timeout: Duration.seconds(10), tracing: lambda.Tracing.ACTIVE };
    const api = db.addFunction('Api', { ...inlineFunctionProps(), ...defaults, reservedConcurrentExecutions: 10 });
    const report = db.addFunction('Report', { ...inlineFunctionProps(), ...defaults, databaseUser: { readOnlySchemas: ['public'] } });
    acknowledgeDemoDecisions(db, [api, report]);
    applyCompliancePacks(app);
    result = synthesizeWithFindings(app);
    template = Template.fromStack(stack);
  });

  test('no unacknowledged finding; every acknowledgment has a reason', () => {
    expect(result.findings).toEqual([]);
    for (const ack of acknowledgments(app)) expect(ack.reason.length).toBeGreaterThan(20);
  });

  test('with a Secrets Manager endpoint the handler has no route to the internet', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^Database users of') } });
    const [group] = Object.keys(groups);
    const egress = rulesOf(template, group, 'egress');
    expect(egress.filter(r => r.cidr !== undefined)).toEqual([]);
    expect(egress).toContainEqual({ protocol: 'tcp', fromPort: 443, toPort: 443, peerGroup: logicalIdOf(network.secretsManagerEndpoint.connections.securityGroups[0]), cidr: undefined });
  });

  test('the proxy holds no secret, and no role but the handler\'s reads the master secret', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', { DefaultAuthScheme: 'IAM_AUTH', Auth: Match.absent() });
    const readers = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'))
      .map(([id]) => id);
    // The handler; the rotation function reads it through its own (nested) application.
    expect(readers).toEqual([expect.stringMatching(/^DbUsersHandlerPolicy/)]);
  });
});

describe('the handler bundle built at package build', () => {
  test('loads on its own, outside the repository, and answers CloudFormation with a readable reason', async () => {
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'users-bundle-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'lib', 'handlers', 'database-users', 'bundle', 'index.js'), path.join(dir, 'index.js'));
      const script = `
        const { handler } = require(${JSON.stringify(path.join(dir, 'index.js'))});
        handler({ RequestType: 'Create', ResourceProperties: { Engine: 'postgresql', Host: 'h', Port: '5432', Database: 'app',
          MasterSecretArn: 'arn', Users: [{ UserName: 'x"; drop', ConnectionLimit: '1' }] } })
          .then(() => console.log('created'), (e) => console.log(e.message));`;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1' } }).toString();
      expect(out.trim()).toBe('Users[0] (user "x\\"; drop"): User name "x\\"; drop" is not a valid name: use 1 to 63 letters, digits or underscores, not starting with a digit');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the construct takes the handler from the bundle directory as it is (no bundling at the user\'s synth)', () => {
    const { app, stack, db } = newDatabase({ functionUsers: true });
    db.addFunction('Api', inlineFunctionProps());
    const assembly = app.synth();
    const handler = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .find(f => f.Properties.Description?.startsWith('Creates, updates and drops'))!;
    const hash = String(handler.Properties.Code.S3Key).replace(/\.zip$/, '');
    const staged = path.join(assembly.directory, `asset.${hash}`);
    // The bundle and, beside it, the license notices of what it bundles.
    expect(fs.readdirSync(staged).filter(f => f !== 'index.js.LEGAL.txt')).toEqual(['index.js']);
    expect(fs.readFileSync(path.join(staged, 'index.js'))).toEqual(
      fs.readFileSync(path.join(ROOT, 'lib', 'handlers', 'database-users', 'bundle', 'index.js')));
  });
});

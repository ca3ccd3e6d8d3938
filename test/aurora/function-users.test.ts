import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { newCluster } from './aurora-helpers';
import { inlineFunctionProps } from '../helpers';
import { logicalIdOf } from '../database/template-helpers';
import { budgetArtifact, synthOk } from '../verify/verify-test-utils';

/** `arn:<partition>:rds-db:eu-west-1:123456789012:dbuser:<prefix>/<user>` as the template writes it. */
const dbUserArn = (prefix: unknown, user: string) =>
  ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:', prefix, `/${user}`]] });

describe('per-function users on Aurora (the default behind its proxy)', () => {
  // 1..16 ACU: max_connections 3360 on the writer and on the reader.
  const build = () => {
    const built = newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1 });
    const api = built.db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 100 });
    const reports = built.db.readers!.addFunction('Reports', {
      ...inlineFunctionProps(), reservedConcurrentExecutions: 50, databaseUser: { readOnlySchemas: ['public'] },
    });
    return { ...built, api, reports, template: Template.fromStack(built.stack) };
  };

  test('one users resource on the writer endpoint lists the writer\'s and the readers\' users with their own budget\'s limits', () => {
    const { db, template } = build();
    const [[usersId, users]] = Object.entries(template.findResources('Custom::DatabaseUsers'));
    expect(users.Properties).toMatchObject({
      Engine: 'postgresql', Port: '5432', Database: 'app',
      Host: { 'Fn::GetAtt': [logicalIdOf(db.cluster), 'Endpoint.Address'] },
      MasterSecretArn: { Ref: logicalIdOf(db.secret) },
      Users: [
        { UserName: 'api', ConnectionLimit: '100', ReadWriteSchemas: ['public'] },
        { UserName: 'reports', ConnectionLimit: '50', ReadOnlySchemas: ['public'], ReadWriteSchemas: [] },
      ],
    });
    // Created only once the writer (and every instance of the cluster) exists.
    const instances = Object.keys(template.findResources('AWS::RDS::DBInstance'));
    expect(users.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(db.cluster), ...instances]));
    expect(usersId).toMatch(/^DbUsers/);
  });

  test('the proxy logs in to the cluster with IAM as each user (the cluster resource id), holding no secret', () => {
    const { db, template } = build();
    const proxy = Object.values(template.findResources('AWS::RDS::DBProxy'))[0];
    expect(proxy.Properties.DefaultAuthScheme).toBe('IAM_AUTH');
    expect(proxy.Properties.Auth).toBeUndefined();
    const role = template.findResources('AWS::IAM::Role')[proxy.Properties.RoleArn['Fn::GetAtt'][0]];
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const statements = role.Properties.ManagedPolicyArns.flatMap((arn: { Ref: string }) => policies[arn.Ref].Properties.PolicyDocument.Statement);
    const clusterResourceId = { 'Fn::GetAtt': [logicalIdOf(db.cluster), 'DBClusterResourceId'] };
    expect(statements).toEqual(['api', 'reports'].map(user => ({ Effect: 'Allow', Action: 'rds-db:connect', Resource: dbUserArn(clusterResourceId, user) })));
  });

  test('writer and reader functions log in as their own users; no function can read the master secret', () => {
    const { db, api, reports, template } = build();
    const functions = template.findResources('AWS::Lambda::Function');
    expect(functions[logicalIdOf(api)].Properties.Environment.Variables.SERVERLESS_RDS_USER).toBe('api');
    expect(functions[logicalIdOf(reports)].Properties.Environment.Variables.SERVERLESS_RDS_USER).toBe('reports');
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    for (const fn of [api, reports]) {
      const role = template.findResources('AWS::IAM::Role')[logicalIdOf(fn.role!)];
      const text = JSON.stringify(role.Properties.ManagedPolicyArns.map((arn: { Ref: string }) => policies[arn.Ref]));
      expect(text).toContain('rds-db:connect');
      expect(text).toContain('PrincipalTag');
      expect(text).not.toContain(logicalIdOf(db.secret));
      expect(text).not.toContain('secretsmanager:');
    }
  });

  test('the budget file names the user of each consumer', () => {
    const { app, stack } = build();
    synthOk(app);
    expect(budgetArtifact(app, stack).databaseUsers).toEqual([
      { user: 'api', consumers: ['Db/Functions/Api'] },
      { user: 'reports', consumers: ['Db/Readers/Functions/Reports'] },
    ]);
  });

  test('both budgets reserve the users handler\'s connection (it can reach every instance)', () => {
    const { db } = build();
    for (const budget of [db.budget, db.readers!.budget]) {
      expect(budget.plan().allocations).toContainEqual(expect.objectContaining({ name: 'Database users (custom resource)', connections: 1 }));
    }
  });

  test('grantConnect() is refused, naming the way out', () => {
    const { stack, db } = newCluster();
    const role = new iam.Role(stack, 'Task', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => db.grantConnect(role)).toThrow(/per-function database users .* or set `functionUsers: false`/);
  });

  test('functionUsers: false keeps the master login behind the proxy', () => {
    const { stack, db } = newCluster({ functionUsers: false });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::DatabaseUsers', 0);
    template.hasResourceProperties('AWS::RDS::DBProxy', { Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' })] });
  });
});

describe('per-function users of Data API functions (a password user each: the Data API logs in with a secret)', () => {
  const build = () => {
    const built = newCluster({ rdsProxy: false, dataApi: true, minCapacity: 0.5, maxCapacity: 4 });
    const orders = built.db.addDataApiFunction('Orders', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10, statementsPerInvocation: 2 });
    const audit = built.db.addDataApiFunction('Audit', {
      ...inlineFunctionProps(), reservedConcurrentExecutions: 3, databaseUser: { userName: 'auditor', readOnlySchemas: ['public'] },
    });
    return { ...built, orders, audit, template: Template.fromStack(built.stack) };
  };

  test('each Data API function reads only its own user\'s rotated secret; none reads the master secret', () => {
    const { db, orders, audit, template } = build();
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const secretOf = (user: string) => Object.keys(secrets).find(id => String(secrets[id].Properties.Description).startsWith(`Login of database user ${user} `))!;
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const [sharedId, shared] = Object.entries(policies).find(([id]) => /^DbUsersSecretLoginPolicy/.test(id))!;
    const tagKey = /tag (serverless-rds-user-[0-9a-f]{8})/.exec(shared.Properties.Description)![1];
    for (const [fn, user] of [[orders, 'orders'], [audit, 'auditor']] as const) {
      const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)].Properties.Environment.Variables;
      expect(variables.SERVERLESS_RDS_USER).toBe(user);
      expect(variables.SERVERLESS_RDS_SECRET_ARN).toEqual({ Ref: secretOf(user) });
      const role = template.findResources('AWS::IAM::Role')[logicalIdOf(fn.role!)];
      expect(role.Properties.Tags).toContainEqual({ Key: tagKey, Value: user });
      expect(role.Properties.ManagedPolicyArns).toContainEqual({ Ref: sharedId });
      const text = JSON.stringify(role.Properties.ManagedPolicyArns.map((arn: { Ref: string }) => policies[arn.Ref]));
      expect(text).toContain('rds-data:ExecuteStatement');
      expect(text).not.toContain(logicalIdOf(db.secret));
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { SecretId: { Ref: secretOf(user) } });
    }
  });

  test('their users\' limits are the Data API reservations; the handler may rotate only the users\' secrets', () => {
    const { template } = build();
    const [, users] = Object.entries(template.findResources('Custom::DatabaseUsers'))[0];
    expect(users.Properties.Users).toEqual([
      expect.objectContaining({ UserName: 'orders', ConnectionLimit: '20', PasswordSecretArn: expect.anything() }),
      expect.objectContaining({ UserName: 'auditor', ConnectionLimit: '3', ReadOnlySchemas: ['public'], PasswordSecretArn: expect.anything() }),
    ]);
    const handler = Object.values(template.findResources('AWS::Lambda::Function')).find(f => String(f.Properties.Description).startsWith('Creates, updates and drops'))!;
    const role = template.findResources('AWS::IAM::Role')[handler.Properties.Role['Fn::GetAtt'][0]];
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const statements = role.Properties.ManagedPolicyArns.flatMap((arn: { Ref: string }) => policies[arn.Ref].Properties.PolicyDocument.Statement);
    const writes = statements.find((st: any) => JSON.stringify(st.Action).includes('PutSecretValue'));
    expect(writes.Resource).toHaveLength(2);
  });

  test('functionUsers: false keeps the master secret for the Data API', () => {
    const { stack, db } = newCluster({ rdsProxy: false, dataApi: true, functionUsers: false });
    const fn = db.addDataApiFunction('Orders', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const template = Template.fromStack(stack);
    expect(template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)].Properties.Environment.Variables.SERVERLESS_RDS_SECRET_ARN)
      .toEqual({ Ref: logicalIdOf(db.secret) });
    expect(() => db.addDataApiFunction('Other', { ...inlineFunctionProps(), reservedConcurrentExecutions: 1, databaseUser: { userName: 'x' } }))
      .toThrow(/`databaseUser` needs per-function users/);
  });
});

describe('password users behind the proxy beside Data API users (iamAuthentication false)', () => {
  test('the proxy lists only the secrets of the functions behind it, not those of Data API functions', () => {
    const { stack, db } = newCluster({ minCapacity: 1, iamAuthentication: false, dataApi: true });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    db.addDataApiFunction('Orders', { ...inlineFunctionProps(), reservedConcurrentExecutions: 5 });
    const template = Template.fromStack(stack);
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const secretOf = (user: string) => Object.keys(secrets).find(id => String(secrets[id].Properties.Description).startsWith(`Login of database user ${user} `))!;
    const proxy = Object.values(template.findResources('AWS::RDS::DBProxy'))[0];
    expect(proxy.Properties.Auth).toEqual([{ AuthScheme: 'SECRETS', IAMAuth: 'DISABLED', SecretArn: { Ref: secretOf('api') } }]);
    expect(secretOf('orders')).toBeDefined();
  });
});

import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { newCluster } from './aurora-helpers';
import { inlineFunctionProps } from '../helpers';
import { logicalIdOf } from '../database/template-helpers';

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

  test('both budgets reserve the users handler\'s connection (it can reach every instance)', () => {
    const { db } = build();
    for (const budget of [db.budget, db.readers!.budget]) {
      expect(budget.plan().allocations).toContainEqual(expect.objectContaining({ name: 'Database users (custom resource)', connections: 1 }));
    }
  });

  test('grantConnect() is refused, naming the way out; functionUsers needs the proxy', () => {
    const { stack, db } = newCluster();
    const role = new iam.Role(stack, 'Task', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => db.grantConnect(role)).toThrow(/per-function database users .* or set `functionUsers: false`/);
    expect(() => newCluster({ rdsProxy: false, functionUsers: true, dataApi: true })).toThrow(/`functionUsers` needs RDS Proxy/);
  });

  test('functionUsers: false keeps the master login behind the proxy', () => {
    const { stack, db } = newCluster({ functionUsers: false });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::DatabaseUsers', 0);
    template.hasResourceProperties('AWS::RDS::DBProxy', { Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' })] });
  });
});

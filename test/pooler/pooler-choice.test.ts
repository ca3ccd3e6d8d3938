import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import { Pooler, ServerlessDatabase } from '../../lib';
import { logicalIdOf, securityGroupId } from '../database/template-helpers';
import { inlineFunctionProps, MYSQL_8_0, newDatabase, newStack, POSTGRES_17 as POSTGRES, T4G_MEDIUM } from '../helpers';
import { budgetArtifact, synthFailure, synthOk, templateOf } from '../verify/verify-test-utils';

const CA_BUNDLE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

function pgBouncer(stack: Stack): Pooler {
  return Pooler.pgBouncer({
    image: ecs.ContainerImage.fromRegistry('registry.example.com/pgbouncer:1.23.1'),
    tlsCertificate: secretsmanager.Secret.fromSecretCompleteArn(stack, 'PgBouncerCert', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgbouncer-tls-AbCdEf'),
    serverCaBundle: CA_BUNDLE,
  });
}

/** A function outside the budget, given the database's client group and login policy. */
function uncountedClient(stack: Stack, db: ServerlessDatabase): lambda.Function {
  const fn = new lambda.Function(stack, 'Sneaky', {
    ...inlineFunctionProps(), vpc: db.vpc, vpcSubnets: db.functionSubnets, securityGroups: [db.clientSecurityGroup],
  });
  fn.role!.addManagedPolicy(db.connectPolicy);
  return fn;
}

describe('Pooler.rdsProxy() (default)', () => {
  test('the proxy is there and the synth table ends with the cost of each pooler for db.t4g.medium in eu-west-1', () => {
    const { app, stack, db } = newDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    synthOk(app);
    Template.fromJSON(templateOf(app, stack)).resourceCountIs('AWS::RDS::DBProxy', 1);
    const info = Annotations.fromStack(stack).findInfo('/TestStack/Db', Match.stringLikeRegexp('Pooler cost for db.t4g.medium'));
    expect(info).toHaveLength(1);
    // eu-west-1: RDS Proxy 2 vCPU x 0.0165 x 730 = 24.09
    expect(info[0].entry.data).toMatch(/\* RDS Proxy\s+\$24\.09/);
    const artifact = budgetArtifact(app, stack);
    expect(artifact.pooler).toBe('RDS Proxy');
    expect(artifact.poolerCosts.options.map((o: any) => o.pooler)).toEqual(['RDS Proxy', 'PgBouncer', 'no pooler']);
    expect(artifact.poolerCosts.pricesRecordedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('pricingRegion overrides the stack region; an unknown one is an error naming the construct', () => {
    const { app, stack, db } = newDatabase({ pricingRegion: 'us-east-1' });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    synthOk(app);
    expect(budgetArtifact(app, stack).poolerCosts).toMatchObject({ region: 'us-east-1', options: [{ monthlyUsd: 21.9 }, { monthlyUsd: 30.84 }, { monthlyUsd: 0 }] });
    expect(() => newDatabase({ pricingRegion: 'mars-north-1' })).toThrow(/TestStack\/Db: No pooler price table for region 'mars-north-1'/);
  });
});

describe('Pooler.none()', () => {
  test('no proxy: functions reach the instance, log in to its resource id, and trust the RDS CA bundle of the runtime', () => {
    const { app, stack, db } = newDatabase({ pooler: Pooler.none() });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    synthOk(app);
    const template = Template.fromJSON(templateOf(app, stack));
    template.resourceCountIs('AWS::RDS::DBProxy', 0);
    expect(() => db.proxy).toThrow(/TestStack\/Db has no RDS Proxy: its pooler is NONE/);
    const instanceGroup = db.instance.connections.securityGroups[0];
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [securityGroupId(instanceGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [securityGroupId(db.clientSecurityGroup), 'GroupId'] },
      FromPort: 5432, ToPort: 5432,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({
        SERVERLESS_RDS_HOST: { 'Fn::GetAtt': [logicalIdOf(db.instance), 'Endpoint.Address'] },
        SERVERLESS_RDS_AUTH: 'iam',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      }) },
    });
    expect(JSON.stringify(template.toJSON())).toContain(`{"Fn::GetAtt":["${logicalIdOf(db.instance)}","DbiResourceId"]},"/dbadmin"`);
  });

  test('the whole capacity is the pool, with no proxy headroom: 394 - 9 - 20 = 365 for the functions', () => {
    const { app, stack, db } = newDatabase({ pooler: Pooler.none() });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 365 });
    synthOk(app);
    const artifact = budgetArtifact(app, stack);
    expect(artifact).toMatchObject({ pooler: 'no pooler', capacity: 365, proxyHeadroom: 0, proxyAllocatable: 365, proxyConnectionsAllocated: 365 });
    const { app: app2, db: db2 } = newDatabase({ pooler: Pooler.none() });
    db2.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 366 });
    expect(synthFailure(app2)).toMatch(/need 366 connections but 365 may be allocated/);
  });

  test('the template check finds a function outside the budget that reaches the instance', () => {
    const { app, stack, db } = newDatabase({ pooler: Pooler.none() });
    uncountedClient(stack, db);
    expect(synthFailure(app)).toMatch(/Function .*Sneaky.* can reach the instance of TestStack\/Db and log in/);
  });
});

describe('Pooler.pgBouncer()', () => {
  function pgBouncerDatabase() {
    const { app, stack, vpc } = newStack();
    const db = new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES, instanceType: T4G_MEDIUM, pooler: pgBouncer(stack) });
    return { app, stack, db };
  }

  test('two ARM Fargate tasks behind an internal NLB, configured from the budget; functions log in with the secret', () => {
    const { app, stack, db } = pgBouncerDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 100 });
    synthOk(app);
    const template = Template.fromJSON(templateOf(app, stack));
    template.resourceCountIs('AWS::RDS::DBProxy', 0);
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2, LaunchType: 'FARGATE' });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' }, Cpu: '256', Memory: '512' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internal' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 5432, Protocol: 'TCP' });
    // 394 - 9 reserved - 20 admin = 365, no headroom: 182 server connections per task, 100 clients
    const ini = JSON.stringify(template.findResources('AWS::ECS::TaskDefinition'));
    expect(ini).toContain('default_pool_size = 182');
    expect(ini).toContain('max_db_connections = 182');
    expect(ini).toContain('max_client_conn = 100');
    expect(ini).toContain('pool_mode = transaction');
    expect(ini).toContain('server_tls_sslmode = verify-full');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SERVERLESS_RDS_AUTH: 'secret', SERVERLESS_RDS_SECRET_ARN: Match.anyValue() }) },
    });
    const artifact = budgetArtifact(app, stack);
    expect(artifact).toMatchObject({ pooler: 'PgBouncer', proxyAllocatable: 365, pgBouncer: { poolSizePerTask: 182, serverConnectionsAllTasks: 364, maxClientConnections: 100 } });
    expect(artifact.poolerCosts.chosen).toBe('PgBouncer');
  });

  test('a rotation of the database secret replaces the tasks: a rule on RotationSucceeded for that secret, UpdateService on that service only', () => {
    const { app, stack, db } = pgBouncerDatabase();
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    synthOk(app);
    const template = Template.fromJSON(templateOf(app, stack));
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        'detail': { eventName: ['RotationSucceeded'], additionalEventData: { SecretId: [{ Ref: Match.stringLikeRegexp('DbInstanceSecretAttachment') }] } },
      },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'ecs:UpdateService', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('DbPgBouncerService') } }]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1, DeadLetterConfig: Match.anyValue() });
  });

  test('without rotation there is nothing to restart', () => {
    const { app, stack, vpc } = newStack();
    const db = new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES, instanceType: T4G_MEDIUM, pooler: pgBouncer(stack), rotation: false });
    db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 10 });
    synthOk(app);
    Template.fromJSON(templateOf(app, stack)).resourceCountIs('AWS::Events::Rule', 0);
  });

  test('the template check finds a function outside the budget that reaches PgBouncer\'s load balancer', () => {
    const { app, stack, db } = pgBouncerDatabase();
    uncountedClient(stack, db);
    expect(synthFailure(app)).toMatch(/Function .*Sneaky.* can reach the proxy of TestStack\/Db and log in/);
  });

  test('MySQL, IAM authentication and function users are refused with the construct path', () => {
    const a = newStack();
    expect(() => new ServerlessDatabase(a.stack, 'Db', { vpc: a.vpc, engine: MYSQL_8_0, instanceType: T4G_MEDIUM, pooler: pgBouncer(a.stack) }))
      .toThrow(/TestStack\/Db: PgBouncer pools PostgreSQL connections only/);
    const b = newStack();
    expect(() => new ServerlessDatabase(b.stack, 'Db', { vpc: b.vpc, engine: POSTGRES, instanceType: T4G_MEDIUM, pooler: pgBouncer(b.stack), iamAuthentication: true }))
      .toThrow(/PgBouncer cannot check IAM tokens/);
    const c = newStack();
    expect(() => new ServerlessDatabase(c.stack, 'Db', { vpc: c.vpc, engine: POSTGRES, instanceType: T4G_MEDIUM, pooler: Pooler.none(), functionUsers: true }))
      .toThrow(/`functionUsers` needs RDS Proxy/);
  });
});

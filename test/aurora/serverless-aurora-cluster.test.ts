import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AURORA_MYSQL, newCluster, R6G_LARGE } from './aurora-helpers';
import { DatabaseEnvironmentVariables } from '../../lib';
import { inlineFunctionProps } from '../helpers';
import { logicalIdOf, rulesOf } from '../database/template-helpers';
import { budgetArtifact, synthOk, templateOf } from '../verify/verify-test-utils';

describe('Aurora Serverless v2 PostgreSQL behind the proxy, with a reader', () => {
  // 1..16 ACU: max_connections 3360 (AWS's Serverless v2 table), on the writer and the reader.
  const build = () => {
    const built = newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1 });
    built.db.addFunction('Api', { ...inlineFunctionProps(), reservedConcurrentExecutions: 100 });
    built.db.readers!.addFunction('Reports', { ...inlineFunctionProps(), reservedConcurrentExecutions: 50 });
    return { ...built, template: Template.fromStack(built.stack) };
  };

  test('the cluster: encrypted, IAM authentication, deletion protection, logs, Serverless v2 scaling', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      EnableIAMDatabaseAuthentication: true,
      DeletionProtection: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 16 },
      Port: 5432,
    });
    template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
  });

  test('a writer and a reader of class db.serverless, each with max_connections 3360 in its parameter group', () => {
    const { template } = build();
    const instances = template.findResources('AWS::RDS::DBInstance');
    expect(Object.values(instances).map(i => [i.Properties.DBInstanceClass, i.Properties.PromotionTier])).toEqual([['db.serverless', 0], ['db.serverless', 1]]);
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'aurora-postgresql16', Parameters: { max_connections: '3360' } });
  });

  test('TLS only, in the cluster parameter group and at the proxy, which uses IAM from end to end', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      RequireTLS: true,
      DefaultAuthScheme: 'IAM_AUTH',
      Auth: Match.absent(),
      EngineFamily: 'POSTGRESQL',
    });
  });

  test('the proxy targets the cluster, with the pool the budgets need', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      DBClusterIdentifiers: [{ Ref: Match.stringLikeRegexp('^DbCluster') }],
      ConnectionPoolConfigurationInfo: Match.objectLike({ MaxConnectionsPercent: Match.anyValue() }),
    });
  });

  test('a read-only proxy endpoint that only the functions wired for reads can reach', () => {
    const { template, db } = build();
    template.hasResourceProperties('AWS::RDS::DBProxyEndpoint', { TargetRole: 'READ_ONLY' });
    const endpointGroup = Object.entries(template.findResources('AWS::EC2::SecurityGroup'))
      .find(([, r]) => /Read-only proxy endpoint/.test(r.Properties.GroupDescription))![0];
    expect(rulesOf(template, endpointGroup, 'ingress')).toEqual([
      { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: logicalIdOf(db.readers!.clientSecurityGroup) },
    ]);
    const proxyGroup = logicalIdOf(db.proxy!.connections.securityGroups[0]);
    expect(rulesOf(template, proxyGroup, 'ingress')).toEqual([
      { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: logicalIdOf(db.clientSecurityGroup) },
    ]);
  });

  test('functions wired for reads connect to the read-only endpoint with the same environment variables', () => {
    const { template, db } = build();
    const fns = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter(f => f.Properties.Environment?.Variables?.[DatabaseEnvironmentVariables.HOST]);
    const hosts = fns.map(f => JSON.stringify(f.Properties.Environment.Variables[DatabaseEnvironmentVariables.HOST]));
    expect(hosts).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(db.proxy!), 'Endpoint'] }),
      JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(db.readOnlyEndpoint as any), 'Endpoint'] }),
    ]);
  });

  test('the writer and the readers each have their own budget, both checked in the templates', () => {
    const { app, stack, db } = build();
    expect(db.budget.plan().maxConnections).toBe(3360);
    // The database-users handler can reach the readers too, so their budget reserves its connection.
    expect(db.readers!.budget.plan().allocations.map(a => [a.name, a.connections])).toEqual([['Db/Readers/Functions/Reports', 50], ['Database users (custom resource)', 1]]);
    synthOk(app);
    const t = templateOf(app, stack);
    expect(t.Resources).toBeDefined();
    const artifact = budgetArtifact(app, stack);
    expect(artifact.maxConnections).toBe(3360);
  });

});

describe('provisioned Aurora', () => {
  test('Aurora MySQL on db.r6g.large: 1000 connections from AWS\'s table, Backtrack on', () => {
    const { stack, db } = newCluster({ engine: AURORA_MYSQL, instanceType: R6G_LARGE });
    const template = Template.fromStack(stack);
    expect(db.maxConnections).toBe(1000);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r6g.large' });
    template.hasResourceProperties('AWS::RDS::DBCluster', { BacktrackWindow: 86400, Engine: 'aurora-mysql' });
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: Match.objectLike({ require_secure_transport: 'ON' }) });
  });

  test('Aurora PostgreSQL on db.r6g.large: LEAST(DBInstanceClassMemory/9531392, 5000) = 1661', () => {
    const { db } = newCluster({ instanceType: R6G_LARGE });
    expect(db.maxConnections).toBe(1661);
  });
});

describe('the synth table', () => {
  test('the table at synth shows the writer and the readers', () => {
    const { stack, db } = newCluster({ minCapacity: 1, maxCapacity: 16, readers: 1 });
    db.readers!.addFunction('Reports', { ...inlineFunctionProps(), reservedConcurrentExecutions: 50 });
    const info = Annotations.fromStack(stack).findInfo('/TestStack/Db', Match.stringLikeRegexp('Connection budget'))[0].entry.data as string;
    expect(info).toContain('Connection budget of TestStack/Db (PostgreSQL)');
    expect(info).toContain('Connection budget of TestStack/Db/Readers (PostgreSQL)');
    expect(info).toMatch(/function Db\/Readers\/Functions\/Reports\s+proxy\s+50 reserved/);
  });
});

describe('errors that name the choice', () => {
  test('a minimum of 0 ACU with RDS Proxy', () => {
    expect(() => newCluster({ minCapacity: 0 })).toThrow(/TestStack\/Db: a minimum capacity of 0 ACU .* RDS Proxy does not support clusters that pause. Choose one: a `minCapacity` of 0.5 ACU or more .* or `rdsProxy: false` with `dataApi: true`/);
  });

  test('capacities with a provisioned class', () => {
    expect(() => newCluster({ instanceType: R6G_LARGE, maxCapacity: 8 })).toThrow(/`minCapacity` and `maxCapacity` size Aurora Serverless v2 instances/);
  });

  test('readers without the proxy', () => {
    expect(() => newCluster({ readers: 1, rdsProxy: false, dataApi: true })).toThrow(/readers are reached through the proxy's read-only endpoint/);
  });

  test('a non-Aurora engine', () => {
    const rds = require('aws-cdk-lib/aws-rds');
    expect(() => newCluster({ engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }) as any })).toThrow(/is not supported: use rds.DatabaseClusterEngine.auroraPostgres\(\) or auroraMysql\(\)/);
  });

  test('an unknown Aurora MySQL class asks for maxConnections', () => {
    const ec2 = require('aws-cdk-lib/aws-ec2');
    expect(() => newCluster({ engine: AURORA_MYSQL, instanceType: ec2.InstanceType.of(ec2.InstanceClass.X2G, ec2.InstanceSize.LARGE) })).toThrow(/`maxConnections`/);
  });
});

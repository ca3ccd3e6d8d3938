import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { groupIdRef, logicalIdOf, rulesOf, securityGroupId, templateJson } from './template-helpers';
import { ServerlessDatabase } from '../../lib';
import { newDatabase } from '../helpers';

/**
 * Every default of a ServerlessDatabase with PostgreSQL 17 on db.t4g.medium, whose default
 * max_connections is 394. One stack, synthesized once.
 */
describe('ServerlessDatabase defaults (PostgreSQL 17, db.t4g.medium)', () => {
  let stack: Stack;
  let vpc: ec2.Vpc;
  let db: ServerlessDatabase;
  let template: Template;
  let keyId: string;
  let keyArn: { 'Fn::GetAtt': [string, string] };

  beforeAll(() => {
    // GIVEN a PostgreSQL 17 database on db.t4g.medium with no optional props
    ({ stack, vpc, db } = newDatabase());
    // WHEN the stack is synthesized
    template = Template.fromStack(stack);
    keyId = logicalIdOf(db.encryptionKey);
    keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
  });

  function onlyResourceOf(type: string): { id: string; resource: any } {
    const found = template.findResources(type);
    expect(Object.keys(found)).toHaveLength(1);
    const [id, resource] = Object.entries(found)[0];
    return { id, resource };
  }

  describe('parameter group', () => {
    test('writes max_connections 394 as an explicit integer, not a formula', () => {
      // THEN
      const { resource } = onlyResourceOf('AWS::RDS::DBParameterGroup');
      const maxConnections = resource.Properties.Parameters.max_connections;
      expect(maxConnections).toMatch(/^\d+$/);
      expect(maxConnections).toBe('394');
      expect(db.maxConnections).toBe(394);
    });

    test('uses the postgres17 family and the tuned serverless parameters', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Family: 'postgres17',
        Parameters: {
          'max_connections': '394',
          'rds.force_ssl': '1',
          'idle_in_transaction_session_timeout': '60000',
          'tcp_keepalives_idle': '60',
          'tcp_keepalives_interval': '10',
          'tcp_keepalives_count': '6',
          'log_min_duration_statement': '1000',
        },
      });
    });

    test('is the parameter group of the instance', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        DBParameterGroupName: { Ref: logicalIdOf(db.parameterGroup) },
      });
    });

    test('creates no option group for PostgreSQL', () => {
      // THEN
      template.resourceCountIs('AWS::RDS::OptionGroup', 0);
      template.hasResourceProperties('AWS::RDS::DBInstance', { OptionGroupName: Match.absent() });
    });
  });

  describe('instance', () => {
    test('uses encrypted gp3 storage of 20 GiB growing to 100 GiB with the construct key', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        StorageType: 'gp3',
        StorageEncrypted: true,
        KmsKeyId: keyArn,
        AllocatedStorage: '20',
        MaxAllocatedStorage: 100,
      });
    });

    test('is Multi-AZ, deletion protected, backed up for 7 days and snapshotted on removal', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        MultiAZ: true,
        DeletionProtection: true,
        BackupRetentionPeriod: 7,
        CopyTagsToSnapshot: true,
      });
      template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    });

    test('is private, with IAM authentication, automatic minor upgrades and the RSA 2048 G1 CA', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        EngineVersion: '17',
        DBInstanceClass: 'db.t4g.medium',
        PubliclyAccessible: false,
        EnableIAMDatabaseAuthentication: true,
        AutoMinorVersionUpgrade: true,
        CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      });
    });

    test('listens on 5432 and creates the database app for the user dbadmin', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', { Port: '5432', DBName: 'app', MasterUsername: 'dbadmin' });
      expect(db.port).toBe(5432);
      expect(db.databaseName).toBe('app');
      expect(db.username).toBe('dbadmin');
    });

    test('exports the postgresql and upgrade logs to CloudWatch Logs', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', { EnableCloudwatchLogsExports: ['postgresql', 'upgrade'] });
    });

    test('turns on Performance Insights encrypted with the construct key', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        EnablePerformanceInsights: true,
        PerformanceInsightsKMSKeyId: keyArn,
      });
    });

    test('turns on Enhanced Monitoring every 60 s with a role that has only a customer-managed policy', () => {
      // THEN
      const instance = onlyResourceOf('AWS::RDS::DBInstance').resource;
      expect(instance.Properties.MonitoringInterval).toBe(60);
      const roleId = instance.Properties.MonitoringRoleArn['Fn::GetAtt'][0];
      const role = template.findResources('AWS::IAM::Role')[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'monitoring.rds.amazonaws.com' } }),
      ]);
      const policyIds = role.Properties.ManagedPolicyArns.map((arn: any) => arn.Ref);
      expect(policyIds).toHaveLength(1);
      expect(template.findResources('AWS::IAM::ManagedPolicy')[policyIds[0]]).toBeDefined();
    });

    test('is placed in the isolated subnets behind the database security group', () => {
      // THEN
      const subnetGroup = onlyResourceOf('AWS::RDS::DBSubnetGroup');
      expect(subnetGroup.resource.Properties.SubnetIds).toEqual(stack.resolve(vpc.isolatedSubnets.map(s => s.subnetId)));
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        DBSubnetGroupName: { Ref: subnetGroup.id },
        VPCSecurityGroups: [groupIdRef(securityGroupId(db.instance.connections.securityGroups[0]))],
      });
    });
  });

  describe('encryption key', () => {
    test('is a new key with rotation, retained when the stack is deleted', () => {
      // THEN
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    test('lets the regional CloudWatch Logs service use it for log groups of the account', () => {
      // THEN
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
              Action: Match.arrayWith(['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*']),
              Condition: {
                ArnLike: {
                  'kms:EncryptionContext:aws:logs:arn': {
                    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:*']],
                  },
                },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('secret', () => {
    test('is generated for dbadmin and encrypted with the construct key', () => {
      // THEN
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        KmsKeyId: keyArn,
        GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"dbadmin"}', GenerateStringKey: 'password' }),
      });
    });

    test('is retained when the stack is deleted (removalPolicy SNAPSHOT)', () => {
      // THEN
      template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    test('is rotated every 30 days by the single-user rotation application', () => {
      // THEN
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        SecretId: { Ref: logicalIdOf(db.secret) },
      });
      template.resourceCountIs('AWS::Serverless::Application', 1);
      template.hasResourceProperties('AWS::Serverless::Application', {
        Parameters: Match.objectLike({ kmsKeyArn: keyArn }),
      });
    });

    test('rotation function runs in the private subnets with egress (the default function subnets)', () => {
      // THEN
      const subnetIds = stack.resolve(vpc.privateSubnets.map(s => s.subnetId));
      template.hasResourceProperties('AWS::Serverless::Application', {
        Parameters: Match.objectLike({ vpcSubnetIds: { 'Fn::Join': ['', [subnetIds[0], ',', subnetIds[1]]] } }),
      });
    });
  });

  describe('proxy', () => {
    test('requires TLS and uses IAM from end to end: it holds no secret, not even the master\'s', () => {
      // THEN
      template.resourceCountIs('AWS::RDS::DBProxy', 1);
      template.hasResourceProperties('AWS::RDS::DBProxy', {
        RequireTLS: true,
        EngineFamily: 'POSTGRESQL',
        IdleClientTimeout: 1800,
        DefaultAuthScheme: 'IAM_AUTH',
        Auth: Match.absent(),
      });
    });

    test('has a name of at most 63 characters that RDS accepts', () => {
      // THEN
      const { resource } = onlyResourceOf('AWS::RDS::DBProxy');
      const name: string = resource.Properties.DBProxyName;
      expect(typeof name).toBe('string');
      expect(name.length).toBeGreaterThan(0);
      expect(name.length).toBeLessThanOrEqual(63);
      // A letter first, then letters, digits and single hyphens, not ending with a hyphen.
      expect(name).toMatch(/^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/);
    });

    test('is placed in the isolated subnets', () => {
      // THEN
      template.hasResourceProperties('AWS::RDS::DBProxy', {
        VpcSubnetIds: stack.resolve(vpc.isolatedSubnets.map(s => s.subnetId)),
        VpcSecurityGroupIds: [groupIdRef(securityGroupId(db.proxy.connections.securityGroups[0]))],
      });
    });

    test('pool MaxConnectionsPercent is the budget\'s whole percent, idle is half of it, borrow timeout 30 s', () => {
      // THEN
      const percent = db.budget.proxyMaxConnectionsPercent;
      expect(Number.isInteger(percent)).toBe(true);
      // capacity 394 - 9 reserved - 20 headroom = 365; floor(100 * 365 / 394) = 92
      expect(percent).toBe(92);
      template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
        TargetGroupName: 'default',
        DBInstanceIdentifiers: [{ Ref: logicalIdOf(db.instance) }],
        ConnectionPoolConfigurationInfo: {
          MaxConnectionsPercent: percent,
          MaxIdleConnectionsPercent: Math.floor(percent / 2),
          ConnectionBorrowTimeout: 30,
        },
      });
    });

    test('role has no inline policy and, with no function wired, no permission at all (no user to log in as)', () => {
      // THEN
      const proxy = onlyResourceOf('AWS::RDS::DBProxy').resource;
      const roleId = proxy.Properties.RoleArn['Fn::GetAtt'][0];
      const role = template.findResources('AWS::IAM::Role')[roleId];
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      template.resourceCountIs('AWS::IAM::Policy', 0);
    });

    test('with no function wired there is no database-users handler and no user', () => {
      // THEN
      template.resourceCountIs('Custom::DatabaseUser', 0);
      expect(JSON.stringify(template.toJSON())).not.toContain('Database users');
    });

    test('no AWS managed policy is attached anywhere in the stack', () => {
      // THEN
      const json = templateJson(template);
      expect(json).not.toContain('arn:aws:iam::aws:policy');
      // Also the partition-independent form `arn:${AWS::Partition}:iam::aws:policy/...`.
      expect(json).not.toContain(':iam::aws:policy');
    });
  });

  describe('security groups', () => {
    let dbSg: string;
    let proxySg: string;
    let clientSg: string;
    let rotationSg: string;

    beforeAll(() => {
      dbSg = securityGroupId(db.instance.connections.securityGroups[0]);
      proxySg = securityGroupId(db.proxy.connections.securityGroups[0]);
      clientSg = securityGroupId(db.clientSecurityGroup);
      rotationSg = logicalIdOf(db.node.findChild('Rotation').node.findChild('SecurityGroup'));
    });

    test('are three distinct groups', () => {
      // THEN
      expect(new Set([dbSg, proxySg, clientSg]).size).toBe(3);
    });

    test('database accepts 5432 only from the proxy and the rotation function', () => {
      // THEN the rotation function logs in to the instance itself to change the password
      const ingress = rulesOf(template, dbSg, 'ingress');
      expect(ingress).toHaveLength(2);
      expect(ingress).toEqual(expect.arrayContaining([
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: proxySg, cidr: undefined },
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: rotationSg, cidr: undefined },
      ]));
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: groupIdRef(dbSg), FromPort: 5432, ToPort: 5432, IpProtocol: 'tcp', SourceSecurityGroupId: groupIdRef(proxySg),
      });
    });

    test('database opens no outbound traffic', () => {
      // THEN only aws-cdk-lib's placeholder that matches no traffic
      const egress = rulesOf(template, dbSg, 'egress');
      expect(egress).toEqual([{ protocol: 'icmp', fromPort: 252, toPort: 86, peerGroup: undefined, cidr: '255.255.255.255/32' }]);
    });

    test('proxy accepts 5432 only from the client group and sends only to the database on 5432', () => {
      // THEN
      expect(rulesOf(template, proxySg, 'ingress')).toEqual([
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: clientSg, cidr: undefined },
      ]);
      expect(rulesOf(template, proxySg, 'egress')).toEqual([
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: dbSg, cidr: undefined },
      ]);
    });

    test('client group accepts nothing and sends only to the proxy on 5432', () => {
      // THEN
      expect(rulesOf(template, clientSg, 'ingress')).toEqual([]);
      expect(rulesOf(template, clientSg, 'egress')).toEqual([
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: proxySg, cidr: undefined },
      ]);
    });

    test('none of the three groups has a rule open to 0.0.0.0/0 or ::/0', () => {
      // THEN
      for (const sg of [dbSg, proxySg, clientSg]) {
        for (const rule of [...rulesOf(template, sg, 'ingress'), ...rulesOf(template, sg, 'egress')]) {
          expect(rule.cidr).not.toBe('0.0.0.0/0');
          expect(rule.cidr).not.toBe('::/0');
        }
      }
    });
  });

  describe('function resources', () => {
    test('shared function log group keeps logs 365 days, encrypted with the construct key', () => {
      // THEN
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: keyArn });
      template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
      expect(logicalIdOf(db.functionLogGroup)).toBe(Object.keys(template.findResources('AWS::Logs::LogGroup'))[0]);
    });

    test('creates no Lambda function and no tracing policy until functions are added', () => {
      // THEN (the rotation function is deployed by the Serverless application, not as a resource here)
      template.resourceCountIs('AWS::Lambda::Function', 0);
      expect(db.node.tryFindChild('TracingPolicy')).toBeUndefined();
    });

    test('connect policy grants rds-db:connect for dbadmin on the proxy', () => {
      // THEN
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: [{
            Effect: 'Allow',
            Action: 'rds-db:connect',
            Resource: {
              'Fn::Join': ['', [
                'arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:',
                { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::GetAtt': [logicalIdOf(db.proxy), 'DBProxyArn'] }] }] },
                '/dbadmin',
              ]],
            },
          }],
        },
      });
    });
  });

  describe('outputs', () => {
    test('publishes the proxy endpoint, the secret ARN and max_connections 394', () => {
      // THEN
      const outputs = template.findOutputs('*');
      const byPrefix = (prefix: string) => Object.entries(outputs).find(([id]) => id.startsWith(prefix))?.[1];
      expect(byPrefix('DbProxyEndpoint')?.Value).toEqual({ 'Fn::GetAtt': [logicalIdOf(db.proxy), 'Endpoint'] });
      expect(byPrefix('DbSecretArn')?.Value).toEqual({ Ref: logicalIdOf(db.secret) });
      expect(byPrefix('DbMaxConnections')?.Value).toBe('394');
    });
  });
});

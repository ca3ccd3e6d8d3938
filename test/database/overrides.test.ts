import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { logicalIdOf, rulesOf, securityGroupId, templateJson } from './template-helpers';
import { DatabaseEngineFamily, MaxConnections, ServerlessDatabase, ServerlessDatabaseProps } from '../../lib';
import { inlineFunctionProps, MYSQL_8_0, newDatabase, newStack, POSTGRES_17, R6G_LARGE, T4G_MEDIUM } from '../helpers';

/** Synthesizes `newDatabase(overrides)` and returns what the assertions need. */
function synth(overrides: Partial<ServerlessDatabaseProps> = {}) {
  const built = newDatabase(overrides);
  return { ...built, template: Template.fromStack(built.stack) };
}

function poolOf(template: Template): Record<string, number> {
  const groups = Object.values(template.findResources('AWS::RDS::DBProxyTargetGroup'));
  expect(groups).toHaveLength(1);
  return groups[0].Properties.ConnectionPoolConfigurationInfo;
}

describe('sizing overrides', () => {
  test.each([
    // [description, overrides, max_connections, adminHeadroom, MaxConnectionsPercent]
    ['explicit maxConnections replaces the formula', { maxConnections: 1000 }, 1000, 50, 94],
    ['adminHeadroom shrinks the proxy share', { adminHeadroom: 100 }, 394, 100, 72],
    ['explicit maxConnections with explicit adminHeadroom', { maxConnections: 200, adminHeadroom: 11 }, 200, 11, 90],
    ['maxConnections makes an unknown instance class usable', { instanceType: new ec2.InstanceType('x2g.large'), maxConnections: 600 }, 600, 30, 93],
  ] as Array<[string, Partial<ServerlessDatabaseProps>, number, number, number]>)(
    '%s',
    (_name, overrides, maxConnections, headroom, percent) => {
      // GIVEN / WHEN
      const { db, template } = synth(overrides);
      // THEN the parameter group, the output and the budget agree on max_connections
      template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Parameters: Match.objectLike({ max_connections: String(maxConnections) }),
      });
      expect(Object.values(template.findOutputs('*')).map(o => o.Value)).toContain(String(maxConnections));
      expect(db.maxConnections).toBe(maxConnections);
      expect(db.budget.adminHeadroom).toBe(headroom);
      // AND the proxy gets the whole percent that fits in the capacity
      expect(db.budget.proxyMaxConnectionsPercent).toBe(percent);
      expect(poolOf(template)).toEqual({ MaxConnectionsPercent: percent, MaxIdleConnectionsPercent: Math.floor(percent / 2), ConnectionBorrowTimeout: 30 });
    },
  );
});

describe('headroom and shared concurrency overrides', () => {
  // db.t4g.medium: proxy pool floor(394 x 92 / 100) = 362; the account can reserve 1000 - 100 = 900
  test.each([
    // [description, overrides, allocatable, share of a single uncapped function]
    ['the defaults keep 30% of the pool and give shares half the account', {}, 253, 253], // floor(362 x 70 / 100); min(253, floor(900 x 50 / 100) = 450)
    ['proxyHeadroomPercent 10', { proxyHeadroomPercent: 10 }, 325, 325], // floor(362 x 90 / 100) = 325; min(325, 450)
    // Without per-function users, whose handler would reserve 1 of the 900.
    ['sharedConcurrencyPercent 20', { sharedConcurrencyPercent: 20, functionUsers: false }, 253, 180], // min(253, floor(900 x 20 / 100) = 180)
  ] as Array<[string, Partial<ServerlessDatabaseProps>, number, number]>)('%s', (_name, overrides, allocatable, share) => {
    // GIVEN
    const { stack, db } = newDatabase(overrides);
    // WHEN
    const fn = db.addFunction('Worker', inlineFunctionProps());
    // THEN
    expect(db.budget.plan().proxyAllocatable).toBe(allocatable);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SERVERLESS_RDS_HOST: Match.anyValue() }) },
      ReservedConcurrentExecutions: share,
    });
    expect(db.budget.concurrencyOf(fn.node.path.slice(stack.node.path.length + 1))).toBe(share);
  });
});

describe('parameter overrides', () => {
  test('extra parameters are added and tuned ones can be overridden, the rest stay', () => {
    // GIVEN
    const { template } = synth({ parameters: { statement_timeout: '30000', idle_in_transaction_session_timeout: '120000' } });
    // THEN
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: {
        'max_connections': '394',
        'rds.force_ssl': '1',
        'statement_timeout': '30000',
        'idle_in_transaction_session_timeout': '120000',
        'tcp_keepalives_idle': '60',
        'tcp_keepalives_interval': '10',
        'tcp_keepalives_count': '6',
        'log_min_duration_statement': '1000',
      },
    });
  });
});

describe('instance overrides', () => {
  test.each([
    ['databaseName', { databaseName: 'orders' }, { DBName: 'orders' }],
    ['multiAz false', { multiAz: false }, { MultiAZ: false }],
    ['allocatedStorage', { allocatedStorage: 50 }, { AllocatedStorage: '50', MaxAllocatedStorage: 100 }],
    ['maxAllocatedStorage', { maxAllocatedStorage: 500 }, { AllocatedStorage: '20', MaxAllocatedStorage: 500 }],
    ['backupRetention', { backupRetention: Duration.days(14) }, { BackupRetentionPeriod: 14 }],
    ['deletionProtection false', { deletionProtection: false }, { DeletionProtection: false }],
    ['performanceInsights false', { performanceInsights: false }, { EnablePerformanceInsights: false, PerformanceInsightsKMSKeyId: Match.absent() }],
    ['monitoringInterval 15 s', { monitoringInterval: Duration.seconds(15) }, { MonitoringInterval: 15, MonitoringRoleArn: Match.anyValue() }],
  ] as Array<[string, Partial<ServerlessDatabaseProps>, Record<string, unknown>]>)(
    '%s is written to the DB instance',
    (_name, overrides, expected) => {
      // GIVEN / WHEN
      const { template } = synth(overrides);
      // THEN
      template.hasResourceProperties('AWS::RDS::DBInstance', expected);
    },
  );

  test('monitoringInterval 0 turns Enhanced Monitoring off and creates no monitoring role', () => {
    // GIVEN / WHEN
    const { db, template } = synth({ monitoringInterval: Duration.seconds(0) });
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', { MonitoringInterval: Match.absent(), MonitoringRoleArn: Match.absent() });
    expect(templateJson(template)).not.toContain('monitoring.rds.amazonaws.com');
    expect(db.node.tryFindChild('MonitoringRole')).toBeUndefined();
    expect(db.node.tryFindChild('MonitoringRolePolicy')).toBeUndefined();
  });

  test('removalPolicy DESTROY deletes the instance, the key, the secret and the log group', () => {
    // GIVEN / WHEN
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
    // THEN
    for (const type of ['AWS::RDS::DBInstance', 'AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      template.hasResource(type, { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    }
    template.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: false });
  });

  test('removalPolicy RETAIN retains the instance, the key and the log group', () => {
    // GIVEN / WHEN
    const { template } = synth({ removalPolicy: RemovalPolicy.RETAIN });
    // THEN
    for (const type of ['AWS::RDS::DBInstance', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      template.hasResource(type, { DeletionPolicy: 'Retain' });
    }
  });
});

describe('credentials and encryption overrides', () => {
  test('username is the master user, the secret template and the user of the connect policy', () => {
    // GIVEN / WHEN
    const { db, template } = synth({ username: 'appuser' });
    // THEN
    expect(db.username).toBe('appuser');
    template.hasResourceProperties('AWS::RDS::DBInstance', { MasterUsername: 'appuser' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"appuser"}' }),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [Match.objectLike({
          Action: 'rds-db:connect',
          Resource: { 'Fn::Join': ['', Match.arrayWith(['/appuser'])] },
        })],
      },
    });
  });

  test('a key passed as encryptionKey encrypts everything and no new key is created', () => {
    // GIVEN
    const { stack, vpc } = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    // WHEN
    const db = new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, encryptionKey: key });
    const template = Template.fromStack(stack);
    // THEN
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(db.encryptionKey).toBe(key);
    expect(db.node.tryFindChild('EncryptionKey')).toBeUndefined();
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] };
    template.hasResourceProperties('AWS::RDS::DBInstance', { KmsKeyId: keyArn, PerformanceInsightsKMSKeyId: keyArn });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn });
    // AND the key of the same stack lets CloudWatch Logs use it
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } } })]) },
    });
  });

  test('an imported key is used as is and no key resource is created', () => {
    // GIVEN
    const { stack, vpc } = newStack();
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const key = kms.Key.fromKeyArn(stack, 'Imported', keyArn);
    // WHEN
    new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, encryptionKey: key });
    const template = Template.fromStack(stack);
    // THEN
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::RDS::DBInstance', { KmsKeyId: keyArn, StorageEncrypted: true });
  });

  test('rotation false creates no rotation schedule, no rotation application and no rotation path to the instance', () => {
    // GIVEN / WHEN
    const { db, template } = synth({ rotation: false });
    // THEN
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    template.resourceCountIs('AWS::Serverless::Application', 0);
    const dbSg = securityGroupId(db.instance.connections.securityGroups[0]);
    expect(rulesOf(template, dbSg, 'ingress')).toEqual([
      { protocol: 'tcp', fromPort: 5432, toPort: 5432, peerGroup: securityGroupId(db.proxy.connections.securityGroups[0]), cidr: undefined },
    ]);
  });

  test.each([
    [Duration.days(7), 'rate(7 days)'],
    [Duration.days(90), 'rate(90 days)'],
  ])('rotationInterval %s sets the rotation schedule', (rotationInterval, expression) => {
    // GIVEN / WHEN
    const { template } = synth({ rotationInterval });
    // THEN
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: expression } });
  });

  test('iamAuthentication false disables proxy IAM auth and the connect policy reads the secret instead', () => {
    // GIVEN / WHEN
    const { db, template } = synth({ iamAuthentication: false });
    // THEN
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'DISABLED' })],
      RequireTLS: true,
    });
    const connect = template.findResources('AWS::IAM::ManagedPolicy')[logicalIdOf(db.connectPolicy)];
    expect(connect.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalIdOf(db.secret) } },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [logicalIdOf(db.encryptionKey), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } } },
      },
    ]);
    expect(templateJson(template)).not.toContain('rds-db:connect');
    // AND the instance keeps IAM database authentication (for direct administrator logins)
    template.hasResourceProperties('AWS::RDS::DBInstance', { EnableIAMDatabaseAuthentication: true });
  });
});

describe('proxy overrides', () => {
  test.each([
    ['maxConnectionsPercent within the budget', { maxConnectionsPercent: 50 }, { MaxConnectionsPercent: 50, MaxIdleConnectionsPercent: 25, ConnectionBorrowTimeout: 30 }],
    ['maxConnectionsPercent at the budget limit', { maxConnectionsPercent: 92 }, { MaxConnectionsPercent: 92, MaxIdleConnectionsPercent: 46, ConnectionBorrowTimeout: 30 }],
    ['maxIdleConnectionsPercent', { maxIdleConnectionsPercent: 10 }, { MaxConnectionsPercent: 92, MaxIdleConnectionsPercent: 10, ConnectionBorrowTimeout: 30 }],
    ['maxIdleConnectionsPercent 0', { maxIdleConnectionsPercent: 0 }, { MaxConnectionsPercent: 92, MaxIdleConnectionsPercent: 0, ConnectionBorrowTimeout: 30 }],
    ['both percents', { maxConnectionsPercent: 60, maxIdleConnectionsPercent: 60 }, { MaxConnectionsPercent: 60, MaxIdleConnectionsPercent: 60, ConnectionBorrowTimeout: 30 }],
    ['borrowTimeout', { borrowTimeout: Duration.seconds(60) }, { MaxConnectionsPercent: 92, MaxIdleConnectionsPercent: 46, ConnectionBorrowTimeout: 60 }],
    ['borrowTimeout of 1 hour', { borrowTimeout: Duration.hours(1) }, { MaxConnectionsPercent: 92, MaxIdleConnectionsPercent: 46, ConnectionBorrowTimeout: 3600 }],
  ] as Array<[string, ServerlessDatabaseProps['proxy'], Record<string, number>]>)(
    '%s sets the pool configuration',
    (_name, proxy, pool) => {
      // GIVEN / WHEN
      const { db, template } = synth({ proxy });
      // THEN
      expect(poolOf(template)).toEqual(pool);
      expect(db.budget.proxyMaxConnectionsPercent).toBe(pool.MaxConnectionsPercent);
    },
  );

  test('idleClientTimeout sets IdleClientTimeout in seconds', () => {
    // GIVEN / WHEN
    const { template } = synth({ proxy: { idleClientTimeout: Duration.minutes(10) } });
    // THEN
    template.hasResourceProperties('AWS::RDS::DBProxy', { IdleClientTimeout: 600 });
  });

  test('a very long construct path still gives a proxy name of at most 63 characters', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'AStackWithAVeryLongNameThatGoesOnAndOnAndOnForeverAndEver', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    // the rotation function runs in the isolated subnets and reaches Secrets Manager through an endpoint
    const secretsManagerEndpoint = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    // WHEN
    new ServerlessDatabase(stack, 'ADatabaseConstructWithAnEquallyLongIdentifierForTesting', {
      vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, secretsManagerEndpoint,
    });
    // THEN
    const proxy = Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBProxy'))[0];
    expect(proxy.Properties.DBProxyName.length).toBeLessThanOrEqual(63);
    expect(proxy.Properties.DBProxyName).toMatch(/^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/);
  });
});

describe('function and placement overrides', () => {
  test.each([
    [logs.RetentionDays.ONE_MONTH, 30],
    [logs.RetentionDays.TEN_YEARS, 3653],
  ])('functionLogRetention %s sets the retention of the shared log group', (functionLogRetention, days) => {
    // GIVEN / WHEN
    const { template } = synth({ functionLogRetention });
    // THEN
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: days });
  });

  test('vpcSubnets places the instance and the proxy in the chosen subnets', () => {
    // GIVEN / WHEN
    const { stack, vpc, template } = synth({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
    // THEN
    const privateIds = stack.resolve(vpc.privateSubnets.map(s => s.subnetId));
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: privateIds });
    template.hasResourceProperties('AWS::RDS::DBProxy', { VpcSubnetIds: privateIds });
  });

  test('functionSubnets places the rotation function (and wired functions) in the chosen subnets', () => {
    // GIVEN isolated function subnets, from which the rotation function reaches Secrets Manager through an endpoint
    const { stack, vpc } = newStack();
    const secretsManagerEndpoint = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    // WHEN
    const db = new ServerlessDatabase(stack, 'Db', {
      vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, secretsManagerEndpoint, functionSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    const template = Template.fromStack(stack);
    // THEN
    const isolated = stack.resolve(vpc.isolatedSubnets.map(s => s.subnetId));
    expect(db.functionSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({ vpcSubnetIds: { 'Fn::Join': ['', [isolated[0], ',', isolated[1]]] } }),
    });
  });

  test('a VPC with only isolated subnets defaults functionSubnets to the isolated subnets', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'IsolatedOnly', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    // WHEN
    const db = new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM });
    // THEN
    expect(db.functionSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
  });
});

describe('engines', () => {
  const MYSQL_8_4 = rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_5 });

  test.each([
    ['MySQL 8.0', MYSQL_8_0, 'mysql8.0', '8.0'],
    ['MySQL 8.4', MYSQL_8_4, 'mysql8.4', '8.4'],
  ])('%s gets the tuned MySQL parameters, the audit plugin, port 3306 and a MYSQL proxy', (_name, engine, family, major) => {
    // GIVEN / WHEN
    const { db, template } = synth({ engine });
    // THEN
    expect(db.engineFamily).toBe(DatabaseEngineFamily.MYSQL);
    expect(db.port).toBe(3306);
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: family,
      Parameters: {
        max_connections: Match.stringLikeRegexp('^\\d+$'),
        require_secure_transport: '1',
        wait_timeout: '900',
        interactive_timeout: '900',
        max_connect_errors: '100000',
        slow_query_log: '1',
        long_query_time: '1',
        log_output: 'FILE',
      },
    });
    template.resourceCountIs('AWS::RDS::OptionGroup', 1);
    template.hasResourceProperties('AWS::RDS::OptionGroup', {
      EngineName: 'mysql',
      MajorEngineVersion: major,
      OptionConfigurations: [Match.objectLike({ OptionName: 'MARIADB_AUDIT_PLUGIN' })],
    });
    const optionGroupId = Object.keys(template.findResources('AWS::RDS::OptionGroup'))[0];
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'mysql',
      Port: '3306',
      OptionGroupName: { Ref: optionGroupId },
      EnableCloudwatchLogsExports: ['audit', 'error', 'general', 'slowquery'],
    });
    template.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'MYSQL', RequireTLS: true });
    // AND every security group rule uses 3306
    const proxySg = securityGroupId(db.proxy.connections.securityGroups[0]);
    expect(rulesOf(template, proxySg, 'ingress').map(r => [r.fromPort, r.toPort])).toEqual([[3306, 3306]]);
    expect(rulesOf(template, securityGroupId(db.clientSecurityGroup), 'egress').map(r => [r.fromPort, r.toPort])).toEqual([[3306, 3306]]);
  });

  test('MySQL on db.r6g.large writes the default formula of the class as max_connections', () => {
    // GIVEN
    const expected = MaxConnections.forInstanceClass(DatabaseEngineFamily.MYSQL, 'db.r6g.large');
    // WHEN
    const { db, template } = synth({ engine: MYSQL_8_0, instanceType: R6G_LARGE });
    // THEN
    expect(db.maxConnections).toBe(expected);
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ max_connections: String(expected) }) });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r6g.large' });
    // AND the MySQL budget keeps 3 reserved connections
    expect(db.budget.reservedConnections).toBe(3);
  });

  test('MySQL secret rotation uses the MySQL single-user application', () => {
    // GIVEN / WHEN
    const { template } = synth({ engine: MYSQL_8_0 });
    // THEN
    const mappings = JSON.stringify(template.toJSON().Mappings ?? {});
    expect(mappings).toContain('SecretsManagerRDSMySQLRotationSingleUser');
    expect(mappings).not.toContain('PostgreSQL');
  });

  test.each([
    ['PostgreSQL 15', rds.PostgresEngineVersion.VER_15, 'postgres15'],
    ['PostgreSQL 16', rds.PostgresEngineVersion.VER_16, 'postgres16'],
    ['PostgreSQL 17.5', rds.PostgresEngineVersion.VER_17_5, 'postgres17'],
  ])('%s is accepted with the PostgreSQL parameter family', (_name, version, family) => {
    // GIVEN / WHEN
    const { db, template } = synth({ engine: rds.DatabaseInstanceEngine.postgres({ version }) });
    // THEN
    expect(db.engineFamily).toBe(DatabaseEngineFamily.POSTGRESQL);
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: family, Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
    template.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL' });
  });
});

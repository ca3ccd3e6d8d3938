import { App, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ServerlessDatabase, ServerlessDatabaseProps } from '../../lib';
import { newDatabase, POSTGRES_17, T4G_MEDIUM } from '../helpers';

/** A number CloudFormation resolves at deploy time, which the budget arithmetic cannot use. */
const DEPLOY_TIME_NUMBER = (): number => Token.asNumber(Fn.ref('P'));

describe('unsupported engines are refused, naming `engine`', () => {
  test.each([
    ['MariaDB', rds.DatabaseInstanceEngine.mariaDb({ version: rds.MariaDbEngineVersion.VER_10_11 }), /`engine` mariadb is not supported: ServerlessDatabase supports PostgreSQL 15, 16 and 17 and MySQL 8\.0 and 8\.4/],
    ['PostgreSQL 14', rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_14 }), /`engine` postgres 14 is not supported/],
    ['PostgreSQL 18', rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }), /`engine` postgres 18 is not supported/],
    ['MySQL 5.7', rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_5_7 }), /`engine` mysql 5\.7 is not supported/],
    ['SQL Server', rds.DatabaseInstanceEngine.sqlServerEx({ version: rds.SqlServerEngineVersion.VER_16 }), /`engine` sqlserver-ex is not supported/],
    ['PostgreSQL without a version', rds.DatabaseInstanceEngine.POSTGRES, /`engine` must name a version/],
    ['MySQL without a version', rds.DatabaseInstanceEngine.MYSQL, /`engine` must name a version/],
  ])('%s', (_name, engine, message) => {
    // GIVEN an engine the library does not support / WHEN the database is created / THEN it throws
    expect(() => newDatabase({ engine })).toThrow(message);
  });
});

describe('bad sizing props are refused, naming the prop', () => {
  test.each([
    ['an instance class the library does not know, without maxConnections', { instanceType: new ec2.InstanceType('x2g.large') }, /db\.x2g\.large is not in cdk-serverless-rds's memory table[\s\S]*set `maxConnections`/],
    ['maxConnections 0', { maxConnections: 0 }, /`maxConnections` must be a positive whole number, got: 0/],
    ['maxConnections -1', { maxConnections: -1 }, /`maxConnections` must be a positive whole number, got: -1/],
    ['maxConnections 1.5', { maxConnections: 1.5 }, /`maxConnections` must be a positive whole number, got: 1\.5/],
    ['maxConnections as a deploy-time token', { maxConnections: DEPLOY_TIME_NUMBER() }, /`maxConnections` must be a number known at synth time/],
    ['max_connections in parameters', { parameters: { max_connections: '500' } }, /Set `maxConnections` instead of parameters\.max_connections/],
    ['max_connections in parameters even with maxConnections', { maxConnections: 500, parameters: { max_connections: '500' } }, /Set `maxConnections` instead of parameters\.max_connections/],
    // 394 - 9 reserved - 385 = 0
    ['adminHeadroom leaving no capacity', { adminHeadroom: 385 }, /maxConnections \(394\) leaves no capacity after 9 engine-reserved connections and an adminHeadroom of 385/],
    ['adminHeadroom leaving no capacity with explicit maxConnections', { maxConnections: 20, adminHeadroom: 15 }, /maxConnections \(20\) leaves no capacity[\s\S]*lower adminHeadroom/],
    ['adminHeadroom -1', { adminHeadroom: -1 }, /`adminHeadroom` must be a whole number of at least 0, got: -1/],
    ['adminHeadroom 2.5', { adminHeadroom: 2.5 }, /`adminHeadroom` must be a whole number of at least 0, got: 2\.5/],
  ] as Array<[string, Partial<ServerlessDatabaseProps>, RegExp]>)('%s', (_name, overrides, message) => {
    // GIVEN bad props / WHEN the database is created / THEN it throws naming the prop
    expect(() => newDatabase(overrides)).toThrow(message);
  });

  test('the last headroom that leaves one connection is accepted', () => {
    // GIVEN / WHEN 394 - 9 reserved - 384 = 1
    const { db } = newDatabase({ adminHeadroom: 384 });
    // THEN
    expect(db.budget.capacity).toBe(1);
  });
});

describe('bad proxy options are refused, naming the prop', () => {
  test.each([0, 101, 2.5])('proxy.maxConnectionsPercent %s', (maxConnectionsPercent) => {
    // GIVEN / WHEN / THEN
    expect(() => newDatabase({ proxy: { maxConnectionsPercent } }))
      .toThrow(new RegExp(`\`proxy\\.maxConnectionsPercent\` must be a whole number between 1 and 100, got: ${String(maxConnectionsPercent).replace('.', '\\.')}`));
  });

  test.each([
    ['maxIdleConnectionsPercent above an explicit maxConnectionsPercent', { maxConnectionsPercent: 50, maxIdleConnectionsPercent: 60 }, /`proxy\.maxIdleConnectionsPercent` must be a whole number between 0 and 50, got: 60/],
    ['maxIdleConnectionsPercent above 100', { maxIdleConnectionsPercent: 101 }, /`proxy\.maxIdleConnectionsPercent` must be a whole number between 0 and 100, got: 101/],
    ['maxIdleConnectionsPercent -1', { maxIdleConnectionsPercent: -1 }, /`proxy\.maxIdleConnectionsPercent` must be a whole number between 0 and 100, got: -1/],
    ['maxIdleConnectionsPercent 1.5', { maxIdleConnectionsPercent: 1.5 }, /`proxy\.maxIdleConnectionsPercent` must be a whole number between 0 and 100, got: 1\.5/],
    ['maxIdleConnectionsPercent as a deploy-time token', { maxIdleConnectionsPercent: DEPLOY_TIME_NUMBER() }, /`proxy\.maxIdleConnectionsPercent` must be a number known at synth time/],
    ['borrowTimeout of 2 hours', { borrowTimeout: Duration.hours(2) }, /`proxy\.borrowTimeout` must be between 1 second and 1 hour, got: 2 hours/],
    ['borrowTimeout of 0 seconds', { borrowTimeout: Duration.seconds(0) }, /`proxy\.borrowTimeout` must be between 1 second and 1 hour/],
  ] as Array<[string, ServerlessDatabaseProps['proxy'], RegExp]>)('%s', (_name, proxy, message) => {
    // GIVEN / WHEN / THEN
    expect(() => newDatabase({ proxy })).toThrow(message);
  });

  test('maxIdleConnectionsPercent above the derived maxConnectionsPercent', () => {
    // GIVEN the budget derives MaxConnectionsPercent 92 for db.t4g.medium
    // WHEN idle is set to 95 / THEN construction or synthesis fails naming the prop
    expect(() => {
      const { stack } = newDatabase({ proxy: { maxIdleConnectionsPercent: 95 } });
      Template.fromStack(stack);
    }).toThrow(/proxy\.maxIdleConnectionsPercent/);
  });

  test('maxConnectionsPercent larger than the budget allows fails at synth time with the limit', () => {
    // GIVEN capacity 365 of 394: at most 92%; 99% would let the proxy open 390 connections
    const { stack, db } = newDatabase({ proxy: { maxConnectionsPercent: 99 } });
    expect(db.budget.plan().problems).toHaveLength(1);
    // WHEN / THEN
    expect(() => Template.fromStack(stack))
      .toThrow(/over-committed[\s\S]*lets the proxy open 390 connections, but the budget leaves it 365[\s\S]*use at most 92/);
  });
});

describe('placement errors', () => {
  function vpcWithoutIsolatedSubnets() {
    const app = new App();
    const stack = new Stack(app, 'NoIsolated', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    return { stack, vpc };
  }

  test('a VPC without isolated subnets is refused, naming `vpcSubnets`', () => {
    // GIVEN
    const { stack, vpc } = vpcWithoutIsolatedSubnets();
    // WHEN / THEN
    expect(() => new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM }))
      .toThrow(/private isolated subnets and the VPC has none: add isolated subnets or set `vpcSubnets`/);
  });

  test('the same VPC is accepted when vpcSubnets chooses its private subnets', () => {
    // GIVEN
    const { stack, vpc } = vpcWithoutIsolatedSubnets();
    // WHEN
    new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::RDS::DBInstance', 1);
  });
});

describe('inputs RDS would reject at deploy time', () => {
  test('allocatedStorage without a larger maxAllocatedStorage gets a default maximum of twice its size', () => {
    // GIVEN / WHEN
    const { stack } = newDatabase({ allocatedStorage: 200 });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: '200', MaxAllocatedStorage: 400 });
  });

  test.each([
    ['below 20 GiB', { allocatedStorage: 10 }, /`allocatedStorage` must be a whole number between 20 and 65536, got: 10/],
    ['fractional', { allocatedStorage: 20.5 }, /`allocatedStorage` must be a whole number/],
  ])('allocatedStorage %s is refused', (_case, props, message) => {
    expect(() => newDatabase(props)).toThrow(message);
  });

  test('allocatedStorage above maxAllocatedStorage is refused, naming both props', () => {
    // GIVEN / WHEN / THEN
    expect(() => newDatabase({ allocatedStorage: 200, maxAllocatedStorage: 100 })).toThrow(/`maxAllocatedStorage`[\s\S]*`allocatedStorage`|`allocatedStorage`[\s\S]*`maxAllocatedStorage`/);
  });

  test('monitoringInterval RDS does not offer (7 s) is refused, naming the prop', () => {
    // GIVEN / WHEN / THEN
    expect(() => newDatabase({ monitoringInterval: Duration.seconds(7) })).toThrow(/`monitoringInterval`/);
  });
});

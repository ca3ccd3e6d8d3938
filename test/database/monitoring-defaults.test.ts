import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { logicalIdOf } from './template-helpers';
import { ServerlessDatabaseProps } from '../../lib';
import { MYSQL_8_0, newDatabase, POSTGRES_17, T4G_MEDIUM } from '../helpers';

const T3_MICRO = new ec2.InstanceType('t3.micro');
const T4G_SMALL = ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL);
const T2_SMALL = ec2.InstanceType.of(ec2.InstanceClass.T2, ec2.InstanceSize.SMALL);

/** The DB instance's properties in the synthesized template, and the construct key's ARN. */
function instanceOf(overrides: Partial<ServerlessDatabaseProps>) {
  const { stack, db } = newDatabase(overrides);
  const instances = Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBInstance'));
  expect(instances).toHaveLength(1);
  return { properties: instances[0].Properties, keyArn: { 'Fn::GetAtt': [logicalIdOf(db.encryptionKey), 'Arn'] } };
}

describe('monitoring defaults per engine and instance class', () => {
  test.each([
    ['PostgreSQL', 'db.t3.micro', POSTGRES_17, T3_MICRO],
    ['PostgreSQL', 'db.t4g.small', POSTGRES_17, T4G_SMALL],
    ['PostgreSQL', 'db.t4g.medium', POSTGRES_17, T4G_MEDIUM],
    ['MySQL', 'db.t4g.medium', MYSQL_8_0, T4G_MEDIUM],
  ])('%s on %s: Performance Insights on, Database Insights Standard, encrypted with the construct key', (_engine, _class, engine, instanceType) => {
    // GIVEN / WHEN
    const { properties, keyArn } = instanceOf({ engine, instanceType });
    // THEN
    expect(properties).toMatchObject({
      EnablePerformanceInsights: true,
      DatabaseInsightsMode: 'standard',
      PerformanceInsightsKMSKeyId: keyArn,
      PerformanceInsightsRetentionPeriod: 7, // the retention that comes at no charge
    });
  });

  test.each([
    ['db.t3.micro', T3_MICRO],
    ['db.t4g.small', T4G_SMALL],
    ['db.t2.small', T2_SMALL],
  ])('MySQL on %s, which RDS does not offer it on: Performance Insights off, no Database Insights mode', (_class, instanceType) => {
    // GIVEN / WHEN
    const { properties } = instanceOf({ engine: MYSQL_8_0, instanceType, maxConnections: 50 });
    // THEN
    expect(properties.EnablePerformanceInsights).toBe(false);
    expect(properties.DatabaseInsightsMode).toBeUndefined();
    expect(properties.PerformanceInsightsKMSKeyId).toBeUndefined();
  });

  test('Advanced mode sets the 15 months of retention it requires', () => {
    // GIVEN / WHEN
    const { properties } = instanceOf({ databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED });
    // THEN
    expect(properties).toMatchObject({
      EnablePerformanceInsights: true,
      DatabaseInsightsMode: 'advanced',
      PerformanceInsightsRetentionPeriod: 465,
    });
  });

  test('performanceInsights false turns both off', () => {
    // GIVEN / WHEN
    const { properties } = instanceOf({ performanceInsights: false });
    // THEN
    expect(properties).toMatchObject({ EnablePerformanceInsights: false });
    expect(properties).not.toHaveProperty('DatabaseInsightsMode');
    expect(properties).not.toHaveProperty('PerformanceInsightsKMSKeyId');
  });

  test.each([
    ['performanceInsights true', { performanceInsights: true }],
    ['Database Insights Advanced', { databaseInsightsMode: rds.DatabaseInsightsMode.ADVANCED }],
    ['Database Insights Standard', { databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD }],
  ] as Array<[string, Partial<ServerlessDatabaseProps>]>)('%s for MySQL on db.t3.micro is a synth error naming the construct', (_name, overrides) => {
    // WHEN / THEN
    expect(() => newDatabase({ engine: MYSQL_8_0, instanceType: T3_MICRO, ...overrides })).toThrow(
      /^TestStack\/Db: RDS for MySQL offers neither Performance Insights nor Database Insights on db\.t3\.micro/,
    );
  });

  test('a Database Insights mode with performanceInsights false is a synth error naming the construct', () => {
    // WHEN / THEN
    expect(() => newDatabase({ performanceInsights: false, databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD })).toThrow(
      /^TestStack\/Db: `databaseInsightsMode` needs Performance Insights, but `performanceInsights` is false/,
    );
  });

});

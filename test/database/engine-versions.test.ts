import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ServerlessDatabase } from '../../lib';
import { synthesizeWithFindings } from '../compliance-report';
import { newDatabase, T4G_MEDIUM } from '../helpers';

/** The project's cdk.json context, which turns on CloudFormation's stricter template validation. */
const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

describe('engine versions under the CloudFormation validation of cdk.json', () => {
  test('cdk.json turns the validation findings into errors', () => {
    expect(CDK_JSON_CONTEXT['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  test.each([
    ['PostgreSQL 15', rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 })],
    ['PostgreSQL 16', rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 })],
    ['PostgreSQL 17', rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 })],
    ['MySQL 8.0.44', rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0_44 })],
    ['MySQL 8.4.7', rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_4_7 })],
  ])('%s synthesizes with no CloudFormation validation finding', (_name, engine) => {
    // GIVEN an app with the project's context
    const app = new App({ context: CDK_JSON_CONTEXT });
    const stack = new Stack(app, 'Versions', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    // Isolated subnets: the rotation function reaches Secrets Manager through an endpoint.
    const secretsManagerEndpoint = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    new ServerlessDatabase(stack, 'Db', { vpc, engine, instanceType: T4G_MEDIUM, secretsManagerEndpoint });

    // WHEN it is synthesized
    const { findings } = synthesizeWithFindings(app);

    // THEN the validation has nothing to say about it (in particular E9006 on EngineVersion)
    expect(findings).toEqual([]);
  });

  test('MySQL 8.0 without a minor version (VER_8_0), which fails that validation with E9006, is refused naming the construct', () => {
    // WHEN / THEN
    expect(() => newDatabase({ engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }) })).toThrow(
      /^TestStack\/Db: `engine` mysql 8\.0 names no minor version, which CloudFormation's template validation rejects \(E9006, EngineVersion\): name one, for example rds\.MysqlEngineVersion\.VER_8_0_44/,
    );
  });
});

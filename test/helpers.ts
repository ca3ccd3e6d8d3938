import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ServerlessDatabase, ServerlessDatabaseProps } from '../lib';

/** A fresh app and stack with a fixed environment, and a VPC with isolated and egress subnets. */
export function newStack(id = 'TestStack'): { app: App; stack: Stack; vpc: ec2.Vpc } {
  const app = new App();
  const stack = new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack, vpc: newVpc(stack) };
}

/** A VPC with public, egress and isolated subnets in two zones. */
export function newVpc(stack: Stack, id = 'Vpc'): ec2.Vpc {
  return new ec2.Vpc(stack, id, {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

export const POSTGRES_17 = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });
export const MYSQL_8_0 = rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0_44 });
export const T4G_MEDIUM = ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM);
export const R6G_LARGE = ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE);

/** A PostgreSQL 17 db.t4g.medium database (max_connections 394) in `newStack()`'s VPC. */
export function newDatabase(overrides: Partial<ServerlessDatabaseProps> = {}, id = 'TestStack') {
  const { app, stack, vpc } = newStack(id);
  const db = new ServerlessDatabase(stack, 'Db', { vpc, engine: POSTGRES_17, instanceType: T4G_MEDIUM, ...overrides });
  return { app, stack, vpc, db };
}

/** Props of a small inline Node.js function: no bundling, fast to synthesize. */
export function inlineFunctionProps(): { runtime: lambda.Runtime; handler: string; code: lambda.Code } {
  return { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') };
}

/** Entry of the handler that NodejsFunction tests bundle with esbuild. */
export const FIXTURE_HANDLER = path.join(__dirname, 'fixtures', 'handler.ts');

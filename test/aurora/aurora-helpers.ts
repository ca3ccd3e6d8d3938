import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ServerlessAuroraCluster, ServerlessAuroraClusterProps } from '../../lib';
import { newStack } from '../helpers';

export const AURORA_POSTGRES = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 });
export const AURORA_MYSQL = rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_08_0 });

/** A stack with an Aurora cluster (Serverless v2 PostgreSQL unless overridden). */
export function newCluster(overrides: Partial<ServerlessAuroraClusterProps> = {}, id = 'TestStack') {
  const { app, stack, vpc } = newStack(id);
  const db = new ServerlessAuroraCluster(stack, 'Db', { vpc, engine: AURORA_POSTGRES, ...overrides });
  return { app, stack, vpc, db };
}

export const R6G_LARGE = ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE);

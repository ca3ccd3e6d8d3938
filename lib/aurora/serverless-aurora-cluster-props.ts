import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { ManagedDatabaseOptions } from '../database/managed-database-options';

/**
 * Properties of a `ServerlessAuroraCluster`.
 */
export interface ServerlessAuroraClusterProps extends ManagedDatabaseOptions {
  /**
   * The Aurora engine, with its version: Aurora PostgreSQL or Aurora MySQL 3.
   *
   * @example rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 })
   */
  readonly engine: rds.IClusterEngine;

  /**
   * The instance class of the writer and the readers (provisioned). Leave it unset for Aurora
   * Serverless v2 (`db.serverless`, sized by `minCapacity` and `maxCapacity`).
   *
   * @default - Aurora Serverless v2
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Minimum capacity of Aurora Serverless v2 instances, in ACU (0 to 256, in steps of 0.5). 0
   * lets the cluster pause, which RDS Proxy does not support: use it with `rdsProxy: false` and
   * the Data API.
   *
   * @default 0.5
   */
  readonly minCapacity?: number;

  /**
   * Maximum capacity of Aurora Serverless v2 instances, in ACU (1 to 256, in steps of 0.5). It
   * sets `max_connections` of every instance and so the budget.
   *
   * @default 4
   */
  readonly maxCapacity?: number;

  /**
   * Number of reader instances (same class or capacity as the writer). Readers get a read-only
   * endpoint of the proxy and their own connection budget (`readers.budget`).
   *
   * @default 0
   */
  readonly readers?: number;

  /**
   * `max_connections` of every instance, written as an explicit integer in the instance
   * parameter group.
   *
   * @default - AWS's default for the instance class, or for Serverless v2 for the capacity range
   */
  readonly maxConnections?: number;

  /**
   * Whether functions connect through an RDS Proxy (TLS and IAM required).
   *
   * @default true
   */
  readonly rdsProxy?: boolean;

  /**
   * Whether the RDS Data API (HTTP, no VPC and no connection management in functions) is on.
   * Functions created with `addDataApiFunction()` use it.
   *
   * @default false
   */
  readonly dataApi?: boolean;

  /**
   * Extra or overriding parameters of the cluster parameter group.
   *
   * @default - only the tuned parameters
   */
  readonly parameters?: { [name: string]: string };

}

import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import { DatabaseEngineFamily } from '../budget/engine-family';

/** What the monitoring props of `ServerlessDatabase` need from the caller. */
export interface MonitoringChoices {
  readonly performanceInsights?: boolean;
  readonly databaseInsightsMode?: rds.DatabaseInsightsMode;
}

/** The Performance Insights and Database Insights settings of the DB instance. */
export interface InstanceInsightsSettings {
  readonly enablePerformanceInsights: boolean;
  readonly databaseInsightsMode?: rds.DatabaseInsightsMode;
  readonly performanceInsightRetention?: rds.PerformanceInsightRetention;
  readonly performanceInsightEncryptionKey?: kms.IKey;
}

/**
 * RDS for MySQL (and MariaDB) offers Performance Insights and Database Insights on every class
 * except these burstable ones; RDS for PostgreSQL has no class restriction
 * (RDS User Guide, "Amazon RDS DB engine, Region, and instance class support for Database Insights").
 */
const MYSQL_CLASSES_WITHOUT_INSIGHTS = /^db\.t[234]g?\.(micro|small)$/;

/** Whether RDS offers Performance Insights (and so Database Insights) for `engine` on `instanceClass`. */
export function supportsPerformanceInsights(engine: DatabaseEngineFamily, instanceClass: string): boolean {
  return engine !== DatabaseEngineFamily.MYSQL || !MYSQL_CLASSES_WITHOUT_INSIGHTS.test(instanceClass);
}

/**
 * The instance's monitoring settings: Performance Insights on wherever RDS offers it, in Database
 * Insights' Standard mode (7 days of history at no charge), encrypted with the construct's key.
 * Advanced mode (fleet views, execution plans; charged) needs 15 months of retention, which is
 * set with it. Combinations RDS would reject at deploy time are errors naming the construct.
 */
export function instanceInsightsSettings(
  scope: IConstruct,
  engine: DatabaseEngineFamily,
  instanceClass: string,
  choices: MonitoringChoices,
  encryptionKey: kms.IKey,
): InstanceInsightsSettings {
  const supported = supportsPerformanceInsights(engine, instanceClass);
  const advanced = choices.databaseInsightsMode === rds.DatabaseInsightsMode.ADVANCED;
  if (!supported && (choices.performanceInsights === true || choices.databaseInsightsMode !== undefined)) {
    throw new Error(
      `${scope.node.path}: RDS for MySQL offers neither Performance Insights nor Database Insights on ${instanceClass}; ` +
      'choose a class of medium size or larger, or leave `performanceInsights` and `databaseInsightsMode` unset',
    );
  }
  const enabled = choices.performanceInsights ?? supported;
  if (!enabled) {
    if (choices.databaseInsightsMode !== undefined) {
      throw new Error(
        `${scope.node.path}: \`databaseInsightsMode\` needs Performance Insights, but \`performanceInsights\` is false; ` +
        'remove one of them',
      );
    }
    return { enablePerformanceInsights: false };
  }
  return {
    enablePerformanceInsights: true,
    databaseInsightsMode: choices.databaseInsightsMode ?? rds.DatabaseInsightsMode.STANDARD,
    performanceInsightRetention: advanced ? rds.PerformanceInsightRetention.MONTHS_15 : undefined,
    performanceInsightEncryptionKey: encryptionKey,
  };
}

import * as rds from 'aws-cdk-lib/aws-rds';
import { IConstruct } from 'constructs';
import { DatabaseEngineFamily } from '../budget/engine-family';

/** What the library needs of a supported engine. */
export interface SupportedEngine {
  readonly family: DatabaseEngineFamily;
  readonly majorVersion: string;
  /** Log types exported to CloudWatch Logs. */
  readonly cloudwatchLogsExports: string[];
}

/**
 * Versions RDS Proxy serves and the tuned parameter groups cover.
 * (RDS User Guide, "Supported Regions and DB engines for Amazon RDS Proxy".)
 */
const SUPPORTED_MAJOR_VERSIONS: Record<DatabaseEngineFamily, string[]> = {
  [DatabaseEngineFamily.POSTGRESQL]: ['15', '16', '17'],
  [DatabaseEngineFamily.MYSQL]: ['8.0', '8.4'],
};

const SUPPORTED_TEXT = 'PostgreSQL 15, 16 and 17 and MySQL 8.0 and 8.4';

/**
 * Checks that `engine` is one the library (and RDS Proxy) supports, with a version given.
 * Errors start with the path of `scope`, the construct being created.
 */
export function resolveEngine(engine: rds.IInstanceEngine, scope: IConstruct): SupportedEngine {
  const at = scope.node.path;
  const family = familyOf(engine.engineType);
  const majorVersion = engine.engineVersion?.majorVersion;
  if (family === undefined) {
    throw new Error(
      `${at}: \`engine\` ${engine.engineType} is not supported: ServerlessDatabase supports ${SUPPORTED_TEXT} ` +
      '(for example rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }))',
    );
  }
  if (majorVersion === undefined) {
    throw new Error(
      `${at}: \`engine\` must name a version (the parameter group family depends on it): use for example ` +
      'rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 })',
    );
  }
  if (!SUPPORTED_MAJOR_VERSIONS[family].includes(majorVersion)) {
    throw new Error(
      `${at}: \`engine\` ${engine.engineType} ${majorVersion} is not supported: ServerlessDatabase supports ${SUPPORTED_TEXT}, ` +
      'the versions RDS Proxy serves and the tuned parameter groups cover',
    );
  }
  requireMysqlMinorVersion(engine, family, at);
  return {
    family,
    majorVersion,
    cloudwatchLogsExports: family === DatabaseEngineFamily.POSTGRESQL
      ? ['postgresql', 'upgrade']
      // audit needs the MARIADB_AUDIT_PLUGIN option; general is empty until general_log is set.
      : ['audit', 'error', 'general', 'slowquery'],
  };
}

function familyOf(engineType: string): DatabaseEngineFamily | undefined {
  switch (engineType) {
    case 'postgres': return DatabaseEngineFamily.POSTGRESQL;
    case 'mysql': return DatabaseEngineFamily.MYSQL;
    default: return undefined;
  }
}

/**
 * A MySQL version without its minor number (`MysqlEngineVersion.VER_8_0` is "8.0") is not a
 * value CloudFormation's schema allows for `EngineVersion`: the stricter template validation
 * (`@aws-cdk/core:validateAgainstDefaultRules`) fails the synth with E9006, and without it the
 * version RDS picks is whatever its default minor is that day. PostgreSQL's major-only versions
 * ("17") are allowed values.
 */
function requireMysqlMinorVersion(engine: rds.IInstanceEngine, family: DatabaseEngineFamily, at: string): void {
  const fullVersion = engine.engineVersion?.fullVersion ?? '';
  if (family === DatabaseEngineFamily.MYSQL && !/^\d+\.\d+\.\d+/.test(fullVersion)) {
    throw new Error(
      `${at}: \`engine\` mysql ${fullVersion} names no minor version, which CloudFormation's template validation ` +
      'rejects (E9006, EngineVersion): name one, for example rds.MysqlEngineVersion.VER_8_0_44 or rds.MysqlEngineVersion.VER_8_4_7',
    );
  }
}

import * as rds from 'aws-cdk-lib/aws-rds';
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
 */
export function resolveEngine(engine: rds.IInstanceEngine): SupportedEngine {
  const family = familyOf(engine.engineType);
  const majorVersion = engine.engineVersion?.majorVersion;
  if (family === undefined) {
    throw new Error(
      `\`engine\` ${engine.engineType} is not supported: ServerlessDatabase supports ${SUPPORTED_TEXT} ` +
      '(for example rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }))',
    );
  }
  if (majorVersion === undefined) {
    throw new Error(
      `\`engine\` must name a version (the parameter group family depends on it): use for example ` +
      'rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 })',
    );
  }
  if (!SUPPORTED_MAJOR_VERSIONS[family].includes(majorVersion)) {
    throw new Error(
      `\`engine\` ${engine.engineType} ${majorVersion} is not supported: ServerlessDatabase supports ${SUPPORTED_TEXT}, ` +
      'the versions RDS Proxy serves and the tuned parameter groups cover',
    );
  }
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

import { IConstruct } from 'constructs';
import { ServerlessAuroraClusterProps } from './serverless-aurora-cluster-props';
import { AuroraMaxConnections } from '../budget/aurora-max-connections';
import { DatabaseEngineFamily } from '../budget/engine-family';

/** What the construct needs to know of the cluster it builds: engine, instances and `max_connections`. */
export interface AuroraShape {
  readonly family: DatabaseEngineFamily;
  /** `db.r6g.large`, or `db.serverless`. */
  readonly instanceClass: string;
  readonly serverless: boolean;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly readers: number;
  /** `max_connections` of every instance (writer and readers are alike). */
  readonly maxConnections: number;
  /** Where it comes from, for the table. */
  readonly maxConnectionsSource: string;
  readonly cloudwatchLogsExports: string[];
}

const DEFAULT_MIN_ACU = 0.5;
const DEFAULT_MAX_ACU = 4;

/** Reads and checks the props: errors name the construct and the choice to make. */
export function auroraShape(scope: IConstruct, props: ServerlessAuroraClusterProps): AuroraShape {
  const path = scope.node.path;
  const family = familyOf(props.engine.engineType);
  if (family === undefined) {
    throw new Error(`${path}: \`engine\` ${props.engine.engineType} is not supported: use rds.DatabaseClusterEngine.auroraPostgres() or auroraMysql()`);
  }
  if (props.engine.engineVersion?.fullVersion === undefined) {
    throw new Error(`${path}: \`engine\` must name a version (the parameter group family depends on it)`);
  }
  const serverless = props.instanceType === undefined;
  if (!serverless && (props.minCapacity !== undefined || props.maxCapacity !== undefined)) {
    throw new Error(`${path}: \`minCapacity\` and \`maxCapacity\` size Aurora Serverless v2 instances; leave them unset with \`instanceType\` (provisioned), or leave \`instanceType\` unset`);
  }
  const minCapacity = props.minCapacity ?? DEFAULT_MIN_ACU;
  const maxCapacity = props.maxCapacity ?? Math.max(DEFAULT_MAX_ACU, minCapacity);
  const rdsProxy = props.rdsProxy ?? true;
  if (serverless && minCapacity === 0 && rdsProxy) {
    throw new Error(
      `${path}: a minimum capacity of 0 ACU lets Aurora Serverless v2 pause, and RDS Proxy does not support clusters that pause. ` +
      'Choose one: a `minCapacity` of 0.5 ACU or more (the cluster stays on, behind the proxy), or `rdsProxy: false` with ' +
      '`dataApi: true` (functions use the Data API over HTTP, and the first request after a pause waits for the resume).',
    );
  }
  const readers = props.readers ?? 0;
  if (!Number.isInteger(readers) || readers < 0 || readers > 15) {
    throw new Error(`${path}: \`readers\` must be a whole number from 0 to 15 (Aurora's limit of replicas), got: ${readers}`);
  }
  if (readers > 0 && !rdsProxy) {
    throw new Error(`${path}: readers are reached through the proxy's read-only endpoint: keep \`rdsProxy\` on, or set \`readers\` to 0 (the Data API runs on the writer only)`);
  }
  const instanceClass = serverless ? 'db.serverless' : `db.${props.instanceType!.toString()}`;
  if (props.dataApi && /^db\.t/.test(instanceClass)) {
    throw new Error(`${path}: the Data API does not run on T instance classes (${instanceClass}): choose another \`instanceType\` or Aurora Serverless v2`);
  }
  let maxConnections: number;
  let maxConnectionsSource: string;
  if (props.maxConnections !== undefined) {
    maxConnections = props.maxConnections;
    maxConnectionsSource = 'maxConnections';
  } else if (serverless) {
    maxConnections = AuroraMaxConnections.forServerlessV2(family, minCapacity, maxCapacity);
    maxConnectionsSource = `Aurora Serverless v2 default for ${minCapacity}-${maxCapacity} ACU`;
  } else {
    maxConnections = AuroraMaxConnections.forInstanceClass(family, instanceClass);
    maxConnectionsSource = `Aurora default for ${instanceClass}`;
  }
  return {
    family,
    instanceClass,
    serverless,
    minCapacity,
    maxCapacity,
    readers,
    maxConnections,
    maxConnectionsSource,
    cloudwatchLogsExports: family === DatabaseEngineFamily.POSTGRESQL ? ['postgresql'] : ['audit', 'error', 'general', 'slowquery'],
  };
}

function familyOf(engineType: string): DatabaseEngineFamily | undefined {
  switch (engineType) {
    case 'aurora-postgresql': return DatabaseEngineFamily.POSTGRESQL;
    case 'aurora-mysql': return DatabaseEngineFamily.MYSQL;
    default: return undefined;
  }
}

/** Parameters of the cluster parameter group: TLS only, and the engine's serverless tuning. */
export function clusterParameters(family: DatabaseEngineFamily): Record<string, string> {
  if (family === DatabaseEngineFamily.POSTGRESQL) {
    return {
      'rds.force_ssl': '1',
      'idle_in_transaction_session_timeout': '60000',
      'tcp_keepalives_idle': '60',
      'tcp_keepalives_interval': '10',
      'tcp_keepalives_count': '6',
      'log_min_duration_statement': '1000',
    };
  }
  return {
    'require_secure_transport': 'ON',
    'wait_timeout': '900',
    'interactive_timeout': '900',
    'max_connect_errors': '100000',
    'slow_query_log': '1',
    'long_query_time': '1',
    'log_output': 'FILE',
    // Feeds the `audit` log export (Aurora MySQL's Advanced Auditing).
    'server_audit_logging': '1',
    'server_audit_events': 'CONNECT,QUERY_DDL,QUERY_DCL',
  };
}

